package sla

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// DefaultAtRisk is the share of its target after which a running clock is
// at risk, when Evaluator.AtRisk is not set.
const DefaultAtRisk = 0.8

// Status is where a clock stands against its target.
type Status string

// The clock statuses. OnTrack, AtRisk and Overdue are running clocks; Met and
// Breached are stopped ones. The lists are disjoint: an overdue clock is not
// also at risk.
const (
	// StatusMissing: the case's creation time is unknown, so nothing is measured.
	StatusMissing Status = "missing"
	// StatusNoTarget: the priority is unknown or the policy sets no target
	// for it (or there is no policy). Elapsed is still measured.
	StatusNoTarget Status = "no_target"
	// StatusOnTrack: running, below the at-risk share of the target.
	StatusOnTrack Status = "on_track"
	// StatusAtRisk: running, at or past the at-risk share, not past the target.
	StatusAtRisk Status = "at_risk"
	// StatusOverdue: running and past the target (breached, still open).
	StatusOverdue Status = "overdue"
	// StatusMet: stopped with elapsed ≤ target.
	StatusMet Status = "met"
	// StatusBreached: stopped with elapsed > target.
	StatusBreached Status = "breached"
)

// Clock is one SLA clock of one case.
type Clock struct {
	// Policy and Version name the policy version that judged the clock: the
	// one in force at Stop, or at "now" while the clock runs.
	Policy  string
	Version int
	// Backdated is set when that instant precedes every version, so the
	// first version was applied to work older than the policy.
	Backdated bool
	// Priority is the case's priority at Stop (or "now"); Target is the
	// policy's target for it, zero when there is none.
	Priority model.Priority
	Target   time.Duration
	// Start is the case's creation; Stop is when the clock stopped, zero
	// while it runs.
	Start, Stop time.Time
	// Elapsed is the business time the clock ran; Paused is the business
	// time it would have run but for a pause status.
	Elapsed, Paused time.Duration
	Status          Status
	// Remaining is Target − Elapsed when that is positive, Overdue is
	// Elapsed − Target when that is positive; zero without a target.
	Remaining, Overdue time.Duration
	// Deadline is the instant the target ran out or will run out. For a
	// running clock it is projected from "now" assuming no further pause;
	// it is zero while the clock is paused and not yet overdue, because a
	// paused clock has no deadline. For a stopped clock it is set only if
	// the target ran out before or at Stop. Zero without a target.
	Deadline time.Time
	// AtRiskFrom and OverdueFrom are, for a running clock, the instants
	// from which it is at risk and overdue if nothing changes in its log:
	// in the past when it already is, zero while it is paused and not yet
	// there, and zero without a target. StatusAt judges the clock at a
	// later instant from them. Both are zero for a stopped clock.
	AtRiskFrom, OverdueFrom time.Time
	// PausedNow is set when the clock runs but is paused at "now".
	PausedNow bool
	// Imputed is set on an acknowledge clock stopped by a move past triage
	// (for example straight from new to resolved) rather than by triage
	// itself or an assignment.
	Imputed bool
}

// Open reports whether the clock is still running.
func (c Clock) Open() bool {
	return c.Status != StatusMissing && c.Stop.IsZero()
}

// Breached reports whether the target ran out, whether or not the clock
// has stopped.
func (c Clock) Breached() bool {
	return c.Status == StatusBreached || c.Status == StatusOverdue
}

// StatusAt judges the clock at t, an instant not before the one it was
// evaluated at, assuming its case's log gained no event and no other policy
// version took effect in between (see Judge).
func (c Clock) StatusAt(t time.Time) Status {
	return Judge(c.Status, c.AtRiskFrom, c.OverdueFrom, t)
}

