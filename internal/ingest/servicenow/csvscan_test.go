package servicenow

import (
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"
)

type scanned struct {
	line   int
	raw    string
	fields []string
	err    string
}

func scanAll(t *testing.T, in string, max int) []scanned {
	t.Helper()
	s := newScanner(strings.NewReader(in), max)
	var out []scanned
	for {
		rec, err := s.next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		sc := scanned{line: rec.line, raw: string(rec.raw), fields: rec.fields}
		if rec.err != nil {
			sc.err = rec.err.Error()
		}
		out = append(out, sc)
	}
}

func TestScanner(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want []scanned
	}{
		{"plain", "a,b\nc,d\n", 0, []scanned{
			{1, "a,b", []string{"a", "b"}, ""}, {2, "c,d", []string{"c", "d"}, ""}}},
		{"no final newline, empty fields", "a,,\n,b", 0, []scanned{
			{1, "a,,", []string{"a", "", ""}, ""}, {2, ",b", []string{"", "b"}, ""}}},
		{"byte order mark and CRLF", "\xEF\xBB\xBFa,b\r\nc\r\n", 0, []scanned{
			{1, "a,b", []string{"a", "b"}, ""}, {2, "c", []string{"c"}, ""}}},
		{"blank lines skipped, lines still counted", "\n\na\n\r\n\nb\n", 0, []scanned{
			{3, "a", []string{"a"}, ""}, {6, "b", []string{"b"}, ""}}},
		{"quoted comma, escaped quote, newline in field", "\"x,y\",\"say \"\"hi\"\"\",\"l1\r\nl2\"\nnext\n", 0, []scanned{
			{1, "\"x,y\",\"say \"\"hi\"\"\",\"l1\r\nl2\"", []string{"x,y", `say "hi"`, "l1\nl2"}, ""},
			{3, "next", []string{"next"}, ""}}},
		{"quoted empty field is not blank", "\"\"\n", 0, []scanned{{1, `""`, []string{""}, ""}}},
		{"bare quote in unquoted field is text", "a\"b,c\n", 0, []scanned{{1, `a"b,c`, []string{`a"b`, "c"}, ""}}},
		{"lone CR is text", "a\rb,c\n", 0, []scanned{{1, "a\rb,c", []string{"a\rb", "c"}, ""}}},
		{"text after closing quote", "\"a\"b,c\nd\n", 0, []scanned{
			{1, `"a"b,c`, []string{"ab", "c"}, `field 1: unexpected 'b' after closing quote`},
			{2, "d", []string{"d"}, ""}}},
		{"unterminated quote at end", "a\n\"b,c\nd", 0, []scanned{
			{1, "a", []string{"a"}, ""},
			{2, "\"b,c\nd", []string{"b,c\nd"}, "unterminated quoted field opened on line 2"}}},
		{"oversized record resumes on next line", "ab\n\"0123456789\nxyz\n", 8, []scanned{
			{1, "ab", []string{"ab"}, ""},
			{2, "\"0123456", nil, "record longer than 8 bytes (unterminated quoted field?)"},
			{3, "xyz", []string{"xyz"}, ""}}},
		{"oversized single line", "0123456789abcdef\nok\n", 8, []scanned{
			{1, "01234567", nil, "record longer than 8 bytes (unterminated quoted field?)"},
			{2, "ok", []string{"ok"}, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max := tt.max
			if max == 0 {
				max = MaxRecord
			}
			got := scanAll(t, tt.in, max)
			if len(got) != len(tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.line != w.line || g.raw != w.raw || g.err != w.err || (w.fields != nil && !slices.Equal(g.fields, w.fields)) {
					t.Errorf("record %d: %#v, want %#v", i, g, w)
				}
			}
		})
	}
}

// TestScannerMatchesEncodingCSV compares well-formed input with the
// standard library's reading of it.
func TestScannerMatchesEncodingCSV(t *testing.T) {
	in := "number,\"short, description\",x\r\n" +
		"INC1,\"multi\nline \"\"quoted\"\"\",\n" +
		"\n" +
		"INC2,plain,\"\"\n" +
		strings.Repeat("y", 70000) + ",z,\"" + strings.Repeat("w", 70000) + "\"\n"
	want, err := csv.NewReader(strings.NewReader(in)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := scanAll(t, in, MaxRecord)
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i].fields, want[i]) || got[i].err != "" {
			t.Errorf("record %d: %q (%s), want %q", i, got[i].fields, got[i].err, want[i])
		}
	}
	if lines := []int{got[0].line, got[1].line, got[2].line, got[3].line}; !slices.Equal(lines, []int{1, 2, 5, 6}) {
		t.Errorf("lines %v, want [1 2 5 6]", lines)
	}
}
