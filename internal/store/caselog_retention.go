package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
	"github.com/watchfloor/watchfloor/internal/staffing/handle"
)

// Retention watermarks besides SettingAlertsPrunedBefore, as Unix
// microseconds: the newest bound retention pruned raw payloads and case
// logs before.
const (
	SettingRawPrunedBefore      = "retention.raw_payloads_pruned_before"
	SettingCaseLogsPrunedBefore = "retention.case_logs_pruned_before"
)

// Watermarks are how far back retention removed each kind of data (zero
// when it never did): the rows before them are gone, the rollups and case
// facts kept.
type Watermarks struct {
	RawPayloads time.Time `json:"raw_payloads,omitzero"`
	Alerts      time.Time `json:"alerts,omitzero"`
	CaseLogs    time.Time `json:"case_logs,omitzero"`
}

// RetentionWatermarks reads the watermarks.
func (s *Store) RetentionWatermarks(ctx context.Context) (Watermarks, error) {
	var w Watermarks
	for _, m := range []struct {
		name string
		t    *time.Time
	}{{SettingRawPrunedBefore, &w.RawPayloads}, {SettingAlertsPrunedBefore, &w.Alerts}, {SettingCaseLogsPrunedBefore, &w.CaseLogs}} {
		v, err := s.Setting(ctx, m.name)
		if err != nil {
			return w, err
		}
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return w, fmt.Errorf("setting %s: %q is not a time", m.name, v)
		}
		*m.t = time.UnixMicro(n).UTC()
	}
	return w, nil
}

// raiseWatermark records before as the watermark name unless a later one
// is recorded.
func (a *applier) raiseWatermark(name string, before time.Time) error {
	var cur string
	err := a.queryRow(`SELECT value FROM settings WHERE name = ?`, name).Scan(&cur)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	if n, perr := strconv.ParseInt(cur, 10, 64); err == nil && perr == nil && n >= before.UnixMicro() {
		return nil
	}
	if _, err := a.exec(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
		name, strconv.FormatInt(before.UnixMicro(), 10)); err != nil {
		return fmt.Errorf("recording %s: %w", name, err)
	}
	return nil
}

// CaseLogsPruned counts what case-log retention removed (or would).
type CaseLogsPruned struct {
	Before time.Time `json:"before"`
	// Cases lost their log: Events of them, Comments among those.
	Cases    int64 `json:"cases"`
	Events   int64 `json:"events"`
	Comments int64 `json:"comments"`
	// RunbookEvents are kept: runbook usage reports count them.
	RunbookEvents int64 `json:"runbook_events_kept"`
	// InIncidents are cases closed before the bound kept whole because
	// they belong to a major incident still open.
	InIncidents int64 `json:"kept_in_open_incidents"`
}

// prunableCases selects the cases whose log retention may remove: resolved
// or closed, both before the bound (first and second ?), with no event
// since (third ?), their KPI facts current and their handle time kept
// (measured with the facts). The caller adds: in no major incident still
// open.
const prunableCases = `stage IN ('resolved', 'closed') AND COALESCE(closed_at, resolved_at) < ? AND COALESCE(resolved_at, 0) < ?
	AND COALESCE(last_event_at, 0) < ?
	AND EXISTS (SELECT 1 FROM case_facts f WHERE f.case_id = cases.id AND f.ht_gap IS NOT NULL)
	AND NOT EXISTS (SELECT 1 FROM facts_pending fp WHERE fp.case_id = cases.id)`

const inOpenIncident = `EXISTS (SELECT 1 FROM crisis_incident_cases ic JOIN crisis_incidents i ON i.id = ic.incident_id
	WHERE ic.case_id = cases.id AND i.status <> 'closed')`

// prunedKinds are the event kinds case-log retention removes: all but
// runbook executions.
const prunedKinds = `kind <> 'runbook'`

