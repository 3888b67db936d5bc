package metrics

import (
	"slices"
	"strconv"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/sla"
)

// Dimensions cases can be grouped by.
const (
	ByAll      = "all"
	ByPriority = "priority"
	BySource   = "source"
	ByTeam     = "team"
	ByAnalyst  = "analyst"
	// ByShift groups cases by the shift on duty when they were created.
	ByShift = "shift"
	// ByRule groups cases by the rule of their earliest alert, as
	// "source/rule_id".
	ByRule = "rule"
)

// GroupBys lists the accepted --group-by values, in the order GroupByInfo
// describes them.
var GroupBys = []string{ByPriority, BySource, ByTeam, ByAnalyst, ByShift, ByRule}

// GroupByInfo says what each --group-by value groups cases by. The CLI's
// help, the OpenAPI document's enum and the MCP tool schema are generated
// from it.
var GroupByInfo = map[string]string{
	ByPriority: "the case's priority",
	BySource:   "the system the case came from",
	ByTeam:     "the team that owns the case",
	ByAnalyst:  "the analyst the case is assigned to",
	ByShift:    "the shift on duty when the case was created",
	ByRule:     `the detection rule of the case's earliest alert, "source/rule_id" ("(no alert)" for cases without alerts)`,
}

// ValidGroupBy reports whether g is one of GroupBys.
func ValidGroupBy(g string) bool { return slices.Contains(GroupBys, g) }

// OpenClock is a running SLA clock as its case's facts left it: the
// instants (Unix microseconds, 0 for never) from which it is at risk and
// overdue (see sla.Judge). Reports judge it at their own "now".
type OpenClock struct {
	AtRisk  int64 `json:"at_risk_from,omitempty"`
	Overdue int64 `json:"overdue_from,omitempty"`
}

// openClock records a running clock of a case's facts; ok is false for a
// stopped clock, or none.
func openClock(st sla.Status, atRisk, overdue time.Time) (OpenClock, bool) {
	switch st {
	case sla.StatusOnTrack, sla.StatusAtRisk, sla.StatusOverdue:
	default:
		return OpenClock{}, false
	}
	c := OpenClock{}
	if !atRisk.IsZero() {
		c.AtRisk = atRisk.UnixMicro()
	}
	if !overdue.IsZero() {
		c.Overdue = overdue.UnixMicro()
	}
	return c, true
}

// status judges the clock at now (Unix microseconds).
func (c OpenClock) status(now int64) sla.Status {
	switch {
	case c.Overdue != 0 && now >= c.Overdue:
		return sla.StatusOverdue
	case c.AtRisk != 0 && now >= c.AtRisk:
		return sla.StatusAtRisk
	}
	return sla.StatusOnTrack
}

// Counts are what a set of cases adds up to.
type Counts struct {
	Cases     int64 `json:"cases"`
	Done      int64 `json:"done,omitempty"`
	Reopened  int64 `json:"reopened,omitempty"`
	Escalated int64 `json:"escalated,omitempty"`
	// Handled counts the cases both acknowledged and resolved, and
	// HandledSeconds sums their acknowledged → resolved wall-clock time
	// (elapsed time, an upper bound of the time worked on them).
	Handled        int64   `json:"handled,omitempty"`
	HandledSeconds float64 `json:"handled_seconds,omitempty"`
	// Worked counts the resolved cases whose handle time was measured and
	// WorkedSeconds sums it: the time actively worked, in work sessions
	// of the people who logged events on them (staffing's handle-time
	// model, see store.HandleTime).
	Worked        int64        `json:"worked,omitempty"`
	WorkedSeconds float64      `json:"worked_seconds,omitempty"`
	KPIs          map[KPI]*Agg `json:"kpis"`
	// SLAAck and SLAResolve count the stopped clocks (met, breached) and
	// those without a target or a start (no_target, missing); the running
	// ones are in OpenAck and OpenResolve, judged when a report is made.
	SLAAck       map[string]int64 `json:"sla_ack,omitempty"`
	SLAResolve   map[string]int64 `json:"sla_resolve,omitempty"`
	OpenAck      []OpenClock      `json:"open_ack,omitempty"`
	OpenResolve  []OpenClock      `json:"open_resolve,omitempty"`
	SourceSLA    map[string]int64 `json:"source_sla,omitempty"`
	Dispositions map[string]int64 `json:"dispositions,omitempty"`
}

