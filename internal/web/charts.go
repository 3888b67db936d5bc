package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/watchfloor/watchfloor/internal/staffing"
)

// Chart is data for an SVG chart: one value per label for each series. NaN
// marks a missing value (a gap in a line, no bar).
type Chart struct {
	// ID makes the chart's element ids unique in a page.
	ID    string
	Title string
	// Desc says in words what the chart shows, for screen readers.
	Desc   string
	Unit   string // shown after the axis values, e.g. "h" or "%"
	Labels []string
	// Keys name the labels in full for the table fallback and tooltips
	// ("2026-W42" where the axis says "W42"); Labels when empty.
	Keys   []string
	Series []ChartSeries
	Width  int     // default 640
	Height int     // default 260
	Font   float64 // text size in chart units; default 12
	// Zoom lets the value axis start near the data instead of at zero
	// (adherence between 90 and 100 % would otherwise lie flat on the top).
	Zoom bool
	// Max caps the value axis (100 for percentages); 0 leaves it free.
	Max float64
	// Goal, when set, is drawn as a dashed line labelled with GoalLabel.
	Goal      *float64
	GoalLabel string
	// Partial notes periods the data covers only in part, by label index
	// ("12 of 31 days"); those periods are hatched and labelled.
	Partial map[int]string
	// Stacked stacks a bar chart's series instead of grouping them.
	Stacked bool
	// Colors overrides the palette, one per series.
	Colors []string
}

// ChartSeries is one line or bar group.
type ChartSeries struct {
	Name   string
	Values []float64
}

// Palette colours series in order; each reads on light and dark
// backgrounds.
var Palette = []string{"#2f81f7", "#e3a008", "#1f9d55", "#d73a49", "#8957e5", "#0fa3b1", "#c2571a"}

func (c *Chart) color(i int) string {
	if i < len(c.Colors) && c.Colors[i] != "" {
		return c.Colors[i]
	}
	return Palette[i%len(Palette)]
}

func (c *Chart) defaults() {
	if c.Width <= 0 {
		c.Width = 640
	}
	if c.Height <= 0 {
		c.Height = 260
	}
	if c.Font <= 0 {
		c.Font = 12
	}
	if c.ID == "" {
		c.ID = "chart"
	}
}

// extent is the smallest and largest value to show (stacked: the largest
// stack), the goal included.
func (c *Chart) extent() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	see := func(v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if c.Stacked {
		for i := range c.Labels {
			sum := 0.0
			for _, s := range c.Series {
				if i < len(s.Values) && !math.IsNaN(s.Values[i]) {
					sum += s.Values[i]
				}
			}
			see(sum)
		}
	} else {
		for _, s := range c.Series {
			for _, v := range s.Values {
				see(v)
			}
		}
	}
	if c.Goal != nil {
		see(*c.Goal)
	}
	return lo, hi
}

// niceStep is a round step (1, 2, 2.5 or 5 × 10^k) giving about n steps
// over span.
func niceStep(span float64, n int) float64 {
	if span <= 0 || math.IsNaN(span) {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if f*mag >= raw {
			return f * mag
		}
	}
	return 10 * mag
}

