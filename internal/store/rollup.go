package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
)

// RollupDay is one day's cached aggregate of a kind. Data is stale (to be
// rebuilt) when BuiltVersion differs from Version.
type RollupDay struct {
	Day          int64
	Version      int64
	BuiltVersion int64
	Data         string
}

// Stale reports whether the day must be rebuilt before use.
func (d RollupDay) Stale() bool { return d.BuiltVersion != d.Version || d.Data == "" }

// RollupVersions returns the days of a kind between two YYYYMMDD days
// (inclusive) that have data, without their data: callers that keep decoded
// days compare versions and fetch only what changed.
func (s *Store) RollupVersions(ctx context.Context, kind string, from, to int64) ([]RollupDay, error) {
	// data is not read at all: a built row (built_version set) always has it.
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT day, version, built_version FROM rollup_days
		WHERE kind = ? AND day >= ? AND day <= ? ORDER BY day`), kind, from, to)
	if err != nil {
		return nil, fmt.Errorf("reading %s rollup versions: %w", kind, err)
	}
	defer rows.Close()
	var out []RollupDay
	for rows.Next() {
		var d RollupDay
		if err := rows.Scan(&d.Day, &d.Version, &d.BuiltVersion); err != nil {
			return nil, fmt.Errorf("reading %s rollup versions: %w", kind, err)
		}
		if d.BuiltVersion >= 0 {
			d.Data = "…" // present, not fetched
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// RollupPart returns one part of a built day and the day version it was
// built from; ok is false when the part is not stored.
func (s *Store) RollupPart(ctx context.Context, kind string, day int64, part string) (version int64, data string, ok bool, err error) {
	err = s.r.QueryRowContext(ctx, s.rebind(`SELECT version, data FROM rollup_parts WHERE kind = ? AND day = ? AND part = ?`),
		kind, day, part).Scan(&version, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, fmt.Errorf("reading %s rollup %s of %d: %w", kind, part, day, err)
	}
	return version, data, true, nil
}

// SaveRollupParts stores a rebuilt day in parts, unless ingest changed the
// day again since version was read (the next read rebuilds it then).
func (s *Store) SaveRollupParts(ctx context.Context, kind string, day, version int64, parts map[string]string) error {
	_, err := s.writeDerived(ctx, func(a *applier) error {
		var current int64
		if err := a.queryRow(`SELECT version FROM rollup_days WHERE kind = ? AND day = ?`, kind, day).Scan(&current); err != nil {
			return fmt.Errorf("saving %s rollup of %d: %w", kind, day, err)
		}
		if current != version {
			return nil
		}
		names := make([]string, 0, len(parts))
		for p := range parts {
			names = append(names, p)
		}
		sort.Strings(names)
		for _, p := range names {
			if _, err := a.exec(`INSERT INTO rollup_parts (kind, day, part, version, data) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (kind, day, part) DO UPDATE SET version = excluded.version, data = excluded.data`,
				kind, day, p, version, parts[p]); err != nil {
				return fmt.Errorf("saving %s rollup %s of %d: %w", kind, p, day, err)
			}
		}
		if _, err := a.exec(`UPDATE rollup_days SET built_version = ?, data = 'parts' WHERE kind = ? AND day = ?`,
			version, kind, day); err != nil {
			return fmt.Errorf("saving %s rollup of %d: %w", kind, day, err)
		}
		return nil
	})
	return err
}

// spanVersionQuery reads the version of a span of days of a kind: the sum
// of its days' versions. A day's version only grows, so the sum changes
// whenever a day of the span changes, appears, or is marked again.
const spanVersionQuery = `SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM rollup_days WHERE kind = ? AND day >= ? AND day <= ?`

// MaxRollupSpan is the most days a part merged over a span of days
// (SaveRollupSpan) covers.
const MaxRollupSpan = 64

// SaveRollupSpan stores a part merged over the days first … last
// (YYYYMMDD), under its first day, unless a day of the span changed since
// version (the sum of the days' versions) was read. Such parts are named with an "@"
// and read with RollupPart; a span covers at most MaxRollupSpan days.
func (s *Store) SaveRollupSpan(ctx context.Context, kind string, first, last int64, part string, version int64, data string) error {
	_, err := s.writeDerived(ctx, func(a *applier) error {
		var current int64
		if err := a.queryRow(spanVersionQuery, kind, first, last).Scan(&current); err != nil {
			return fmt.Errorf("saving %s rollup %s of %d: %w", kind, part, first, err)
		}
		if current != version {
			return nil
		}
		if _, err := a.exec(`INSERT INTO rollup_parts (kind, day, part, version, data) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (kind, day, part) DO UPDATE SET version = excluded.version, data = excluded.data`,
			kind, first, part, version, data); err != nil {
			return fmt.Errorf("saving %s rollup %s of %d: %w", kind, part, first, err)
		}
		return nil
	})
	return err
}

const factColumns = `case_id, source, team, analyst, rule, priority, disposition, excluded, created_at, occurred_at, ack_at,
	contain_at, resolve_at, last_close_at, ack_imputed, contain_imputed, done, reopens, escalated, sla_ack, sla_resolve, clamped,
	source_sla, alerted, ack_risk_from, ack_overdue_from, resolve_risk_from, resolve_overdue_from`

func scanFacts(sc interface{ Scan(...any) error }, f *kpi.Facts) error {
	var prio int
	var disp, slaAck, slaRes string
	var excl, ackImp, conImp, done, esc, alerted int
	var cre, occ, ack, con, res, last, ackRisk, ackOver, resRisk, resOver sql.NullInt64
	if err := sc.Scan(&f.CaseID, &f.Source, &f.Team, &f.Analyst, &f.Rule, &prio, &disp, &excl, &cre, &occ, &ack, &con, &res, &last,
		&ackImp, &conImp, &done, &f.Reopens, &esc, &slaAck, &slaRes, &f.Clamped, &f.SourceSLA, &alerted,
		&ackRisk, &ackOver, &resRisk, &resOver); err != nil {
		return err
	}
	f.Alerted = alerted != 0
	f.AckAtRiskFrom, f.AckOverdueFrom = fromMicros(ackRisk), fromMicros(ackOver)
	f.ResolveAtRiskFrom, f.ResolveOverdueFrom = fromMicros(resRisk), fromMicros(resOver)
	f.Priority, f.Disposition, f.Excluded = model.Priority(prio), model.Disposition(disp), excl != 0
	f.Created, f.Occurred, f.Ack, f.Contain = fromMicros(cre), fromMicros(occ), fromMicros(ack), fromMicros(con)
	f.Resolve, f.LastClose = fromMicros(res), fromMicros(last)
	f.AckImputed, f.ContainImputed, f.Done, f.Escalated = ackImp != 0, conImp != 0, done != 0, esc != 0
	f.SLAAck, f.SLAResolve = sla.Status(slaAck), sla.Status(slaRes)
	return nil
}

// DayFacts calls fn with the facts of every case created on a day
// (YYYYMMDD in the organisation's time zone), by case id, so sums over
// them come out the same whenever the day is aggregated.
func (s *Store) DayFacts(ctx context.Context, day int64, fn func(*kpi.Facts)) error {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT `+factColumns+` FROM case_facts WHERE day = ? ORDER BY case_id`), day)
	if err != nil {
		return fmt.Errorf("reading case facts of %d: %w", day, err)
	}
	defer rows.Close()
	var f kpi.Facts
	for rows.Next() {
		if err := scanFacts(rows, &f); err != nil {
			return fmt.Errorf("reading case facts of %d: %w", day, err)
		}
		fn(&f)
	}
	return rows.Err()
}

