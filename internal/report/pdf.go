package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"github.com/watchfloor/watchfloor/internal/output"
)

// PDF page geometry, in millimetres (A4 portrait).
const (
	pdfMargin = 15.0
	pdfWidth  = 210.0 - 2*pdfMargin
	pdfBottom = 297.0 - 18.0
	pdfLine   = 4.6
	pdfFont   = "report"
)

// pdfText makes data text safe for the PDF: control and format characters
// (escape sequences, bidi overrides) are shown escaped, as on a terminal,
// but ZWNJ and ZWJ, which only steer the joining of Arabic letters (as
// in Persian names) and are not drawn. fpdf escapes PDF string syntax
// itself.
func pdfText(s string) string {
	if !strings.ContainsAny(s, "\u200c\u200d") {
		return output.Terminal(s)
	}
	var b strings.Builder
	for {
		i := strings.IndexAny(s, "\u200c\u200d")
		if i < 0 {
			b.WriteString(output.Terminal(s))
			return b.String()
		}
		b.WriteString(output.Terminal(s[:i]))
		b.WriteString(s[i : i+3]) // both are three bytes in UTF-8
		s = s[i+3:]
	}
}

// pdfWriter draws the report with fpdf.
type pdfWriter struct {
	f *fpdf.Fpdf
	e *Executive
	g *glyphs
	// note is what the cover says of the scripts the PDF cannot draw.
	note string
}

// PDF writes the report as a PDF: a cover with the period and the
// generation time, page numbers, the charts drawn as vector graphics, and
// the Go fonts (Latin, Greek and Cyrillic) embedded, with the fallback
// font (UsePDFFont, FallbackFontPaths) for the runs of characters they
// lack, so names render wherever the file is opened; the cover says which
// scripts neither can draw (scriptNote).
func (e *Executive) PDF(w io.Writer) error {
	f, g, note := newPDF(e)
	p := &pdfWriter{f: f, e: e, g: g, note: note}
	f.SetCompression(true)
	f.SetCreationDate(e.GeneratedAt)
	f.SetModificationDate(e.GeneratedAt)
	f.SetCatalogSort(true)
	f.SetTitle(pdfText(e.Title+" "+e.From+" to "+e.To), true)
	f.SetCreator("Watchfloor", true)
	f.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	f.SetAutoPageBreak(false, 0)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetFont(pdfFont, "", 8)
		f.SetTextColor(90, 96, 106)
		f.SetXY(pdfMargin, 297-12)
		p.cell(pdfWidth/2, 5, pdfText(e.Title+", "+e.From+" to "+e.To), "", 0, "L")
		p.cell(pdfWidth/2, 5, fmt.Sprintf("Page %d of {nb}", f.PageNo()), "", 0, "R")
		f.SetTextColor(27, 31, 36)
	})
	p.cover()
	p.body()
	if err := f.Error(); err != nil {
		return fmt.Errorf("drawing the PDF report: %w", err)
	}
	return f.Output(w)
}

func (p *pdfWriter) cover() {
	f, e := p.f, p.e
	f.AddPage()
	f.SetY(70)
	f.SetFont(pdfFont, "B", 24)
	p.multi(pdfWidth, 11, pdfText(e.Title), "L")
	f.Ln(4)
	f.SetFont(pdfFont, "", 13)
	p.multi(pdfWidth, 7, pdfText("Period: "+e.WindowLine()), "L")
	f.Ln(2)
	p.multi(pdfWidth, 7, pdfText("Generated: "+stamp(e.GeneratedAt)), "L")
	f.Ln(8)
	f.SetFont(pdfFont, "", 9.5)
	f.SetTextColor(90, 96, 106)
	for _, l := range e.BasisLines() {
		p.multi(pdfWidth, pdfLine, pdfText(l), "L")
		f.Ln(1)
	}
	if e.Empty {
		f.Ln(4)
		f.SetTextColor(150, 90, 0)
		p.multi(pdfWidth, pdfLine, pdfText(EmptyLine), "L")
	}
	if p.note != "" {
		f.Ln(4)
		f.SetTextColor(150, 90, 0)
		p.multi(pdfWidth, pdfLine, p.note, "L")
	}
	f.SetTextColor(27, 31, 36)
}

// need starts a new page unless h millimetres fit on this one.
func (p *pdfWriter) need(h float64) {
	if p.f.GetY()+h > pdfBottom {
		p.f.AddPage()
		p.f.SetY(pdfMargin)
	}
}

func (p *pdfWriter) heading(s string) { p.headingKeep(s, 30) }