func newCounts() *Counts {
	return &Counts{KPIs: map[KPI]*Agg{}, SLAAck: map[string]int64{}, SLAResolve: map[string]int64{},
		SourceSLA: map[string]int64{}, Dispositions: map[string]int64{}}
}

// add counts a case; worked is its handle time when measured.
func (c *Counts) add(f *kpi.Facts, ms caseMeasures, worked time.Duration, measured bool) {
	c.Cases++
	for i, k := range KPIs {
		a := c.KPIs[k]
		if a == nil {
			a = &Agg{}
			c.KPIs[k] = a
		}
		a.addMeasure(ms[i])
	}
	if f.Done {
		c.Done++
	}
	if f.Reopens > 0 {
		c.Reopened++
	}
	if f.Escalated {
		c.Escalated++
	}
	if !f.Ack.IsZero() && !f.Resolve.IsZero() {
		c.Handled++
		c.HandledSeconds += max(0, f.Resolve.Sub(f.Ack).Seconds())
	}
	if measured {
		c.Worked++
		c.WorkedSeconds += worked.Seconds()
	}
	if oc, ok := openClock(f.SLAAck, f.AckAtRiskFrom, f.AckOverdueFrom); ok {
		c.OpenAck = append(c.OpenAck, oc)
	} else if f.SLAAck != "" {
		c.SLAAck[string(f.SLAAck)]++
	}
	if oc, ok := openClock(f.SLAResolve, f.ResolveAtRiskFrom, f.ResolveOverdueFrom); ok {
		c.OpenResolve = append(c.OpenResolve, oc)
	} else if f.SLAResolve != "" {
		c.SLAResolve[string(f.SLAResolve)]++
	}
	if f.SourceSLA != "" {
		c.SourceSLA[string(f.SourceSLA)]++
	}
	d := string(f.Disposition)
	if d == "" {
		d = "none"
	}
	c.Dispositions[d]++
}

func (c *Counts) merge(o *Counts) {
	if o == nil {
		return
	}
	c.Cases += o.Cases
	c.Done += o.Done
	c.Reopened += o.Reopened
	c.Escalated += o.Escalated
	c.Handled += o.Handled
	c.HandledSeconds += o.HandledSeconds
	c.Worked += o.Worked
	c.WorkedSeconds += o.WorkedSeconds
	c.OpenAck = append(c.OpenAck, o.OpenAck...)
	c.OpenResolve = append(c.OpenResolve, o.OpenResolve...)
	mergeAggs(c.KPIs, o.KPIs)
	for _, m := range []struct{ dst, src map[string]int64 }{
		{c.SLAAck, o.SLAAck}, {c.SLAResolve, o.SLAResolve}, {c.SourceSLA, o.SourceSLA}, {c.Dispositions, o.Dispositions},
	} {
		for k, v := range m.src {
			m.dst[k] += v
		}
	}
}

// Group is what a set of cases contributes to the KPIs, tests and drills
// kept apart so reports can leave them out (the default) or count them.
type Group struct {
	Real  *Counts `json:"real"`
	Tests *Counts `json:"tests,omitempty"`
}

func newGroup() *Group { return &Group{Real: newCounts(), Tests: newCounts()} }

func (g *Group) add(f *kpi.Facts, ms caseMeasures, worked time.Duration, measured bool) {
	if f.Excluded {
		g.Tests.add(f, ms, worked, measured)
		return
	}
	g.Real.add(f, ms, worked, measured)
}

// caseMeasures are a case's values of the KPIs, in the order of KPIs.
type caseMeasures []measure