// AlertRow is the part of an alert the alert rollups read.
type AlertRow struct {
	Source      string
	RuleID      string
	RuleName    string
	Severity    model.Severity
	Disposition model.Disposition
	Linked      bool // belongs to a case
	OccurredAt  time.Time
	CreatedAt   time.Time
	// Techniques is the alert's ATT&CK technique list as stored: JSON
	// text, "" when the alert has none.
	Techniques string
}

// EachAlert calls fn for every alert created in [from, to), in creation
// order (then id), so sums over them come out the same every time.
func (s *Store) EachAlert(ctx context.Context, from, to time.Time, fn func(*AlertRow)) error {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT source, rule_id, rule_name, severity, disposition, case_ext_id <> '',
		occurred_at, created_at, techniques FROM alerts WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id`), from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return fmt.Errorf("reading alerts: %w", err)
	}
	defer rows.Close()
	var a AlertRow
	for rows.Next() {
		var sev int
		var disp string
		var occ, cre sql.NullInt64
		if err := rows.Scan(&a.Source, &a.RuleID, &a.RuleName, &sev, &disp, &a.Linked, &occ, &cre, &a.Techniques); err != nil {
			return fmt.Errorf("reading alerts: %w", err)
		}
		a.Severity, a.Disposition = model.Severity(sev), model.Disposition(disp)
		a.OccurredAt, a.CreatedAt = fromMicros(occ), fromMicros(cre)
		fn(&a)
	}
	return rows.Err()
}

// OpenCases returns the cases not resolved or closed, oldest first.
func (s *Store) OpenCases(ctx context.Context) ([]model.Case, error) {
	// Sorted here: ORDER BY created_at would lead the planner to walk the
	// whole created_at index instead of the partial index of open cases.
	// The raw source record is never shown on the dashboard: not read.
	cases, err := s.queryCases(ctx, "reading open cases",
		`SELECT `+caseColumnsNoRaw+` FROM cases WHERE stage NOT IN ('resolved', 'closed')`)
	sort.Slice(cases, func(i, j int) bool {
		if !cases[i].CreatedAt.Equal(cases[j].CreatedAt) {
			return cases[i].CreatedAt.Before(cases[j].CreatedAt)
		}
		return cases[i].ID < cases[j].ID
	})
	return cases, err
}

// CountAlerts counts alerts created in [from, to).
func (s *Store) CountAlerts(ctx context.Context, from, to time.Time) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM alerts WHERE created_at >= ? AND created_at < ?`),
		from.UnixMicro(), to.UnixMicro()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting alerts: %w", err)
	}
	return n, nil
}