// headingKeep writes a section heading on the page that has room for it
// and the first keep millimetres of the section.
func (p *pdfWriter) headingKeep(s string, keep float64) {
	p.need(keep)
	p.f.Ln(4)
	p.f.SetFont(pdfFont, "B", 14)
	p.cell(pdfWidth, 8, pdfText(s), "B", 1, "L")
	p.f.Ln(2)
	p.f.SetFont(pdfFont, "", 9.5)
}

// para writes a paragraph, breaking pages between its lines.
func (p *pdfWriter) para(s string) {
	p.f.SetFont(pdfFont, "", 9.5)
	for _, l := range p.lines(pdfText(s), pdfWidth) {
		p.need(pdfLine)
		p.cell(pdfWidth, pdfLine, l, "", 1, "L")
	}
	p.f.Ln(1)
}

// absent writes a section's one line without data.
func (p *pdfWriter) absent(s string) {
	p.f.SetTextColor(90, 96, 106)
	p.para(s)
	p.f.SetTextColor(27, 31, 36)
}

// table draws a table with wrapped cells, repeating the header on a new
// page; widths are relative.
// fitWords widens the columns of ws (millimetres, summing to the page
// width) so that no column is narrower than its longest word, header or
// cell — a case id or a header is never broken mid-word — taking the room
// from the columns with more than they need. A word longer than 45 mm (a
// hash) still wraps; when the words cannot all fit, the columns share the
// page in proportion to their longest words.
func (p *pdfWriter) fitWords(ws []float64, cols []string, rows [][]string, size float64) []float64 {
	f := p.f
	pad := 2*f.GetCellMargin() + 0.3
	mins := make([]float64, len(ws))
	measure := func(i int, s string) {
		for _, w := range strings.Fields(pdfText(s)) {
			mins[i] = max(mins[i], min(p.width(w)+pad, 45))
		}
	}
	f.SetFont(pdfFont, "B", size)
	for i, c := range cols[:min(len(cols), len(ws))] {
		measure(i, c)
	}
	f.SetFont(pdfFont, "", size)
	for _, r := range rows {
		for i, c := range r[:min(len(r), len(ws))] {
			measure(i, c)
		}
	}
	var need float64
	for _, m := range mins {
		need += m
	}
	out := make([]float64, len(ws))
	if need >= pdfWidth {
		for i, m := range mins {
			out[i] = m / need * pdfWidth
		}
		return out
	}
	var total, slack float64
	for i := range ws {
		out[i] = max(ws[i], mins[i])
		total += out[i]
		slack += out[i] - mins[i]
	}
	if excess := total - pdfWidth; excess > 0 && slack > 0 {
		for i := range out {
			out[i] -= excess * (out[i] - mins[i]) / slack
		}
	}
	return out
}

func (p *pdfWriter) table(cols []string, widths []float64, rows [][]string) {
	f := p.f
	var sum float64
	for _, w := range widths {
		sum += w
	}
	ws := make([]float64, len(widths))
	for i, w := range widths {
		ws[i] = w / sum * pdfWidth
	}
	const size = 8.0
	ws = p.fitWords(ws, cols, rows, size)
	var draw func(cells []string, bold bool)
	draw = func(cells []string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		f.SetFont(pdfFont, style, size)
		lines := make([][]string, len(cells))
		n := 1
		for i, c := range cells {
			if i >= len(ws) {
				break
			}
			lines[i] = p.lines(pdfText(c), ws[i])
			n = max(n, len(lines[i]))
		}
		h := float64(n)*3.8 + 1.6
		if f.GetY()+h > pdfBottom {
			f.AddPage()
			f.SetY(pdfMargin)
			if !bold {
				draw(cols, true)
				f.SetFont(pdfFont, "", size)
			}
		}
		y := f.GetY()
		x := pdfMargin
		for i := range ws {
			if bold {
				f.SetFillColor(246, 248, 250)
				f.Rect(x, y, ws[i], h, "FD")
			} else {
				f.Rect(x, y, ws[i], h, "D")
			}
			if i < len(lines) {
				for j, l := range lines[i] {
					f.SetXY(x, y+0.8+float64(j)*3.8)
					p.cell(ws[i], 3.8, l, "", 0, "L")
				}
			}
			x += ws[i]
		}
		f.SetXY(pdfMargin, y+h)
	}
	f.SetDrawColor(208, 215, 222)
	f.SetLineWidth(0.2)
	p.need(12)
	draw(cols, true)
	for _, r := range rows {
		draw(r, false)
	}
	f.Ln(3)
	f.SetFont(pdfFont, "", 9.5)
}

