package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Chart kinds.
const (
	ChartBar  = "bar"
	ChartLine = "line"
)

// Chart is a trend chart's data, drawn as inline SVG in HTML and as vector
// graphics in PDF. A nil value is a period without data: no bar, a gap in
// the line.
type Chart struct {
	Title string
	Kind  string
	Unit  string // UnitSeconds (drawn in Per seconds), UnitRatio (in %) or UnitCount
	// Per is the seconds one axis unit of a UnitSeconds chart stands for
	// (3600 for hours, 60 for minutes; 0 is hours).
	Per    float64
	Labels []string
	Series []ChartSeries
	// Target, when set, is drawn as a dashed line.
	Target *float64
}

// ChartSeries is one bar or line series.
type ChartSeries struct {
	Name   string
	Values []*float64
}

// chartColors colour series in order.
var chartColors = []string{"#2f6fdb", "#d48806", "#1f9d55", "#c0392b"}

// Charts are the report's trend charts, from its trend points.
func (e *Executive) Charts() []Chart {
	if len(e.Trend) == 0 {
		return nil
	}
	var labels []string
	var cases, alerts, mttr, mtta, sla []*float64
	for _, p := range e.Trend {
		l := p.Period
		if p.Partial {
			l += "*"
		}
		labels = append(labels, l)
		if p.Cases > 0 || p.Alerts > 0 {
			cases, alerts = append(cases, fptr(float64(p.Cases))), append(alerts, fptr(float64(p.Alerts)))
		} else {
			cases, alerts = append(cases, nil), append(alerts, nil)
		}
		mttr, mtta, sla = append(mttr, p.MTTR), append(mtta, p.MTTA), append(sla, p.SLAResolve)
	}
	var target *float64
	if f := e.figure("sla_resolve"); f != nil {
		target = f.Target
	}
	rName, rPer := durationAxis(mttr)
	aName, aPer := durationAxis(mtta)
	return []Chart{
		{Title: "Cases opened per period", Kind: ChartBar, Unit: UnitCount, Labels: labels, Series: []ChartSeries{{"cases", cases}}},
		{Title: "Alerts per period", Kind: ChartBar, Unit: UnitCount, Labels: labels, Series: []ChartSeries{{"alerts", alerts}}},
		{Title: "Median time to resolve (" + rName + ")", Kind: ChartLine, Unit: UnitSeconds, Per: rPer, Labels: labels,
			Series: []ChartSeries{{"MTTR median", mttr}}},
		{Title: "Median time to acknowledge (" + aName + ")", Kind: ChartLine, Unit: UnitSeconds, Per: aPer, Labels: labels,
			Series: []ChartSeries{{"MTTA median", mtta}}},
		{Title: "Resolution SLA adherence (%)", Kind: ChartLine, Unit: UnitRatio, Labels: labels, Series: []ChartSeries{{"resolve adherence", sla}}, Target: target},
	}
}

// durationAxis is the unit a duration series is drawn in: hours when its
// largest value is 2 hours or more, else minutes, so that minutes to
// acknowledge do not lie flat at 0 on an hours scale.
func durationAxis(vs []*float64) (string, float64) {
	var top float64
	for _, v := range vs {
		if v != nil {
			top = max(top, *v)
		}
	}
	if top >= 2*3600 {
		return "hours", 3600
	}
	return "minutes", 60
}

// scale converts a value to the chart's axis unit.
func (c Chart) scale(v float64) float64 {
	switch c.Unit {
	case UnitSeconds:
		if c.Per > 0 {
			return v / c.Per
		}
		return v / 3600
	case UnitRatio:
		return v * 100
	}
	return v
}

