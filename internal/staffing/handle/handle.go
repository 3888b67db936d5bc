// Package handle measures handle time: how long people actively worked a
// case, from the case's event log. The events a person logged on the case
// form work sessions; the parts of the sessions between the case's
// acknowledgement and its first resolution, outside pause statuses, are
// its active time. The staffing model sizes case queues with it; the store
// reads the logs and hands them here event by event.
package handle

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Segment is a span of a case's active handle time: part of a work
// session, within the handle window and outside pause statuses.
type Segment struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Time is the worked time of one case, from its log.
type Time struct {
	CaseID int64 `json:"case_id"`
	// Priority is the priority in force when the case was first resolved.
	Priority model.Priority `json:"priority"`
	// ArrivalPriority is the case's first priority in its log.
	ArrivalPriority model.Priority `json:"arrival_priority"`
	// Created is the time of the case's created event (its first event
	// when the log has none); Start the first assignment to a person or
	// first move to triage or later, whichever came first; End the first
	// move to resolved or closed.
	Created time.Time `json:"created"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	// Active is the time actively worked (see Collector), the sum of
	// Segments; Paused the wall-clock time between Start and End spent in
	// pause statuses.
	Active   time.Duration `json:"active"`
	Paused   time.Duration `json:"paused"`
	Segments []Segment     `json:"segments"`
}

// Collector turns case logs into handle times.
//
// The events a person logged on the case (those with an actor) form work
// sessions: maximal runs of events at most Gap apart. A session is worked
// from its first event to its last, and from earlier still when a runbook
// event in it records an execution that started before its first event
// (the execution record's started_at). Nothing else is assumed: a session
// of one event counts nothing unless a runbook execution gives it a
// duration. The active time is the part of the sessions between Start
// (first assignment or triage) and End (first resolution) outside pause
// statuses (compared case-insensitively). Work after a reopening is not
// counted. Cases resolved without first being assigned or triaged (closed
// straight from new) are left out.
type Collector struct {
	gap   time.Duration
	pause map[string]bool
	cur   *replay
	out   []Time
}

// NewCollector returns a collector with the given pause statuses and
// session gap, which must be positive.
func NewCollector(pauseStatuses []string, gap time.Duration) (*Collector, error) {
	if gap <= 0 {
		return nil, fmt.Errorf("session gap %v is not positive", gap)
	}
	pause := map[string]bool{}
	for _, p := range pauseStatuses {
		pause[normStatus(p)] = true
	}
	return &Collector{gap: gap, pause: pause}, nil
}

// Add takes the next event of a case's log. Logs come one case after the
// other, each in replay order (by time, then id).
func (c *Collector) Add(caseID int64, e model.CaseEvent) {
	if c.cur == nil || c.cur.ht.CaseID != caseID {
		c.flush()
		c.cur = &replay{ht: Time{CaseID: caseID}, pause: c.pause}
	}
	c.cur.apply(e)
}

// Measure returns the handle time of one case's whole log, in replay
// order; ok is false when the case was not acknowledged before it was
// resolved (or is not resolved). It measures exactly as Add and Times do.
func (c *Collector) Measure(caseID int64, log []model.CaseEvent) (t Time, ok bool) {
	c.flush()
	n := len(c.out)
	for _, e := range log {
		c.Add(caseID, e)
	}
	c.flush()
	if len(c.out) == n {
		return Time{}, false
	}
	t = c.out[n]
	c.out = c.out[:n]
	return t, true
}

// DefaultGap is the session gap of the KPI engine's handle times and the
// staffing model's default: events on a case by people at most this far
// apart belong to one work session.
const DefaultGap = 30 * time.Minute

// PauseKey is the canonical form of a set of pause statuses, as the
// collector compares them (trimmed, case-insensitive, without repeats, in
// order): two sets with the same key measure the same handle times.
func PauseKey(pauseStatuses []string) string {
	set := make([]string, 0, len(pauseStatuses))
	for _, p := range pauseStatuses {
		set = append(set, normStatus(p))
	}
	slices.Sort(set)
	set = slices.Compact(set)
	b, _ := json.Marshal(set) // a []string always encodes
	return string(b)
}

// Times returns the handle times of the cases added so far that were
// acknowledged before they were resolved, in the order they came.
func (c *Collector) Times() []Time {
	c.flush()
	return c.out
}

func (c *Collector) flush() {
	r := c.cur
	c.cur = nil
	if r == nil || r.ht.Start.IsZero() || !r.ht.End.After(r.ht.Start) {
		return
	}
	if r.ht.Created.IsZero() {
		r.ht.Created = r.first
	}
	r.finish(c.gap)
	c.out = append(c.out, r.ht)
}

func normStatus(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// workEvent is a person's event on a case: when it was logged, and when
// the work it records started (earlier for a runbook execution).
type workEvent struct {
	at, from time.Time
}

// replay follows one case's log up to its first resolution.
type replay struct {
	ht     Time
	st     model.CaseState
	pause  map[string]bool
	first  time.Time      // the first event
	last   time.Time      // status time is accounted up to here
	paused [][2]time.Time // pause spans after Start
	work   []workEvent
}

func (r *replay) apply(e model.CaseEvent) {
	if !r.ht.End.IsZero() {
		return
	}
	if r.first.IsZero() {
		r.first = e.At
	}
	if e.Kind == model.EventCreated && r.ht.Created.IsZero() {
		r.ht.Created = e.At
	}
	if !r.ht.Start.IsZero() && e.At.After(r.last) && r.pause[normStatus(r.st.Status)] {
		r.ht.Paused += e.At.Sub(r.last)
		r.paused = append(r.paused, [2]time.Time{r.last, e.At})
	}
	if strings.TrimSpace(e.Actor) != "" {
		we := workEvent{at: e.At, from: e.At}
		if e.Kind == model.EventRunbook {
			if rb, err := model.ParseRunbookExecution(e.New); err == nil && !rb.StartedAt.IsZero() && rb.StartedAt.Before(e.At) {
				we.from = rb.StartedAt.UTC()
			}
		}
		r.work = append(r.work, we)
	}
	r.last = e.At
	r.st.Apply(e)
	if !r.ht.ArrivalPriority.Valid() {
		r.ht.ArrivalPriority = r.st.Priority
	}
	if r.ht.Start.IsZero() && !r.st.AcknowledgedAt.IsZero() {
		r.ht.Start = r.st.AcknowledgedAt
	}
	if !r.st.ResolvedAt.IsZero() {
		r.ht.End = r.st.ResolvedAt
		r.ht.Priority = r.st.Priority
	}
}

// finish turns the person events into sessions and counts their part in
// [Start, End] outside the pause spans.
func (r *replay) finish(gap time.Duration) {
	for _, sp := range r.sessions(gap) {
		r.addUnpaused(sp)
	}
}

// sessions are the work sessions clipped to [Start, End], merged where a
// runbook's start reaches back into earlier ones, in time order.
func (r *replay) sessions(gap time.Duration) [][2]time.Time {
	var spans [][2]time.Time
	for i := 0; i < len(r.work); {
		from, to := r.work[i].from, r.work[i].at
		j := i + 1
		for ; j < len(r.work) && r.work[j].at.Sub(r.work[j-1].at) <= gap; j++ {
			if r.work[j].from.Before(from) {
				from = r.work[j].from
			}
			to = r.work[j].at
		}
		i = j
		if from.Before(r.ht.Start) {
			from = r.ht.Start
		}
		if to.After(r.ht.End) {
			to = r.ht.End
		}
		if !to.After(from) {
			continue
		}
		// A runbook's start can reach back into earlier sessions.
		for n := len(spans); n > 0 && !from.After(spans[n-1][1]); n-- {
			if spans[n-1][0].Before(from) {
				from = spans[n-1][0]
			}
			if spans[n-1][1].After(to) {
				to = spans[n-1][1]
			}
			spans = spans[:n-1]
		}
		spans = append(spans, [2]time.Time{from, to})
	}
	return spans
}

// addUnpaused adds the parts of a session outside the pause spans.
func (r *replay) addUnpaused(sp [2]time.Time) {
	for _, p := range r.paused {
		if !p[1].After(sp[0]) || !p[0].Before(sp[1]) {
			continue
		}
		if p[0].After(sp[0]) {
			r.addSegment(sp[0], p[0])
		}
		sp[0] = p[1]
		if !sp[1].After(sp[0]) {
			return
		}
	}
	if sp[1].After(sp[0]) {
		r.addSegment(sp[0], sp[1])
	}
}

func (r *replay) addSegment(from, to time.Time) {
	r.ht.Active += to.Sub(from)
	r.ht.Segments = append(r.ht.Segments, Segment{From: from, To: to})
}
