package output

import (
	"bytes"
	"strings"
	"testing"
)

// Markdown shows a backslash as \\, so an escaped control character reads
// \x1b on the rendered page.
func TestEscaping(t *testing.T) {
	tests := []struct {
		name, in, terminal, markdown, sheet string
	}{
		{"plain", "Mimikatz on ws-1", "Mimikatz on ws-1", "Mimikatz on ws-1", "Mimikatz on ws-1"},
		{"ansi", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`, `\\x1b\[31mred\\x1b\[0m`, "\x1b[31mred\x1b[0m"},
		{"newline", "a\r\nb", `a\x0d\x0ab`, `a\\x0d\\x0ab`, "a\r\nb"},
		{"bidi", "exe.\u202etxt", `exe.\u202etxt`, `exe.\\u202etxt`, "exe.\u202etxt"},
		{"html", `<img src=x onerror=alert(1)>`, `<img src=x onerror=alert(1)>`, `&lt;img src=x onerror=alert\(1\)&gt;`, `<img src=x onerror=alert(1)>`},
		{"pipe link", "[x](javascript:alert(1)) | y", "[x](javascript:alert(1)) | y", `\[x\]\(javascript:alert\(1\)\) \| y`, "[x](javascript:alert(1)) | y"},
		{"formula", "=HYPERLINK(\"http://evil\")", "=HYPERLINK(\"http://evil\")", "=HYPERLINK\\(\"http://evil\"\\)", "'=HYPERLINK(\"http://evil\")"},
		{"bad utf8", "a\xffb", `a\xffb`, `a\\xffb`, "a\xffb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Terminal(tt.in); got != tt.terminal {
				t.Errorf("Terminal = %q, want %q", got, tt.terminal)
			}
			if got := Markdown(tt.in); got != tt.markdown {
				t.Errorf("Markdown = %q, want %q", got, tt.markdown)
			}
			if got := Spreadsheet(tt.in); got != tt.sheet {
				t.Errorf("Spreadsheet = %q, want %q", got, tt.sheet)
			}
		})
	}
}

func TestRender(t *testing.T) {
	tab := Table{Columns: []string{"id", "title"}, Rows: [][]string{{"1", "a\x1bb"}, {"22", "<b>"}}}
	want := map[string]string{
		"table":    "id  title\n1   a\\x1bb\n22  <b>\n",
		"csv":      "id,title\r\n1,a\\x1bb\r\n22,<b>\r\n",
		"markdown": "| id | title |\n| --- | --- |\n| 1 | a\\\\x1bb |\n| 22 | &lt;b&gt; |\n",
		"json":     "[\n  {\n    \"id\": \"1\",\n    \"title\": \"a\\u001bb\"\n  },\n  {\n    \"id\": \"22\",\n    \"title\": \"\\u003cb\\u003e\"\n  }\n]\n",
	}
	for f, w := range want {
		var b bytes.Buffer
		if err := Render(&b, f, tab); err != nil {
			t.Fatal(err)
		}
		if b.String() != w {
			t.Errorf("%s:\n%q\nwant\n%q", f, b.String(), w)
		}
	}
	if err := Render(&bytes.Buffer{}, "xml", tab); err == nil || !strings.Contains(err.Error(), "unknown output format") {
		t.Errorf("xml: %v", err)
	}
}

// TestCSVInjection: -o csv is RFC 4180 and safe to open in a spreadsheet
// or print in a terminal: every field, headers included (they can come
// from data, as skill names do in the skill matrix), is neutralised per
// OWASP's CSV injection guidance, and quoted when it holds a separator.
func TestCSVInjection(t *testing.T) {
	tab := Table{
		Columns: []string{"analyst", "=cmd|' /C calc'!A0", "\x1b]0;pwned\x07skill", "a,b"},
		Rows: [][]string{
			{"ana", "x;=1+1", "-2", "@SUM(A1)"},
			{"\tbob", `say "hi"`, " padded ", "+1"},
			{"carol\r\n=HYPERLINK(\"http://evil\")", "", "ok", "plain"},
		},
	}
	var b bytes.Buffer
	if err := Render(&b, "csv", tab); err != nil {
		t.Fatal(err)
	}
	want := "analyst,'=cmd|' /C calc'!A0,\"\\x1b]0;pwned\\x07skill\",\"a,b\"\r\n" +
		"ana,\"x;=1+1\",'-2,'@SUM(A1)\r\n" +
		"\\x09bob,\"say \"\"hi\"\"\",\" padded \",'+1\r\n" +
		"\"carol\\x0d\\x0a=HYPERLINK(\"\"http://evil\"\")\",,ok,plain\r\n"
	if b.String() != want {
		t.Errorf("csv:\n%q\nwant\n%q", b.String(), want)
	}
	// The terminal table escapes headers like cells.
	b.Reset()
	if err := Render(&b, "table", Table{Columns: []string{"x\x1b[2Jy"}, Rows: [][]string{{"1"}}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") || !strings.HasPrefix(b.String(), `x\x1b[2Jy`) {
		t.Errorf("table header not escaped: %q", b.String())
	}
}

func TestTableName(t *testing.T) {
	for _, tt := range []struct {
		tab  Table
		want string
	}{
		{Table{Name: "kpis", Title: "whatever"}, "kpis"},
		{Table{Title: "Analyst load"}, "analyst-load"},
		{Table{Title: "SLA at risk, past 80 % of target (3)"}, "sla-at-risk-past-80-of-target-3"},
		{Table{}, "table"},
	} {
		if got := tt.tab.TableName(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.tab, got, tt.want)
		}
	}
}
