// Package kpi holds the definitions of Watchfloor's case KPIs: the facts
// each case contributes (when it was created, acknowledged, contained,
// resolved; whether a stage was skipped, whether it was reopened or
// escalated, how its SLA clocks ended) computed from the case's event log,
// and the durations the KPIs measure between those facts. Aggregation over
// windows and groups lives in package metrics; the sketch subpackage holds
// the mergeable quantile sketch used for percentiles.
package kpi

import (
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
)

// Facts are what one case contributes to the KPIs. Zero times mean the
// milestone has not been reached (or is not known).
type Facts struct {
	CaseID  int64
	Source  string
	Team    string
	Analyst string // the current assignee
	Rule    string // rule id of the case's earliest alert
	// Alerted is set when the case has linked alerts; a case without any
	// has no rule, which is not the same as an alert without a rule id.
	Alerted     bool
	Priority    model.Priority
	Disposition model.Disposition
	// Excluded cases (tests and drills) are left out of KPIs by default.
	Excluded bool

	Created  time.Time // when the SOC learned of the case
	Occurred time.Time // earliest occurred_at of the case or its linked alerts

	Ack       time.Time // first move to triage or later, or first assignment
	Contain   time.Time // first move to contained (or later, see ContainImputed)
	Resolve   time.Time // first move to resolved or closed
	LastClose time.Time // move to resolved/closed that ended the last open period
	// AckImputed: the case skipped triage and had no assignment before a
	// later stage, so acknowledgement is dated by that later stage.
	AckImputed bool
	// ContainImputed: the case reached resolved or closed without passing
	// contained; containment is dated by the resolution.
	ContainImputed bool
	Done           bool // resolved or closed now
	Reopens        int
	// Escalated: the case moved from one team to another after it was
	// created (for example from Tier 1 triage to Tier 2).
	Escalated bool

	// SLA outcomes of the acknowledge and resolve (first close) clocks as
	// of when the facts were computed; see package sla. A running clock is
	// judged again when shown (SLAAckAt, SLAResolveAt) from the instants
	// it turns at risk and overdue.
	SLAAck, SLAResolve                    sla.Status
	AckAtRiskFrom, AckOverdueFrom         time.Time
	ResolveAtRiskFrom, ResolveOverdueFrom time.Time
	// SourceSLA is the source system's own SLA verdict where it gives one
	// (ServiceNow's made_sla attribute): SourceSLAMet, SourceSLABreached or "".
	SourceSLA string
	// Clamped counts events dated before the case was created (clock skew).
	Clamped int
}

// Source SLA verdicts.
const (
	SourceSLAMet      = "met"
	SourceSLABreached = "breached"
)

// sourceSLA reads a source's SLA verdict from a case's attributes.
func sourceSLA(attrs map[string]string) string {
	switch strings.ToLower(strings.TrimSpace(attrs["made_sla"])) {
	case "true", "yes", "1":
		return SourceSLAMet
	case "false", "no", "0":
		return SourceSLABreached
	}
	return ""
}

// SLAAckAt is the acknowledge clock's status at now (not before the facts
// were computed): a running clock past its target is overdue, a breach in
// flight (see sla.Judge).
func (f *Facts) SLAAckAt(now time.Time) sla.Status {
	return sla.Judge(f.SLAAck, f.AckAtRiskFrom, f.AckOverdueFrom, now)
}

// SLAResolveAt is the resolve clock's status at now, as SLAAckAt.
func (f *Facts) SLAResolveAt(now time.Time) sla.Status {
	return sla.Judge(f.SLAResolve, f.ResolveAtRiskFrom, f.ResolveOverdueFrom, now)
}

// Alerts is what a case's facts take from its linked alerts.
type Alerts struct {
	// Linked is set when the case has at least one linked alert.
	Linked bool
	// Rule is the rule id of the earliest alert (it may be empty).
	Rule string
	// Occurred is the earliest occurred_at of the alerts (zero if none).
	Occurred time.Time
}

