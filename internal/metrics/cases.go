package metrics

import (
	"strconv"

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

// GroupBys lists the accepted --group-by values.
var GroupBys = []string{ByPriority, BySource, ByTeam, ByAnalyst, ByShift, ByRule}

// Counts are what a set of cases adds up to.
type Counts struct {
	Cases     int64 `json:"cases"`
	Done      int64 `json:"done,omitempty"`
	Reopened  int64 `json:"reopened,omitempty"`
	Escalated int64 `json:"escalated,omitempty"`
	// Handled counts the cases both acknowledged and resolved, and
	// HandledSeconds sums their acknowledged → resolved time: the analyst
	// time a group of cases took, as far as the log can tell.
	Handled        int64            `json:"handled,omitempty"`
	HandledSeconds float64          `json:"handled_seconds,omitempty"`
	KPIs           map[KPI]*Agg     `json:"kpis"`
	SLAAck         map[string]int64 `json:"sla_ack,omitempty"`
	SLAResolve     map[string]int64 `json:"sla_resolve,omitempty"`
	SourceSLA      map[string]int64 `json:"source_sla,omitempty"`
	Dispositions   map[string]int64 `json:"dispositions,omitempty"`
}

func newCounts() *Counts {
	return &Counts{KPIs: map[KPI]*Agg{}, SLAAck: map[string]int64{}, SLAResolve: map[string]int64{},
		SourceSLA: map[string]int64{}, Dispositions: map[string]int64{}}
}

func (c *Counts) add(f *kpi.Facts) {
	c.Cases++
	for _, k := range KPIs {
		a := c.KPIs[k]
		if a == nil {
			a = &Agg{}
			c.KPIs[k] = a
		}
		a.add(k, f)
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
	if f.SLAAck != "" {
		c.SLAAck[string(f.SLAAck)]++
	}
	if f.SLAResolve != "" {
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

func (g *Group) add(f *kpi.Facts) {
	if f.Excluded {
		g.Tests.add(f)
		return
	}
	g.Real.add(f)
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

// add counts a case; shift is the shift on duty when it was created ("" if
// none).
func (d CaseDay) add(f *kpi.Facts, shift string) {
	for dim, val := range map[string]string{
		ByAll: "", ByPriority: f.Priority.String(), BySource: f.Source, ByTeam: f.Team, ByAnalyst: f.Analyst, ByShift: shift,
		ByRule: ruleKey(f.Source, f.Rule),
	} {
		m := d[dim]
		if m == nil {
			m = map[string]*Group{}
			d[dim] = m
		}
		g := m[val]
		if g == nil {
			g = newGroup()
			m[val] = g
		}
		g.add(f)
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

// SLAResult is one clock's adherence: the share of completed clocks that
// met their target. Open clocks are counted apart (and judged live on the
// dashboard).
type SLAResult struct {
	Met       int64   `json:"met"`
	Breached  int64   `json:"breached"`
	Open      int64   `json:"open"`
	NoTarget  int64   `json:"no_target"`
	Adherence float64 `json:"adherence"` // met ÷ (met + breached); 0 when none completed
}

func slaResult(m map[string]int64) SLAResult {
	r := SLAResult{Met: m[string(sla.StatusMet)], Breached: m[string(sla.StatusBreached)],
		Open:     m[string(sla.StatusOnTrack)] + m[string(sla.StatusAtRisk)] + m[string(sla.StatusOverdue)],
		NoTarget: m[string(sla.StatusNoTarget)] + m[string(sla.StatusMissing)]}
	if done := r.Met + r.Breached; done > 0 {
		r.Adherence = float64(r.Met) / float64(done)
	}
	return r
}

// GroupResult is the report for one group of cases.
type GroupResult struct {
	Group          string    `json:"group"`
	Cases          int64     `json:"cases"` // tests and drills included
	Excluded       int64     `json:"excluded_tests"`
	Done           int64     `json:"done"`
	ReopenRate     float64   `json:"reopen_rate"`     // reopened ÷ done
	EscalationRate float64   `json:"escalation_rate"` // escalated ÷ cases
	KPIs           []Summary `json:"kpis"`
	SLAAcknowledge SLAResult `json:"sla_acknowledge"`
	SLAResolve     SLAResult `json:"sla_resolve"`
	// SourceSLA is the source system's own verdict on its SLA, where it
	// gives one (ServiceNow's made_sla), for comparison with Watchfloor's.
	SourceSLA    *SLAResult       `json:"source_sla,omitempty"`
	Dispositions map[string]int64 `json:"dispositions"`
}

func (g *Group) result(name string, includeTests bool) GroupResult {
	c := newCounts()
	c.merge(g.Real)
	var excluded int64
	if includeTests {
		c.merge(g.Tests)
	} else if g.Tests != nil {
		excluded = g.Tests.Cases
	}
	r := GroupResult{Group: name, Cases: g.Real.Cases + g.Tests.Cases, Excluded: excluded, Done: c.Done, Dispositions: c.Dispositions,
		SLAAcknowledge: slaResult(c.SLAAck), SLAResolve: slaResult(c.SLAResolve), SourceSLA: sourceSLA(c.SourceSLA)}
	if c.Done > 0 {
		r.ReopenRate = float64(c.Reopened) / float64(c.Done)
	}
	if c.Cases > 0 { // tests only when included
		r.EscalationRate = float64(c.Escalated) / float64(c.Cases)
	}
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
	return &SLAResult{Met: met, Breached: breached, Adherence: float64(met) / float64(met+breached)}
}

// priorityOrder sorts "P1" before "P10"-style strings numerically.
func priorityOrder(s string) int {
	if len(s) == 2 && s[0] == 'P' {
		n, _ := strconv.Atoi(s[1:])
		return n
	}
	return 99
}

// ruleKey names a rule across sources; "" for cases without alerts.
func ruleKey(source, rule string) string {
	if rule == "" {
		return ""
	}
	return source + "/" + rule
}

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