// axis returns the value axis: bottom, top and step. It starts at zero
// unless the chart zooms, tops out at Max when set, and always has room
// above the largest value.
func (c *Chart) axis() (lo, hi, step float64) {
	dlo, dhi := c.extent()
	if math.IsInf(dlo, 1) { // no data
		dlo, dhi = 0, 0
	}
	lo = 0
	if c.Zoom && dlo > 0 {
		// Leave a quarter of the span below the smallest value, so a dip
		// is visible, and round down to a step.
		top := dhi
		if c.Max > 0 {
			top = c.Max
		}
		span := max(top-dlo, top*0.02)
		step = niceStep(span*1.25, 4)
		lo = math.Max(0, math.Floor((dlo-span*0.25)/step)*step)
	}
	top := dhi
	if top <= lo {
		top = lo + 1
	}
	step = niceStep(top-lo, 4)
	hi = lo + math.Ceil((top-lo)/step-1e-9)*step
	if c.Max > 0 && hi > c.Max && dhi <= c.Max {
		hi = c.Max
		step = niceStep(hi-lo, 4)
	}
	if hi <= lo {
		hi = lo + step
	}
	return lo, hi, step
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// fmtValue formats an axis or point value: whole numbers without
// decimals, small fractions with one.
func fmtValue(v float64) string {
	if math.Abs(v) >= 10 || v == math.Trunc(v) {
		return decimal(v, 0)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// plot is the drawing area of a chart.
type plot struct {
	x0, y0, pw, ph, lo, hi float64
}

func (p plot) y(v float64) float64 {
	return p.y0 + p.ph - p.ph*(v-p.lo)/(p.hi-p.lo)
}

// legendRows lays the legend out in rows that fit the width and returns
// the x, y of each entry and the height it takes.
func (c *Chart) legendRows() (pos [][2]float64, height float64) {
	f := c.Font
	x, row := 0.0, 0
	left := 8.0
	for _, s := range c.Series {
		w := f*1.4 + 0.6*f*float64(len([]rune(s.Name))) + f
		if x > 0 && left+x+w > float64(c.Width)-8 {
			row++
			x = 0
		}
		pos = append(pos, [2]float64{left + x, float64(row)})
		x += w
	}
	lines := row + 1
	if !c.legend() {
		lines = 0
	}
	return pos, float64(lines) * f * 1.5
}

// frame writes the opening tag, title, description, axes, grid, labels,
// partial-period hatching, goal line and legend, and returns the plot
// area.
func (c *Chart) frame(b *strings.Builder, kind string) plot {
	c.defaults()
	w, h, f := float64(c.Width), float64(c.Height), c.Font
	legend, legendH := c.legendRows()
	lo, hi, step := c.axis()
	labelW := 0.0
	for v := lo; v <= hi+step/2; v += step {
		labelW = max(labelW, 0.6*f*float64(len([]rune(fmtValue(v)+c.Unit))))
	}
	p := plot{x0: labelW + 10, y0: f*2.6 + 4, lo: lo, hi: hi}
	p.pw = w - p.x0 - f*0.8
	p.ph = h - p.y0 - f*1.9 - legendH - 4
	if kind == "bar" && c.wraps(p.pw) {
		p.ph -= f * 1.1
	}
	titleID, descID := c.ID+"-title", c.ID+"-desc"
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s %s" font-family="system-ui, sans-serif" font-size="%g">`,
		kind, c.Width, c.Height, c.Width, c.Height, esc(titleID), esc(descID), f)
	fmt.Fprintf(b, `<title id="%s">%s</title><desc id="%s">%s</desc>`, esc(titleID), esc(c.Title), esc(descID), esc(c.Desc))
	fmt.Fprintf(b, `<defs><pattern id="%s-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="8" stroke="currentColor" stroke-opacity="0.28" stroke-width="3"/></pattern></defs>`, esc(c.ID))
	fmt.Fprintf(b, `<text x="%g" y="%g" fill="currentColor" font-size="%g" font-weight="bold">%s</text>`, p.x0, f*1.3, f*1.1, esc(c.Title))
	// Partial periods first, so lines and bars draw over the hatching.
	n := len(c.Labels)
	for i := 0; i < n; i++ {
		note, ok := c.Partial[i]
		if !ok {
			continue
		}
		x1, x2 := c.slot(i, p, kind)
		fmt.Fprintf(b, `<g class="partial"><title>%s %s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="url(#%s-hatch)"/>`,
			esc(c.key(i)), esc("partial period: "+note), x1, p.y0, x2-x1, p.ph, esc(c.ID))
		// The label sits above the plot, clear of the data; the note itself
		// is in the tooltip and in the figure's caption and table.
		anchor, tx := "middle", (x1+x2)/2
		if i == n-1 {
			anchor, tx = "end", x2
		} else if i == 0 {
			anchor, tx = "start", x1
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="currentColor" fill-opacity="0.8" font-size="%g" text-anchor="%s">partial</text></g>`,
			tx, p.y0-f*0.3, f*0.8, anchor)
	}
	for v := lo; v <= hi+step/2; v += step {
		y := p.y(v)
		fmt.Fprintf(b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="currentColor" stroke-opacity="%s"/>`, p.x0, y, p.x0+p.pw, y,
			map[bool]string{true: "0.45", false: "0.13"}[v == lo])
		fmt.Fprintf(b, `<text x="%g" y="%.1f" fill="currentColor" text-anchor="end">%s%s</text>`, p.x0-5, y+f*0.35, fmtValue(v), esc(c.Unit))
	}
	stepX := 1
	if maxLabels := int(p.pw / (0.62 * f * float64(maxLen(c.Labels)+2))); maxLabels > 0 && n > maxLabels {
		stepX = (n + maxLabels - 1) / maxLabels
	}
	if kind == "bar" {
		stepX = 1 // categories are all named; long names wrap
	}
	for i := 0; i < n; i++ {
		// Every stepX-th label, and always the last, which pushes out a
		// regular one too close to it.
		if i != n-1 && (i%stepX != 0 || n-1-i < stepX) {
			continue
		}
		x := c.xCenter(i, p, kind)
		if kind == "bar" {
			lines := wrapLabel(c.Labels[i], int(p.pw/float64(n)/(0.58*f)))
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="currentColor" text-anchor="middle">`, x, p.y0+p.ph+f*1.25)
			for k, l := range lines {
				dy := "0"
				if k > 0 {
					dy = fmt.Sprintf("%g", f*1.1)
				}
				fmt.Fprintf(b, `<tspan x="%.1f" dy="%s">%s</tspan>`, x, dy, esc(l))
			}
			b.WriteString(`</text>`)
			continue
		}
		anchor := "middle"
		if kind == "line" && n > 1 {
			switch i {
			case 0:
				anchor = "start"
			case n - 1:
				anchor = "end"
			}
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="currentColor" text-anchor="%s">%s</text>`, x, p.y0+p.ph+f*1.25, anchor, esc(c.Labels[i]))
	}
	if c.Goal != nil && *c.Goal >= lo && *c.Goal <= hi {
		y := p.y(*c.Goal)
		fmt.Fprintf(b, `<g class="goal"><title>%s</title><line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#d73a49" stroke-width="1.5" stroke-dasharray="6 4"/></g>`,
			esc(c.GoalLabel), p.x0, y, p.x0+p.pw, y)
	}
	ly := p.y0 + p.ph + f*1.9 + 4
	if kind == "bar" && c.wraps(p.pw) {
		ly += f * 1.1
	}
	for i, s := range c.Series {
		if !c.legend() {
			break
		}
		x, y := legend[i][0], ly+legend[i][1]*f*1.5
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%g" height="%g" rx="2" fill="%s"/><text x="%.1f" y="%.1f" fill="currentColor">%s</text>`,
			x, y, f*0.85, f*0.85, c.color(i), x+f*1.15, y+f*0.8, esc(s.Name))
	}
	if c.Goal != nil && len(legend) > 0 {
		last := legend[len(legend)-1]
		x := last[0] + f*1.4 + 0.6*f*float64(len([]rune(c.Series[len(c.Series)-1].Name))) + f
		y := ly + last[1]*f*1.5
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#d73a49" stroke-width="1.5" stroke-dasharray="6 4"/><text x="%.1f" y="%.1f" fill="currentColor">%s</text>`,
			x, y+f*0.45, x+f*1.6, y+f*0.45, x+f*2, y+f*0.8, esc(c.GoalLabel))
	}
	return p
}

