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
		"csv":      "id,title\n1,a\x1bb\n22,<b>\n",
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