// chart draws a trend chart as vector graphics in a box of the page.
func (p *pdfWriter) chart(c Chart, x, y, w, h float64) {
	f := p.f
	f.SetDrawColor(208, 215, 222)
	f.SetLineWidth(0.2)
	f.Rect(x, y, w, h, "D")
	f.SetFont(pdfFont, "B", 8.5)
	f.SetXY(x+2, y+1.5)
	p.cell(w-4, 4, pdfText(c.Title), "", 0, "L")
	lo, hi, ok := c.axis()
	f.SetFont(pdfFont, "", 6.5)
	if !ok {
		f.SetXY(x, y+h/2-2)
		p.cell(w, 4, NoData, "", 0, "C")
		return
	}
	left, right, top, bottom := x+12, x+w-3, y+8, y+h-10
	py := func(v float64) float64 { return bottom - (v-lo)/(hi-lo)*(bottom-top) }
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		f.SetDrawColor(234, 238, 242)
		f.Line(left, py(v), right, py(v))
		f.SetXY(x, py(v)-1.8)
		p.cell(11, 3.6, tick(v), "", 0, "R")
	}
	n := max(len(c.Labels), 1)
	slot := (right - left) / float64(n)
	for i, l := range c.Labels {
		f.SetXY(left+slot*float64(i), bottom+0.8)
		p.cell(slot, 3.6, pdfText(l), "", 0, "C")
	}
	for si, s := range c.Series {
		r, g, b := hexRGB(chartColors[si%len(chartColors)])
		f.SetFillColor(r, g, b)
		f.SetDrawColor(r, g, b)
		if c.Kind == ChartBar {
			bw := slot * 0.7 / float64(len(c.Series))
			for i, v := range s.Values {
				if v != nil {
					top := py(c.scale(*v))
					f.Rect(left+slot*float64(i)+slot*0.15+bw*float64(si), top, bw, bottom-top, "F")
				}
			}
			continue
		}
		f.SetLineWidth(0.5)
		var prev *fpdf.PointType
		for i, v := range s.Values {
			if v == nil {
				prev = nil
				continue
			}
			pt := fpdf.PointType{X: left + slot*(float64(i)+0.5), Y: py(c.scale(*v))}
			if prev != nil {
				f.Line(prev.X, prev.Y, pt.X, pt.Y)
			}
			f.Circle(pt.X, pt.Y, 0.7, "F")
			prev = &pt
		}
		f.SetLineWidth(0.2)
	}
	if c.Target != nil {
		f.SetDrawColor(180, 35, 24)
		f.SetDashPattern([]float64{1.5, 1}, 0)
		ty := py(c.scale(*c.Target))
		f.Line(left, ty, right, ty)
		f.SetDashPattern([]float64{}, 0)
		f.SetXY(right-30, ty-4)
		p.cell(30, 3.6, "target "+Value(c.Unit, c.Target), "", 0, "R")
	}
	lx := left
	for si, s := range c.Series {
		r, g, b := hexRGB(chartColors[si%len(chartColors)])
		f.SetFillColor(r, g, b)
		f.Rect(lx, y+h-5, 2.5, 2.5, "F")
		f.SetXY(lx+3, y+h-5.6)
		name := pdfText(s.Name)
		p.cell(p.width(name)+2, 3.6, name, "", 0, "L")
		lx += p.width(name) + 9
	}
	f.SetDrawColor(208, 215, 222)
}

// hexRGB reads "#rrggbb".
func hexRGB(s string) (int, int, int) {
	v, _ := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}

