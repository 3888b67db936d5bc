package report

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// OperationsQuery asks for an operations review: the last week (ending
// today or with the day of the newest data), or explicit first and last
// days (YYYY-MM-DD, organisation time zone), both or neither.
type OperationsQuery struct {
	From, To string
}

// GroupFigures are one group's figures in a window, as "metrics soc
// --performance --group-by" gives them. Group is untrusted text (a team or
// analyst name from the source).
type GroupFigures struct {
	Group string `json:"group"`
	Cases int64  `json:"cases"`
	Done  int64  `json:"done"`
	// MTTA and MTTR are medians in seconds, null without data.
	MTTA           *float64          `json:"mtta_median_seconds"`
	MTTR           *float64          `json:"mttr_median_seconds"`
	SLAAcknowledge metrics.SLAResult `json:"sla_acknowledge"`
	SLAResolve     metrics.SLAResult `json:"sla_resolve"`
}

// AnalystFigures are an analyst's figures in the window beside their open
// work now (the dashboard's).
type AnalystFigures struct {
	GroupFigures
	Name     string `json:"name"`
	Tier     string `json:"tier"`
	Open     int    `json:"open_now"`
	Critical int    `json:"open_critical_now"`
}

// Operations is the SOC lead's weekly operations review: the window's
// figures beside the previous window's, per team and per analyst, with the
// open work now.
type Operations struct {
	Title    string `json:"title"`
	From     string `json:"from"`
	To       string `json:"to"`
	Previous string `json:"previous_window"`
	// DataSince is the first day of data when it falls inside the previous
	// window ("" when the data covers it all).
	DataSince string `json:"data_since,omitempty"`
	// PreviousTo is the previous window\'s last day.
	PreviousTo  string        `json:"previous_to,omitempty"`
	TimeZone    string        `json:"time_zone"`
	GeneratedAt time.Time     `json:"generated_at"`
	Now         time.Time     `json:"now"`
	Basis       metrics.Basis `json:"basis"`
	// All and PreviousAll are every case's figures in the window and the
	// one before it (PreviousAll null when there is none).
	All               GroupFigures  `json:"all"`
	PreviousAll       *GroupFigures `json:"previous"`
	Alerts            int64         `json:"alerts"`
	FalsePositiveRate *float64      `json:"false_positive_rate"`
	// Open, Breached and AtRisk are the open work now (the dashboard's).
	Open     int              `json:"open_now"`
	Breached int              `json:"sla_breached_now"`
	AtRisk   int              `json:"sla_at_risk_now"`
	Teams    []GroupFigures   `json:"teams"`
	Analysts []AnalystFigures `json:"analysts"`
	Sources  []string         `json:"sources"`
}

// figuresOf is a group's figures.
func figuresOf(g *metrics.GroupResult) GroupFigures {
	f := GroupFigures{Group: g.Group, Cases: g.Cases, Done: g.Done, SLAAcknowledge: g.SLAAcknowledge, SLAResolve: g.SLAResolve}
	if k := kpiOf(g, metrics.MTTA); k != nil {
		f.MTTA = k.Median
	}
	if k := kpiOf(g, metrics.MTTR); k != nil {
		f.MTTR = k.Median
	}
	return f
}