// Judge is the status at t of a clock whose status was st when evaluated
// and whose AtRiskFrom and OverdueFrom were atRiskFrom and overdueFrom: a
// running clock is overdue from overdueFrom on and at risk from
// atRiskFrom on (a zero instant is never reached); a stopped clock keeps
// its status. t must not precede the evaluation, and nothing in the log
// or the policy may have changed since, which is when facts are computed
// again. So a breach in flight counts the moment its clock passes the
// target, without evaluating the log again.
func Judge(st Status, atRiskFrom, overdueFrom, t time.Time) Status {
	switch st {
	case StatusOnTrack, StatusAtRisk, StatusOverdue:
	default:
		return st
	}
	switch {
	case st == StatusOverdue, !overdueFrom.IsZero() && !t.Before(overdueFrom):
		return StatusOverdue
	case st == StatusAtRisk, !atRiskFrom.IsZero() && !t.Before(atRiskFrom):
		return StatusAtRisk
	}
	return StatusOnTrack
}

// Result holds a case's clocks and what was repaired in its log.
type Result struct {
	Acknowledge Clock
	// Resolve is the first-close clock; ResolveLast the last-close clock,
	// which keeps running across reopens (see the package documentation).
	Resolve, ResolveLast Clock
	// Reopens counts moves from resolved/closed back to an open stage.
	Reopens int
	// Clamped counts events dated before the case's creation or after
	// "now", plus one when "now" itself precedes the creation; each was
	// moved to that bound instead of producing a negative interval.
	Clamped int
	// Duplicates counts stage, status, priority and assignee events ignored
	// as copies of an earlier event of the same instant.
	Duplicates int
	// Undated counts events without a timestamp, which are ignored.
	Undated int
}

// Evaluator computes SLA clocks under one policy history.
type Evaluator struct {
	// Policies supplies targets, pause statuses and calendars; nil means
	// no SLA (clocks are measured 24×7 and have no target).
	Policies *Policies
	// AtRisk is the share of the target (for example 0.8) from which a
	// running clock is at risk; 0 or less means DefaultAtRisk.
	AtRisk float64
}

// point is the case's state from at until the next point.
type point struct {
	at     time.Time
	done   bool
	status string
}

// prioPoint is the case's priority from at until the next prioPoint.
type prioPoint struct {
	at time.Time
	p  model.Priority
}

// Evaluate computes the acknowledge and resolve clocks of one case from its
// creation time, its event log and the current instant. Events should be
// sorted by time then id (they are sorted if not); only stage, status,
// priority and assignee events matter, plus a created event, whose time is
// used when created is zero. events is not modified.
func (e Evaluator) Evaluate(created time.Time, events []model.CaseEvent, now time.Time) Result {
	var res Result
	evs := events
	if !slices.IsSortedFunc(evs, compareEvents) {
		evs = slices.Clone(evs)
		slices.SortStableFunc(evs, compareEvents)
	}
	if created.IsZero() {
		for _, ev := range evs {
			if ev.Kind == model.EventCreated && !ev.At.IsZero() {
				created = ev.At
				break
			}
		}
	}
	if created.IsZero() {
		for _, ev := range evs {
			if ev.At.IsZero() {
				res.Undated++
			}
		}
		missing := Clock{Status: StatusMissing}
		res.Acknowledge, res.Resolve, res.ResolveLast = missing, missing, missing
		return res
	}
	if now.Before(created) {
		now = created
		res.Clamped++
	}

	var ptBuf [16]point
	var prBuf [8]prioPoint
	// The log reduced to what the clocks need: the state (done, status) and
	// the priority as step functions of time, and the stop instants. The
	// buffers keep short logs off the heap.
	var ackAt, firstDone, lastDone time.Time
	var ackImputed bool
	pts := append(ptBuf[:0], point{at: created})
	prio := append(prBuf[:0], prioPoint{at: created})
	stage, status := model.StageNew, ""
	group := 0 // index of the first event at the current instant
	for i := range evs {
		ev := &evs[i]
		switch ev.Kind {
		case model.EventStage, model.EventStatus, model.EventPriority, model.EventAssignee:
		default:
			continue
		}
		if ev.At.IsZero() {
			res.Undated++
			continue
		}
		if !ev.At.Equal(evs[group].At) {
			group = i
		}
		if duplicate(evs[group:i], ev) {
			res.Duplicates++
			continue
		}
		at := ev.At
		if at.Before(created) {
			at = created
			res.Clamped++
		} else if at.After(now) {
			at = now
			res.Clamped++
		}
		switch ev.Kind {
		case model.EventStage:
			st, err := model.ParseStage(ev.New)
			if err != nil {
				continue
			}
			if ackAt.IsZero() && st.Rank() >= model.StageTriage.Rank() {
				ackAt, ackImputed = at, st.Rank() > model.StageTriage.Rank()
			}
			was := stage.Done()
			stage = st
			if st.Done() && !was {
				if firstDone.IsZero() {
					firstDone = at
				}
				lastDone = at
			} else if was && !st.Done() {
				res.Reopens++
			}
			pts = mark(pts, at, st.Done(), status)
		case model.EventStatus:
			status = ev.New
			pts = mark(pts, at, stage.Done(), status)
		case model.EventPriority:
			if p, ok := parsePriority(ev.New); ok {
				prio = setPriority(prio, at, p)
			}
		case model.EventAssignee:
			if ackAt.IsZero() && strings.TrimSpace(ev.New) != "" {
				ackAt, ackImputed = at, false
			}
		}
	}

	ratio := e.AtRisk
	if ratio <= 0 {
		ratio = DefaultAtRisk
	}
	res.Acknowledge = e.clock(pts, prio, created, ackAt, now, false, ratio)
	res.Acknowledge.Imputed = ackImputed && !ackAt.IsZero()
	res.Resolve = e.clock(pts, prio, created, firstDone, now, true, ratio)
	if res.Reopens == 0 {
		// Never reopened: the last close is the first (or both still run).
		res.ResolveLast = res.Resolve
		return res
	}
	var lastStop time.Time
	if stage.Done() {
		lastStop = lastDone
	}
	res.ResolveLast = e.clock(pts, prio, created, lastStop, now, true, ratio)
	return res
}

