package crisis

import (
	"fmt"
	"time"
)

// ClockState says where a regulatory clock stands.
type ClockState string

// The clock states.
const (
	// ClockWaiting: the trigger event has not been recorded.
	ClockWaiting ClockState = "waiting"
	// ClockRunning: started, due later, not submitted.
	ClockRunning ClockState = "running"
	// ClockAtRisk: running with less than a fifth of its time left.
	ClockAtRisk ClockState = "at_risk"
	// ClockOverdue: past its deadline and not submitted.
	ClockOverdue ClockState = "overdue"
	// ClockSubmitted: submitted by the deadline.
	ClockSubmitted ClockState = "submitted"
	// ClockLate: submitted after the deadline.
	ClockLate ClockState = "late"
)

// AtRiskShare is the share of a clock's time left below which it is at
// risk (the same 80 % mark as the SLA clocks).
const AtRiskShare = 0.2

// Clock is one report's regulatory clock on an incident.
type Clock struct {
	Regime     string `json:"regime"`
	RegimeName string `json:"regime_name"`
	// Proposed marks a rule that is not yet in force.
	Proposed   bool   `json:"proposed,omitempty"`
	Report     string `json:"report"`
	ReportName string `json:"report_name"`
	// Trigger names what starts the clock and Within its time limit.
	Trigger     string     `json:"trigger"`
	Within      string     `json:"within"`
	TriggeredAt *time.Time `json:"triggered_at"`
	DueAt       *time.Time `json:"due_at"`
	// CappedBy explains a deadline set by the report's cap, e.g.
	// "aware + 24h".
	CappedBy    string     `json:"capped_by,omitempty"`
	SubmittedAt *time.Time `json:"submitted_at"`
	Reference   string     `json:"reference,omitempty"`
	State       ClockState `json:"state"`
	// RemainingSeconds is the time left while running; OverdueSeconds how
	// far past the deadline an unsubmitted clock is.
	RemainingSeconds float64 `json:"remaining_seconds,omitempty"`
	OverdueSeconds   float64 `json:"overdue_seconds,omitempty"`
	Citation         string  `json:"citation"`
	Note             string  `json:"note,omitempty"`
}

func ptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// anchorTime finds when an anchor happened on the incident: the trigger
// event recorded for the regime, else the one recorded for every regime
// (the most recently recorded wins: a later entry corrects an earlier
// one), or the report's first (Latest: newest) submission.
func (inc *Incident) anchorTime(regime string, a Anchor) time.Time {
	if a.Event != "" {
		var scoped, any Trigger
		for _, t := range inc.Triggers {
			if t.Type != a.Event {
				continue
			}
			switch t.Regime {
			case regime:
				scoped = t
			case "":
				any = t
			}
		}
		if !scoped.At.IsZero() {
			return scoped.At
		}
		return any.At
	}
	var out time.Time
	for _, s := range inc.Submissions {
		if s.Regime != regime || s.Report != a.Submitted {
			continue
		}
		if out.IsZero() || a.Latest && s.At.After(out) || !a.Latest && s.At.Before(out) {
			out = s.At
		}
	}
	return out
}

// firstSubmission returns a report's earliest submission.
func (inc *Incident) firstSubmission(regime, report string) (Submission, bool) {
	var out Submission
	found := false
	for _, s := range inc.Submissions {
		if s.Regime == regime && s.Report == report && (!found || s.At.Before(out.At)) {
			out, found = s, true
		}
	}
	return out, found
}

// Clocks computes the regulatory clocks of the incident's regimes at now.
// Calendar days and months count in tz.
func (inc *Incident) Clocks(rules Rules, now time.Time, tz *time.Location) []Clock {
	out := []Clock{}
	for _, id := range inc.Regimes {
		g, ok := rules.Regime(id)
		if !ok {
			out = append(out, Clock{Regime: id, State: ClockWaiting, Note: "regime not in the rule set"})
			continue
		}
		for _, rp := range g.Reports {
			out = append(out, inc.clock(g, rp, now, tz))
		}
	}
	return out
}

func (inc *Incident) clock(g Regime, rp Report, now time.Time, tz *time.Location) Clock {
	c := Clock{Regime: g.ID, RegimeName: g.Name, Proposed: g.Proposed, Report: rp.ID, ReportName: rp.Name,
		Trigger: rp.From.String(), Within: rp.Within.String(), Citation: rp.Citation}
	if s, ok := inc.firstSubmission(g.ID, rp.ID); ok {
		c.SubmittedAt, c.Reference = ptr(s.At), s.Reference
	}
	start := inc.anchorTime(g.ID, rp.From)
	if start.IsZero() {
		c.State = ClockWaiting
		c.Note = "starts at " + rp.From.String()
		if rp.Cap != nil {
			if capStart := inc.anchorTime(g.ID, rp.Cap.From); !capStart.IsZero() {
				c.Note += fmt.Sprintf("; whenever that is, due no later than %s (%s + %s)",
					g.add(rp.Cap.Within, rp, capStart, tz).Format(time.RFC3339), rp.Cap.From, rp.Cap.Within)
			}
		}
		if c.SubmittedAt != nil {
			c.State = ClockSubmitted
		}
		return c
	}
	due := g.Deadline(rp, start, tz)
	if rp.Cap != nil {
		if capStart := inc.anchorTime(g.ID, rp.Cap.From); !capStart.IsZero() {
			if capped := g.add(rp.Cap.Within, rp, capStart, tz); capped.Before(due) {
				due = capped
				c.CappedBy = rp.Cap.From.String() + " + " + rp.Cap.Within.String()
			}
		}
	}
	c.TriggeredAt, c.DueAt = ptr(start), ptr(due)
	switch {
	case c.SubmittedAt != nil && !c.SubmittedAt.After(due):
		c.State = ClockSubmitted
	case c.SubmittedAt != nil:
		c.State = ClockLate
		c.OverdueSeconds = c.SubmittedAt.Sub(due).Seconds()
	case now.After(due):
		c.State = ClockOverdue
		c.OverdueSeconds = now.Sub(due).Seconds()
	default:
		c.RemainingSeconds = due.Sub(now).Seconds()
		c.State = ClockRunning
		if total := due.Sub(start); total <= 0 || due.Sub(now) < time.Duration(float64(total)*AtRiskShare) {
			c.State = ClockAtRisk
		}
	}
	if c.CappedBy != "" && c.State != ClockSubmitted {
		c.Note = "deadline set by the cap: " + c.CappedBy
	}
	return c
}
