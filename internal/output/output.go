// Package output renders tables for people and programs: aligned text for a
// terminal, JSON, CSV and Markdown. Every cell may hold attacker-controlled
// text, so each renderer escapes what its medium would interpret: control
// characters for terminals, markup for Markdown, formulas for spreadsheets.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Formats are the accepted values of -o.
var Formats = []string{"table", "json", "csv", "markdown"}

// CheckFormat reports an error for an unknown output format.
func CheckFormat(f string) error {
	for _, v := range Formats {
		if v == f {
			return nil
		}
	}
	return fmt.Errorf("unknown output format %q (want one of %s)", f, strings.Join(Formats, ", "))
}

// Table is data with named columns. JSON, when set, is what -o json prints
// instead of the rows (a structured value with the same content). Name
// identifies the table among a command's tables (-o csv prints one, chosen
// with --table NAME); Names derives one from the title when it is empty.
type Table struct {
	Name    string
	Title   string
	Columns []string
	Rows    [][]string
	JSON    any
}

// TableName is the table's Name, or a name made of its title: lower case,
// words joined by hyphens, at most 40 characters ("Analyst load" →
// "analyst-load").
func (t Table) TableName() string {
	if t.Name != "" {
		return t.Name
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(t.Title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	if b.Len() == 0 {
		return "table"
	}
	return b.String()
}

// Render writes t to w in format f.
func Render(w io.Writer, f string, t Table) error {
	switch f {
	case "", "table":
		return renderText(w, t)
	case "json":
		return renderJSON(w, t)
	case "csv":
		return renderCSV(w, t)
	case "markdown":
		return renderMarkdown(w, t)
	}
	return CheckFormat(f)
}

func renderJSON(w io.Writer, t Table) error {
	v := t.JSON
	if v == nil {
		rows := make([]map[string]string, 0, len(t.Rows))
		for _, r := range t.Rows {
			m := make(map[string]string, len(t.Columns))
			for i, c := range t.Columns {
				if i < len(r) {
					m[c] = r[i]
				}
			}
			rows = append(rows, m)
		}
		v = rows
	}
	enc := json.NewEncoder(w) // escapes <, > and & too
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Terminal makes a string safe to print on a terminal: control characters
// (escape sequences, carriage returns, bidi overrides …) are shown as \x1b,
// \u202e and so on instead of being interpreted.
func Terminal(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

func renderText(w io.Writer, t Table) error {
	cells := make([][]string, len(t.Rows))
	widths := make([]int, len(t.Columns))
	// Headers can come from data (skill names, say): escaped like cells.
	header := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = Terminal(c)
		widths[i] = utf8.RuneCountInString(header[i])
	}
	for i, r := range t.Rows {
		cells[i] = make([]string, len(t.Columns))
		for j := range t.Columns {
			if j < len(r) {
				cells[i][j] = Terminal(r[j])
			}
			if n := utf8.RuneCountInString(cells[i][j]); n > widths[j] {
				widths[j] = n
			}
		}
	}
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(Terminal(t.Title) + "\n")
	}
	line := func(vals []string) {
		for j, v := range vals {
			if j > 0 {
				b.WriteString("  ")
			}
			b.WriteString(v)
			if j < len(vals)-1 {
				b.WriteString(strings.Repeat(" ", widths[j]-utf8.RuneCountInString(v)))
			}
		}
		b.WriteString("\n")
	}
	line(header)
	for _, r := range cells {
		line(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Spreadsheet neutralises a cell that a spreadsheet would run as a formula
// (OWASP's CSV injection guidance): one starting with = + - @, a tab or a
// carriage return gets a leading single quote.
func Spreadsheet(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// CSVField makes a string one RFC 4180 field: control characters shown as
// \x1b and so on (a CSV file is read in terminals too), neutralised for
// spreadsheets, and quoted when it holds a separator (a comma, or the
// semicolon some locales use), a quote, or leading or trailing spaces,
// with its quotes doubled.
func CSVField(s string) string {
	s = Spreadsheet(Terminal(s))
	if s == "" || (!strings.ContainsAny(s, ",;\"") && s[0] != ' ' && s[len(s)-1] != ' ') {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// renderCSV writes the table as RFC 4180 CSV: one header line, one line
// per row, CRLF line ends, every field (headers too) through CSVField.
func renderCSV(w io.Writer, t Table) error {
	var b strings.Builder
	line := func(vals []string) {
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(CSVField(v))
		}
		b.WriteString("\r\n")
	}
	line(t.Columns)
	for _, r := range t.Rows {
		rec := make([]string, len(t.Columns))
		copy(rec, r)
		line(rec)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Markdown escapes text for a Markdown table cell: markup characters are
// backslash-escaped, HTML is turned into entities, line breaks become spaces.
func Markdown(s string) string {
	var b strings.Builder
	for _, r := range Terminal(s) {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '[', ']', '|', '#', '!', '(', ')', '{', '}', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func renderMarkdown(w io.Writer, t Table) error {
	var b strings.Builder
	if t.Title != "" {
		b.WriteString("### " + Markdown(t.Title) + "\n\n")
	}
	b.WriteString("|")
	for _, c := range t.Columns {
		b.WriteString(" " + Markdown(c) + " |")
	}
	b.WriteString("\n|")
	for range t.Columns {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		b.WriteString("|")
		for i := range t.Columns {
			v := ""
			if i < len(r) {
				v = r[i]
			}
			b.WriteString(" " + Markdown(v) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
