package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
)

// engine is the metrics engine the pages and the API compute with: the
// process's report service's, whose day cache every request shares.
func (s *Server) engine() *metrics.Engine { return s.svc.Engine() }

// periodSpan is one period of a trend: its key (as metrics names it) and
// its days.
type periodSpan struct {
	Key      string
	From, To time.Time // To is the day after the last
}

// trendSpans returns the metrics.SeriesPeriods periods of tf ending with
// the one that holds today (the window's last day), aligned to period
// starts so that only the current period is cut short, and the trend's
// window (metrics.SeriesWindow, as the report service resolves it).
func trendSpans(today metrics.Window, tf metrics.Timeframe) ([]periodSpan, metrics.Window) {
	tw := metrics.SeriesWindow(today, tf)
	var spans []periodSpan
	for t := tw.From; t.Before(tw.To); {
		from, to := tf.Bounds(t)
		spans = append(spans, periodSpan{Key: tf.Key(from), From: from, To: to})
		t = to
	}
	return spans, tw
}

// days counts the local days from a to b.
func days(a, b time.Time) int {
	return int(math.Round(b.Sub(a).Hours() / 24))
}

// trend is a performance series with what a chart needs to be honest
// about it: the periods, which of them the data covers only in part, and
// the alert volume per period.
type trend struct {
	TF      metrics.Timeframe
	Spans   []periodSpan
	Results []*metrics.GroupResult // nil: no case created in the period
	Partial map[int]string
	Alerts  []*metrics.RuleReport
}

// Keys are the periods' names ("2026-W42").
func (t *trend) Keys() []string {
	out := make([]string, len(t.Spans))
	for i, sp := range t.Spans {
		out[i] = sp.Key
	}
	return out
}

// Labels are the periods' short names for an axis: "W42", "Oct", "Q4",
// "Dec 6"; the first label and any that starts a new year keep the year.
func (t *trend) Labels() []string {
	out := make([]string, len(t.Spans))
	for i, sp := range t.Spans {
		newYear := i == 0 || sp.From.Year() != t.Spans[i-1].From.Year()
		switch t.TF {
		case metrics.Weekly:
			_, w := sp.From.ISOWeek()
			out[i] = fmt.Sprintf("W%02d", w)
		case metrics.Monthly:
			out[i] = sp.From.Format("Jan")
			if newYear {
				out[i] = sp.From.Format("Jan 2006")
			}
		case metrics.Quarterly:
			out[i] = fmt.Sprintf("Q%d", (int(sp.From.Month())-1)/3+1)
			if newYear {
				out[i] += sp.From.Format(" 2006")
			}
		default:
			out[i] = sp.From.Format("Jan 2")
		}
	}
	return out
}

// buildTrend computes the trend of tf up to today: the performance series,
// the partial periods (the current one, and any before the first day with
// data) and, when alerts is set, each period's alert volume. Periods
// wholly before the first data are left out.
func (s *Server) buildTrend(ctx context.Context, today metrics.Window, tf metrics.Timeframe, includeTests, alerts bool, now time.Time) (*trend, error) {
	spans, tw := trendSpans(today, tf)
	eng := s.engine()
	rep, err := eng.Performance(ctx, metrics.Request{Window: tw, IncludeTests: includeTests, Series: tf, Now: now})
	if err != nil {
		return nil, err
	}
	loc := tw.From.Location()
	first := tw.To
	if vs, err := s.st.RollupVersions(ctx, store.RollupCases, store.DayOf(tw.From, loc), store.DayOf(tw.To.AddDate(0, 0, -1), loc)); err != nil {
		return nil, err
	} else {
		for _, v := range vs {
			d := time.Date(int(v.Day/10000), time.Month(v.Day/100%100), int(v.Day%100), 0, 0, 0, 0, loc)
			if d.Before(first) {
				first = d
			}
		}
	}
	// Leave out periods before the data begins, keeping at least two.
	for len(spans) > 2 && !spans[0].To.After(first) {
		spans = spans[1:]
	}
	t := &trend{TF: tf, Spans: spans, Partial: map[int]string{}}
	byKey := map[string]*metrics.GroupResult{}
	for i := range rep.Series {
		byKey[rep.Series[i].Period] = &rep.Series[i].Result
	}
	for i, sp := range spans {
		t.Results = append(t.Results, byKey[sp.Key])
		total := days(sp.From, sp.To)
		from, to := sp.From, sp.To
		if first.After(from) && first.Before(to) {
			from = first
		}
		switch {
		case now.Before(to) && tf == metrics.Daily:
			t.Partial[i] = "today so far"
		case now.Before(to):
			t.Partial[i] = fmt.Sprintf("in progress, day %d of %d", days(sp.From, today.To), total)
		case from.After(sp.From):
			t.Partial[i] = fmt.Sprintf("data from %s, %d of %d days", from.Format("Jan 2"), days(from, to), total)
		}
	}
	if alerts {
		for _, sp := range spans {
			rr, err := eng.Rules(ctx, metrics.Window{From: sp.From, To: sp.To})
			if err != nil {
				return nil, err
			}
			t.Alerts = append(t.Alerts, rr)
		}
	}
	return t, nil
}

