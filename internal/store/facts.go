package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
)

// Rollup kinds.
const (
	RollupCases  = "cases"
	RollupAlerts = "alerts"
)

// markDays bumps the version of days whose data changed, so the metrics
// engine rebuilds them.
func (a *applier) markDays(kind string, days map[int64]bool) error {
	keys := make([]int64, 0, len(days))
	for d := range days {
		keys = append(keys, d)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, d := range keys {
		if _, err := a.exec(`INSERT INTO rollup_days (kind, day, version) VALUES (?, ?, 1)
			ON CONFLICT (kind, day) DO UPDATE SET version = rollup_days.version + 1`, kind, d); err != nil {
			return fmt.Errorf("marking %s rollup of %d: %w", kind, d, err)
		}
	}
	return nil
}

// markAllDays marks every day that has data of the kind.
func (a *applier) markAllDays(kind string) error {
	q := `SELECT DISTINCT day FROM case_facts`
	if kind == RollupAlerts {
		q = `SELECT DISTINCT created_at / 86400000000 FROM alerts WHERE created_at IS NOT NULL`
	}
	rows, err := a.query(q)
	if err != nil {
		return fmt.Errorf("listing %s days: %w", kind, err)
	}
	days := map[int64]bool{}
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return err
		}
		if kind == RollupAlerts {
			// UTC day number: mark the local days around it.
			t := time.Unix(d*86400, 0)
			days[DayOf(t, a.tz)] = true
			days[DayOf(t.Add(24*time.Hour-time.Second), a.tz)] = true
			continue
		}
		days[d] = true
	}
	rows.Close()
	return a.markDays(kind, days)
}

// loadKPIContext reads what computing facts needs once per batch: the
// organisation's time zone and the SLA policies.
func (a *applier) loadKPIContext() error {
	if a.kpiLoaded {
		return nil
	}
	a.kpiLoaded = true
	a.tz = time.UTC
	var tz string
	err := a.queryRow(`SELECT value FROM settings WHERE name = ?`, SettingTimeZone).Scan(&tz)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("reading time zone: %w", err)
	default:
		if a.tz, err = time.LoadLocation(tz); err != nil {
			return fmt.Errorf("time zone setting %q: %w", tz, err)
		}
	}
	pols, err := loadPolicies(a.ctx, a.tx, a.s)
	if err != nil {
		return err
	}
	a.eval = sla.Evaluator{Policies: pols}
	return nil
}

