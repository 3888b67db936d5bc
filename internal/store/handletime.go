package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing/handle"
)

// Handle times kept with the case facts (issue 19). Whenever a case's facts
// are computed from its log, its handle time is measured from the same log
// (handle.Collector) and stored beside them, with the session gap
// (handle.DefaultGap) and the pause statuses of the SLA policy version in
// force at the start of the case's KPI day: what the KPI engine asks for.
// A change to the policies queues every case's facts, so a change of pause
// statuses measures them again. Readers use a kept handle time only when
// it was measured with the gap and pause statuses they ask for, and replay
// the logs of the other cases, so the answer is always the replay's.

// keptHandle is a case's handle time as stored.
type keptHandle struct {
	gap   int64  // microseconds
	pause string // handle.PauseKey
	ok    bool   // the case has a handle time
	ht    handle.Time
}

func (k keptHandle) matches(gap time.Duration, pauseKey string) bool {
	return k.gap == gap.Microseconds() && k.pause == pauseKey
}

// columns are the values of the ht_ columns (ht_gap, ht_pause, ht_created,
// ht_start, ht_end, ht_active, ht_paused, ht_priority, ht_arrival).
func (k keptHandle) columns() []any {
	if !k.ok {
		return []any{k.gap, k.pause, nil, nil, nil, int64(0), int64(0), 0, 0}
	}
	return []any{k.gap, k.pause, micros(k.ht.Created), k.ht.Start.UnixMicro(), k.ht.End.UnixMicro(),
		k.ht.Active.Microseconds(), k.ht.Paused.Microseconds(), int(k.ht.Priority), int(k.ht.ArrivalPriority)}
}

const handleColumns = `ht_gap, ht_pause, ht_created, ht_start, ht_end, ht_active, ht_paused, ht_priority, ht_arrival`

// scanKeptHandle reads the handle columns (handleColumns, in order) after
// the case id; measured is false when the case's handle time was never
// measured.
func scanKeptHandle(sc interface{ Scan(...any) error }, lead ...any) (k keptHandle, measured bool, err error) {
	// All nullable: a left join may find no facts.
	var gap, created, start, end, active, paused, prio, arrival sql.NullInt64
	var pause sql.NullString
	if err := sc.Scan(append(lead, &gap, &pause, &created, &start, &end, &active, &paused, &prio, &arrival)...); err != nil {
		return k, false, err
	}
	if !gap.Valid {
		return k, false, nil
	}
	k.gap, k.pause, k.ok = gap.Int64, pause.String, start.Valid
	if k.ok {
		k.ht = handle.Time{Created: fromMicros(created), Start: fromMicros(start), End: fromMicros(end),
			Active: time.Duration(active.Int64) * time.Microsecond, Paused: time.Duration(paused.Int64) * time.Microsecond,
			Priority: model.Priority(prio.Int64), ArrivalPriority: model.Priority(arrival.Int64)}
	}
	return k, true, nil
}

// keptArrival is when a case arrived (its created_at as stored, zero when
// it has none) and its priority then, as WorkloadCaseArrivals counts it.
type keptArrival struct {
	at       time.Time
	priority model.Priority
}

// arrivalOf is a case's arrival: its first priority event's value when
// that parses as a priority, else its current priority (log in replay
// order).
func arrivalOf(c *model.Case, log []model.CaseEvent) keptArrival {
	k := keptArrival{at: c.CreatedAt, priority: c.Priority}
	for _, e := range log {
		if e.Kind != model.EventPriority {
			continue
		}
		if p, err := model.ParsePriority(e.New); err == nil && p.Valid() {
			k.priority = p
		}
		break
	}
	return k
}

// measureHandle measures a case's handle time from its log (in replay
// order) as it is kept: the default gap and the pause statuses of the
// policy in force at the start of its KPI day. The KPI context must be
// loaded.
func (a *applier) measureHandle(caseID, day int64, log []model.CaseEvent) (keptHandle, error) {
	pause := a.eval.Policies.InForce(dayStart(day, a.tz)).PauseStatuses
	key := handle.PauseKey(pause)
	c := a.handles[key]
	if c == nil {
		var err error
		if c, err = handle.NewCollector(pause, handle.DefaultGap); err != nil {
			return keptHandle{}, fmt.Errorf("measuring the handle time of case %d: %w", caseID, err)
		}
		if a.handles == nil {
			a.handles = map[string]*handle.Collector{}
		}
		a.handles[key] = c
	}
	k := keptHandle{gap: handle.DefaultGap.Microseconds(), pause: key}
	k.ht, k.ok = c.Measure(caseID, log)
	k.ht.Segments = nil
	return k, nil
}

