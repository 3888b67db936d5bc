package store

import (
	"context"
	"sort"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Batch is a set of records written in one transaction. Within a batch,
// reference data is written first, then cases, alerts and case events, each
// in the order given.
type Batch struct {
	Teams    []model.Team
	Shifts   []model.Shift
	Analysts []model.Analyst
	Rules    []model.Rule
	SLA      []model.SLAPolicy
	Findings []model.Finding
	Cases    []model.Case
	Alerts   []model.Alert
	Events   []model.CaseEvent
}

// Len is the number of records in the batch.
func (b *Batch) Len() int {
	return len(b.Teams) + len(b.Shifts) + len(b.Analysts) + len(b.Rules) + len(b.SLA) +
		len(b.Findings) + len(b.Cases) + len(b.Alerts) + len(b.Events)
}

// Reset empties the batch, keeping its capacity.
func (b *Batch) Reset() {
	*b = Batch{
		Teams: b.Teams[:0], Shifts: b.Shifts[:0], Analysts: b.Analysts[:0], Rules: b.Rules[:0],
		SLA: b.SLA[:0], Findings: b.Findings[:0], Cases: b.Cases[:0], Alerts: b.Alerts[:0], Events: b.Events[:0],
	}
}

// Kind names a record type in results.
type Kind string

// The record kinds.
const (
	KindAlert   Kind = "alert"
	KindCase    Kind = "case"
	KindEvent   Kind = "case_event"
	KindAnalyst Kind = "analyst"
	KindRule    Kind = "rule"
	KindFinding Kind = "finding"
	KindTeam    Kind = "team"
	KindShift   Kind = "shift"
	KindSLA     Kind = "sla_policy"
)

// Reject is a record of a batch the store refused, by kind and index.
type Reject struct {
	Kind  Kind
	Index int
	Err   error
}

// Result counts what a batch changed.
type Result struct {
	Inserted  map[Kind]int // new records
	Updated   map[Kind]int // existing records that changed
	Unchanged map[Kind]int // records already stored as given
	Events    int          // case events appended, derived ones included
	Rejects   []Reject
}

func newResult() Result {
	return Result{Inserted: map[Kind]int{}, Updated: map[Kind]int{}, Unchanged: map[Kind]int{}}
}

// Add accumulates another result into r.
func (r *Result) Add(o Result) {
	if r.Inserted == nil {
		*r = newResult()
	}
	for k, v := range o.Inserted {
		r.Inserted[k] += v
	}
	for k, v := range o.Updated {
		r.Updated[k] += v
	}
	for k, v := range o.Unchanged {
		r.Unchanged[k] += v
	}
	r.Events += o.Events
	r.Rejects = append(r.Rejects, o.Rejects...)
}

// Apply writes a batch in one transaction. Records that cannot be stored are
// returned as rejects and the rest is written; an error means nothing was.
func (s *Store) Apply(ctx context.Context, b *Batch) (Result, error) {
	res, err := s.write(ctx, func(a *applier) error { return a.run(b) })
	if err != nil {
		return newResult(), err
	}
	return res, nil
}

// run writes a batch kind by kind, then replays from their whole log the
// cases whose new events came out of order, queues the touched cases' KPI
// facts and marks the alert days that changed.
func (a *applier) run(b *Batch) error {
	a.replay = map[int64]bool{}
	steps := []func(*Batch) error{
		a.teams, a.shifts, a.analysts, a.rules, a.slaPolicies, a.findings, a.cases, a.alerts, a.events,
	}
	for _, step := range steps {
		if err := step(b); err != nil {
			return err
		}
	}
	ids := make([]int64, 0, len(a.replay))
	for id := range a.replay {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if err := a.reproject(id); err != nil {
			return err
		}
	}
	if err := a.queueFacts(); err != nil {
		return err
	}
	if err := a.flushAlertRollups(); err != nil {
		return err
	}
	if err := a.flushHealth(); err != nil {
		return err
	}
	return a.markAlertDays()
}