// queueFacts records the cases a batch touched for RefreshFacts.
func (a *applier) queueFacts() error {
	ids := make([]int64, 0, len(a.touched))
	for id := range a.touched {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, n := range chunkSizes(len(ids), 128) {
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		if _, err := a.exec(multiRowSQL(`INSERT INTO facts_pending (case_id) VALUES `, "(?)", n,
			` ON CONFLICT (case_id) DO NOTHING`), args...); err != nil {
			return fmt.Errorf("queueing case facts: %w", err)
		}
	}
	return nil
}

// factsChunk is how many cases one RefreshFacts transaction computes.
const factsChunk = 500

// RefreshFacts recomputes the KPI facts of every case whose log changed
// since they were last computed, and marks the rollup days those cases
// leave and enter. It returns how many cases it computed. Several processes
// may run it at once: on PostgreSQL each takes different cases.
func (s *Store) RefreshFacts(ctx context.Context) (int, error) {
	if err := s.recheckOpenClocks(ctx, time.Now().UTC()); err != nil {
		return 0, err
	}
	// Read first: most calls find nothing to do, and need no write lock.
	var pending int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT case_id FROM facts_pending LIMIT 1) p`).Scan(&pending); err != nil {
		return 0, fmt.Errorf("reading pending case facts: %w", err)
	}
	if pending == 0 {
		return 0, nil
	}
	total := 0
	for {
		n := 0
		_, err := s.writeDerived(ctx, func(a *applier) error {
			q := `SELECT case_id FROM facts_pending ORDER BY case_id LIMIT ?`
			if s.engine == Postgres {
				q += ` FOR UPDATE SKIP LOCKED`
			}
			rows, err := a.query(q, factsChunk)
			if err != nil {
				return fmt.Errorf("reading pending case facts: %w", err)
			}
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return fmt.Errorf("reading pending case facts: %w", err)
				}
				ids = append(ids, id)
			}
			rows.Close()
			n = len(ids)
			if n == 0 {
				return nil
			}
			if err := a.computeFacts(ids); err != nil {
				return err
			}
			for _, id := range ids {
				if _, err := a.exec(`DELETE FROM facts_pending WHERE case_id = ?`, id); err != nil {
					return fmt.Errorf("clearing pending case facts: %w", err)
				}
			}
			return nil
		})
		total += n
		if err != nil || n < factsChunk {
			return total, err
		}
	}
}

// computeFacts recomputes the facts of the given cases and marks the
// rollup days they leave and enter.
func (a *applier) computeFacts(ids []int64) error {
	if err := a.loadKPIContext(); err != nil {
		return err
	}
	days := map[int64]bool{}
	for _, id := range ids {
		// A pruned log cannot be replayed: the facts stay as they were
		// when it was pruned, and reports say which days hold such cases.
		if pruned, _, err := a.prunedLogState(id); err != nil {
			return err
		} else if pruned {
			if err := a.markPrunedChanged(id); err != nil {
				return err
			}
			continue
		}
		sc, err := a.lockCase(id)
		if err != nil {
			return err
		}
		evs, err := caseEvents(a.ctx, a.tx, a.s, id)
		if err != nil {
			return err
		}
		var occ sql.NullInt64
		var linked int64
		if err := a.queryRow(`SELECT COUNT(*), MIN(occurred_at) FROM alerts WHERE source = ? AND case_ext_id = ? AND case_ext_id <> ''`,
			sc.c.Source, sc.c.ExternalID).Scan(&linked, &occ); err != nil {
			return fmt.Errorf("reading alert times of case %d: %w", id, err)
		}
		al := kpi.Alerts{Linked: linked > 0, Occurred: fromMicros(occ)}
		err = a.queryRow(`SELECT rule_id FROM alerts WHERE source = ? AND case_ext_id = ? AND case_ext_id <> ''
			ORDER BY created_at, id LIMIT 1`, sc.c.Source, sc.c.ExternalID).Scan(&al.Rule)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading the first alert of case %d: %w", id, err)
		}
		f := kpi.Compute(&sc.c, evs, al, a.eval, a.now)
		day := DayOf(f.Created, a.tz)
		var oldDay sql.NullInt64
		if err := a.queryRow(`SELECT day FROM case_facts WHERE case_id = ?`, id).Scan(&oldDay); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading facts of case %d: %w", id, err)
		}
		kh, err := a.measureHandle(id, day, evs)
		if err != nil {
			return err
		}
		arr := arrivalOf(&sc.c, evs)
		if oldDay.Valid && oldDay.Int64 != day {
			days[oldDay.Int64] = true
		}
		days[day] = true
		args := []any{id, day, f.Source, f.Team, f.Analyst, f.Rule, int(f.Priority), string(f.Disposition), boolInt(f.Excluded),
			micros(f.Created), micros(f.Occurred), micros(f.Ack), micros(f.Contain), micros(f.Resolve), micros(f.LastClose),
			boolInt(f.AckImputed), boolInt(f.ContainImputed), boolInt(f.Done), f.Reopens, boolInt(f.Escalated),
			string(f.SLAAck), string(f.SLAResolve), f.Clamped, f.SourceSLA, boolInt(f.Alerted), micros(f.AckAtRiskFrom),
			micros(f.AckOverdueFrom), micros(f.ResolveAtRiskFrom), micros(f.ResolveOverdueFrom)}
		if _, err := a.exec(`INSERT INTO case_facts (case_id, day, source, team, analyst, rule, priority, disposition, excluded,
				created_at, occurred_at, ack_at, contain_at, resolve_at, last_close_at, ack_imputed, contain_imputed, done,
				reopens, escalated, sla_ack, sla_resolve, clamped, source_sla, alerted, ack_risk_from, ack_overdue_from,
				resolve_risk_from, resolve_overdue_from, `+handleColumns+`, arr_at, arr_priority)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (case_id) DO UPDATE SET day = excluded.day, source = excluded.source, team = excluded.team,
				analyst = excluded.analyst, rule = excluded.rule, priority = excluded.priority, disposition = excluded.disposition,
				excluded = excluded.excluded, created_at = excluded.created_at, occurred_at = excluded.occurred_at,
				ack_at = excluded.ack_at, contain_at = excluded.contain_at, resolve_at = excluded.resolve_at,
				last_close_at = excluded.last_close_at, ack_imputed = excluded.ack_imputed,
				contain_imputed = excluded.contain_imputed, done = excluded.done, reopens = excluded.reopens,
				escalated = excluded.escalated, sla_ack = excluded.sla_ack, sla_resolve = excluded.sla_resolve,
				clamped = excluded.clamped, source_sla = excluded.source_sla, alerted = excluded.alerted,
				ack_risk_from = excluded.ack_risk_from, ack_overdue_from = excluded.ack_overdue_from,
				resolve_risk_from = excluded.resolve_risk_from, resolve_overdue_from = excluded.resolve_overdue_from,
				ht_gap = excluded.ht_gap, ht_pause = excluded.ht_pause, ht_created = excluded.ht_created,
				ht_start = excluded.ht_start, ht_end = excluded.ht_end, ht_active = excluded.ht_active,
				ht_paused = excluded.ht_paused, ht_priority = excluded.ht_priority, ht_arrival = excluded.ht_arrival,
				arr_at = excluded.arr_at, arr_priority = excluded.arr_priority`,
			append(append(args, kh.columns()...), micros(arr.at), int(arr.priority))...); err != nil {
			return fmt.Errorf("storing facts of case %d: %w", id, err)
		}
	}
	return a.markDays(RollupCases, days)
}

// markAlertDays marks the local days of alerts the batch wrote or changed.
func (a *applier) markAlertDays() error {
	if len(a.alertDays) == 0 {
		return nil
	}
	if err := a.loadKPIContext(); err != nil {
		return err
	}
	days := map[int64]bool{}
	for q := range a.alertDays {
		days[DayOf(time.Unix(q*quarterSeconds, 0), a.tz)] = true
	}
	return a.markDays(RollupAlerts, days)
}

// noteAlert records the quarter hour of an alert the batch wrote, for
// markAlertDays: every time zone's day boundary (offsets such as +5:30 or
// +5:45 included) falls on a quarter hour.
func (a *applier) noteAlert(created time.Time) {
	if a.alertDays == nil {
		a.alertDays = map[int64]bool{}
	}
	if !created.IsZero() { // an undated alert belongs to no day
		a.alertDays[created.Unix()/quarterSeconds] = true
	}
}

// RuleCaseCounts counts, by rule, the cases created on the days
// [fromDay, toDay) (YYYYMMDD in the organisation's time zone) that the
// KPIs count (not excluded).
func (s *Store) RuleCaseCounts(ctx context.Context, fromDay, toDay int64) (map[string]int, error) {
	// +day keeps SQLite off the day index, whose rows it would then sort
	// by rule: the partial index case_facts_rule_day (0030) gives them in
	// rule order (2.2 against 0.4 CPU s over a million cases).
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT rule, COUNT(*) FROM case_facts
		WHERE +day >= ? AND +day < ? AND excluded = 0 GROUP BY rule`), fromDay, toDay)
	if err != nil {
		return nil, fmt.Errorf("counting cases by rule: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var rule string
		var n int
		if err := rows.Scan(&rule, &n); err != nil {
			return nil, fmt.Errorf("counting cases by rule: %w", err)
		}
		out[rule] = n
	}
	return out, rows.Err()
}

