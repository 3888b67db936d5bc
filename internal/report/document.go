package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/output"
)

// Table is a table of a document part; every cell is data, escaped by each
// renderer.
type Table struct {
	Caption string
	Columns []string
	Rows    [][]string
}

// Part is one section of a document: its heading, and either the one line
// said instead of it when its data is absent, or its lines and tables.
type Part struct {
	Heading string
	Absent  string
	Lines   []string
	// Code marks lines that are commands (the sources), shown as code.
	Code   bool
	Tables []Table
}

// Document is a report laid out for the renderers shared by the shift
// handover and the operations review: Markdown, self-contained HTML and
// PDF. The data each report is built from is its JSON form.
type Document struct {
	Title       string
	Window      string
	GeneratedAt time.Time
	Meta        []string
	Parts       []Part
}

// renderDocument writes d in a format, or data as JSON.
func renderDocument(w io.Writer, format string, d *Document, data any) error {
	switch format {
	case "md", "markdown":
		return d.Markdown(w)
	case "html":
		return d.HTML(w)
	case "pdf":
		return d.PDF(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(data)
	}
	return fmt.Errorf("report format %q: want one of %s", format, strings.Join(Formats, ", "))
}

// Markdown writes the document as Markdown, every data string escaped.
func (d *Document) Markdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# " + md(d.Title) + "\n\n")
	b.WriteString("**Period:** " + md(d.Window) + "\n\n")
	for _, m := range d.Meta {
		b.WriteString(md(m) + "\n\n")
	}
	for _, p := range d.Parts {
		b.WriteString("## " + md(p.Heading) + "\n\n")
		if p.Absent != "" {
			b.WriteString("_" + md(p.Absent) + "_\n\n")
			continue
		}
		for _, l := range p.Lines {
			if p.Code && !strings.Contains(l, "`") {
				b.WriteString("- `" + output.Terminal(l) + "`\n")
				continue
			}
			b.WriteString("- " + md(l) + "\n")
		}
		if len(p.Lines) > 0 {
			b.WriteString("\n")
		}
		for _, t := range p.Tables {
			if t.Caption != "" {
				b.WriteString(md(t.Caption) + "\n\n")
			}
			mdTable(&b, t.Columns, t.Rows)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Plain is the document as plain text for a message: the title and
// period, each part's heading and lines, and each table row as its cells
// after the column names.
func (d *Document) Plain() string {
	var b strings.Builder
	b.WriteString(d.Title + "\nPeriod: " + d.Window + "\n")
	for _, p := range d.Parts {
		b.WriteString("\n" + p.Heading + "\n")
		if p.Absent != "" {
			b.WriteString(p.Absent + "\n")
			continue
		}
		for _, l := range p.Lines {
			b.WriteString("- " + l + "\n")
		}
		for _, t := range p.Tables {
			if t.Caption != "" {
				b.WriteString(t.Caption + "\n")
			}
			for _, r := range t.Rows {
				cells := make([]string, 0, len(r))
				for i, c := range r {
					if i < len(t.Columns) && t.Columns[i] != "" {
						c = t.Columns[i] + ": " + c
					}
					cells = append(cells, c)
				}
				b.WriteString("- " + strings.Join(cells, "; ") + "\n")
			}
		}
	}
	return b.String()
}

// documentTemplate is the self-contained HTML form of a document: inline
// CSS, no script, no external resource; html/template escapes the data.
var documentTemplate = template.Must(template.New("document").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{.Title}} {{.Window}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1b1f24;background:#fff;margin:0 auto;max-width:1280px;padding:24px;line-height:1.45}
h1{font-size:1.7em;margin:0 0 .2em}h2{font-size:1.25em;border-bottom:2px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
.meta{color:#57606a;font-size:.9em;margin:.2em 0}.absent{color:#57606a;font-style:italic}
table{border-collapse:collapse;width:100%;margin:.6em 0 1em;font-size:.92em}th,td{border:1px solid #d0d7de;padding:.35em .55em;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f6f8fa}
@media print{body{max-width:none;padding:0}h2{break-after:avoid}table{break-inside:avoid}}
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p class="meta"><strong>Period:</strong> {{.Window}}</p>
{{range .Meta}}<p class="meta">{{.}}</p>
{{end}}</header>
{{range .Parts}}<h2>{{.Heading}}</h2>
{{if .Absent}}<p class="absent">{{.Absent}}</p>
{{else}}{{if .Lines}}<ul>{{$code := .Code}}{{range .Lines}}<li>{{if $code}}<code>{{.}}</code>{{else}}{{.}}{{end}}</li>{{end}}</ul>{{end}}
{{range .Tables}}{{if .Caption}}<p>{{.Caption}}</p>{{end}}<table><thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead><tbody>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table>
{{end}}{{end}}{{end}}<footer class="meta">Every figure is the one Watchfloor's metrics engine and live dashboard give for the same window; the report's JSON data names each source.</footer>
</body>
</html>`))

// HTML writes the document as one self-contained HTML page.
func (d *Document) HTML(w io.Writer) error { return documentTemplate.Execute(w, d) }

// PDF writes the document as a PDF with the executive report's layout: a
// cover with the period and generation time, page numbers, the Go fonts
// embedded.
func (d *Document) PDF(w io.Writer) error {
	f, g, note := newPDF(d)
	p := &pdfWriter{f: f, g: g, note: note}
	f.SetCompression(true)
	f.SetCreationDate(d.GeneratedAt)
	f.SetModificationDate(d.GeneratedAt)
	f.SetCatalogSort(true)
	f.SetTitle(pdfText(d.Title+" "+d.Window), true)
	f.SetCreator("Watchfloor", true)
	f.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	f.SetAutoPageBreak(false, 0)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetFont(pdfFont, "", 8)
		f.SetTextColor(90, 96, 106)
		f.SetXY(pdfMargin, 297-12)
		p.cell(pdfWidth/2, 5, pdfText(d.Title), "", 0, "L")
		p.cell(pdfWidth/2, 5, fmt.Sprintf("Page %d of {nb}", f.PageNo()), "", 0, "R")
		f.SetTextColor(27, 31, 36)
	})
	f.AddPage()
	f.SetY(70)
	f.SetFont(pdfFont, "B", 24)
	p.multi(pdfWidth, 11, pdfText(d.Title), "L")
	f.Ln(4)
	f.SetFont(pdfFont, "", 13)
	p.multi(pdfWidth, 7, pdfText("Period: "+d.Window), "L")
	f.Ln(2)
	p.multi(pdfWidth, 7, pdfText("Generated: "+stamp(d.GeneratedAt)), "L")
	f.Ln(8)
	f.SetFont(pdfFont, "", 9.5)
	f.SetTextColor(90, 96, 106)
	for _, l := range d.Meta {
		p.multi(pdfWidth, pdfLine, pdfText(l), "L")
		f.Ln(1)
	}
	if note != "" {
		f.Ln(3)
		f.SetTextColor(150, 90, 0)
		p.multi(pdfWidth, pdfLine, note, "L")
	}
	f.SetTextColor(27, 31, 36)
	f.AddPage()
	f.SetY(pdfMargin)
	for _, part := range d.Parts {
		p.heading(part.Heading)
		if part.Absent != "" {
			p.absent(part.Absent)
			continue
		}
		for _, l := range part.Lines {
			p.para("• " + l)
		}
		for _, t := range part.Tables {
			if t.Caption != "" {
				p.para(t.Caption)
			}
			p.table(t.Columns, columnWidths(t), t.Rows)
		}
	}
	if err := f.Error(); err != nil {
		return fmt.Errorf("drawing the PDF report: %w", err)
	}
	return f.Output(w)
}

// columnWidths are a table's relative PDF column widths: each column's
// longest cell in characters, between 5 and 40, so titles and notes get the
// room and counts do not.
func columnWidths(t Table) []float64 {
	ws := make([]float64, len(t.Columns))
	for i, c := range t.Columns {
		ws[i] = float64(min(len([]rune(c)), 12))
	}
	for _, r := range t.Rows {
		for i := range min(len(r), len(ws)) {
			ws[i] = max(ws[i], float64(len([]rune(r[i]))))
		}
	}
	for i := range ws {
		ws[i] = min(max(ws[i], 5), 40)
	}
	return ws
}
