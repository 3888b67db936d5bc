package report

import (
	"fmt"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// Thresholds of the recommendations: a change smaller than these is noise
// for a board report.
const (
	// slaDropPoints is how far adherence must fall (in points) to
	// recommend acting on it without a target.
	slaDropPoints = 0.05
	// slowerShare is how much a median must grow to call it slower.
	slowerShare = 0.10
	// volumeGrowth is how much alert volume must grow to flag it.
	volumeGrowth = 0.20
	// noisyShare and noisyRate pick a rule worth tuning: at least this
	// share of the window's false positives at this false-positive rate.
	noisyShare = 0.20
	noisyRate  = 0.50
	// fteGap is the roster shortfall in FTE worth a recommendation.
	fteGap = 0.5
)

// recommend derives the recommendations from the report's figures, most
// urgent first. Each cites the numbers it rests on; none is made without
// data.
func recommend(e *Executive, rules *metrics.RuleReport) []Recommendation {
	out := []Recommendation{}
	add := func(title, text string, evidence ...string) {
		out = append(out, Recommendation{Title: title, Text: text, Evidence: evidence})
	}
	// A previous period the data covers in part is no baseline.
	compared := e.PreviousPartial == ""
	if f := e.figure("sla_resolve"); f != nil && f.Value != nil {
		below := f.Target != nil && *f.Value < *f.Target
		fell := compared && f.Previous != nil && *f.Previous-*f.Value >= slaDropPoints-1e-9
		if below || fell {
			ev := []string{fmt.Sprintf("resolution SLA adherence %s (%s)", Percent(*f.Value), f.Sample)}
			if f.Target != nil {
				ev = append(ev, "target "+Percent(*f.Target))
			}
			if compared && f.Previous != nil {
				ev = append(ev, "previous period "+Percent(*f.Previous))
			}
			if len(e.SLA.ByPriority) > 0 {
				g := e.SLA.ByPriority[0]
				ev = append(ev, fmt.Sprintf("most breaches at %s: %s", g.Group, thousands(g.Breached)))
			}
			add("Restore resolution times to the agreed service levels",
				fmt.Sprintf("Only %s of cases were resolved within their agreed time this period. Review the queue with the team leads and clear the overdue cases first, starting with the priority that breaches most.", Percent(*f.Value)),
				ev...)
		}
	}
	if e.SLA.NowUnassigned > 0 {
		add("Give every overdue case an owner",
			fmt.Sprintf("%s past their service-level target have nobody working on them. Assign them today; an unowned overdue case is the most likely to become a customer-visible failure.", count(int64(e.SLA.NowUnassigned), "open case")),
			fmt.Sprintf("%s past a target now, %s unassigned", count(int64(e.SLA.NowBreached), "open clock"), thousands(int64(e.SLA.NowUnassigned))))
	}
	if f := e.figure("mttr_median"); compared && f != nil && f.Value != nil && f.Previous != nil && *f.Previous > 0 && (*f.Value-*f.Previous)/(*f.Previous) >= slowerShare {
		add("Find what is slowing resolution",
			fmt.Sprintf("The median case took %s longer to resolve than in the previous period. Check whether volume, staffing or a new kind of case explains it before it affects the service levels.", growth(*f.Value, *f.Previous)),
			fmt.Sprintf("median time to resolve %s, previous period %s (%s)", Dur(*f.Value), Dur(*f.Previous), f.Sample))
	}
	if f := e.figure("mttd_median"); f != nil && f.Value != nil && f.Target != nil && *f.Value > *f.Target {
		add("Detect attacks sooner",
			fmt.Sprintf("Attacks are detected %s after they start (median), against a goal of %s. Earlier detection shortens the window an attacker has; review log sources and detection latency.", Dur(*f.Value), Dur(*f.Target)),
			fmt.Sprintf("median time to detect %s (%s), target %s", Dur(*f.Value), f.Sample, Dur(*f.Target)))
	}
	if r := noisiest(rules); r != nil {
		name := r.RuleName
		if name == "" {
			name = r.Source + "/" + r.RuleID
		}
		add("Tune the noisiest detection rule",
			fmt.Sprintf("One rule, %q, caused %s of all false alarms this period. Tuning or automating it frees analyst time for real threats.", name, Percent(float64(r.FalsePositives)/float64(rules.FalsePositives))),
			fmt.Sprintf("%s alerts, %s false positives of %s judged (%s false-positive rate)", thousands(r.Alerts), thousands(r.FalsePositives), thousands(r.Judged), Value(UnitRatio, r.FalsePositiveRate)),
			fmt.Sprintf("%s false positives in the window across all rules", thousands(rules.FalsePositives)))
	}
	if f := e.figure("false_positive_rate"); f != nil && f.Value != nil && f.Target != nil && *f.Value > *f.Target {
		add("Reduce false alarms",
			fmt.Sprintf("%s of judged alerts were false alarms, above the goal of %s. Each false alarm costs analyst time that real incidents need.", Percent(*f.Value), Percent(*f.Target)),
			fmt.Sprintf("false-positive rate %s (%s), target %s", Percent(*f.Value), f.Sample, Percent(*f.Target)))
	}
	if f := e.figure("alerts"); compared && f != nil && f.Value != nil && f.Previous != nil && *f.Previous > 0 && (*f.Value-*f.Previous)/(*f.Previous) >= volumeGrowth {
		add("Plan for the growth in alert volume",
			fmt.Sprintf("Alert volume grew by %s over the previous period. If it holds, the team needs automation or more analysts to keep response times.", growth(*f.Value, *f.Previous)),
			fmt.Sprintf("%s alerts, previous period %s", Value(UnitCount, f.Value), Value(UnitCount, f.Previous)))
	}
	if s := e.Staffing; s.Absent == "" && s.PlanFTE-s.RosterFTE >= fteGap {
		add("Close the staffing gap",
			fmt.Sprintf("Today's roster provides %.1f full-time analysts where the workload needs %.1f to meet the service levels; %s a week are under-staffed.", s.RosterFTE, s.PlanFTE, count(int64(s.HoursShort), "hour")),
			fmt.Sprintf("roster %.1f FTE (%s), plan %.1f FTE", s.RosterFTE, count(int64(s.Analysts), "analyst"), s.PlanFTE),
			fmt.Sprintf("%.0f head-hours a week short in %s of the week", s.ShortHours, count(int64(s.HoursShort), "hour")))
	} else if s.Absent == "" && s.HoursShort > 0 {
		add("Move shift hours to the under-staffed hours of the week",
			fmt.Sprintf("The roster is large enough overall (%.1f full-time analysts against %.1f needed), but %s a week have fewer people on duty than the workload needs. Shifting start times closes the gap without hiring.", s.RosterFTE, s.PlanFTE, count(int64(s.HoursShort), "hour")),
			fmt.Sprintf("roster %.1f FTE (%s), plan %.1f FTE", s.RosterFTE, count(int64(s.Analysts), "analyst"), s.PlanFTE),
			fmt.Sprintf("%.0f head-hours a week short in %s of the week", s.ShortHours, count(int64(s.HoursShort), "hour")))
	}
	if b := e.Budget; b.Absent == "" && b.DeltaAnnual < 0 {
		cur := b.currency()
		add("Fund the staffing plan",
			fmt.Sprintf("Meeting the service levels with the planned roster costs %s a year more than today's roster.", Money(-b.DeltaAnnual, cur)),
			fmt.Sprintf("today's roster %s a year, staffing plan %s a year", Money(b.RosterAnnual, cur), Money(b.PlanAnnual, cur)))
	}
	for _, inc := range e.Incidents.Incidents {
		if inc.ClocksOverdue > 0 {
			add("Meet the overdue regulatory deadlines of "+inc.Ref,
				fmt.Sprintf("Major incident %s has %s past its deadline. Late notification can bring regulatory penalties; confirm the filings with legal counsel now.", inc.Ref, count(int64(inc.ClocksOverdue), "regulatory notification clock")),
				fmt.Sprintf("%s: %s overdue, %d at risk, %s linked", inc.Ref, count(int64(inc.ClocksOverdue), "clock"), inc.ClocksAtRisk, count(int64(inc.Cases), "case")))
		}
	}
	if t := e.Threats; t.Absent == "" && len(t.Profiles) > 0 && t.Profiles[0].MatchedAlerts > 0 {
		p := t.Profiles[0]
		add("Prioritise defences against "+p.Name,
			fmt.Sprintf("%s is the threat most relevant to the organisation this period, and its known indicators were seen in our own alerts. Check that the detections and controls for its techniques are in place.", p.Name),
			fmt.Sprintf("relevance score %.0f; %s matched %s", p.Score, count(int64(p.MatchedIndicators), "indicator"), count(int64(p.MatchedAlerts), "alert")))
	}
	return out
}

// noisiest is the rule worth tuning: the one with the most false
// positives, when it holds at least noisyShare of the window's false
// positives at a rate of noisyRate or more.
func noisiest(r *metrics.RuleReport) *metrics.RuleResult {
	if r == nil || r.FalsePositives == 0 || len(r.Rules) == 0 {
		return nil
	}
	top := &r.Rules[0]
	if top.WithoutAlerts || top.FalsePositiveRate == nil {
		return nil
	}
	if float64(top.FalsePositives)/float64(r.FalsePositives) < noisyShare || *top.FalsePositiveRate < noisyRate {
		return nil
	}
	return top
}

// growth is how much v grew over p, as a percentage: "15.0%".
func growth(v, p float64) string { return Percent((v - p) / p) }