// durationScale picks the unit a duration chart reads best in, from its
// largest value in seconds.
func durationScale(maxSec float64) (div float64, unit string) {
	switch {
	case maxSec < 2*3600:
		return 60, " min"
	case maxSec < 72*3600:
		return 3600, " h"
	}
	return 86400, " d"
}

// durationChart charts one KPI's median per period in its own unit.
func (t *trend) durationChart(id string, k metrics.KPI, title string, font float64, w, h int) Figure {
	vals := make([]float64, len(t.Spans))
	top := 0.0
	for i, r := range t.Results {
		vals[i] = math.NaN()
		if r != nil {
			vals[i] = kpiMedian(*r, k)
		}
		if !math.IsNaN(vals[i]) {
			top = max(top, vals[i])
		}
	}
	div, unit := durationScale(top)
	scaled := make([]float64, len(vals))
	for i, v := range vals {
		scaled[i] = v / div
	}
	c := Chart{ID: id, Title: title + " (median, " + strings.TrimSpace(unit) + ")", Unit: unit, Labels: t.Labels(), Keys: t.Keys(),
		Desc:   "Median " + kpiName(k) + " of the cases created in each period, in " + strings.TrimSpace(unit) + "; gaps are periods with no measured case.",
		Series: []ChartSeries{{Name: "median", Values: scaled}}, Partial: t.Partial, Font: font, Width: w, Height: h}
	return figure(c, "line", func(v float64) string { return humanDuration(v * div) }, "")
}

// slaGoal is the share of cases expected to meet their SLA target: the
// staffing plan's target service level.
func (s *Server) slaGoal() float64 {
	if g := s.cfg.Staffing.TargetServiceLevel; g != nil {
		return *g
	}
	return staffing.DefaultTargetServiceLevel
}

// slaChart charts acknowledge and resolve adherence per period on an axis
// zoomed to the data, with the goal line.
func (t *trend) slaChart(id string, goal float64, font float64, w, h int) Figure {
	ack, res := make([]float64, len(t.Spans)), make([]float64, len(t.Spans))
	for i, r := range t.Results {
		ack[i], res[i] = math.NaN(), math.NaN()
		if r != nil {
			ack[i], res[i] = 100*slaShare(r.SLAAcknowledge), 100*slaShare(r.SLAResolve)
		}
	}
	g := 100 * goal
	c := Chart{ID: id, Title: "SLA adherence (met ÷ met + breached)", Unit: "%", Labels: t.Labels(), Keys: t.Keys(), Zoom: true, Max: 100,
		Desc:   fmt.Sprintf("Share of the cases created in each period that met their acknowledge and resolve targets, against the %.0f %% goal; the axis starts near the lowest value.", g),
		Series: []ChartSeries{{Name: "acknowledge", Values: ack}, {Name: "resolve", Values: res}}, Goal: &g,
		GoalLabel: fmt.Sprintf("goal %.0f %%", g), Partial: t.Partial, Font: font, Width: w, Height: h}
	return figure(c, "line", func(v float64) string { return fmt.Sprintf("%.1f %%", v) },
		fmt.Sprintf("Zoomed axis: it does not start at 0 %%. Goal %.0f %%: the staffing plan's target service level.", g))
}

