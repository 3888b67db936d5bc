package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/watchfloor/watchfloor/internal/staffing"
)

// Chart is data for an SVG chart: one value per label for each series. NaN
// marks a missing value (a gap in a line, no bar).
type Chart struct {
	Title  string
	Unit   string // shown after the axis values, e.g. "h" or "%"
	Labels []string
	Series []ChartSeries
	Width  int // default 640
	Height int // default 240
}

// ChartSeries is one line or bar group.
type ChartSeries struct {
	Name   string
	Values []float64
}

// Palette colours series in order; each reads on light and dark
// backgrounds.
var Palette = []string{"#2f81f7", "#e3a008", "#1f9d55", "#d73a49", "#8957e5"}

func (c *Chart) size() (w, h float64) {
	if c.Width <= 0 {
		c.Width = 640
	}
	if c.Height <= 0 {
		c.Height = 240
	}
	return float64(c.Width), float64(c.Height)
}

// maxValue is the largest value, rounded up to a readable axis top.
func (c *Chart) maxValue() float64 {
	m := 0.0
	for _, s := range c.Series {
		for _, v := range s.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) && v > m {
				m = v
			}
		}
	}
	if m == 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(m)))
	for _, f := range []float64{1, 2, 4, 6, 8, 10} { // quarters stay short numbers
		if f*mag >= m {
			return f * mag
		}
	}
	return 10 * mag
}

func esc(s string) string { return template.HTMLEscapeString(s) }

func fmtValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e9 {
		return fmt.Sprintf("%.0f", v)
	}
	if math.Abs(v) >= 10 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

const (
	padLeft, padRight, padTop, padBottom = 48.0, 12.0, 28.0, 44.0
)

// frame writes the opening tag, title, grid, axis values, labels and
// legend, and returns the plot area.
func (c *Chart) frame(b *strings.Builder, kind string) (x0, y0, pw, ph, top float64) {
	w, h := c.size()
	x0, y0 = padLeft, padTop
	pw, ph = w-padLeft-padRight, h-padTop-padBottom
	top = c.maxValue()
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-family="sans-serif" font-size="11">`,
		kind, c.Width, c.Height, c.Width, c.Height, esc(c.Title))
	fmt.Fprintf(b, `<title>%s</title>`, esc(c.Title))
	fmt.Fprintf(b, `<text x="%g" y="16" fill="currentColor" font-size="13" font-weight="bold">%s</text>`, x0, esc(c.Title))
	for i := 0; i <= 4; i++ {
		y := y0 + ph - ph*float64(i)/4
		fmt.Fprintf(b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="currentColor" stroke-opacity="0.15"/>`, x0, y, x0+pw, y)
		fmt.Fprintf(b, `<text x="%g" y="%.1f" fill="currentColor" text-anchor="end">%s%s</text>`, x0-4, y+4, fmtValue(top*float64(i)/4), esc(c.Unit))
	}
	n := len(c.Labels)
	step := 1
	if n > 12 {
		step = (n + 11) / 12
	}
	for i := 0; i < n; i += step {
		fmt.Fprintf(b, `<text x="%.1f" y="%g" fill="currentColor" text-anchor="middle">%s</text>`, c.xCenter(i, x0, pw, kind), y0+ph+14, esc(c.Labels[i]))
	}
	lx := x0
	for i, s := range c.Series {
		col := Palette[i%len(Palette)]
		fmt.Fprintf(b, `<rect x="%.1f" y="%g" width="10" height="10" fill="%s"/><text x="%.1f" y="%g" fill="currentColor">%s</text>`,
			lx, h-14, col, lx+14, h-5, esc(s.Name))
		lx += 24 + 7*float64(len([]rune(s.Name)))
	}
	return
}

func (c *Chart) xCenter(i int, x0, pw float64, kind string) float64 {
	n := len(c.Labels)
	if kind == "bar" || n == 1 {
		return x0 + pw*(float64(i)+0.5)/float64(n)
	}
	return x0 + pw*float64(i)/float64(n-1)
}