func measuresOf(f *kpi.Facts) caseMeasures {
	ms := make(caseMeasures, len(KPIs))
	for i, k := range KPIs {
		ms[i] = measureOf(k, f)
	}
	return ms
}

func (g *Group) merge(o *Group) {
	g.Real.merge(o.Real)
	g.Tests.merge(o.Tests)
}

func mergeAggs(dst, src map[KPI]*Agg) {
	for k, a := range src {
		d := dst[k]
		if d == nil {
			d = &Agg{}
			dst[k] = d
		}
		d.merge(a)
	}
}

func (g *Group) freeze() {
	for _, c := range []*Counts{g.Real, g.Tests} {
		for _, a := range c.KPIs {
			a.freeze()
		}
	}
}

// CaseDay is one day's case aggregates: by dimension, then by value.
type CaseDay map[string]map[string]*Group

// add counts a case in each of d's dimensions; shift is the shift on duty
// when it was created ("" if none), worked its handle time when measured.
func (d CaseDay) add(f *kpi.Facts, shift string, worked time.Duration, measured bool) {
	if len(d) == 0 {
		return
	}
	ms := measuresOf(f) // once, for the case's group in every dimension
	for _, dv := range [...][2]string{
		{ByAll, ""}, {ByPriority, f.Priority.String()}, {BySource, f.Source}, {ByTeam, f.Team}, {ByAnalyst, f.Analyst},
		{ByShift, shift}, {ByRule, caseRuleKey(f)},
	} {
		dim, val := dv[0], dv[1]
		m := d[dim]
		if m == nil {
			continue
		}
		g := m[val]
		if g == nil {
			g = newGroup()
			m[val] = g
		}
		g.add(f, ms, worked, measured)
	}
}

func (d CaseDay) merge(o CaseDay) {
	for dim, vals := range o {
		m := d[dim]
		if m == nil {
			m = map[string]*Group{}
			d[dim] = m
		}
		for v, g := range vals {
			if m[v] == nil {
				m[v] = newGroup()
			}
			m[v].merge(g)
		}
	}
}

func (d CaseDay) freeze() {
	for _, vals := range d {
		for _, g := range vals {
			g.freeze()
		}
	}
}

// SLAResult is one clock's adherence over a set of cases, judged at the
// report's "now": met ÷ (met + breached), where breached counts the clocks
// that stopped past their target and the running ones already past it (a
// breach in flight counts the moment the clock passes the target). Running
// clocks within their target are open, and never enter the ratio.
type SLAResult struct {
	Met      int64 `json:"met"`
	Breached int64 `json:"breached"`
	// BreachedOpen is how many of Breached are still running.
	BreachedOpen int64 `json:"breached_open"`
	// Open counts the running clocks within their target; AtRisk how
	// many of them are past 80 % of it.
	Open     int64 `json:"open"`
	AtRisk   int64 `json:"at_risk"`
	NoTarget int64 `json:"no_target"`
	// Adherence is met ÷ (met + breached); null when both are 0 (no data,
	// never 0 %).
	Adherence *float64 `json:"adherence"`
}

// slaResult judges a clock's counts at now.
func slaResult(stopped map[string]int64, open []OpenClock, now time.Time) SLAResult {
	r := SLAResult{Met: stopped[string(sla.StatusMet)], Breached: stopped[string(sla.StatusBreached)],
		NoTarget: stopped[string(sla.StatusNoTarget)] + stopped[string(sla.StatusMissing)]}
	// Facts computed before running clocks kept their turning instants
	// count by their status then; ingest computes them again.
	r.Open = stopped[string(sla.StatusOnTrack)] + stopped[string(sla.StatusAtRisk)]
	r.AtRisk = stopped[string(sla.StatusAtRisk)]
	r.Breached += stopped[string(sla.StatusOverdue)]
	r.BreachedOpen = stopped[string(sla.StatusOverdue)]
	us := now.UnixMicro()
	for _, c := range open {
		switch c.status(us) {
		case sla.StatusOverdue:
			r.Breached++
			r.BreachedOpen++
		case sla.StatusAtRisk:
			r.Open++
			r.AtRisk++
		default:
			r.Open++
		}
	}
	r.Adherence = Ratio(r.Met, r.Met+r.Breached)
	return r
}