// casesChart charts the cases created per period.
func (t *trend) casesChart(id string, font float64, w, h int) Figure {
	vals := make([]float64, len(t.Spans))
	for i, r := range t.Results {
		if r != nil {
			vals[i] = float64(r.Cases)
		}
	}
	c := Chart{ID: id, Title: "Cases created", Labels: t.Labels(), Keys: t.Keys(), Desc: "Cases created in each period, tests and drills included.",
		Series: []ChartSeries{{Name: "cases", Values: vals}}, Partial: t.Partial, Font: font, Width: w, Height: h}
	return figure(c, "bar", func(v float64) string { return decimal(v, 0) }, "")
}

// Severity colours, low to critical.
var severityColors = []string{"#8b949e", "#2f81f7", "#e3a008", "#f0883e", "#d73a49"}

// alertCharts chart the alert volume per period by severity and by
// source, stacked.
func (t *trend) alertCharts(idPrefix string, font float64, w, h int) []Figure {
	if len(t.Alerts) != len(t.Spans) {
		return nil
	}
	var sevNames []string
	var sevColors []string
	for sev := model.SeverityInformational; sev <= model.SeverityCritical; sev++ {
		sevNames = append(sevNames, sev.String())
		sevColors = append(sevColors, severityColors[int(sev-model.SeverityInformational)%len(severityColors)])
	}
	sources := map[string]int64{}
	unknown := false
	for _, a := range t.Alerts {
		for src, n := range a.BySource {
			sources[src] += n
		}
		if a.BySeverity["unknown"] > 0 {
			unknown = true
		}
	}
	if unknown {
		sevNames = append([]string{"unknown"}, sevNames...)
		sevColors = append([]string{"#6e7681"}, sevColors...)
	}
	srcNames := make([]string, 0, len(sources))
	for src := range sources {
		srcNames = append(srcNames, src)
	}
	sort.Slice(srcNames, func(i, j int) bool {
		if sources[srcNames[i]] != sources[srcNames[j]] {
			return sources[srcNames[i]] > sources[srcNames[j]]
		}
		return srcNames[i] < srcNames[j]
	})
	series := func(names []string, pick func(*metrics.RuleReport, string) int64) []ChartSeries {
		var out []ChartSeries
		for _, n := range names {
			vals := make([]float64, len(t.Alerts))
			for i, a := range t.Alerts {
				vals[i] = float64(pick(a, n))
			}
			out = append(out, ChartSeries{Name: n, Values: vals})
		}
		return out
	}
	count := func(v float64) string { return decimal(v, 0) }
	bySev := Chart{ID: idPrefix + "-sev", Title: "Alert volume by severity", Labels: t.Labels(), Keys: t.Keys(), Stacked: true, Colors: sevColors,
		Desc:   "Alerts created in each period, stacked by severity.",
		Series: series(sevNames, func(a *metrics.RuleReport, n string) int64 { return a.BySeverity[n] }), Partial: t.Partial, Font: font, Width: w, Height: h}
	bySrc := Chart{ID: idPrefix + "-src", Title: "Alert volume by source", Labels: t.Labels(), Keys: t.Keys(), Stacked: true,
		Desc:   "Alerts created in each period, stacked by the system that raised them.",
		Series: series(srcNames, func(a *metrics.RuleReport, n string) int64 { return a.BySource[n] }), Partial: t.Partial, Font: font, Width: w, Height: h}
	return []Figure{figure(bySev, "bar", count, ""), figure(bySrc, "bar", count, "")}
}

// groupRow is one group's line of the group-by table.
type groupRow struct {
	Group              string
	Cases, Done        string
	MTTA, MTTR         string
	SLAAck, SLAResolve slaView
	Reopen, Escalation string
	cases              int64
	mtta, mttr         float64
}