// PruneCaseLogs removes the log (events and comments; runbook executions
// stay) of every case resolved or closed before before, with no event
// since, that belongs to no major incident still open. Open cases are never
// touched. The case row, its KPI facts with its kept handle time, and the
// day aggregates stay; case_log_pruned keeps the rest reports read from a
// log (the first priority, for case arrivals; the SLA clocks, for the
// case's detail). A pruned case's facts and handle time are never
// computed again from what is left (see computeFacts). With dry set it
// only counts. The work goes in transactions of pruneChunk case ids.
func (s *Store) PruneCaseLogs(ctx context.Context, p CaseLogPrune, dry bool) (CaseLogsPruned, error) {
	out := CaseLogsPruned{Before: p.Before}
	if pending, err := s.HandleTimesPending(ctx); err != nil {
		return out, err
	} else if pending {
		return out, errors.New("case logs cannot be pruned yet: the handle times kept with the case facts are still to be measured from them (watchfloor rollups rebuild)")
	}
	b := p.Before.UnixMicro()
	sel := `SELECT id FROM cases WHERE ` + prunableCases + ` AND NOT ` + inOpenIncident
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(DISTINCT case_id), COUNT(*), COALESCE(SUM(CASE WHEN kind = 'comment' THEN 1 ELSE 0 END), 0)
		FROM case_events WHERE `+prunedKinds+` AND case_id IN (`+sel+`)`), b, b, b).Scan(&out.Cases, &out.Events, &out.Comments); err != nil {
		return out, fmt.Errorf("counting prunable case logs: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM case_events WHERE kind = 'runbook' AND case_id IN (`+sel+`)`),
		b, b, b).Scan(&out.RunbookEvents); err != nil {
		return out, fmt.Errorf("counting runbook events: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM cases WHERE `+prunableCases+` AND `+inOpenIncident),
		b, b, b).Scan(&out.InIncidents); err != nil {
		return out, fmt.Errorf("counting cases in open incidents: %w", err)
	}
	if dry || out.Cases == 0 {
		return out, nil
	}
	if _, err := s.write(ctx, func(a *applier) error { return a.raiseWatermark(SettingCaseLogsPrunedBefore, p.Before) }); err != nil {
		return out, err
	}
	err := s.eachIDRange(ctx, "cases", func(a *applier, lo, hi int64) error {
		return a.pruneCaseLogs(lo, hi, b, p.Policy, p.Now.UTC())
	})
	if err != nil {
		return out, fmt.Errorf("removing case logs: %w", err)
	}
	return out, nil
}

// CaseLogPrune is one application of case-log retention.
type CaseLogPrune struct {
	// Before is the bound: cases resolved or closed before it lose their log.
	Before time.Time
	// Policy names the retention period in the record ("400d").
	Policy string
	// Now is when the logs are pruned.
	Now time.Time
}

// prunedLog is what pruning keeps of one case's log.
type prunedLog struct {
	created                  int64
	events, comments, lastID int64
	firstPriority            string
	old                      bool // pruned before: its kept record stays
	evs                      []model.CaseEvent
}

