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

// Group is what a set of cases contributes to the KPIs.
type Group struct {
	Cases     int64 `json:"cases"` // tests included
	Tests     int64 `json:"tests,omitempty"`
	Done      int64 `json:"done,omitempty"`
	Reopened  int64 `json:"reopened,omitempty"`
	Escalated int64 `json:"escalated,omitempty"`
	// Handled counts the cases both acknowledged and resolved, and
	// HandledSeconds sums their acknowledged → resolved time: the analyst
	// time a group of cases took, as far as the log can tell.
	Handled        int64   `json:"handled,omitempty"`
	HandledSeconds float64 `json:"handled_seconds,omitempty"`
	// KPIs leave tests out; TestKPIs hold only the tests, for reports that
	// include them.
	KPIs         map[KPI]*Agg     `json:"kpis"`
	TestKPIs     map[KPI]*Agg     `json:"test_kpis,omitempty"`
	SLAAck       map[string]int64 `json:"sla_ack,omitempty"`
	SLAResolve   map[string]int64 `json:"sla_resolve,omitempty"`
	Dispositions map[string]int64 `json:"dispositions,omitempty"`
}

func newGroup() *Group {
	return &Group{KPIs: map[KPI]*Agg{}, TestKPIs: map[KPI]*Agg{}, SLAAck: map[string]int64{},
		SLAResolve: map[string]int64{}, Dispositions: map[string]int64{}}
}

func (g *Group) add(f *kpi.Facts) {
	g.Cases++
	kpis := g.KPIs
	if f.Excluded {
		g.Tests++
		kpis = g.TestKPIs
	}
	for _, k := range KPIs {
		a := kpis[k]
		if a == nil {
			a = &Agg{}
			kpis[k] = a
		}
		a.add(k, f)
	}
	if f.Excluded {
		return
	}
	if f.Done {
		g.Done++
	}
	if f.Reopens > 0 {
		g.Reopened++
	}
	if f.Escalated {
		g.Escalated++
	}
	if !f.Ack.IsZero() && !f.Resolve.IsZero() {
		g.Handled++
		g.HandledSeconds += max(0, f.Resolve.Sub(f.Ack).Seconds())
	}
	if f.SLAAck != "" {
		g.SLAAck[string(f.SLAAck)]++
	}
	if f.SLAResolve != "" {
		g.SLAResolve[string(f.SLAResolve)]++
	}
	d := string(f.Disposition)
	if d == "" {
		d = "none"
	}
	g.Dispositions[d]++
}

func (g *Group) merge(o *Group) {
	g.Cases += o.Cases
	g.Tests += o.Tests
	g.Done += o.Done
	g.Reopened += o.Reopened
	g.Escalated += o.Escalated
	g.Handled += o.Handled
	g.HandledSeconds += o.HandledSeconds
	mergeAggs(g.KPIs, o.KPIs)
	mergeAggs(g.TestKPIs, o.TestKPIs)
	for k, v := range o.SLAAck {
		g.SLAAck[k] += v
	}
	for k, v := range o.SLAResolve {
		g.SLAResolve[k] += v
	}
	for k, v := range o.Dispositions {
		g.Dispositions[k] += v
	}
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
	for _, a := range g.KPIs {
		a.freeze()
	}
	for _, a := range g.TestKPIs {
		a.freeze()
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
	Group          string           `json:"group"`
	Cases          int64            `json:"cases"`
	Excluded       int64            `json:"excluded_tests"`
	Done           int64            `json:"done"`
	ReopenRate     float64          `json:"reopen_rate"`     // reopened ÷ done
	EscalationRate float64          `json:"escalation_rate"` // escalated ÷ cases (tests excluded)
	KPIs           []Summary        `json:"kpis"`
	SLAAcknowledge SLAResult        `json:"sla_acknowledge"`
	SLAResolve     SLAResult        `json:"sla_resolve"`
	Dispositions   map[string]int64 `json:"dispositions"`
}

func (g *Group) result(name string, includeTests bool) GroupResult {
	r := GroupResult{Group: name, Cases: g.Cases, Done: g.Done, Dispositions: g.Dispositions,
		SLAAcknowledge: slaResult(g.SLAAck), SLAResolve: slaResult(g.SLAResolve)}
	real := g.Cases - g.Tests
	if !includeTests {
		r.Excluded = g.Tests
	}
	if g.Done > 0 {
		r.ReopenRate = float64(g.Reopened) / float64(g.Done)
	}
	if real > 0 {
		r.EscalationRate = float64(g.Escalated) / float64(real)
	}
	for _, k := range KPIs {
		a := &Agg{}
		if g.KPIs[k] != nil {
			a.merge(g.KPIs[k])
		}
		if includeTests && g.TestKPIs[k] != nil {
			a.merge(g.TestKPIs[k])
		}
		r.KPIs = append(r.KPIs, a.summary(k, r.Excluded))
	}
	return r
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