// axis is the chart's value range (min, max) in axis units, and whether
// it has any value at all.
func (c Chart) axis() (float64, float64, bool) {
	lo, hi, any := math.Inf(1), math.Inf(-1), false
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v != nil {
				x := c.scale(*v)
				lo, hi, any = math.Min(lo, x), math.Max(hi, x), true
			}
		}
	}
	if c.Target != nil {
		x := c.scale(*c.Target)
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if !any {
		return 0, 1, false
	}
	if c.Kind == ChartBar || c.Unit != UnitRatio {
		lo = 0
	} else {
		// Adherence near 100 % would lie flat from zero: the axis spans a
		// multiple of 20 points below the top, so grid steps are round.
		top := math.Min(100, math.Ceil(hi/5)*5)
		lo = math.Max(0, top-math.Ceil((top-lo+1)/20)*20)
	}
	if c.Unit == UnitRatio {
		hi = math.Min(100, math.Ceil(hi/5)*5)
	} else {
		hi = niceCeil(hi)
	}
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi * 1.0, true
}

// tick prints an axis value.
func tick(v float64) string {
	switch {
	case v >= 10000:
		return thousands(int64(math.Round(v)))
	case v == math.Trunc(v):
		return fmt.Sprint(int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}

// SVG draws the chart as a self-contained SVG element, every label
// escaped; a chart without values says so.
func (c Chart) SVG() string {
	const w, h, left, right, top, bottom = 640.0, 240.0, 56.0, 12.0, 28.0, 44.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" class="chart">`, w, h, html.EscapeString(c.Title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(c.Title))
	fmt.Fprintf(&b, `<text x="%.0f" y="16" class="ct">%s</text>`, left, html.EscapeString(c.Title))
	lo, hi, ok := c.axis()
	if !ok {
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" class="nd">no data</text></svg>`, w/2-24, h/2)
		return b.String()
	}
	pw, ph := w-left-right, h-top-bottom
	y := func(v float64) float64 { return top + ph - (v-lo)/(hi-lo)*ph }
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>`, left, y(v), w-right, y(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="end">%s</text>`, left-4, y(v)+4, tick(v))
	}
	n := len(c.Labels)
	slot := pw / float64(max(n, 1))
	for i, l := range c.Labels {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="middle">%s</text>`, left+slot*(float64(i)+0.5), h-bottom+16, html.EscapeString(l))
	}
	for si, s := range c.Series {
		col := chartColors[si%len(chartColors)]
		if c.Kind == ChartBar {
			bw := slot * 0.7 / float64(len(c.Series))
			for i, v := range s.Values {
				if v == nil {
					continue
				}
				x := left + slot*float64(i) + slot*0.15 + bw*float64(si)
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s</title></rect>`,
					x, y(c.scale(*v)), bw, y(lo)-y(c.scale(*v)), col, html.EscapeString(c.Labels[i]), html.EscapeString(s.Name), html.EscapeString(Value(c.Unit, v)))
			}
			continue
		}
		var path strings.Builder
		pen := false
		for i, v := range s.Values {
			if v == nil {
				pen = false
				continue
			}
			x := left + slot*(float64(i)+0.5)
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, x, y(c.scale(*v)))
			pen = true
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %s</title></circle>`, x, y(c.scale(*v)), col,
				html.EscapeString(c.Labels[i]), html.EscapeString(s.Name), html.EscapeString(Value(c.Unit, v)))
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.TrimSpace(path.String()), col)
	}
	if c.Target != nil {
		ty := y(c.scale(*c.Target))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="goal"/><text x="%.1f" y="%.1f" class="ax" text-anchor="end">target %s</text>`,
			left, ty, w-right, ty, w-right, ty-4, html.EscapeString(Value(c.Unit, c.Target)))
	}
	lx := left
	for si, s := range c.Series {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f" class="ax">%s</text>`,
			lx, h-14, chartColors[si%len(chartColors)], lx+14, h-5, html.EscapeString(s.Name))
		lx += 28 + 7*float64(len(s.Name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceCeil rounds an axis maximum up to 1, 2, 2.5, 4 or 5 times a power of
// ten, so the four grid steps are round numbers.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 4, 5, 10} {
		if m*p >= v-1e-9 {
			return m * p
		}
	}
	return 10 * p
}
