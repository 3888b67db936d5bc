package web

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// TestCharts: text is escaped, gaps break lines, every chart names its
// title and description for screen readers, and nothing uses inline
// style (the CSP forbids it).
func TestCharts(t *testing.T) {
	c := Chart{ID: "x", Title: `MTTR <script>x</script>`, Desc: `d<b>`, Unit: "h", Labels: []string{"W1", "W2", "W3", "W4"},
		Series: []ChartSeries{{Name: `a"b`, Values: []float64{1, math.NaN(), 3, 4}}}}
	svg := string(LineChart(c))
	if strings.Contains(svg, "<script>") || strings.Contains(svg, "<b>") || !strings.Contains(svg, "MTTR &lt;script&gt;") || !strings.Contains(svg, `a&#34;b`) {
		t.Errorf("chart text not escaped: %s", svg)
	}
	if !strings.Contains(svg, `aria-labelledby="x-title x-desc"`) || !strings.Contains(svg, `<title id="x-title">`) || !strings.Contains(svg, `<desc id="x-desc">d&lt;b&gt;</desc>`) {
		t.Errorf("title and description not referenced: %s", svg)
	}
	// The NaN breaks the line into two runs; the axis tops out at 4.
	if got := regexp.MustCompile(`<path d="([^"]*)"`).FindStringSubmatch(svg)[1]; strings.Count(got, "M") != 2 || strings.Count(got, "L") != 1 {
		t.Errorf("path %q, want two runs", got)
	}
	if !strings.Contains(svg, `>4h</text>`) || strings.Count(svg, "<circle") != 3 || strings.Contains(svg, "style=") {
		t.Errorf("axis, points or inline style wrong: %s", svg)
	}
	// The first and last x labels are anchored inwards, so neither is
	// clipped by the plot's edge.
	if !strings.Contains(svg, `text-anchor="start">W1</text>`) || !strings.Contains(svg, `text-anchor="end">W4</text>`) {
		t.Errorf("edge labels not anchored inwards: %s", svg)
	}
	bars := string(BarChart(Chart{Title: "n", Labels: []string{"a", "b"}, Series: []ChartSeries{{Name: "n", Values: []float64{2, 0}}}}))
	if strings.Count(bars, "<rect") != 1 { // one bar, no legend for one plain series
		t.Errorf("bar chart: %s", bars)
	}
	if !strings.HasPrefix(bars, `<svg xmlns="http://www.w3.org/2000/svg"`) || !strings.HasSuffix(bars, "</svg>") {
		t.Error("not a standalone SVG document")
	}
}

// TestChartAxis pins the value axis: from zero by default; zoomed near
// the data (and the goal) for adherence, capped at 100 %.
func TestChartAxis(t *testing.T) {
	g := 90.0
	for _, tc := range []struct {
		name         string
		c            Chart
		lo, hi, step float64
	}{
		{"from zero", Chart{Series: []ChartSeries{{Values: []float64{3.1, 5.9, 2.6}}}}, 0, 6, 2},
		{"sla zoomed with goal", Chart{Zoom: true, Max: 100, Goal: &g, Series: []ChartSeries{{Values: []float64{94.2, 93.8, 99}}, {Values: []float64{98.9, math.NaN()}}}}, 85, 100, 5},
		{"sla near 100", Chart{Zoom: true, Max: 100, Series: []ChartSeries{{Values: []float64{99.1, 99.7, 100}}}}, 98, 100, 0.5},
		{"stacked", Chart{Stacked: true, Labels: []string{"a", "b"}, Series: []ChartSeries{{Values: []float64{10, 20}}, {Values: []float64{15, 12}}}}, 0, 40, 10},
		{"no data", Chart{Series: []ChartSeries{{Values: []float64{math.NaN()}}}}, 0, 1, 0.25},
	} {
		lo, hi, step := tc.c.axis()
		if lo != tc.lo || hi != tc.hi || step != tc.step {
			t.Errorf("%s: axis %g…%g step %g, want %g…%g step %g", tc.name, lo, hi, step, tc.lo, tc.hi, tc.step)
		}
	}
}

