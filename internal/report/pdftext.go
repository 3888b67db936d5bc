package report

import (
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// fallbackName is the family name of the fallback font chain[i] in the
// PDF.
func fallbackName(i int) string { return "fallback" + strconv.Itoa(i) }

// newPDF starts an A4 PDF with the Go fonts embedded and, when the data v
// holds characters only fallback fonts have, those fonts too. The
// returned glyphs choose the font per run of characters (an empty chain
// when none is used); note is what the cover says of the scripts no font
// draws ("" when there are none).
func newPDF(v any) (f *fpdf.Fpdf, g *glyphs, note string) {
	f = fpdf.New("P", "mm", "A4", "")
	f.AddUTF8FontFromBytes(pdfFont, "", goregular.TTF)
	f.AddUTF8FontFromBytes(pdfFont, "B", gobold.TTF)
	var chain []*fallbackFont
	if len(undrawnScripts(v, nil)) > 0 {
		chain = currentChain() // read only for a report the Go fonts cannot draw
		if undrawn := undrawnScripts(v, chain); len(undrawn) > 0 {
			note = scriptNote(undrawn, chain)
		}
	}
	// Only the fonts that draw something are embedded; no character
	// changes font when the others leave the chain.
	used := usedFonts(v, chain)
	var drawn []*fallbackFont
	for i, fb := range chain {
		if used[i] {
			f.AddUTF8FontFromBytes(fallbackName(len(drawn)), "", fb.data) // one style: bold runs use it too
			drawn = append(drawn, fb)
		}
	}
	return f, newGlyphs(drawn), note
}

// textRun is a run of text drawn with one font: 0 the Go font, i+1 the
// fallback font chain[i].
type textRun struct {
	text string
	font int
}

// runs splits s where the font drawing it changes; spaces stay with the
// run before them.
func (g *glyphs) runs(s string) []textRun {
	if g == nil || len(g.chain) == 0 {
		return []textRun{{text: s}}
	}
	var out []textRun
	var b strings.Builder
	cur := 0
	for _, r := range s {
		fb := g.font(r)
		if r == ' ' {
			fb = cur
		}
		if fb != cur && b.Len() > 0 {
			out = append(out, textRun{text: b.String(), font: cur})
			b.Reset()
		}
		cur = fb
		b.WriteRune(r)
	}
	if b.Len() > 0 || len(out) == 0 {
		out = append(out, textRun{text: b.String(), font: cur})
	}
	return out
}

// shaped is s as the PDF draws it, in logical order: Arabic in its
// contextual forms (shapeArabic).
func (p *pdfWriter) shaped(s string) string {
	if p.g == nil || len(p.g.chain) == 0 {
		return s
	}
	return shapeArabic(s)
}

// plain reports whether s is drawn with the Go fonts alone, as it is.
func (p *pdfWriter) plain(s string) bool {
	if p.g == nil || len(p.g.chain) == 0 {
		return true
	}
	for _, r := range s {
		if r >= 0x250 && (p.g.font(r) > 0 || rtlRune(r) || r == devaSignI || r == zeroWidthJoiner || r == zeroWidthNonJoin) {
			return false
		}
	}
	return true
}

// withRun sets the font of a run (the current style and size) and
// restores the Go font after do.
func (p *pdfWriter) withRun(r textRun, do func()) {
	if r.font == 0 {
		do()
		return
	}
	f := p.f
	style := f.GetFontStyle()
	size, _ := f.GetFontSize()
	f.SetFont(fallbackName(r.font-1), "", size)
	do()
	f.SetFont(pdfFont, style, size)
}

// width is the width of s in the current style and size.
func (p *pdfWriter) width(s string) float64 {
	if p.plain(s) {
		return p.f.GetStringWidth(s)
	}
	var w float64
	for _, r := range p.g.runs(p.shaped(s)) {
		p.withRun(r, func() { w += p.f.GetStringWidth(r.text) })
	}
	return w
}

// cell is fpdf's CellFormat with the font chosen per run of s, s shaped
// and in visual order.
func (p *pdfWriter) cell(w, h float64, s, border string, ln int, align string) {
	f := p.f
	if p.plain(s) {
		f.CellFormat(w, h, s, border, ln, align, false, 0, "")
		return
	}
	s = visual(p.shaped(s))
	x, y := f.GetXY()
	f.CellFormat(w, h, "", border, 0, "", false, 0, "")
	m := f.GetCellMargin()
	tx := x + m
	switch align {
	case "C":
		tx = x + (w-p.width(s))/2
	case "R":
		tx = x + w - m - p.width(s)
	}
	f.SetCellMargin(0)
	for _, r := range p.g.runs(s) {
		p.withRun(r, func() {
			rw := f.GetStringWidth(r.text)
			f.SetXY(tx, y)
			f.CellFormat(rw, h, r.text, "", 0, "L", false, 0, "")
			tx += rw
		})
	}
	f.SetCellMargin(m)
	switch ln {
	case 1:
		f.SetXY(pdfMargin, y+h)
	case 2:
		f.SetXY(x, y+h)
	default:
		f.SetXY(x+w, y)
	}
}

// lines is fpdf's SplitText with the font chosen per run: s, shaped,
// broken into lines at most w wide (less the cell margins), at spaces, or
// anywhere in a word longer than a line; the lines are in logical order.
func (p *pdfWriter) lines(s string, w float64) []string {
	if p.plain(s) {
		return p.f.SplitText(s, w)
	}
	max := w - 2*p.f.GetCellMargin()
	rs := []rune(strings.TrimRight(p.shaped(s), " \n"))
	ws := make([]float64, len(rs))
	for i, r := range rs {
		ws[i] = p.width(string(r))
	}
	var out []string
	start, space := 0, -1
	var cur float64
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\n':
			out = append(out, string(rs[start:i]))
			start, space, cur = i+1, -1, 0
			continue
		case ' ':
			space = i
		}
		cur += ws[i]
		if cur <= max || i == start {
			continue
		}
		if space > start {
			out = append(out, string(rs[start:space]))
			start = space + 1
		} else {
			out = append(out, string(rs[start:i]))
			start = i
		}
		space, cur = -1, 0
		for _, x := range ws[start : i+1] {
			cur += x
		}
	}
	return append(out, string(rs[start:]))
}

// multi is fpdf's MultiCell (no border, no fill) with the font chosen per
// run.
func (p *pdfWriter) multi(w, h float64, s, align string) {
	if p.plain(s) {
		p.f.MultiCell(w, h, s, "", align, false)
		return
	}
	for _, l := range p.lines(s, w) {
		p.cell(w, h, l, "", 1, align)
	}
}