// wraps reports whether a bar chart's labels need two lines.
func (c *Chart) wraps(pw float64) bool {
	width := int(pw / float64(max(len(c.Labels), 1)) / (0.58 * c.Font))
	for _, l := range c.Labels {
		if len(wrapLabel(l, width)) > 1 {
			return true
		}
	}
	return false
}

// key is a label's full name.
func (c *Chart) key(i int) string {
	if i < len(c.Keys) {
		return c.Keys[i]
	}
	return c.Labels[i]
}

// legend reports whether the chart needs a legend: several series, a
// goal line, or stacks (whose one series still needs its name).
func (c *Chart) legend() bool { return len(c.Series) > 1 || c.Goal != nil || c.Stacked }

// wrapLabel breaks a label into at most two lines of about width
// characters, at spaces; the second line is cut with "…" if need be.
func wrapLabel(s string, width int) []string {
	r := []rune(s)
	if width < 4 || len(r) <= width {
		return []string{s}
	}
	cut := -1
	for i := min(width, len(r)-1); i > 0; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	if cut < 0 {
		return []string{string(r[:width-1]) + "…"}
	}
	rest := []rune(strings.TrimSpace(string(r[cut:])))
	if len(rest) > width {
		rest = append(rest[:width-1], '…')
	}
	return []string{string(r[:cut]), string(rest)}
}

