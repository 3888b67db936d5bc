package report

import (
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// pdfFallbackFont is the family name of the fallback font in the PDF.
const pdfFallbackFont = "fallback"

// newPDF starts an A4 PDF with the Go fonts embedded and, when the data v
// holds characters only the fallback font has, that font too. The
// returned glyphs choose the font per run of characters (nil fallback
// when none is used); note is what the cover says of the scripts neither
// font draws ("" when there are none).
func newPDF(v any) (f *fpdf.Fpdf, g *glyphs, note string) {
	f = fpdf.New("P", "mm", "A4", "")
	f.AddUTF8FontFromBytes(pdfFont, "", goregular.TTF)
	f.AddUTF8FontFromBytes(pdfFont, "B", gobold.TTF)
	var fb *fallbackFont
	if len(undrawnScripts(v, nil)) > 0 {
		fb = currentFallback() // read only for a report the Go fonts cannot draw
		if undrawn := undrawnScripts(v, fb); len(undrawn) > 0 {
			note = scriptNote(undrawn, fb)
		}
	}
	if !needsFallback(v, fb) {
		fb = nil
	} else {
		f.AddUTF8FontFromBytes(pdfFallbackFont, "", fb.data) // one style: bold runs use it too
	}
	return f, newGlyphs(fb), note
}

// textRun is a run of text drawn with one font.
type textRun struct {
	text     string
	fallback bool
}

// runs splits s where the font drawing it changes; spaces stay with the
// run before them.
func (g *glyphs) runs(s string) []textRun {
	if g == nil || g.fb == nil {
		return []textRun{{text: s}}
	}
	var out []textRun
	var b strings.Builder
	cur := false
	for _, r := range s {
		fb := g.fallback(r)
		if r == ' ' {
			fb = cur
		}
		if fb != cur && b.Len() > 0 {
			out = append(out, textRun{text: b.String(), fallback: cur})
			b.Reset()
		}
		cur = fb
		b.WriteRune(r)
	}
	if b.Len() > 0 || len(out) == 0 {
		out = append(out, textRun{text: b.String(), fallback: cur})
	}
	return out
}

// plain reports whether s is drawn with the Go fonts alone.
func (p *pdfWriter) plain(s string) bool {
	if p.g == nil || p.g.fb == nil {
		return true
	}
	for _, r := range s {
		if p.g.fallback(r) {
			return false
		}
	}
	return true
}

// withRun sets the font of a run (the current style and size) and
// restores the Go font after do.
func (p *pdfWriter) withRun(r textRun, do func()) {
	if !r.fallback {
		do()
		return
	}
	f := p.f
	style := f.GetFontStyle()
	size, _ := f.GetFontSize()
	f.SetFont(pdfFallbackFont, "", size)
	do()
	f.SetFont(pdfFont, style, size)
}

// width is the width of s in the current style and size.
func (p *pdfWriter) width(s string) float64 {
	if p.plain(s) {
		return p.f.GetStringWidth(s)
	}
	var w float64
	for _, r := range p.g.runs(s) {
		p.withRun(r, func() { w += p.f.GetStringWidth(r.text) })
	}
	return w
}

// cell is fpdf's CellFormat with the font chosen per run of s.
func (p *pdfWriter) cell(w, h float64, s, border string, ln int, align string) {
	f := p.f
	if p.plain(s) {
		f.CellFormat(w, h, s, border, ln, align, false, 0, "")
		return
	}
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

// lines is fpdf's SplitText with the font chosen per run: s broken into
// lines at most w wide (less the cell margins), at spaces, or anywhere in
// a word longer than a line.
func (p *pdfWriter) lines(s string, w float64) []string {
	if p.plain(s) {
		return p.f.SplitText(s, w)
	}
	max := w - 2*p.f.GetCellMargin()
	rs := []rune(strings.TrimRight(s, " \n"))
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