// Ratio is num ÷ den, or nil (no data) when den is 0.
func Ratio(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	v := float64(num) / float64(den)
	return &v
}

// GroupResult is the report for one group of cases.
type GroupResult struct {
	Group    string `json:"group"`
	Cases    int64  `json:"cases"` // tests and drills included
	Excluded int64  `json:"excluded_tests"`
	Done     int64  `json:"done"`
	// ReopenRate is reopened ÷ done, null when none is done;
	// EscalationRate escalated ÷ cases, null without cases.
	ReopenRate     *float64  `json:"reopen_rate"`
	EscalationRate *float64  `json:"escalation_rate"`
	KPIs           []Summary `json:"kpis"`
	SLAAcknowledge SLAResult `json:"sla_acknowledge"`
	SLAResolve     SLAResult `json:"sla_resolve"`
	// SourceSLA is the source system's own verdict on its SLA, where it
	// gives one (ServiceNow's made_sla), for comparison with Watchfloor's.
	SourceSLA    *SLAResult       `json:"source_sla,omitempty"`
	Dispositions map[string]int64 `json:"dispositions"`
}

func (g *Group) result(name string, includeTests bool, now time.Time) GroupResult {
	c := newCounts()
	c.merge(g.Real)
	var excluded int64
	if includeTests {
		c.merge(g.Tests)
	} else if g.Tests != nil {
		excluded = g.Tests.Cases
	}
	r := GroupResult{Group: name, Cases: g.Real.Cases + g.Tests.Cases, Excluded: excluded, Done: c.Done, Dispositions: c.Dispositions,
		SLAAcknowledge: slaResult(c.SLAAck, c.OpenAck, now), SLAResolve: slaResult(c.SLAResolve, c.OpenResolve, now),
		SourceSLA: sourceSLA(c.SourceSLA)}
	r.ReopenRate = Ratio(c.Reopened, c.Done)
	r.EscalationRate = Ratio(c.Escalated, c.Cases) // tests only when included
	for _, k := range KPIs {
		a := &Agg{}
		if c.KPIs[k] != nil {
			a.merge(c.KPIs[k])
		}
		r.KPIs = append(r.KPIs, a.summary(k, excluded))
	}
	return r
}

// sourceSLA is the source system's own SLA verdicts (ServiceNow's
// made_sla): met ÷ (met + breached).
func sourceSLA(m map[string]int64) *SLAResult {
	met, breached := m[kpi.SourceSLAMet], m[kpi.SourceSLABreached]
	if met+breached == 0 {
		return nil
	}
	return &SLAResult{Met: met, Breached: breached, Adherence: Ratio(met, met+breached)}
}

// priorityOrder sorts "P1" before "P10"-style strings numerically.
func priorityOrder(s string) int {
	if len(s) == 2 && s[0] == 'P' {
		n, _ := strconv.Atoi(s[1:])
		return n
	}
	return 99
}

// ruleKey names a rule across sources: "source/rule_id". An alert
// without a rule id is "source/".
func ruleKey(source, rule string) string {
	return source + "/" + rule
}

// caseRuleKey is the rule a case is credited to: its earliest alert's, or
// NoRule when it has no alert.
func caseRuleKey(f *kpi.Facts) string {
	if !f.Alerted {
		return NoRule
	}
	return ruleKey(f.Source, f.Rule)
}

// NoRule is the rule key of cases without alerts, which no rule raised.
const NoRule = ""

// materialise builds every sketch from its stored bins, so that reading the
// day afterwards never writes to it.
func (d CaseDay) materialise() {
	for _, vals := range d {
		for _, g := range vals {
			for _, c := range []*Counts{g.Real, g.Tests} {
				if c == nil {
					continue
				}
				for _, a := range c.KPIs {
					a.sketch()
				}
			}
		}
	}
}