// Operations builds the weekly operations review.
func (s Sources) Operations(ctx context.Context, q OperationsQuery) (*Operations, error) {
	wq := metrics.WindowQuery{Timeframe: string(metrics.Weekly), From: q.From, To: q.To}
	perf, err := s.Metrics.Performance(ctx, metrics.PerformanceQuery{WindowQuery: wq, Trend: true})
	if err != nil {
		return nil, fmt.Errorf("operations review: KPIs: %w", err)
	}
	win := metrics.WindowQuery{From: perf.From, To: perf.To}
	rules, err := s.Metrics.Rules(ctx, metrics.RulesQuery{WindowQuery: win})
	if err != nil {
		return nil, fmt.Errorf("operations review: alerts: %w", err)
	}
	dash, err := s.Metrics.Dashboard(ctx)
	if err != nil {
		return nil, fmt.Errorf("operations review: the live queue: %w", err)
	}
	o := &Operations{Title: "Weekly operations review", From: perf.From, To: perf.To, TimeZone: perf.TimeZone, GeneratedAt: s.Metrics.Now(),
		Now: dash.Now, Basis: perf.Basis, All: figuresOf(group(perf)), Alerts: rules.Alerts, FalsePositiveRate: rules.FalsePositiveRate,
		Open: dash.Open, Breached: len(dash.Breached), AtRisk: len(dash.AtRisk), Teams: []GroupFigures{}, Analysts: []AnalystFigures{},
		Sources: []string{"watchfloor metrics soc --performance --from FROM --to TO [--group-by team|analyst] -o json: cases, done, kpis[mtta|mttr].median_seconds, sla_acknowledge, sla_resolve",
			"watchfloor metrics rules --noisy --from FROM --to TO -o json: alerts, false_positive_rate",
			"watchfloor monitor operations --soc-dashboard -o json: open, sla_breached, sla_at_risk, analysts"}}
	if perf.Previous != nil {
		o.Previous, o.PreviousTo = perf.Previous.From+" to "+perf.Previous.To, perf.Previous.To
		p := figuresOf(group(perf.Previous))
		o.PreviousAll = &p
		if o.DataSince, err = s.firstDay(ctx, perf); err != nil {
			return nil, err
		}
	}
	byTeam, err := s.Metrics.Performance(ctx, metrics.PerformanceQuery{WindowQuery: win, GroupBy: metrics.ByTeam})
	if err != nil {
		return nil, fmt.Errorf("operations review: by team: %w", err)
	}
	for i := range byTeam.Groups {
		o.Teams = append(o.Teams, figuresOf(&byTeam.Groups[i]))
	}
	// The busiest teams first; cases without a team last.
	sort.SliceStable(o.Teams, func(i, j int) bool {
		a, b := o.Teams[i], o.Teams[j]
		if (a.Group == noGroup) != (b.Group == noGroup) {
			return b.Group == noGroup
		}
		if a.Cases != b.Cases {
			return a.Cases > b.Cases
		}
		return a.Group < b.Group
	})
	byAnalyst, err := s.Metrics.Performance(ctx, metrics.PerformanceQuery{WindowQuery: win, GroupBy: metrics.ByAnalyst})
	if err != nil {
		return nil, fmt.Errorf("operations review: by analyst: %w", err)
	}
	load := map[string]metrics.AnalystLoad{}
	for _, a := range dash.Analysts {
		load[a.Analyst] = a
	}
	seen := map[string]bool{}
	for i := range byAnalyst.Groups {
		g := figuresOf(&byAnalyst.Groups[i])
		l := load[g.Group]
		seen[g.Group] = true
		o.Analysts = append(o.Analysts, AnalystFigures{GroupFigures: g, Name: l.Name, Tier: l.Tier, Open: l.Open, Critical: l.Critical})
	}
	// Analysts with open work now but no case in the window still carry load.
	for _, a := range dash.Analysts {
		if !seen[a.Analyst] && a.Open > 0 {
			o.Analysts = append(o.Analysts, AnalystFigures{GroupFigures: GroupFigures{Group: a.Analyst}, Name: a.Name, Tier: a.Tier, Open: a.Open, Critical: a.Critical})
		}
	}
	return o, nil
}

// Render writes the review in a format (md, html, pdf, or json: the data).
func (o *Operations) Render(w io.Writer, format string) error {
	return renderDocument(w, format, o.Document(), o)
}

// groupColumns name the per-group tables' columns.
var groupColumns = []string{"Cases", "Done", "MTTA (median)", "MTTR (median)", "Acknowledge SLA", "Resolve SLA", "Breaches"}

func groupCells(g GroupFigures) []string {
	if g.Cases == 0 {
		// An analyst with open work but no case created in the window: the
		// window has no figures of theirs, not zeros.
		return []string{"—", "—", NoData, NoData, NoData, NoData, "—"}
	}
	breaches := thousands(g.SLAAcknowledge.Breached + g.SLAResolve.Breached)
	if g.SLAAcknowledge.Adherence == nil && g.SLAResolve.Adherence == nil && breaches == "0" {
		breaches = NoData // no clock was judged: no SLA policy, or none of its cases had a target
	}
	return []string{thousands(g.Cases), thousands(g.Done), Value(UnitSeconds, g.MTTA), Value(UnitSeconds, g.MTTR),
		Value(UnitRatio, g.SLAAcknowledge.Adherence), Value(UnitRatio, g.SLAResolve.Adherence), breaches}
}