// Compute derives a case's facts from its projection, its event log (any
// order; sorted here by time, then id) and its linked alerts; eval judges
// the SLA clocks as of now.
func Compute(c *model.Case, evs []model.CaseEvent, al Alerts, eval sla.Evaluator, now time.Time) Facts {
	f := Facts{
		CaseID: c.ID, Source: c.Source, Team: c.Team, Analyst: c.Assignee, Priority: c.Priority,
		Disposition: c.Disposition, Excluded: c.Disposition.ExcludedByDefault(),
		Created: c.CreatedAt, Occurred: c.OccurredAt, Rule: al.Rule, Alerted: al.Linked, SourceSLA: sourceSLA(c.Attributes),
	}
	if !al.Occurred.IsZero() && (f.Occurred.IsZero() || al.Occurred.Before(f.Occurred)) {
		f.Occurred = al.Occurred
	}
	sorted := evs
	if !slices.IsSortedFunc(evs, compareEvents) {
		// Copied before sorting: evs is the caller's. A log read from the
		// store is in order already, and may be long (an incident of
		// 100,000 updates): not copied.
		sorted = slices.Clone(evs)
		sortEvents(sorted)
	}
	if f.Created.IsZero() {
		for _, e := range sorted {
			if e.Kind == model.EventCreated {
				f.Created = e.At
				break
			}
		}
	}
	var stage model.Stage = model.StageNew
	var team string
	assigned := false
	for _, e := range sorted {
		if !f.Created.IsZero() && e.At.Before(f.Created) {
			f.Clamped++
		}
		switch e.Kind {
		case model.EventAssignee:
			if e.New != "" && f.Ack.IsZero() {
				f.Ack = e.At
				assigned = true
			}
		case model.EventTeam:
			// Compared with the last team the case had, so t1 → none → t2
			// counts too.
			if team != "" && e.New != "" && e.New != team {
				f.Escalated = true
			}
			if e.New != "" {
				team = e.New
			}
		case model.EventStage:
			st, err := model.ParseStage(e.New)
			if err != nil {
				continue
			}
			if st.Rank() >= model.StageTriage.Rank() && f.Ack.IsZero() {
				f.Ack = e.At
				f.AckImputed = st != model.StageTriage && !assigned
			}
			if st.Rank() >= model.StageContained.Rank() && f.Contain.IsZero() {
				f.Contain = e.At
				f.ContainImputed = st != model.StageContained
			}
			if st.Done() && f.Resolve.IsZero() {
				f.Resolve = e.At
			}
			if st.Done() && !stage.Done() {
				f.LastClose = e.At
			}
			if stage.Done() && !st.Done() {
				f.Reopens++
			}
			stage = st
		}
	}
	f.Done = stage.Done()
	if !f.Done {
		f.LastClose = time.Time{}
	}
	if eval.Policies.Len() > 0 && !f.Created.IsZero() {
		r := eval.Evaluate(f.Created, sorted, now)
		f.SLAAck, f.SLAResolve = r.Acknowledge.Status, r.Resolve.Status
		f.AckAtRiskFrom, f.AckOverdueFrom = r.Acknowledge.AtRiskFrom, r.Acknowledge.OverdueFrom
		f.ResolveAtRiskFrom, f.ResolveOverdueFrom = r.Resolve.AtRiskFrom, r.Resolve.OverdueFrom
	}
	return f
}

func sortEvents(evs []model.CaseEvent) {
	// Insertion sort: logs are short and nearly always in order already.
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && before(evs[j], evs[j-1]); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

// compareEvents orders events by time, then id, as sortEvents does.
func compareEvents(a, b model.CaseEvent) int {
	switch {
	case before(a, b):
		return -1
	case before(b, a):
		return 1
	}
	return 0
}

func before(a, b model.CaseEvent) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	return a.ID < b.ID
}