func groupRowOf(g metrics.GroupResult) groupRow {
	r := groupRow{Group: g.Group, Cases: thousands(g.Cases), Done: thousands(g.Done), cases: g.Cases,
		MTTA: kpiRowOf(g, metrics.MTTA).Median, MTTR: kpiRowOf(g, metrics.MTTR).Median,
		mtta: kpiMedian(g, metrics.MTTA), mttr: kpiMedian(g, metrics.MTTR),
		SLAAck: slaRow(g.SLAAcknowledge), SLAResolve: slaRow(g.SLAResolve), Reopen: noData, Escalation: noData}
	if g.Done > 0 {
		r.Reopen = percent(nan(g.ReopenRate))
	}
	if g.Cases-g.Excluded > 0 {
		r.Escalation = percent(nan(g.EscalationRate))
	}
	return r
}

// kpiRowOf is the KPI's row of a group, an empty one when it is absent.
func kpiRowOf(g metrics.GroupResult, k metrics.KPI) kpiView {
	for _, s := range g.KPIs {
		if s.KPI == k {
			return kpiRow(s)
		}
	}
	return kpiRow(metrics.Summary{KPI: k})
}

// maxGroups is how many groups the group-by table and charts show, the
// largest by cases (priorities always all, in order).
const maxGroups = 15

// performanceData is the metrics view.
type performanceData struct {
	Report     *metrics.Report
	All        metrics.GroupResult
	KPIs       []kpiView
	SLAAck     slaView
	SLAResolve slaView
	Reopen     string
	Escalation string
	Timeframe  string
	Timeframes []metrics.Timeframe
	GroupBy    string
	GroupBys   []string
	Tests      bool
	Groups     shown[groupRow]
	GroupFigs  []Figure
	Figures    []Figure
}

func (s *Server) performancePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("timeframe") == "" {
		q.Set("timeframe", "weekly")
	}
	v := s.newView(w, r, "performance", "SOC performance")
	d, err := s.performanceView(r.Context(), q, v.Kiosk)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Data = d
	s.render(w, http.StatusOK, "performance", v)
}

func (s *Server) performanceView(ctx context.Context, q url.Values, kiosk bool) (*performanceData, error) {
	win, tf, err := s.window(ctx, q)
	if err != nil {
		return nil, badRequest{err}
	}
	tests, err := boolParam(q, "include_tests")
	if err != nil {
		return nil, badRequest{err}
	}
	groupBy := q.Get("group_by")
	if groupBy != "" && !metrics.ValidGroupBy(groupBy) {
		return nil, badRequest{fmt.Errorf("group_by: want one of %s", strings.Join(metrics.GroupBys, ", "))}
	}
	// The report service resolves the same window as s.window, and adds
	// what the report stands on (data freshness, policies, warnings).
	rep, err := s.svc.Performance(ctx, metrics.PerformanceQuery{WindowQuery: windowQuery(q), IncludeTests: tests})
	if err != nil {
		return nil, err
	}
	d := &performanceData{Report: rep, Timeframe: string(tf), Timeframes: metrics.Timeframes, GroupBy: groupBy, GroupBys: metrics.GroupBys, Tests: tests}
	if len(rep.Groups) > 0 {
		d.All = rep.Groups[0]
	}
	for _, k := range d.All.KPIs {
		d.KPIs = append(d.KPIs, kpiRow(k))
	}
	d.SLAAck, d.SLAResolve = slaRow(d.All.SLAAcknowledge), slaRow(d.All.SLAResolve)
	d.Reopen, d.Escalation = noData, noData
	if d.All.Done > 0 {
		d.Reopen = percent(nan(d.All.ReopenRate))
	}
	if d.All.Cases-d.All.Excluded > 0 {
		d.Escalation = percent(nan(d.All.EscalationRate))
	}
	font, cw, ch := 13.0, 560, 280
	if kiosk {
		font, cw, ch = 19, 600, 390
	}
	t, err := s.buildTrend(ctx, win, tf, tests, true, s.now())
	if err != nil {
		return nil, err
	}
	d.Figures = append(d.Figures,
		t.durationChart("mtta", metrics.MTTA, "Time to acknowledge", font, cw, ch),
		t.durationChart("mttr", metrics.MTTR, "Time to resolve", font, cw, ch),
		t.slaChart("sla", s.slaGoal(), font, cw, ch),
		t.casesChart("cases", font, cw, ch))
	d.Figures = append(d.Figures, t.alertCharts("alerts", font, cw, ch)...)
	// The wall has room for five beside the KPIs: all but the alerts by
	// source.
	for i := range d.Figures {
		d.Figures[i].Wall = i != 5
	}
	if groupBy != "" && !kiosk {
		grep, err := s.svc.Performance(ctx, metrics.PerformanceQuery{WindowQuery: windowQuery(q), IncludeTests: tests, GroupBy: groupBy})
		if err != nil {
			return nil, err
		}
		var rows []groupRow
		for _, g := range grep.Groups {
			rows = append(rows, groupRowOf(g))
		}
		if groupBy != metrics.ByPriority {
			sort.SliceStable(rows, func(i, j int) bool { return rows[i].cases > rows[j].cases })
		}
		d.Groups = head(rows, maxGroups)
		d.GroupFigs = groupFigures(groupBy, d.Groups.Items)
	}
	return d, nil
}