// DayHandleTimes returns the handle time of each case created on a KPI day
// (YYYYMMDD in the organisation's time zone) and resolved after it was
// acknowledged, as WorkloadHandleTimes measures it (handle.Collector): the
// time actively worked in the sessions of the people who logged events on
// it, outside pause statuses. Cases still open, or closed straight from
// new, are left out. The kept handle times answer for the cases measured
// with pauseStatuses and gap; the others' logs are replayed.
func (s *Store) DayHandleTimes(ctx context.Context, day int64, pauseStatuses []string, gap time.Duration) (map[int64]time.Duration, error) {
	hts, err := s.keptHandleTimes(ctx, `SELECT case_id, `+handleColumns+` FROM case_facts
		WHERE day = ? AND resolve_at IS NOT NULL`, []any{day}, pauseStatuses, gap)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]time.Duration, len(hts))
	for _, ht := range hts {
		out[ht.CaseID] = ht.Active
	}
	return out, nil
}

// WorkloadHandleTimes returns the handle time of every case first resolved
// in [since, until) (by its resolved_at), as handle.Collector defines it
// with the given pause statuses and session gap, by case id, without the
// Segments. The kept handle times answer for the cases measured with those
// pause statuses and that gap; the others' logs are replayed.
func (s *Store) WorkloadHandleTimes(ctx context.Context, since, until time.Time, pauseStatuses []string, gap time.Duration) ([]handle.Time, error) {
	return s.keptHandleTimes(ctx, `SELECT c.id, `+prefixed("f.", handleColumns)+` FROM cases c
		LEFT JOIN case_facts f ON f.case_id = c.id
		WHERE c.resolved_at >= ? AND c.resolved_at < ?`, []any{since.UnixMicro(), until.UnixMicro()}, pauseStatuses, gap)
}