// TestChartPartialAndGoal: a partial period is hatched and labelled, its
// note in the tooltip, caption and table; the goal is a dashed line in
// the legend.
func TestChartPartialAndGoal(t *testing.T) {
	g := 90.0
	c := Chart{ID: "s", Title: "SLA", Unit: "%", Labels: []string{"W47", "W48"}, Keys: []string{"2026-W47", "2026-W48"}, Zoom: true, Max: 100,
		Goal: &g, GoalLabel: "goal 90 %", Partial: map[int]string{1: "in progress, day 3 of 7"},
		Series: []ChartSeries{{Name: "acknowledge", Values: []float64{97, 95}}}}
	f := figure(c, "line", func(v float64) string { return decimal(v, 1) }, "Zoomed axis.")
	svg := string(f.SVG)
	for _, want := range []string{`<title>2026-W48 partial period: in progress, day 3 of 7</title>`, `fill="url(#s-hatch)"`, `>partial</text>`,
		`stroke-dasharray="6 4"`, `>goal 90 %</text>`} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q: %s", want, svg)
		}
	}
	if f.Note != "Hatched, partial period: 2026-W48: in progress, day 3 of 7. Zoomed axis." {
		t.Errorf("caption %q", f.Note)
	}
	if len(f.Rows) != 2 || f.Rows[1][0] != "2026-W48 (partial: in progress, day 3 of 7)" || f.Rows[1][1] != "95.0" || f.Columns[1] != "acknowledge" {
		t.Errorf("table fallback %v %v", f.Columns, f.Rows)
	}
}

// TestTrendSpans: a trend's periods start on period boundaries, so only
// the current one is cut short.
func TestTrendSpans(t *testing.T) {
	loc := time.UTC
	today := metrics.WindowEnding(time.Date(2026, 12, 3, 15, 0, 0, 0, loc), 7, loc) // a Thursday
	for _, tc := range []struct {
		tf          metrics.Timeframe
		first, last string
		from        string
	}{
		{metrics.Weekly, "2026-W42", "2026-W49", "2026-10-12"},
		{metrics.Monthly, "2026-05", "2026-12", "2026-05-01"},
		{metrics.Quarterly, "2025-Q1", "2026-Q4", "2025-01-01"},
		{metrics.Daily, "2026-11-26", "2026-12-03", "2026-11-26"},
	} {
		spans, w := trendSpans(today, tc.tf)
		if len(spans) != 8 || spans[0].Key != tc.first || spans[7].Key != tc.last || w.From.Format("2006-01-02") != tc.from || !w.To.Equal(today.To) {
			t.Errorf("%s: %d spans %s…%s from %s", tc.tf, len(spans), spans[0].Key, spans[len(spans)-1].Key, w.From.Format("2006-01-02"))
		}
	}
}

// TestDurationScale: minutes under two hours, hours under three days,
// then days, so MTTA and MTTR each read in their own unit.
func TestDurationScale(t *testing.T) {
	for _, tc := range []struct {
		max  float64
		div  float64
		unit string
	}{{350, 60, " min"}, {7199, 60, " min"}, {7200, 3600, " h"}, {30 * 3600, 3600, " h"}, {80 * 3600, 86400, " d"}} {
		if div, unit := durationScale(tc.max); div != tc.div || unit != tc.unit {
			t.Errorf("durationScale(%g) = %g %q, want %g %q", tc.max, div, unit, tc.div, tc.unit)
		}
	}
}

func TestFormatting(t *testing.T) {
	hour, quarter := 3600.0, 0.25
	for _, tc := range []struct{ got, want string }{
		{thousands(28114), "28,114"}, {thousands(-1234567), "-1,234,567"}, {thousands(999), "999"}, {thousands(0), "0"},
		{decimal(1234.56, 1), "1,234.6"}, {decimal(-0.04, 1), "0.0"}, {decimal(math.NaN(), 1), "—"},
		{percent(0.934), "93.4 %"}, {percent(math.NaN()), "—"},
		{humanDuration(40), "40s"}, {humanDuration(12 * 60), "12m"}, {humanDuration(24 * 3600), "24h"}, {humanDuration(2*3600 + 5*60), "2h 05m"},
		{humanDuration(7 * 86400), "7d"}, {humanDuration(2*86400 + 12*3600), "2d 12h"}, {humanDuration(math.NaN()), "—"},
		{kpiRow(metrics.Summary{KPI: metrics.MTTR}).Median, "—"}, {kpiRow(metrics.Summary{KPI: metrics.MTTR, Count: 2, Median: &hour}).Median, "1h"},
		{kpiName(metrics.MTTRLast), "Time to resolve, last close"},
		{slaRow(metrics.SLAResult{Open: 4}).Adherence, "—"}, {slaRow(metrics.SLAResult{Met: 1, Breached: 3, Adherence: &quarter}).Adherence, "25.0 %"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
