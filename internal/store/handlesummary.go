package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing/handle"
)

// The staffing model does not need each case's handle time, only how many
// cases had each active time at each priority, and how many were
// acknowledged within each priority's target (issue 19). The database
// counts them over the kept handle times, so a window of a million cases
// reaches Go as one row per distinct value rather than one per case.

// HandleSummary summarises the handle times of the cases first resolved in
// a window (those WorkloadHandleTimes returns): exactly, as counts of
// values, so every statistic of the handle times that does not depend on
// the cases' order can be computed from it.
type HandleSummary struct {
	// Active holds, for each priority in force at first resolution, the
	// distinct active times of the cases, ascending, with how many cases
	// had each.
	Active map[model.Priority][]ActiveCount `json:"active"`
	// Arrived holds, for each priority at arrival, the cases that have a
	// creation time, and how many of them were acknowledged (handle.Time
	// Start) at most the priority's ackWithin after their creation (0 for
	// a priority without one).
	Arrived map[model.Priority]AckCount `json:"arrived"`
}

// ActiveCount is how many cases had one active time.
type ActiveCount struct {
	Active time.Duration `json:"active"`
	Cases  int64         `json:"cases"`
}

// AckCount counts the cases that arrived with one priority.
type AckCount struct {
	Cases  int64 `json:"cases"`
	Within int64 `json:"within"`
}

// SummariseHandleTimes summarises handle times one by one, as
// WorkloadHandleSummary does in the database: the row-by-row computation,
// and the oracle of the database's.
func SummariseHandleTimes(hts []handle.Time, ackWithin map[model.Priority]time.Duration) HandleSummary {
	b := newSummaryBuilder()
	for _, ht := range hts {
		b.addTime(ht, ackWithin)
	}
	return b.summary()
}

// summaryBuilder adds up a HandleSummary.
type summaryBuilder struct {
	active  map[model.Priority]map[time.Duration]int64
	arrived map[model.Priority]AckCount
}

func newSummaryBuilder() *summaryBuilder {
	return &summaryBuilder{active: map[model.Priority]map[time.Duration]int64{}, arrived: map[model.Priority]AckCount{}}
}

// add counts n cases resolved at priority p with the given active time,
// that arrived with priority arrival; within is -1 for cases without a
// creation time, else 1 for those acknowledged within the target, 0 for
// the others.
func (b *summaryBuilder) add(p model.Priority, active time.Duration, arrival model.Priority, within int, n int64) {
	m := b.active[p]
	if m == nil {
		m = map[time.Duration]int64{}
		b.active[p] = m
	}
	m[active] += n
	if within < 0 {
		return
	}
	a := b.arrived[arrival]
	a.Cases += n
	if within > 0 {
		a.Within += n
	}
	b.arrived[arrival] = a
}

// addTime counts one case's handle time.
func (b *summaryBuilder) addTime(ht handle.Time, ackWithin map[model.Priority]time.Duration) {
	within := -1
	if !ht.Created.IsZero() {
		within = 0
		if lim, ok := ackWithin[ht.ArrivalPriority]; ok && ht.Start.Sub(ht.Created) <= lim {
			within = 1
		}
	}
	b.add(ht.Priority, ht.Active, ht.ArrivalPriority, within, 1)
}

func (b *summaryBuilder) summary() HandleSummary {
	s := HandleSummary{Active: make(map[model.Priority][]ActiveCount, len(b.active)), Arrived: b.arrived}
	for p, m := range b.active {
		v := make([]ActiveCount, 0, len(m))
		for a, n := range m {
			v = append(v, ActiveCount{Active: a, Cases: n})
		}
		slices.SortFunc(v, func(x, y ActiveCount) int { return cmp.Compare(x.Active, y.Active) })
		s.Active[p] = v
	}
	return s
}

// WorkloadHandleSummary summarises the handle times of the cases first
// resolved in [since, until), as SummariseHandleTimes summarises what
// WorkloadHandleTimes returns with the same arguments, with the
// acknowledgement target of each priority at arrival in ackWithin. The
// whole UTC hours of the window are read from the summaries kept per hour
// (handle_hours, built from the rows when first read after a change); the
// partial hours at its ends, and an hour holding cases whose kept handle
// time was measured otherwise (or not yet), are counted by the database
// from the kept handle times, with those cases replayed from their logs.
// While the kept handle times wait for their first measurement every case
// is replayed.
func (s *Store) WorkloadHandleSummary(ctx context.Context, since, until time.Time, pauseStatuses []string, gap time.Duration,
	ackWithin map[model.Priority]time.Duration) (HandleSummary, error) {
	if gap <= 0 {
		return HandleSummary{}, fmt.Errorf("summarising handle times: session gap %v is not positive", gap)
	}
	pending, err := s.HandleTimesPending(ctx)
	if err != nil {
		return HandleSummary{}, err
	}
	if pending {
		hts, err := s.WorkloadHandleTimes(ctx, since, until, pauseStatuses, gap)
		if err != nil {
			return HandleSummary{}, err
		}
		return SummariseHandleTimes(hts, ackWithin), nil
	}
	q := summaryQuery{gap: gap, pause: pauseStatuses, key: handle.PauseKey(pauseStatuses), ackWithin: ackWithin,
		limits: map[model.Priority]int64{}}
	for p, d := range ackWithin {
		q.limits[p] = floorDiv(int64(d), int64(time.Microsecond))
	}
	b := newSummaryBuilder()
	lo, hi := since.UnixMicro(), until.UnixMicro()
	if lo >= hi {
		return b.summary(), nil
	}
	first, last := ceilDiv(lo, hourMicros), floorDiv(hi, hourMicros) // whole hours [first, last)
	if first >= last || lo < 0 {
		err = s.summariseRows(ctx, b, q, lo, hi)
	} else if err = s.summariseRows(ctx, b, q, lo, first*hourMicros); err == nil {
		if err = s.summariseHours(ctx, b, q, first, last); err == nil {
			err = s.summariseRows(ctx, b, q, last*hourMicros, hi)
		}
	}
	if err != nil {
		return HandleSummary{}, err
	}
	return b.summary(), nil
}