// groupFigures compare the groups' median MTTA and MTTR as bars, each on
// its own axis and unit.
func groupFigures(by string, rows []groupRow) []Figure {
	var labels []string
	mtta, mttr := make([]float64, len(rows)), make([]float64, len(rows))
	topA, topR := 0.0, 0.0
	for i, r := range rows {
		labels = append(labels, r.Group)
		mtta[i], mttr[i] = r.mtta, r.mttr
		if !math.IsNaN(r.mtta) {
			topA = max(topA, r.mtta)
		}
		if !math.IsNaN(r.mttr) {
			topR = max(topR, r.mttr)
		}
	}
	mk := func(id, title string, vals []float64, top float64) Figure {
		div, unit := durationScale(top)
		sc := make([]float64, len(vals))
		for i, v := range vals {
			sc[i] = v / div
		}
		c := Chart{ID: id, Title: title + " by " + by + " (median, " + strings.TrimSpace(unit) + ")", Unit: unit, Labels: labels,
			Desc: title + " median of each " + by + "'s cases in the window.", Series: []ChartSeries{{Name: "median", Values: sc}}}
		return figure(c, "bar", func(v float64) string { return humanDuration(v * div) }, "")
	}
	return []Figure{mk("group-mtta", "Time to acknowledge", mtta, topA), mk("group-mttr", "Time to resolve", mttr, topR)}
}

// slaCount is one cell of the SLA page's count matrix.
type slaCountRow struct {
	Priority                                       string
	AckBreached, AckAtRisk, ResBreached, ResAtRisk int
}

// slaData is the SLA view: every clock past its target or close to it.
type slaData struct {
	D        *metrics.Dashboard
	Counts   []slaCountRow
	Breached shown[metrics.SLAItem]
	AtRisk   shown[metrics.SLAItem]
	Figure   *Figure
	Goal     float64
}

// Rows the SLA page lists: all of them up to a bound; the wall screen as
// many as fit.
const (
	slaPageRows  = 200
	kioskSLARows = 14
)

func (s *Server) slaPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(w, r, "sla", "SLA clocks")
	d, err := s.dashboard(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	n := slaPageRows
	if v.Kiosk {
		n = kioskSLARows
	}
	sd := slaData{D: d, Breached: head(d.Breached, n), AtRisk: head(d.AtRisk, n), Goal: s.slaGoal()}
	sum := slaSummary(d)
	for _, pr := range model.Priorities {
		p := pr.String()
		sd.Counts = append(sd.Counts, slaCountRow{Priority: p,
			AckBreached: sum.Counts["breached"]["acknowledge"][p], AckAtRisk: sum.Counts["at_risk"]["acknowledge"][p],
			ResBreached: sum.Counts["breached"]["resolve"][p], ResAtRisk: sum.Counts["at_risk"]["resolve"][p]})
	}
	win, tf, err := s.window(r.Context(), url.Values{"timeframe": {"weekly"}})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	t, err := s.buildTrend(r.Context(), win, tf, false, false, s.now())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	font, cw, ch := 13.0, 560, 280
	if v.Kiosk {
		font, cw, ch = 19, 600, 390
	}
	f := t.slaChart("sla-weekly", sd.Goal, font, cw, ch)
	f.Title = "SLA adherence by week of creation"
	sd.Figure = &f
	v.Data = sd
	s.render(w, http.StatusOK, "sla", v)
}