func maxLen(ss []string) int {
	n := 1
	for _, s := range ss {
		n = max(n, len([]rune(s)))
	}
	return n
}

// xCenter is the x of a label: spread edge to edge for lines, the middle
// of its slot for bars.
func (c *Chart) xCenter(i int, p plot, kind string) float64 {
	n := len(c.Labels)
	if kind == "bar" || n == 1 {
		return p.x0 + p.pw*(float64(i)+0.5)/float64(n)
	}
	return p.x0 + p.pw*float64(i)/float64(n-1)
}

// slot is the horizontal span a label's period takes.
func (c *Chart) slot(i int, p plot, kind string) (x1, x2 float64) {
	n := len(c.Labels)
	if kind == "bar" || n == 1 {
		w := p.pw / float64(n)
		return p.x0 + w*float64(i), p.x0 + w*float64(i+1)
	}
	half := p.pw / float64(n-1) / 2
	x := c.xCenter(i, p, kind)
	return max(p.x0, x-half), min(p.x0+p.pw, x+half)
}

// LineChart draws the chart as an SVG line chart. All text is escaped and
// colours are attributes, so the SVG is safe inline under a strict CSP and
// also as a standalone file for reports.
func LineChart(c Chart) template.HTML {
	var b strings.Builder
	p := c.frame(&b, "line")
	for si, s := range c.Series {
		col := c.color(si)
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
			x, y := c.xCenter(i, p, "line"), p.y(min(max(v, p.lo), p.hi))
			if pen {
				fmt.Fprintf(&path, " L%.1f %.1f", x, y)
			} else {
				fmt.Fprintf(&path, " M%.1f %.1f", x, y)
				pen = true
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%g" fill="%s"><title>%s %s: %s%s</title></circle>`,
				x, y, c.Font/4, col, esc(s.Name), esc(c.key(i)), fmtValue(v), esc(c.Unit))
		}
		if path.Len() > 0 {
			fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="%g"/>`, strings.TrimSpace(path.String()), col, c.Font/6)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// BarChart draws the chart as bars, one group (or stack) per label.
func BarChart(c Chart) template.HTML {
	var b strings.Builder
	p := c.frame(&b, "bar")
	n, k := len(c.Labels), len(c.Series)
	if n > 0 && k > 0 {
		slot := p.pw / float64(n)
		bw := slot * 0.7 / float64(k)
		if c.Stacked {
			bw = slot * 0.6
		}
		base := make([]float64, n)
		for si, s := range c.Series {
			col := c.color(si)
			for i, v := range s.Values {
				if i >= n || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
					continue
				}
				x := p.x0 + slot*float64(i) + slot*0.15 + bw*float64(si)
				bottom := p.lo
				if c.Stacked {
					x = p.x0 + slot*float64(i) + slot*0.2
					bottom = base[i]
					base[i] += v
				}
				y1, y2 := p.y(min(bottom+v, p.hi)), p.y(max(bottom, p.lo))
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s%s</title></rect>`,
					x, y1, bw, max(y2-y1, 0.5), col, esc(s.Name), esc(c.key(i)), fmtValue(v), esc(c.Unit))
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// Figure is a chart ready for a page: the SVG and the same numbers as a
// table for those who cannot see it.
type Figure struct {
	Title   string
	SVG     template.HTML
	Columns []string
	Rows    [][]string
	// Note is shown under the chart (what the hatching means, where the
	// goal comes from).
	Note string
	// Wall is false for charts the wall screen leaves out for room.
	Wall bool
	// Wide marks a chart that takes the page's width (up to a limit).
	Wide bool
}

// figure draws c as kind ("line" or "bar") with its table fallback.
// format renders a value of the table. The caption says which periods are
// hatched as partial, then the note.
func figure(c Chart, kind string, format func(float64) string, note string) Figure {
	var partial []string
	for i := range c.Labels {
		l := c.key(i)
		if p, ok := c.Partial[i]; ok {
			partial = append(partial, l+": "+p)
		}
	}
	if len(partial) > 0 {
		note = strings.TrimSpace("Hatched, partial period: " + strings.Join(partial, "; ") + ". " + note)
	}
	f := Figure{Title: c.Title, Note: note, Columns: []string{"Period"}, Wall: true}
	if kind == "line" {
		f.SVG = LineChart(c)
	} else {
		f.SVG = BarChart(c)
	}
	for _, s := range c.Series {
		f.Columns = append(f.Columns, s.Name)
	}
	for i := range c.Labels {
		l := c.key(i)
		if note, ok := c.Partial[i]; ok {
			l += " (partial: " + note + ")"
		}
		row := []string{l}
		for _, s := range c.Series {
			v := math.NaN()
			if i < len(s.Values) {
				v = s.Values[i]
			}
			if math.IsNaN(v) {
				row = append(row, noData)
			} else {
				row = append(row, format(v))
			}
		}
		f.Rows = append(f.Rows, row)
	}
	return f
}

// Heat-map colours.
const (
	heatFill  = "#2f81f7" // heads required: more opaque, more people
	heatShort = "#d73a49" // short of the requirement
	heatOK    = "#1f9d55" // covered
)

// heatCell is one cell of a heat map: its text, tooltip and fill.
type heatCell struct {
	Text, Tip string
	Fill      string
	Opacity   float64
	Outline   bool // a red outline: short
}

// legendEntry is one swatch of a heat map's legend.
type legendEntry struct {
	Fill    string
	Opacity float64
	Outline bool
	Label   string
}

// heatMap draws an hour × weekday grid: one cell per hour of the week,
// each with its text and a <title> saying it in words, and a legend that
// explains the cells. Text is escaped as in LineChart.
func heatMap(title, desc, id string, days, hours []string, cell func(d, h int) heatCell, legend []legendEntry) template.HTML {
	const cellW, cellH, left, top = 64.0, 18.0, 48.0, 44.0
	bottom := 18.0 + 16*float64((len(legend)+2)/3)
	w := math.Max(left+cellW*float64(len(days))+12, left+460)
	h := top + cellH*float64(len(hours)) + bottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-heat" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-labelledby="%s-title %s-desc" font-family="system-ui, sans-serif" font-size="11">`,
		w, h, w, h, esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(title), esc(id), esc(desc))
	fmt.Fprintf(&b, `<text x="%g" y="16" fill="currentColor" font-size="13" font-weight="bold">%s</text>`, left, esc(title))
	for d, day := range days {
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" fill="currentColor" text-anchor="middle">%s</text>`, left+cellW*(float64(d)+0.5), top-6, esc(day))
	}
	for hr := range hours {
		y := top + cellH*float64(hr)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" fill="currentColor" text-anchor="end">%s</text>`, left-4, y+cellH-5, esc(hours[hr]))
		for d := range days {
			c := cell(d, hr)
			x := left + cellW*float64(d)
			stroke := `stroke="currentColor" stroke-opacity="0.15"`
			if c.Outline {
				stroke = `stroke="` + heatShort + `" stroke-width="2"`
			}
			fmt.Fprintf(&b, `<g><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="%.2f" %s/>`,
				esc(c.Tip), x+1, y+1, cellW-2, cellH-2, c.Fill, c.Opacity, stroke)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="currentColor" text-anchor="middle">%s</text></g>`, x+cellW/2, y+cellH-5, esc(c.Text))
		}
	}
	for i, l := range legend {
		x := left + float64(i%3)*150
		y := top + cellH*float64(len(hours)) + 16 + 16*float64(i/3)
		stroke := ""
		if l.Outline {
			stroke = ` stroke="` + heatShort + `" stroke-width="2"`
		}
		fmt.Fprintf(&b, `<rect x="%g" y="%g" width="10" height="10" fill="%s" fill-opacity="%.2f"%s/><text x="%g" y="%g" fill="currentColor">%s</text>`,
			x, y-9, l.Fill, l.Opacity, stroke, x+14, y, esc(l.Label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// ScheduleHeatMap draws the proposed schedule against the requirement:
// each cell "scheduled/required", shaded by the heads required, outlined
// where the schedule falls short.
func ScheduleHeatMap(title string, g staffing.CoverageGrid) template.HTML {
	peak := 1
	for _, row := range g.Cells {
		for _, c := range row {
			peak = max(peak, c.Required)
		}
	}
	op := func(req int) float64 { return 0.08 + 0.62*float64(req)/float64(peak) }
	cell := func(d, h int) heatCell {
		c := g.Cells[h][d]
		hc := heatCell{Text: fmt.Sprintf("%d/%d", c.Scheduled, c.Required), Fill: heatFill, Opacity: op(c.Required),
			Tip: fmt.Sprintf("%s %s: %d scheduled, %d required", g.Days[d], g.Hours[h], c.Scheduled, c.Required)}
		if c.Scheduled < c.Required {
			hc.Outline = true
			hc.Tip += fmt.Sprintf(" (%d short)", c.Required-c.Scheduled)
		}
		return hc
	}
	legend := []legendEntry{
		{Fill: heatFill, Opacity: op(0), Label: "cell: scheduled/required"},
		{Fill: heatFill, Opacity: op(peak), Label: fmt.Sprintf("darker: more required (peak %d)", peak)},
		{Fill: "none", Opacity: 1, Outline: true, Label: "schedule short of requirement"},
	}
	return heatMap(title, "People the proposed schedule puts on duty in each hour of the week, against the people required to meet the service levels.",
		"heat-schedule", g.Days, g.Hours, cell, legend)
}

// RosterHeatMap draws today's roster against the requirement: each cell
// "expected/required" (expected: today's analysts on their shifts, after
// shrinkage), red where they fall short, green where they cover it.
func RosterHeatMap(title string, g staffing.CoverageGrid) template.HTML {
	cell := func(d, h int) heatCell {
		c := g.Cells[h][d]
		if c.Current == nil {
			return heatCell{Text: "–", Fill: "none", Tip: fmt.Sprintf("%s %s: no roster to compare", g.Days[d], g.Hours[h])}
		}
		cur, req := *c.Current, float64(c.Required)
		hc := heatCell{Text: fmt.Sprintf("%.1f/%d", cur, c.Required), Fill: heatOK, Opacity: 0.22,
			Tip: fmt.Sprintf("%s %s: %.1f expected with today's roster, %d required", g.Days[d], g.Hours[h], cur, c.Required)}
		if short := req - cur; short > 1e-9 {
			hc.Fill, hc.Outline = heatShort, short >= 1
			hc.Opacity = math.Min(0.75, 0.2+0.55*short/math.Max(req, 1))
			hc.Tip += fmt.Sprintf(" (%.1f short)", short)
		}
		return hc
	}
	legend := []legendEntry{
		{Fill: heatOK, Opacity: 0.22, Label: "cell: expected/required"},
		{Fill: heatOK, Opacity: 0.22, Label: "covered"},
		{Fill: heatShort, Opacity: 0.3, Label: "short by less than one"},
		{Fill: heatShort, Opacity: 0.6, Outline: true, Label: "short by one or more"},
	}
	return heatMap(title, "People today's roster is expected to have on duty in each hour of the week (after shrinkage), against the people required.",
		"heat-roster", g.Days, g.Hours, cell, legend)
}