// prefixed qualifies each of a comma-separated list of columns.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// keptHandleTimes reads the cases a query selects (case id, then the
// handle columns) and returns their handle times by case id: kept where
// measured with pauseStatuses and gap, replayed from the log otherwise.
// The rows are sorted here: SQLite would sort them in a temporary b-tree,
// which took 0.9 s for a million cases.
func (s *Store) keptHandleTimes(ctx context.Context, query string, args []any, pauseStatuses []string, gap time.Duration) ([]handle.Time, error) {
	if gap <= 0 {
		return nil, fmt.Errorf("reading handle times: session gap %v is not positive", gap)
	}
	pending, err := s.HandleTimesPending(ctx)
	if err != nil {
		return nil, err
	}
	key := handle.PauseKey(pauseStatuses)
	var out []handle.Time
	var replay []int64
	kept := map[int64]handle.Time{} // of the cases to replay
	rows, err := s.r.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("reading kept handle times: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		k, measured, err := scanKeptHandle(rows, &id)
		if err != nil {
			return nil, fmt.Errorf("reading kept handle times: %w", err)
		}
		switch {
		case pending || !measured || !k.matches(gap, key):
			replay = append(replay, id)
			if measured && k.ok {
				k.ht.CaseID = id
				kept[id] = k.ht
			}
		case k.ok:
			k.ht.CaseID = id
			out = append(out, k.ht)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading kept handle times: %w", err)
	}
	rows.Close()
	// A case whose log retention pruned is never replayed: its handle time
	// as kept with its facts answers, whatever was asked.
	if replay, err = s.withoutPruned(ctx, replay, kept, &out); err != nil {
		return nil, err
	}
	for len(replay) > 0 {
		n := min(len(replay), 500)
		hts, err := s.replayCases(ctx, replay[:n], pauseStatuses, gap)
		if err != nil {
			return nil, err
		}
		replay = replay[n:]
		for _, ht := range hts {
			ht.Segments = nil
			out = append(out, ht)
		}
	}
	slices.SortFunc(out, func(a, b handle.Time) int { return cmp.Compare(a.CaseID, b.CaseID) })
	return out, nil
}

// replayCases replays the logs of the given cases.
func (s *Store) replayCases(ctx context.Context, ids []int64, pauseStatuses []string, gap time.Duration) ([]handle.Time, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return s.handleTimes(ctx, `SELECT e.case_id, e.at, e.actor, e.kind, e.new FROM case_events e
		WHERE e.case_id IN (`+placeholders(len(ids))+`) ORDER BY e.case_id, e.at, e.id`, args, pauseStatuses, gap)
}

// replayHandleTimes is WorkloadHandleTimes from the case logs alone,
// Segments included: the oracle of the kept handle times.
func (s *Store) replayHandleTimes(ctx context.Context, since, until time.Time, pauseStatuses []string, gap time.Duration) ([]handle.Time, error) {
	return s.handleTimes(ctx, `SELECT e.case_id, e.at, e.actor, e.kind, e.new FROM case_events e
		JOIN cases c ON c.id = e.case_id
		WHERE c.resolved_at >= ? AND c.resolved_at < ?
		ORDER BY e.case_id, e.at, e.id`, []any{since.UnixMicro(), until.UnixMicro()}, pauseStatuses, gap)
}

// handleTimes replays the case logs a query reads (case_id, at, actor,
// kind, new; by case, time and id) through a handle.Collector.
func (s *Store) handleTimes(ctx context.Context, query string, args []any, pauseStatuses []string, gap time.Duration) ([]handle.Time, error) {
	c, err := handle.NewCollector(pauseStatuses, gap)
	if err != nil {
		return nil, fmt.Errorf("reading case logs for handle times: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("reading case logs for handle times: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, at int64
		var actor, kind, newVal string
		if err := rows.Scan(&id, &at, &actor, &kind, &newVal); err != nil {
			return nil, fmt.Errorf("reading case logs for handle times: %w", err)
		}
		c.Add(id, model.CaseEvent{At: time.UnixMicro(at).UTC(), Actor: actor, Kind: model.EventKind(kind), New: newVal})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading case logs for handle times: %w", err)
	}
	return c.Times(), nil
}

// HandleTimesPending reports whether the kept handle times still wait for
// their first measurement (a store migrated from before they were kept):
// until then readers replay the case logs.
func (s *Store) HandleTimesPending(ctx context.Context) (bool, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM handle_times_rebuild`).Scan(&n); err != nil {
		return false, fmt.Errorf("reading the handle time state: %w", err)
	}
	return n > 0, nil
}

// handleChunk is how many cases one transaction of RebuildHandleTimes
// measures.
const handleChunk = 2000

// RebuildHandleTimes measures every case's kept handle time again from its
// log, and marks the KPI days of the cases whose handle time changed for
// the metrics engine to rebuild. It works through the cases in chunks, one
// transaction each, and returns how many it measured.
func (s *Store) RebuildHandleTimes(ctx context.Context) (int, error) {
	total, after := 0, int64(-1<<62)
	for {
		n := 0
		_, err := s.write(ctx, func(a *applier) error {
			var err error
			n, after, err = a.rebuildHandleChunk(after)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < handleChunk {
			break
		}
	}
	_, err := s.write(ctx, func(a *applier) error {
		if _, err := a.exec(`DELETE FROM handle_times_rebuild`); err != nil {
			return fmt.Errorf("clearing the handle time state: %w", err)
		}
		return nil
	})
	return total, err
}

// rebuildHandleChunk measures the handle times of the next handleChunk
// cases with facts after case id after, and returns how many it measured
// and the last id.
func (a *applier) rebuildHandleChunk(after int64) (int, int64, error) {
	if err := a.loadKPIContext(); err != nil {
		return 0, after, err
	}
	type caseRow struct {
		id, day  int64
		c        model.Case
		measured bool
		old      keptHandle
		oldArr   keptArrival
		log      []model.CaseEvent
	}
	// Read whole before writing: PostgreSQL cannot write on a connection
	// with a query still open.
	// A case whose log retention pruned keeps its handle time and arrival:
	// what is left of its log would measure others.
	rows, err := a.query(`SELECT f.case_id, f.day, c.created_at, c.priority, f.arr_at, f.arr_priority, `+prefixed("f.", handleColumns)+`
		FROM case_facts f JOIN cases c ON c.id = f.case_id WHERE f.case_id > ?
		AND f.case_id NOT IN (SELECT case_id FROM case_log_pruned) ORDER BY f.case_id LIMIT ?`, after, handleChunk)
	if err != nil {
		return 0, after, fmt.Errorf("reading cases to measure: %w", err)
	}
	var cases []*caseRow
	for rows.Next() {
		c := &caseRow{}
		var created, arrAt sql.NullInt64
		var prio, arrPrio int
		if c.old, c.measured, err = scanKeptHandle(rows, &c.id, &c.day, &created, &prio, &arrAt, &arrPrio); err != nil {
			rows.Close()
			return 0, after, fmt.Errorf("reading cases to measure: %w", err)
		}
		c.c.CreatedAt, c.c.Priority = fromMicros(created), model.Priority(prio)
		c.oldArr = keptArrival{at: fromMicros(arrAt), priority: model.Priority(arrPrio)}
		cases = append(cases, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, after, fmt.Errorf("reading cases to measure: %w", err)
	}
	if len(cases) == 0 {
		return 0, after, nil
	}
	first, last := cases[0].id, cases[len(cases)-1].id
	byID := make(map[int64]*caseRow, len(cases))
	for _, c := range cases {
		byID[c.id] = c
	}
	rows, err = a.query(`SELECT case_id, at, actor, kind, new FROM case_events WHERE case_id >= ? AND case_id <= ?
		ORDER BY case_id, at, id`, first, last)
	if err != nil {
		return 0, after, fmt.Errorf("reading case logs: %w", err)
	}
	for rows.Next() {
		var id, at int64
		var actor, kind, newVal string
		if err := rows.Scan(&id, &at, &actor, &kind, &newVal); err != nil {
			rows.Close()
			return 0, after, fmt.Errorf("reading case logs: %w", err)
		}
		if c := byID[id]; c != nil {
			c.log = append(c.log, model.CaseEvent{At: time.UnixMicro(at).UTC(), Actor: actor, Kind: model.EventKind(kind), New: newVal})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, after, fmt.Errorf("reading case logs: %w", err)
	}
	days := map[int64]bool{}
	for _, c := range cases {
		k, err := a.measureHandle(c.id, c.day, c.log)
		if err != nil {
			return 0, after, err
		}
		arr := arrivalOf(&c.c, c.log)
		if c.measured && sameKept(c.old, k) && c.oldArr.at.Equal(arr.at) && c.oldArr.priority == arr.priority {
			continue
		}
		if c.measured && !sameKept(c.old, k) {
			days[c.day] = true // a repair: the day's parts counted the old value
		}
		if _, err := a.exec(`UPDATE case_facts SET ht_gap = ?, ht_pause = ?, ht_created = ?, ht_start = ?, ht_end = ?,
			ht_active = ?, ht_paused = ?, ht_priority = ?, ht_arrival = ?, arr_at = ?, arr_priority = ? WHERE case_id = ?`,
			append(k.columns(), micros(arr.at), int(arr.priority), c.id)...); err != nil {
			return 0, after, fmt.Errorf("storing the handle time of case %d: %w", c.id, err)
		}
	}
	return len(cases), last, a.markDays(RollupCases, days)
}

func sameKept(a, b keptHandle) bool {
	return a.gap == b.gap && a.pause == b.pause && a.ok == b.ok && (!a.ok ||
		a.ht.Created.Equal(b.ht.Created) && a.ht.Start.Equal(b.ht.Start) && a.ht.End.Equal(b.ht.End) &&
			a.ht.Active == b.ht.Active && a.ht.Paused == b.ht.Paused && a.ht.Priority == b.ht.Priority &&
			a.ht.ArrivalPriority == b.ht.ArrivalPriority)
}

// buildPendingHandleTimes measures the handle times of a store migrated
// from before they were kept, once; a no-op when there is nothing to do.
func (s *Store) buildPendingHandleTimes(ctx context.Context) error {
	pending, err := s.HandleTimesPending(ctx)
	if err != nil || !pending {
		return err
	}
	start := time.Now()
	n, err := s.RebuildHandleTimes(ctx)
	if err != nil {
		return fmt.Errorf("measuring the kept handle times: %w", err)
	}
	slog.Info("measured the kept handle times once from the case logs", "cases", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
