package runbook

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics on any file and that what it
// returns is consistent: an error is a *ParseError for the path; a
// document has an id, a title and a type, steps keyed phase.step in order,
// and every line number inside the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("---\ntitle: T\ntype: runbook\n---\n## Phase 1: A\n1. x\n   1. y\n- [ ] z\n```\n## Phase 2\n"))
	f.Add([]byte("---\ntitle: [\n---\n"))
	f.Add([]byte("---\nrequired_skills: [{skill: a, level: 9}]\n---\n"))
	f.Add([]byte("---\r\ntitle: T\r\ntype: t\r\nreview_interval: P1Y2M3W4D\r\n---\r\n`a/../b.md` [x](<c.md>)\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("f.md", data)
		if err != nil {
			var pe *ParseError
			if d != nil || !errors.As(err, &pe) || pe.Path != "f.md" || pe.Reason == "" {
				t.Fatalf("Parse returned %v, %#v", d, err)
			}
			return
		}
		lines := strings.Count(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") + 1
		if d.ID == "" || d.Title == "" || d.Type == "" || !utf8.ValidString(d.Body) || d.BodyLine < 3 || d.BodyLine > lines+1 {
			t.Fatalf("document %+v", d)
		}
		for i, p := range d.Phases {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("phase %q at line %d of %d", p.Title, p.Line, lines)
			}
			for j, s := range p.Steps {
				if s.Key != strconv.Itoa(i+1)+"."+strconv.Itoa(j+1) || s.Line < d.BodyLine || s.Line > lines || s.Title == "" {
					t.Fatalf("step %+v in phase %d", s, i+1)
				}
			}
		}
		for _, l := range d.Links {
			if l.Line < d.BodyLine || l.Line > lines || !strings.HasSuffix(strings.ToLower(l.Target), ".md") {
				t.Fatalf("link %+v", l)
			}
		}
		for _, s := range d.RequiredSkills {
			if s.Skill == "" || s.Level < 1 || s.Level > 5 {
				t.Fatalf("skill %+v", s)
			}
		}
		if checkID(d.ID) != nil {
			t.Fatalf("id %q", d.ID)
		}
	})
}