// LineChart draws the chart as an SVG line chart. All text is escaped and
// colours are attributes, so the SVG is safe inline under a strict CSP and
// also as a standalone file for reports.
func LineChart(c Chart) template.HTML {
	var b strings.Builder
	x0, y0, pw, ph, top := c.frame(&b, "line")
	for si, s := range c.Series {
		col := Palette[si%len(Palette)]
		var path strings.Builder
		pen := false
		for i, v := range s.Values {
			if i >= len(c.Labels) {
				break
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				pen = false
				continue
			}
			x, y := c.xCenter(i, x0, pw, "line"), y0+ph-ph*v/top
			if pen {
				fmt.Fprintf(&path, " L%.1f %.1f", x, y)
			} else {
				fmt.Fprintf(&path, " M%.1f %.1f", x, y)
				pen = true
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %s%s</title></circle>`,
				x, y, col, esc(s.Name), esc(c.Labels[i]), fmtValue(v), esc(c.Unit))
		}
		if path.Len() > 0 {
			fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.TrimSpace(path.String()), col)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// BarChart draws the chart as grouped bars, one group per label.
func BarChart(c Chart) template.HTML {
	var b strings.Builder
	x0, y0, pw, ph, top := c.frame(&b, "bar")
	n, k := len(c.Labels), len(c.Series)
	if n > 0 && k > 0 {
		slot := pw / float64(n)
		bw := slot * 0.8 / float64(k)
		for si, s := range c.Series {
			col := Palette[si%len(Palette)]
			for i, v := range s.Values {
				if i >= n || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
					continue
				}
				bh := ph * v / top
				x := x0 + slot*float64(i) + slot*0.1 + bw*float64(si)
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s%s</title></rect>`,
					x, y0+ph-bh, bw, bh, col, esc(s.Name), esc(c.Labels[i]), fmtValue(v), esc(c.Unit))
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// Heat-map colours: the fill's opacity grows with the heads required; a
// red outline marks hours today's roster leaves short.
const (
	heatFill  = "#2f81f7"
	heatShort = "#d73a49"
)

// CoverageHeatMap draws the staffing plan's hour × weekday coverage: one
// cell per hour of the week, shaded by the heads required, labelled
// "scheduled/required", outlined where today's roster is expected to be
// short, each with a <title> saying all three. Text is escaped as in
// LineChart.
func CoverageHeatMap(title string, g staffing.CoverageGrid) template.HTML {
	const cellW, cellH, left, top, bottom = 64.0, 18.0, 48.0, 44.0, 30.0
	w := math.Max(left+cellW*float64(len(g.Days))+12, left+440) // room for the legend
	h := top + cellH*float64(len(g.Cells)) + bottom
	peak := 1
	for _, row := range g.Cells {
		for _, c := range row {
			peak = max(peak, c.Required)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-heat" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="%s" font-family="sans-serif" font-size="11">`,
		w, h, w, h, esc(title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	fmt.Fprintf(&b, `<text x="%g" y="16" fill="currentColor" font-size="13" font-weight="bold">%s</text>`, left, esc(title))
	for d, day := range g.Days {
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" fill="currentColor" text-anchor="middle">%s</text>`, left+cellW*(float64(d)+0.5), top-6, esc(day))
	}
	for hr, row := range g.Cells {
		y := top + cellH*float64(hr)
		if hr < len(g.Hours) {
			fmt.Fprintf(&b, `<text x="%g" y="%.1f" fill="currentColor" text-anchor="end">%s</text>`, left-4, y+cellH-5, esc(g.Hours[hr]))
		}
		for d, c := range row {
			x := left + cellW*float64(d)
			label := ""
			if d < len(g.Days) && hr < len(g.Hours) {
				label = g.Days[d] + " " + g.Hours[hr]
			}
			tip := fmt.Sprintf("%s: %d required, %d scheduled", label, c.Required, c.Scheduled)
			stroke := `stroke="currentColor" stroke-opacity="0.15"`
			mark := ""
			if c.Current != nil {
				tip += fmt.Sprintf(", %.1f expected with today's roster", *c.Current)
				if *c.Current < float64(c.Required)-1e-9 {
					tip += fmt.Sprintf(" (%.1f short)", float64(c.Required)-*c.Current)
					stroke, mark = `stroke="`+heatShort+`" stroke-width="2"`, "!"
				}
			}
			op := 0.08 + 0.72*float64(c.Required)/float64(peak)
			fmt.Fprintf(&b, `<g><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="%.2f" %s/>`,
				esc(tip), x+1, y+1, cellW-2, cellH-2, heatFill, op, stroke)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="currentColor" text-anchor="middle">%d/%d%s</text></g>`,
				x+cellW/2, y+cellH-5, c.Scheduled, c.Required, mark)
		}
	}
	ly := h - 12
	for i, f := range []float64{0, 0.5, 1} {
		v := int(math.Round(f * float64(peak)))
		x := left + float64(i)*90
		fmt.Fprintf(&b, `<rect x="%g" y="%g" width="10" height="10" fill="%s" fill-opacity="%.2f"/><text x="%g" y="%g" fill="currentColor">%d required</text>`,
			x, ly-9, heatFill, 0.08+0.72*float64(v)/float64(peak), x+14, ly, v)
	}
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="10" height="10" fill="none" stroke="%s" stroke-width="2"/><text x="%g" y="%g" fill="currentColor">! today's roster short</text>`,
		left+270, ly-9, heatShort, left+284, ly)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