// CaseRules returns the distinct rules of the cases with these ids (as
// their facts hold them), sorted.
func (s *Store) CaseRules(ctx context.Context, ids []int64) ([]string, error) {
	seen := map[string]bool{}
	err := s.eachRowByIDs(ctx, "reading the rules of cases", ids,
		func(in string) string { return `SELECT DISTINCT rule FROM case_facts WHERE case_id IN (` + in + `)` },
		func(rows *sql.Rows) error {
			var r string
			err := rows.Scan(&r)
			seen[r] = true
			return err
		})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	slices.Sort(out)
	return out, nil
}

// RuleFacts calls fn with the facts of the cases created on the days
// [fromDay, toDay) whose rule is one of rules, by day and case id (the
// order of [Store.DayFacts] day after day). More rules than fit one IN
// list are filtered here instead.
func (s *Store) RuleFacts(ctx context.Context, fromDay, toDay int64, rules []string, fn func(*kpi.Facts)) error {
	q := `SELECT ` + factColumns + ` FROM case_facts WHERE day >= ? AND day < ?`
	args := []any{fromDay, toDay}
	var keep map[string]bool
	if len(rules) <= maxIDsPerSQL {
		q += ` AND rule IN (` + placeholders(len(rules)) + `)`
		for _, r := range rules {
			args = append(args, r)
		}
	} else {
		keep = make(map[string]bool, len(rules))
		for _, r := range rules {
			keep[r] = true
		}
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(q+` ORDER BY day, case_id`), args...)
	if err != nil {
		return fmt.Errorf("reading case facts by rule: %w", err)
	}
	defer rows.Close()
	var f kpi.Facts
	for rows.Next() {
		if err := scanFacts(rows, &f); err != nil {
			return fmt.Errorf("reading case facts by rule: %w", err)
		}
		if keep == nil || keep[f.Rule] {
			fn(&f)
		}
	}
	return rows.Err()
}