// summaryQuery is what a handle-time summary was asked for.
type summaryQuery struct {
	gap       time.Duration
	pause     []string
	key       string // handle.PauseKey(pause)
	ackWithin map[model.Priority]time.Duration
	limits    map[model.Priority]int64 // ackWithin in whole microseconds
}

// summariseRows adds to b the handle times of the cases first resolved in
// [lo, hi) (Unix microseconds), counted by the database from the kept
// handle times measured as q asks and replayed from the logs for the
// others.
func (s *Store) summariseRows(ctx context.Context, b *summaryBuilder, q summaryQuery, lo, hi int64) error {
	if lo >= hi {
		return nil
	}
	// within: -1 without a creation time, else whether Start - Created is
	// at most the target of the arrival priority (microseconds; a
	// duration's whole microseconds, as handle times are kept in them).
	var within strings.Builder
	var wargs []any
	within.WriteString(`CASE WHEN f.ht_created IS NULL THEN -1 WHEN f.ht_start - f.ht_created <= `)
	if len(q.limits) == 0 {
		within.WriteString(`NULL`)
	} else {
		within.WriteString(`CASE f.ht_arrival`)
		for _, p := range slices.Sorted(maps.Keys(q.limits)) {
			within.WriteString(` WHEN CAST(? AS INTEGER) THEN CAST(? AS BIGINT)`)
			wargs = append(wargs, int(p), q.limits[p])
		}
		within.WriteString(` END`)
	}
	within.WriteString(` THEN 1 ELSE 0 END`)
	// One pass over the range: the cases whose kept handle time answers
	// are counted by value (rid 0); the others come one by one (rid their
	// id) with what is kept for them, if anything, to be replayed or, when
	// retention pruned their log, counted as kept.
	matches := `f.ht_gap = ? AND f.ht_pause = ?`
	query := `SELECT CASE WHEN ` + matches + ` THEN 0 ELSE c.id END, f.ht_gap IS NOT NULL AND f.ht_start IS NOT NULL,
			f.ht_priority, f.ht_active, f.ht_arrival, ` + within.String() + `, COUNT(*)
		FROM cases c LEFT JOIN case_facts f ON f.case_id = c.id
		WHERE c.resolved_at >= ? AND c.resolved_at < ?
			AND (f.ht_start IS NOT NULL OR f.ht_gap IS NULL OR f.ht_gap <> ? OR f.ht_pause <> ?)
		GROUP BY 1, 2, 3, 4, 5, 6`
	args := []any{q.gap.Microseconds(), q.key}
	args = append(args, wargs...)
	args = append(args, lo, hi, q.gap.Microseconds(), q.key)
	rows, err := s.r.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return fmt.Errorf("summarising kept handle times: %w", err)
	}
	defer rows.Close()
	type keptRow struct {
		p, arrival model.Priority
		active     time.Duration
		within     int
	}
	var replay []int64
	other := map[int64]keptRow{} // the kept values of the cases to replay
	for rows.Next() {
		var rid, n int64
		var ok sql.NullBool
		var prio, active, arrival, within sql.NullInt64
		if err := rows.Scan(&rid, &ok, &prio, &active, &arrival, &within, &n); err != nil {
			return fmt.Errorf("summarising kept handle times: %w", err)
		}
		k := keptRow{p: model.Priority(prio.Int64), arrival: model.Priority(arrival.Int64),
			active: time.Duration(active.Int64) * time.Microsecond, within: int(within.Int64)}
		if rid == 0 {
			b.add(k.p, k.active, k.arrival, k.within, n)
			continue
		}
		replay = append(replay, rid)
		if ok.Valid && ok.Bool {
			other[rid] = k
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("summarising kept handle times: %w", err)
	}
	rows.Close()
	if len(replay) == 0 {
		return nil
	}
	slices.Sort(replay)
	// A case whose log retention pruned is never replayed: its handle time
	// as kept answers, whatever was asked (WorkloadHandleTimes).
	if replay, err = s.unpruned(ctx, replay); err != nil {
		return err
	}
	keep := make(map[int64]bool, len(replay))
	for _, id := range replay {
		keep[id] = true
	}
	for id, k := range other {
		if !keep[id] {
			b.add(k.p, k.active, k.arrival, k.within, 1)
		}
	}
	for len(replay) > 0 {
		n := min(len(replay), 500)
		hts, err := s.replayCases(ctx, replay[:n], q.pause, q.gap)
		if err != nil {
			return err
		}
		replay = replay[n:]
		for _, ht := range hts {
			b.addTime(ht, q.ackWithin)
		}
	}
	return nil
}

// unpruned returns the ids whose logs retention did not prune.
func (s *Store) unpruned(ctx context.Context, ids []int64) ([]int64, error) {
	var none []handle.Time
	return s.withoutPruned(ctx, ids, nil, &none)
}