// parsePriority reads a priority event's value; "P1" … "P5", the form
// the store writes, is read without allocating.
func parsePriority(s string) (model.Priority, bool) {
	if len(s) == 2 && (s[0] == 'P' || s[0] == 'p') && s[1] >= '1' && s[1] <= '5' {
		return model.Priority(s[1] - '0'), true
	}
	p, err := model.ParsePriority(s)
	return p, err == nil
}

// compareEvents orders events by time, then id.
func compareEvents(a, b model.CaseEvent) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// duplicate reports whether ev repeats one of the earlier events of its
// instant.
func duplicate(earlier []model.CaseEvent, ev *model.CaseEvent) bool {
	for i := range earlier {
		o := &earlier[i]
		if o.Kind == ev.Kind && o.New == ev.New && o.Old == ev.Old {
			return true
		}
	}
	return false
}

// mark records the state in force from at on. Several changes at one
// instant leave the last state.
func mark(pts []point, at time.Time, done bool, status string) []point {
	last := &pts[len(pts)-1]
	if last.at.Equal(at) {
		last.done, last.status = done, status
		return pts
	}
	if last.done == done && last.status == status {
		return pts
	}
	return append(pts, point{at: at, done: done, status: status})
}

// setPriority records the priority in force from at on.
func setPriority(prio []prioPoint, at time.Time, p model.Priority) []prioPoint {
	last := &prio[len(prio)-1]
	if last.at.Equal(at) {
		last.p = p
		return prio
	}
	return append(prio, prioPoint{at: at, p: p})
}

// priorityAt is the priority after every event dated at or before t.
func priorityAt(prio []prioPoint, t time.Time) model.Priority {
	p := model.PriorityUnknown
	for _, x := range prio {
		if x.at.After(t) {
			break
		}
		p = x.p
	}
	return p
}

