package runbook

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const sample = `---
title: "Phishing response"
type: IRP
category: security_operations
status: Stable
tags: [phishing, " irp "]
version: 2.1
owner: Tier 2 lead
applies_to:
  rules: [R-007]
  alert_types: [initial-access]
  techniques: [t1566, T1204.001]
required_skills:
  - email security
  - "identity security:2"
  - {skill: alert triage, level: 4}
required_certifications: [GIAC GCIH]
review_interval: 6mo
last_reviewed: 2026-01-15
aliases: [Phish IRP]
generated:
  by: someone
---

# Phishing response

## Objective

1. Not a step: the objective section describes.

## Phase 1: Identification

1. **Receive the report:** get the message. See ` + "`../common/enrich.md`" + `.
   1. nested, not a step
2. Extract indicators and enrich them ([enrich](common/enrich.md#top)).
   - bullet, not a step

### Notes

1. notes are not steps

### Checks

- [ ] Confirm the scope: who received it

` + "```markdown" + `
## Phase 9: inside a fence
1. not a step ` + "`fenced.md`" + `
` + "```" + `

## Phase 2: Containment

3) Purge the message from every mailbox
1. Block the sender ` + "`./reports/report_${CASE_ID}.md`" + ` [site](https://example.org/x.md)

## Rubric

### 1. Scoring (20 points)

1. not a step either
`

func TestParseSample(t *testing.T) {
	d, err := Parse("irps/phishing.md", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := &Document{
		ID: "irps/phishing", Path: "irps/phishing.md", Title: "Phishing response", Type: "irp", Category: "security_operations",
		Status: "stable", Tags: []string{"phishing", "irp"}, Label: "2.1", Owner: "Tier 2 lead",
		AppliesTo:              AppliesTo{Rules: []string{"R-007"}, AlertTypes: []string{"initial-access"}, Techniques: []string{"T1566", "T1204.001"}},
		RequiredSkills:         []SkillNeed{{"email security", 3}, {"identity security", 2}, {"alert triage", 4}},
		RequiredCertifications: []string{"GIAC GCIH"}, ReviewInterval: Interval{Months: 6},
		LastReviewed: time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), Aliases: []string{"Phish IRP"},
		Phases: []Phase{
			{Title: "Phase 1: Identification", Line: 31, Steps: []Step{
				{Key: "1.1", Title: "Receive the report", Text: "**Receive the report:** get the message. See `../common/enrich.md`.", Line: 33},
				{Key: "1.2", Title: "Extract indicators and enrich them ([enrich](common/enrich.md#top)).",
					Text: "Extract indicators and enrich them ([enrich](common/enrich.md#top)).", Line: 35},
				{Key: "1.3", Title: "Confirm the scope", Text: "Confirm the scope: who received it", Line: 44, Checkbox: true},
			}},
			{Title: "Phase 2: Containment", Line: 51, Steps: []Step{
				{Key: "2.1", Title: "Purge the message from every mailbox", Text: "Purge the message from every mailbox", Line: 53},
				{Key: "2.2", Title: "Block the sender `./reports/report_${CASE_ID}.md` [site](https://example.org/x.md)",
					Text: "Block the sender `./reports/report_${CASE_ID}.md` [site](https://example.org/x.md)", Line: 54},
			}},
		},
		Links: []Link{
			{Target: "../common/enrich.md", Line: 33, Step: "1.1"},
			{Target: "common/enrich.md", Line: 35, Step: "1.2"},
		},
		BodyLine: 24,
	}
	d.Body, d.Hash = "", ""
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got  %+v\nwant %+v", d, want)
	}
}