func (p *pdfWriter) body() {
	f, e := p.f, p.e
	f.AddPage()
	f.SetY(pdfMargin)
	p.heading("Headline figures")
	p.table(HeadlineColumns, []float64{3.2, 2, 2, 1.6, 2.6, 5.4}, e.HeadlineRows())

	p.heading("Industry context")
	if e.Industry.Absent != "" {
		p.absent(e.Industry.Absent)
	} else {
		p.para(e.IndustryLine())
		p.table(IndustryColumns, []float64{2, 3, 5, 2.4, 2.6}, e.IndustryRows())
		f.SetTextColor(90, 96, 106)
		for _, n := range e.IndustryNotes() {
			p.para(n)
		}
		f.SetTextColor(27, 31, 36)
	}

	p.heading("Recommendations")
	if len(e.Recommendations) == 0 {
		p.absent(NoRecommendation)
	}
	for i, r := range e.Recommendations {
		p.need(16)
		f.SetFont(pdfFont, "B", 9.5)
		p.multi(pdfWidth, pdfLine, pdfText(fmt.Sprintf("%d. %s", i+1, r.Title)), "L")
		p.para(r.Text)
		f.SetTextColor(90, 96, 106)
		p.para("Evidence: " + strings.Join(r.Evidence, "; ") + ".")
		f.SetTextColor(27, 31, 36)
	}

	p.headingKeep("Trends", 80)
	if charts := e.Charts(); len(charts) == 0 {
		p.absent("No trend data.")
	} else {
		const ch = 62.0
		cw := (pdfWidth - 4) / 2
		for i := 0; i < len(charts); i += 2 {
			p.need(ch + 3)
			y := f.GetY()
			p.chart(charts[i], pdfMargin, y, cw, ch)
			if i+1 < len(charts) {
				p.chart(charts[i+1], pdfMargin+cw+4, y, cw, ch)
			}
			f.SetXY(pdfMargin, y+ch+3)
		}
		f.SetFont(pdfFont, "", 8)
		p.para("* a period the data covers only in part.")
		p.table(TrendColumns, []float64{2.2, 1.4, 1.6, 1.8, 1.8, 2.2}, e.TrendRows())
	}

	p.heading("Noisiest detection rules")
	if len(e.NoisyRules) == 0 {
		p.absent(NoNoisyRules)
	} else {
		p.table(NoisyColumns, []float64{5, 1.4, 1.6, 1.8, 2}, e.NoisyRows())
	}

	p.heading("SLA breaches and their causes")
	if e.SLA.Absent != "" {
		p.absent(e.SLA.Absent)
	} else {
		for _, l := range e.SLALines() {
			p.para("• " + l)
		}
		if len(e.SLA.ByPriority) > 0 {
			p.para("Breaches by priority (cases created in the period):")
			p.table(BreachColumns, []float64{3, 2, 2, 2}, BreachRows(e.SLA.ByPriority))
		}
		if len(e.SLA.ByTeam) > 0 {
			p.para("Breaches by team:")
			p.table(BreachColumns, []float64{3, 2, 2, 2}, BreachRows(e.SLA.ByTeam))
		}
		if len(e.SLA.MostOverdue) > 0 {
			p.para("Most overdue open cases now:")
			p.table(OverdueColumns, []float64{2.2, 4.5, 1.2, 1.6, 1.6, 1.4, 1.5}, e.OverdueRows())
		}
	}

	p.heading("Major incidents")
	if e.Incidents.Absent != "" {
		p.absent(e.Incidents.Absent)
	} else {
		p.para(e.IncidentLine())
		p.table(IncidentColumns, []float64{1.2, 3.4, 1.1, 1.2, 2, 1.3, 1, 1.4, 1.7, 1.8}, e.IncidentRows())
	}

	p.heading("Threat landscape")
	if e.Threats.Absent != "" {
		p.absent(e.Threats.Absent)
	} else {
		p.para(e.ThreatLine())
		if len(e.Threats.Profiles) > 0 {
			p.table(ProfileColumns, []float64{2.4, 1.2, 1.2, 7, 2}, e.ProfileRows())
		}
		if len(e.Threats.Matches) > 0 {
			p.table(MatchColumns, []float64{1.2, 5, 2.4, 1.4, 1, 2}, e.MatchRows())
		}
	}

	p.heading("Detection coverage")
	if e.Coverage.Absent != "" {
		p.absent(e.Coverage.Absent)
	} else {
		p.para(e.CoverageLine())
		p.table(TacticColumns, []float64{4, 2, 2, 2}, e.TacticRows())
	}
	p.heading("Posture")
	if e.Posture.Absent != "" {
		p.absent(e.Posture.Absent)
	} else {
		for _, l := range e.PostureLines() {
			p.para("• " + l)
		}
		if len(e.Posture.MTTR) > 0 {
			p.table(PostureMTTRColumns, []float64{2, 3, 3, 2}, e.PostureMTTRRows())
		}
		if len(e.Posture.Overdue) > 0 {
			p.para("Most overdue open findings:")
			p.table(PostureOverdueColumns, []float64{1.4, 5, 3, 2, 1.4, 1.4}, e.PostureOverdueRows())
		}
	}

	p.heading("Staffing and capacity")
	if e.Staffing.Absent != "" {
		p.absent(e.Staffing.Absent)
	} else {
		for _, l := range e.StaffingLines() {
			p.para("• " + l)
		}
		p.table(QueueColumns, []float64{2, 2, 2, 2}, e.QueueRows())
	}

	p.heading("Budget")
	if e.Budget.Absent != "" {
		p.absent(e.Budget.Absent)
	} else {
		p.para(e.BudgetLine())
		p.table(BudgetColumns, []float64{3, 2, 2}, e.BudgetRows())
		for _, s := range e.Budget.Sources {
			p.para("Source: " + s)
		}
		for _, n := range e.Budget.Notes {
			p.para("Note: " + n)
		}
	}

	p.heading("Definitions")
	for _, d := range e.Definitions {
		p.para("• " + d)
	}
	p.para("Every figure is the one Watchfloor's metrics engine gives for the same window; each headline figure's source command is in the report's JSON data.")
}