// pruneCaseLogs prunes the logs of the prunable cases with ids in [lo, hi).
func (a *applier) pruneCaseLogs(lo, hi, before int64, policy string, now time.Time) error {
	if err := a.loadKPIContext(); err != nil {
		return err
	}
	// Read whole before writing: PostgreSQL cannot write on a connection
	// with a query still open.
	rows, err := a.query(`SELECT e.id, e.case_id, e.at, e.actor, e.kind, e.old, e.new, COALESCE(c.created_at, 0),
			(SELECT COUNT(*) FROM case_log_pruned p WHERE p.case_id = c.id)
		FROM case_events e JOIN cases c ON c.id = e.case_id
		WHERE c.id IN (SELECT id FROM cases WHERE id >= ? AND id < ? AND `+prunableCases+` AND NOT `+inOpenIncident+`)
		ORDER BY e.case_id, e.at, e.id`, lo, hi, before, before, before)
	if err != nil {
		return fmt.Errorf("reading case logs: %w", err)
	}
	logs := map[int64]*prunedLog{}
	var ids []int64
	for rows.Next() {
		var e model.CaseEvent
		var at, created, old int64
		var kind string
		if err := rows.Scan(&e.ID, &e.CaseID, &at, &e.Actor, &kind, &e.Old, &e.New, &created, &old); err != nil {
			rows.Close()
			return fmt.Errorf("reading case logs: %w", err)
		}
		e.At, e.Kind = time.UnixMicro(at).UTC(), model.EventKind(kind)
		l := logs[e.CaseID]
		if l == nil {
			l = &prunedLog{created: created, old: old > 0}
			logs[e.CaseID] = l
			ids = append(ids, e.CaseID)
		}
		l.evs = append(l.evs, e)
		if e.Kind == model.EventRunbook {
			continue
		}
		l.events++
		l.lastID = max(l.lastID, e.ID)
		if e.Kind == model.EventComment {
			l.comments++
		}
		if e.Kind == model.EventPriority && l.firstPriority == "" {
			l.firstPriority = e.New
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading case logs: %w", err)
	}
	for _, id := range ids {
		l := logs[id]
		if l.events == 0 {
			continue // only runbook executions: nothing to remove
		}
		if l.old {
			if _, err := a.exec(`UPDATE case_log_pruned SET pruned_at = ?, cutoff = ?, policy = ?, events = events + ?,
				comments = comments + ?, last_event_id = ? WHERE case_id = ?`, now.UnixMicro(), before, policy, l.events, l.comments, l.lastID, id); err != nil {
				return fmt.Errorf("recording the pruned log of case %d: %w", id, err)
			}
		} else {
			var created time.Time
			if l.created != 0 {
				created = time.UnixMicro(l.created).UTC()
			}
			clocks, err := json.Marshal(a.eval.Evaluate(created, l.evs, now))
			if err != nil {
				return fmt.Errorf("keeping the SLA clocks of case %d: %w", id, err)
			}
			if _, err := a.exec(`INSERT INTO case_log_pruned (case_id, pruned_at, cutoff, policy, events, comments, last_event_id,
				first_priority, clocks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, now.UnixMicro(), before, policy, l.events, l.comments, l.lastID, l.firstPriority, string(clocks)); err != nil {
				return fmt.Errorf("recording the pruned log of case %d: %w", id, err)
			}
		}
		if _, err := a.exec(`DELETE FROM case_events WHERE case_id = ? AND `+prunedKinds, id); err != nil {
			return fmt.Errorf("removing the log of case %d: %w", id, err)
		}
	}
	return nil
}

// CaseLogPruning is what a case detail says about a pruned log.
type CaseLogPruning struct {
	PrunedAt time.Time `json:"pruned_at"`
	// Before is the retention bound: cases closed before it lost their log.
	Before   time.Time `json:"before"`
	Policy   string    `json:"policy"`
	Events   int64     `json:"events_removed"`
	Comments int64     `json:"comments_removed"`
	// ChangedAt is when the case (or the SLA policies) changed after its
	// log was pruned: its KPI facts are as they were at pruning.
	ChangedAt time.Time `json:"changed_at,omitzero"`
	// Clocks are the case's SLA clocks as its whole log gave them when it
	// was pruned (the case was closed: they had stopped).
	Clocks sla.Result `json:"-"`
}

// Note is the pruning in one sentence, for timelines.
func (p *CaseLogPruning) Note() string {
	s := fmt.Sprintf("Case log pruned on %s under the case-log retention policy (%s: logs of cases closed before %s): %d events removed, %d of them comments; runbook executions, the case record and its KPIs are kept.",
		p.PrunedAt.Format(time.DateOnly), p.Policy, p.Before.Format(time.DateOnly), p.Events, p.Comments)
	if !p.ChangedAt.IsZero() {
		s += fmt.Sprintf(" The case or the SLA policies changed on %s, after pruning: its KPIs stay as they were when the log was pruned.", p.ChangedAt.Format(time.DateOnly))
	}
	return s
}

// CaseLogPruned returns how a case's log was pruned, nil when it was not.
func (s *Store) CaseLogPruned(ctx context.Context, caseID int64) (*CaseLogPruning, error) {
	var p CaseLogPruning
	var at, before int64
	var changed sql.NullInt64
	var clocks string
	err := s.r.QueryRowContext(ctx, s.rebind(`SELECT pruned_at, cutoff, policy, events, comments, changed_at, clocks FROM case_log_pruned WHERE case_id = ?`),
		caseID).Scan(&at, &before, &p.Policy, &p.Events, &p.Comments, &changed, &clocks)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the pruning of case %d: %w", caseID, err)
	}
	p.PrunedAt, p.Before, p.ChangedAt = time.UnixMicro(at).UTC(), time.UnixMicro(before).UTC(), fromMicros(changed)
	if err := json.Unmarshal([]byte(clocks), &p.Clocks); err != nil {
		return nil, fmt.Errorf("reading the kept SLA clocks of case %d: %w", caseID, err)
	}
	return &p, nil
}

// PrunedCaseDay is a KPI day (YYYYMMDD) whose cases include some that
// changed after retention pruned their logs: their facts, and so the day's
// aggregate, are as they were at pruning, since a pruned log cannot be
// replayed.
type PrunedCaseDay struct {
	Day      int64
	Cases    int64
	PrunedAt time.Time // the latest pruning of those cases
	Policy   string
}

// PrunedCaseDays returns the days in [from, to] (YYYYMMDD) with cases
// that changed after their logs were pruned.
func (s *Store) PrunedCaseDays(ctx context.Context, from, to int64) ([]PrunedCaseDay, error) {
	// Driven from the changed pruned cases (a partial index, empty unless
	// retention pruned logs that changed since): CROSS JOIN keeps SQLite from
	// walking every case of the window's days to look each one up in
	// case_log_pruned (170 ms per quarterly report on 1 M cases).
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT f.day, COUNT(*), MAX(p.pruned_at), MAX(p.policy) FROM case_log_pruned p
		CROSS JOIN case_facts f WHERE f.case_id = p.case_id AND p.changed_at IS NOT NULL AND f.day >= ? AND f.day <= ?
		GROUP BY f.day ORDER BY f.day`), from, to)
	if err != nil {
		return nil, fmt.Errorf("reading days of changed pruned cases: %w", err)
	}
	defer rows.Close()
	var out []PrunedCaseDay
	for rows.Next() {
		var d PrunedCaseDay
		var at int64
		if err := rows.Scan(&d.Day, &d.Cases, &at, &d.Policy); err != nil {
			return nil, fmt.Errorf("reading days of changed pruned cases: %w", err)
		}
		d.PrunedAt = time.UnixMicro(at).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// prunedLogState says whether a case's log was pruned and the newest
// event id pruning removed.
func (a *applier) prunedLogState(id int64) (pruned bool, lastID int64, err error) {
	err = a.queryRow(`SELECT last_event_id FROM case_log_pruned WHERE case_id = ?`, id).Scan(&lastID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("reading the pruning of case %d: %w", id, err)
	}
	return true, lastID, nil
}

// markPrunedChanged records that a pruned case changed (its facts were due
// for recomputation): its facts stay as they were at pruning.
func (a *applier) markPrunedChanged(id int64) error {
	if _, err := a.exec(`UPDATE case_log_pruned SET changed_at = ? WHERE case_id = ? AND changed_at IS NULL`, a.now.UnixMicro(), id); err != nil {
		return fmt.Errorf("recording a change of pruned case %d: %w", id, err)
	}
	return nil
}

// CaseClocks returns a case's SLA clocks judged at now: evaluated from its
// log evs, or, when retention pruned the log, as the whole log gave them
// when it was pruned (the case was closed, its clocks stopped); pruned is
// then how the log was pruned, else nil.
func (s *Store) CaseClocks(ctx context.Context, c *model.Case, evs []model.CaseEvent, ev sla.Evaluator, now time.Time) (res sla.Result, pruned *CaseLogPruning, err error) {
	if pruned, err = s.CaseLogPruned(ctx, c.ID); err != nil {
		return res, nil, err
	}
	if pruned != nil {
		return pruned.Clocks, pruned, nil
	}
	return ev.Evaluate(c.CreatedAt, evs, now), nil, nil
}

// withoutPruned returns the ids of ids whose logs retention did not prune;
// for the pruned ones it adds their handle time from kept (when they have
// one) to out.
func (s *Store) withoutPruned(ctx context.Context, ids []int64, kept map[int64]handle.Time, out *[]handle.Time) ([]int64, error) {
	pruned := map[int64]bool{}
	err := s.eachRowByIDs(ctx, "reading pruned case logs", ids,
		func(in string) string { return `SELECT case_id FROM case_log_pruned WHERE case_id IN (` + in + `)` },
		func(rows *sql.Rows) error {
			var id int64
			err := rows.Scan(&id)
			pruned[id] = true
			return err
		})
	if err != nil {
		return nil, err
	}
	var rest []int64
	for _, id := range ids {
		switch ht, ok := kept[id]; {
		case !pruned[id]:
			rest = append(rest, id)
		case ok:
			*out = append(*out, ht)
		}
	}
	return rest, nil
}

// retentionLine says how far back retention removed each kind of data,
// and how many pruned cases changed since; "" when it never removed any.
func (s *Store) retentionLine(ctx context.Context) (string, error) {
	w, err := s.RetentionWatermarks(ctx)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, m := range []struct {
		what string
		t    time.Time
	}{{"raw payloads", w.RawPayloads}, {"alerts", w.Alerts}, {"case logs", w.CaseLogs}} {
		if !m.t.IsZero() {
			parts = append(parts, m.what+" before "+m.t.Format(time.RFC3339))
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	line := "pruned " + strings.Join(parts, ", ")
	if !w.CaseLogs.IsZero() {
		var cases, changed int64
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(changed_at) FROM case_log_pruned`).Scan(&cases, &changed); err != nil {
			return "", fmt.Errorf("counting pruned case logs: %w", err)
		}
		line += fmt.Sprintf("; %d cases without their log, %d of them changed since (their KPIs stay as at pruning, and reports over their days say so)", cases, changed)
	}
	return line, nil
}