// Analysts returns the analysts on the roster.
func (s *Store) Analysts(ctx context.Context) ([]model.Analyst, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, external_id, name, email, tier, role, team, shift, skills, certifications, active, hourly_cost
		FROM analysts ORDER BY external_id`)
	if err != nil {
		return nil, fmt.Errorf("reading analysts: %w", err)
	}
	defer rows.Close()
	var out []model.Analyst
	for rows.Next() {
		var an model.Analyst
		var tier, skills, certs string
		var active int
		if err := rows.Scan(&an.ID, &an.ExternalID, &an.Name, &an.Email, &tier, &an.Role, &an.Team, &an.Shift, &skills, &certs, &active, &an.HourlyCost); err != nil {
			return nil, fmt.Errorf("reading analysts: %w", err)
		}
		an.Tier, an.Active = model.Tier(tier), active != 0
		if err := decodeJSONText(skills, &an.Skills); err != nil {
			return nil, fmt.Errorf("analyst %s skills: %w", an.ExternalID, err)
		}
		if err := decodeJSONText(certs, &an.Certifications); err != nil {
			return nil, fmt.Errorf("analyst %s certifications: %w", an.ExternalID, err)
		}
		out = append(out, an)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading analysts: %w", err)
	}
	return out, nil
}

// Teams returns the teams, by name.
func (s *Store) Teams(ctx context.Context) ([]model.Team, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, lead FROM teams ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("reading teams: %w", err)
	}
	defer rows.Close()
	var out []model.Team
	for rows.Next() {
		var t model.Team
		if err := rows.Scan(&t.Name, &t.Lead); err != nil {
			return nil, fmt.Errorf("reading teams: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading teams: %w", err)
	}
	return out, nil
}

// Shifts returns the shift definitions.
func (s *Store) Shifts(ctx context.Context) ([]model.Shift, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, start, duration_s, days, time_zone FROM shifts ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("reading shifts: %w", err)
	}
	defer rows.Close()
	var out []model.Shift
	for rows.Next() {
		var sh model.Shift
		var dur int64
		var days string
		if err := rows.Scan(&sh.Name, &sh.Start, &dur, &days, &sh.TimeZone); err != nil {
			return nil, fmt.Errorf("reading shifts: %w", err)
		}
		sh.Duration = time.Duration(dur) * time.Second
		if err := decodeJSONText(days, &sh.Days); err != nil {
			return nil, fmt.Errorf("shift %s days: %w", sh.Name, err)
		}
		out = append(out, sh)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading shifts: %w", err)
	}
	return out, nil
}

// OpenCaseEvents returns, by case id, the open cases' events that decide
// their SLA clocks (see sla.Evaluator.Evaluate): created, stage, status,
// priority and assignee events, with their id, time, kind and values
// (actor and source are left empty). Comments, runbook runs and the other
// kinds are not read: the dashboard reads these logs at every refresh.
func (s *Store) OpenCaseEvents(ctx context.Context) (map[int64][]model.CaseEvent, error) {
	// Driven from the open cases (a partial index) into each one's log, never
	// through the whole event table.
	rows, err := s.r.QueryContext(ctx, `SELECT id, case_id, at, kind, old, new FROM case_events
		WHERE case_id IN (SELECT id FROM cases WHERE stage NOT IN ('resolved', 'closed'))
		AND kind IN ('created', 'stage', 'status', 'priority', 'assignee') ORDER BY case_id, at, id`)
	if err != nil {
		return nil, fmt.Errorf("reading open cases' events: %w", err)
	}
	defer rows.Close()
	out := map[int64][]model.CaseEvent{}
	for rows.Next() {
		var e model.CaseEvent
		var at int64
		var kind string
		if err := rows.Scan(&e.ID, &e.CaseID, &at, &kind, &e.Old, &e.New); err != nil {
			return nil, fmt.Errorf("reading open cases' events: %w", err)
		}
		e.At, e.Kind = time.UnixMicro(at).UTC(), model.EventKind(kind)
		out[e.CaseID] = append(out[e.CaseID], e)
	}
	return out, rows.Err()
}

// LatestActivity is when the newest alert or case was created (zero when
// the store is empty): reports on imported archives end there.
func (s *Store) LatestActivity(ctx context.Context) (time.Time, error) {
	var a, c sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MAX(created_at) FROM alerts`).Scan(&a); err != nil {
		return time.Time{}, fmt.Errorf("reading newest alert: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT MAX(created_at) FROM cases`).Scan(&c); err != nil {
		return time.Time{}, fmt.Errorf("reading newest case: %w", err)
	}
	return fromMicros(sql.NullInt64{Int64: max(a.Int64, c.Int64), Valid: a.Valid || c.Valid}), nil
}