func TestParseStructure(t *testing.T) {
	fm := "---\ntitle: T\ntype: runbook\n---\n"
	tests := []struct {
		name   string
		body   string
		phases []string // "title: key title | key title"
	}{
		{"no headings", "1. First\n2. Second: more\n", []string{"Steps: 1.1 First | 1.2 Second"}},
		{"sections with lists are phases", "# T\n## Objective\n1. x\n## Workflow\n1. A\n2. B\n## Closing\n- [x] C\n- [ ] D\n",
			[]string{"Workflow: 1.1 A | 1.2 B", "Closing: 2.1 C | 2.2 D"}},
		{"numbered list under a bullet", "## Steps\n* **Sub-steps:**\n    1. One\n        1. deep\n    2. Two\n",
			[]string{"Steps: 1.1 One | 1.2 Two"}},
		{"explicit phases take subsections", "## Workflow\n1. overview\n### Phase 1: Prepare\n#### Actions\n1. A\n### Phase 2: Act\n1. B\n## Rubric\n### 1. X\n1. no\n",
			[]string{"Phase 1: Prepare: 1.1 A", "Phase 2: Act: 2.1 B"}},
		{"phase without steps", "## Phase 1: Preparation\n* ongoing\n## Phase 2: Work\n1. Do\n",
			[]string{"Phase 1: Preparation: ", "Phase 2: Work: 2.1 Do"}},
		{"tilde fence", "## S\n~~~~\n1. no\n~~~\n1. still no\n~~~~\n1. Yes\n", []string{"S: 1.1 Yes"}},
		{"unclosed fence", "## S\n1. Yes\n```\n1. no\n", []string{"S: 1.1 Yes"}},
		{"tab indent nests", "## S\n1. A\n\t1. nested\n2. B\n", []string{"S: 1.1 A | 1.2 B"}},
		{"stage headings", "## Stage 1 Triage\n1. A\n", []string{"Stage 1 Triage: 1.1 A"}},
		{"empty items ignored", "## S\n1.\n2. B\n", []string{"S: 1.1 B"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse("x.md", []byte(fm+tt.body))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range d.Phases {
				var ss []string
				for _, s := range p.Steps {
					ss = append(ss, s.Key+" "+s.Title)
				}
				got = append(got, p.Title+": "+strings.Join(ss, " | "))
			}
			if !reflect.DeepEqual(got, tt.phases) {
				t.Errorf("phases %q, want %q", got, tt.phases)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, content string
		line          int
		reason        string
	}{
		{"no front matter", "# Title\n1. x\n", 1, "no YAML front matter"},
		{"never closed", "---\ntitle: x\ntype: runbook\n", 1, "never closed"},
		// yaml reports an unclosed flow sequence at the line before it.
		{"bad yaml", "---\ntitle: x\ntype: runbook\ntags: [a, b\n---\n", 3, "front matter:"},
		{"bad indentation", "---\ntitle: x\n  type: runbook\n---\n", 3, "front matter:"},
		{"missing title", "---\ntype: runbook\ncategory: c\n---\n", 1, "title is required"},
		{"empty title", "---\ntitle: \"\"\ntype: runbook\n---\n", 2, "title is required"},
		{"missing type", "---\ntitle: x\n---\n", 1, "type is required"},
		{"empty", "---\n---\n", 1, "empty"},
		{"not a mapping", "---\n- a\n- b\n---\n", 2, "want key: value pairs"},
		{"tags mapping", "---\ntitle: x\ntype: runbook\ntags:\n  a: b\n---\n", 5, "cannot unmarshal"},
		{"bad interval", "---\ntitle: x\ntype: runbook\nreview_interval: soon\n---\n", 4, "review_interval"},
		{"bad last reviewed", "---\ntitle: x\ntype: runbook\nlast_reviewed: yesterday\n---\n", 4, "last_reviewed"},
		{"bad level", "---\ntitle: x\ntype: runbook\nrequired_skills:\n  - a\n  - \"b:9\"\n---\n", 6, "level 9 is not 1 to 5"},
		{"level not a number", "---\ntitle: x\ntype: runbook\nrequired_skills: [\"b:high\"]\n---\n", 4, "not a number"},
		{"bad technique", "---\ntitle: x\ntype: runbook\napplies_to:\n  techniques: [phishing]\n---\n", 4, "not an ATT&CK id"},
		{"bad id", "---\ntitle: x\ntype: runbook\nid: \"../etc\"\n---\n", 4, "not a clean relative name"},
		{"id with spaces", "---\ntitle: x\ntype: runbook\nid: my runbook\n---\n", 4, "use letters"},
		{"not utf-8", "---\ntitle: \xff\ntype: runbook\n---\n", 0, "not UTF-8"},
		{"version list", "---\ntitle: x\ntype: runbook\nversion: [1]\n---\n", 4, "single value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse("dir/f.md", []byte(tt.content))
			if err == nil {
				t.Fatalf("parsed %+v, want an error", d)
			}
			pe, ok := err.(*ParseError)
			if !ok {
				t.Fatalf("error %T %v, want *ParseError", err, err)
			}
			if pe.Path != "dir/f.md" || pe.Line != tt.line || !strings.Contains(pe.Reason, tt.reason) {
				t.Errorf("error %q (line %d), want line %d and %q", pe.Error(), pe.Line, tt.line, tt.reason)
			}
		})
	}
	big := "---\ntitle: x\ntype: runbook\n---\n" + strings.Repeat("a", MaxFileSize)
	if _, err := Parse("big.md", []byte(big)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized file: %v", err)
	}
}

func TestParseCRLFAndBOM(t *testing.T) {
	d, err := Parse("a/b.md", []byte("\ufeff---\r\ntitle: T\r\ntype: runbook\r\n---\r\n## S\r\n1. One\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "a/b" || len(d.Phases) != 1 || d.Phases[0].Steps[0].Title != "One" || d.Phases[0].Steps[0].Line != 6 {
		t.Errorf("got %+v", d)
	}
}

func TestParseInterval(t *testing.T) {
	tests := []struct {
		in   string
		want Interval
		err  bool
	}{
		{"90", Interval{Days: 90}, false},
		{"90d", Interval{Days: 90}, false},
		{"90 days", Interval{Days: 90}, false},
		{"12w", Interval{Days: 84}, false},
		{"6mo", Interval{Months: 6}, false},
		{"6 months", Interval{Months: 6}, false},
		{"6m", Interval{Months: 6}, false},
		{"1y", Interval{Years: 1}, false},
		{"2 years", Interval{Years: 2}, false},
		{"P90D", Interval{Days: 90}, false},
		{"P1Y6M", Interval{Years: 1, Months: 6}, false},
		{"p2w", Interval{Days: 14}, false},
		{"", Interval{}, false},
		{"0", Interval{}, true},
		{"0d", Interval{}, true},
		{"P", Interval{}, true},
		{"soon", Interval{}, true},
		{"-5d", Interval{}, true},
	}
	for _, tt := range tests {
		got, err := ParseInterval(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseInterval(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	due := Interval{Months: 6}.After(time.Date(2025, 8, 31, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC); !due.Equal(want) { // AddDate normalises 2026-02-31
		t.Errorf("6 months after 2025-08-31 = %v, want %v", due, want)
	}
}

func TestExtractLinks(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"see `common_steps/enrich_ioc.md` and [x](../a.md)", []string{"../a.md", "common_steps/enrich_ioc.md"}},
		{"[x](<b c.md>)", nil},
		{"`./reports/alert_${CASE_ID}.md` `rule_YYYYMMDD.md` `<type>_x.md`", nil},
		{"[ref](https://github.com/x/README.md) [mail](mailto:a@b.md) [js](javascript:alert(1).md) `data:x.md`", nil},
		{"`a.md#section` [t](b.MD \"title\") `a.md`", []string{"b.MD", "a.md"}},
		{"`not a link.md` `x.mdx` `y.markdown`", nil},
		{"no links here", nil},
	}
	for _, tt := range tests {
		if got := extractLinks(tt.line); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("extractLinks(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}