// Document lays the review out for the renderers.
func (o *Operations) Document() *Document {
	window := fmt.Sprintf("%s to %s (%s)", o.From, o.To, o.TimeZone)
	if o.Previous != "" {
		window += "; compared with " + o.Previous
		if o.DataSince != "" {
			window += " (" + baselineNote(o.DataSince, o.PreviousTo) + ")"
		}
	}
	d := &Document{Title: o.Title, Window: window, GeneratedAt: o.GeneratedAt,
		Meta: []string{fmt.Sprintf("Generated %s; open work and SLA clocks as of %s; data through %s.", stamp(o.GeneratedAt), stamp(o.Now), stamp(o.Basis.DataThrough))}}
	if len(o.Basis.SLAPolicies) > 0 {
		d.Meta = append(d.Meta, "SLA policy: "+strings.Join(o.Basis.SLAPolicies, "; "))
	}
	for _, w := range o.Basis.Warnings {
		d.Meta = append(d.Meta, "Warning: "+w)
	}
	sum := Part{Heading: "The week"}
	if o.All.Cases == 0 && o.Alerts == 0 {
		sum.Absent = "No case and no alert was created in this period."
	} else {
		t := Table{Columns: []string{"Measure", "This period", "Previous period"}}
		prev := func(f func(g GroupFigures) string) string {
			if o.PreviousAll == nil {
				return "—"
			}
			return f(*o.PreviousAll)
		}
		for _, r := range []struct {
			name string
			f    func(g GroupFigures) string
		}{
			{"Cases opened", func(g GroupFigures) string { return thousands(g.Cases) }},
			{"Cases done", func(g GroupFigures) string { return thousands(g.Done) }},
			{"MTTA (median)", func(g GroupFigures) string { return Value(UnitSeconds, g.MTTA) }},
			{"MTTR (median)", func(g GroupFigures) string { return Value(UnitSeconds, g.MTTR) }},
			{"SLA adherence, acknowledge", func(g GroupFigures) string { return Value(UnitRatio, g.SLAAcknowledge.Adherence) }},
			{"SLA adherence, resolve", func(g GroupFigures) string { return Value(UnitRatio, g.SLAResolve.Adherence) }},
		} {
			t.Rows = append(t.Rows, []string{r.name, r.f(o.All), prev(r.f)})
		}
		sum.Lines = []string{fmt.Sprintf("%s; false-positive rate %s.", count(o.Alerts, "alert"), Value(UnitRatio, o.FalsePositiveRate))}
		if o.Alerts == 0 {
			sum.Lines = []string{"No alert was created in this period."}
		}
		sum.Tables = []Table{t}
	}
	now := Part{Heading: "Open work now", Lines: []string{fmt.Sprintf("%s open; %s past an SLA target, %s at risk.", count(int64(o.Open), "case"),
		count(int64(o.Breached), "clock"), thousands(int64(o.AtRisk)))}}
	if o.Open == 0 {
		now = Part{Heading: "Open work now", Absent: "No case is open now."}
	}
	teams := Part{Heading: "By team"}
	if len(o.Teams) == 0 || o.All.Cases == 0 {
		teams.Absent = "No team data: no case was created in this period."
	} else {
		t := Table{Columns: append([]string{"Team"}, groupColumns...)}
		for _, g := range o.Teams {
			name := g.Group
			if name == noGroup {
				name = "No team"
			}
			t.Rows = append(t.Rows, append([]string{name}, groupCells(g)...))
		}
		teams.Tables = []Table{t}
	}
	analysts := Part{Heading: "By analyst (workload)"}
	if len(o.Analysts) == 0 {
		analysts.Absent = "No analyst data: no case was created in this period and none is open."
	} else {
		t := Table{Columns: append(append([]string{"Analyst", "Name", "Tier"}, groupColumns...), "Open now", "Open P1/P2 now")}
		for _, a := range o.Analysts {
			id, name := a.Group, orDash(a.Name)
			if id == noGroup {
				id, name = "Unassigned", "cases without an owner"
			}
			row := append([]string{id, name, orDash(a.Tier)}, groupCells(a.GroupFigures)...)
			t.Rows = append(t.Rows, append(row, thousands(int64(a.Open)), thousands(int64(a.Critical))))
		}
		analysts.Tables = []Table{t}
	}
	d.Parts = []Part{sum, now, teams, analysts, {Heading: "Sources", Lines: o.Sources, Code: true}}
	return d
}

// noGroup is the metrics engine's label of the cases without a value of
// the grouping (no owner, no team).
const noGroup = "(none)"