// clock measures one clock from start to stop (zero: running, measured to
// now) over the case's state points and priority points. A resolve clock
// takes the policy's resolve target, otherwise the acknowledge target.
func (e Evaluator) clock(pts []point, prio []prioPoint, start, stop, now time.Time, resolve bool, ratio float64) Clock {
	c := Clock{Start: start, Stop: stop}
	open := stop.IsZero()
	end := stop
	if open {
		end = now
	}
	c.Priority = priorityAt(prio, end)
	v := e.Policies.version(end)
	var cal *Calendar
	if v != nil {
		c.Policy, c.Version = v.policy.Name, v.policy.Version
		c.Backdated = end.Before(v.policy.EffectiveFrom)
		cal = v.cal
		if t, ok := v.policy.Targets[c.Priority]; ok && c.Priority.Valid() {
			if resolve {
				c.Target = t.Resolve
			} else {
				c.Target = t.Acknowledge
			}
		}
	}

	// riskAt is the business time at which the clock becomes at risk.
	riskAt := time.Duration(math.Round(ratio * float64(c.Target)))
	// crossAt: elapsed reaches the target; overAt: it passes the target by
	// a microsecond (the store's precision); riskCross: it reaches riskAt.
	var crossAt, overAt, riskCross time.Time
	for i, p := range pts {
		a := p.at
		if !a.Before(end) {
			break
		}
		b := end
		if i+1 < len(pts) && pts[i+1].at.Before(b) {
			b = pts[i+1].at
		}
		if p.done {
			continue
		}
		w := cal.WorkingTime(a, b)
		if v.paused(p.status) {
			c.Paused += w
			continue
		}
		if c.Target > 0 && crossAt.IsZero() && c.Elapsed+w >= c.Target {
			crossAt = cal.AddWorking(a, c.Target-c.Elapsed)
		}
		if c.Target > 0 && overAt.IsZero() && c.Elapsed+w >= c.Target+time.Microsecond {
			overAt = cal.AddWorking(a, c.Target+time.Microsecond-c.Elapsed)
		}
		if c.Target > 0 && riskCross.IsZero() && c.Elapsed+w >= riskAt {
			riskCross = cal.AddWorking(a, riskAt-c.Elapsed)
		}
		c.Elapsed += w
	}
	if open {
		last := pts[len(pts)-1]
		c.PausedNow = !last.done && v.paused(last.status)
	}

	switch {
	case c.Target <= 0:
		c.Status = StatusNoTarget
		return c
	case c.Elapsed > c.Target:
		c.Overdue = c.Elapsed - c.Target
	default:
		c.Remaining = c.Target - c.Elapsed
	}
	if !open {
		c.Deadline = crossAt
		if c.Overdue > 0 {
			c.Status = StatusBreached
		} else {
			c.Status = StatusMet
		}
		return c
	}
	switch {
	case !crossAt.IsZero():
		c.Deadline = crossAt
	case !c.PausedNow:
		c.Deadline = cal.AddWorking(end, c.Remaining)
	}
	switch {
	case c.Overdue > 0:
		c.Status = StatusOverdue
	case c.Elapsed >= riskAt:
		c.Status = StatusAtRisk
	default:
		c.Status = StatusOnTrack
	}
	// The instants the clock turns at risk and overdue. Overdue means past
	// the target, so it starts one microsecond of business time after the
	// target runs out (the store keeps microseconds): at a window's end
	// the clock stays at its target until the next window opens.
	switch {
	case !overAt.IsZero():
		c.OverdueFrom = ceilMicro(overAt)
	case c.Overdue > 0:
		c.OverdueFrom = end
	case !c.PausedNow:
		c.OverdueFrom = ceilMicro(cal.AddWorking(end, c.Remaining+time.Microsecond))
	}
	switch {
	case !riskCross.IsZero():
		c.AtRiskFrom = ceilMicro(riskCross)
	case c.Status != StatusOnTrack:
		c.AtRiskFrom = end
	case !c.PausedNow:
		c.AtRiskFrom = ceilMicro(cal.AddWorking(end, riskAt-c.Elapsed))
	}
	return c
}

// ceilMicro rounds t up to a whole microsecond, so an instant kept at the
// store's precision is never reached earlier than t.
func ceilMicro(t time.Time) time.Time {
	if r := t.Truncate(time.Microsecond); r.Before(t) {
		return r.Add(time.Microsecond)
	}
	return t
}