// CaseOutcome is what the team assessment reads of a case's facts.
type CaseOutcome struct {
	CaseID   int64
	Analyst  string // the current assignee
	Priority model.Priority
	Excluded bool // tests and drills
	Created  time.Time
	// Resolve is the first move to resolved or closed; zero while open.
	Resolve    time.Time
	SLAResolve sla.Status
}

// CaseOutcomes returns the outcomes of the cases created on the days
// [fromDay, toDay) (YYYYMMDD in the organisation's time zone), by day and
// case id: seven of the facts' fields, a fifth of their size, so a
// quarter of a million-case store is read in a fraction of
// [Store.DayFacts]' time and memory.
func (s *Store) CaseOutcomes(ctx context.Context, fromDay, toDay int64) ([]CaseOutcome, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT case_id, analyst, priority, excluded, created_at, resolve_at, sla_resolve
		FROM case_facts WHERE day >= ? AND day < ? ORDER BY day, case_id`), fromDay, toDay)
	if err != nil {
		return nil, fmt.Errorf("reading case outcomes: %w", err)
	}
	defer rows.Close()
	var out []CaseOutcome
	for rows.Next() {
		var o CaseOutcome
		var prio, excl int
		var slaRes string
		var cre, res sql.NullInt64
		if err := rows.Scan(&o.CaseID, &o.Analyst, &prio, &excl, &cre, &res, &slaRes); err != nil {
			return nil, fmt.Errorf("reading case outcomes: %w", err)
		}
		o.Priority, o.Excluded, o.SLAResolve = model.Priority(prio), excl != 0, sla.Status(slaRes)
		o.Created, o.Resolve = fromMicros(cre), fromMicros(res)
		out = append(out, o)
	}
	return out, rows.Err()
}
