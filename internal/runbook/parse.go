package runbook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest runbook file read.
const MaxFileSize = 1 << 20

// Document is one runbook file as parsed: its front matter, phases, steps
// and links. Text in it (titles, step text, the body) is whatever the
// file's author wrote: attacker-controlled when anyone can write to the
// folder, so every output escapes it.
type Document struct {
	ID       string   `json:"id"`
	Path     string   `json:"path"` // slash-separated, inside the synced folder
	Title    string   `json:"title"`
	Type     string   `json:"type"`
	Category string   `json:"category,omitempty"`
	Status   string   `json:"status,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// Label is the front matter's version, the author's own label; the
	// registry numbers versions itself.
	Label                  string      `json:"label,omitempty"`
	Owner                  string      `json:"owner,omitempty"`
	AppliesTo              AppliesTo   `json:"applies_to"`
	RequiredSkills         []SkillNeed `json:"required_skills,omitempty"`
	RequiredCertifications []string    `json:"required_certifications,omitempty"`
	ReviewInterval         Interval    `json:"review_interval,omitzero"`
	LastReviewed           time.Time   `json:"last_reviewed,omitzero"`
	Aliases                []string    `json:"aliases,omitempty"`
	Phases                 []Phase     `json:"phases"`
	Links                  []Link      `json:"links,omitempty"`
	// Body is the Markdown after the front matter; BodyLine is the file
	// line it starts on.
	Body     string `json:"body"`
	BodyLine int    `json:"body_line"`
	// Hash is the SHA-256 of the file, hex: a changed hash is a new version.
	Hash string `json:"hash"`
}

// AppliesTo says which detections a runbook is written for.
type AppliesTo struct {
	Rules      []string `json:"rules,omitempty" yaml:"rules"`             // rule ids or names
	AlertTypes []string `json:"alert_types,omitempty" yaml:"alert_types"` // ATT&CK tactics of the rules, such as initial-access
	Techniques []string `json:"techniques,omitempty" yaml:"techniques"`   // ATT&CK ids; T1566 covers T1566.001
}

// IsZero reports whether the runbook names no detection.
func (a AppliesTo) IsZero() bool {
	return len(a.Rules) == 0 && len(a.AlertTypes) == 0 && len(a.Techniques) == 0
}

// SkillNeed is a skill a runbook needs, at a level from 1 to 5.
type SkillNeed struct {
	Skill string `json:"skill"`
	Level int    `json:"level"`
}

// DefaultSkillLevel is the level a skill named without one needs
// (3, proficient — the staffing skill matrix's default).
const DefaultSkillLevel = 3

// Phase is a part of a runbook's workflow with its steps.
type Phase struct {
	Title string `json:"title"`
	Line  int    `json:"line"`
	Steps []Step `json:"steps"`
}

// Step is one item of a phase.
type Step struct {
	Key   string `json:"key"` // "phase.step", from 1
	Title string `json:"title"`
	Text  string `json:"text"` // the item's first line
	Line  int    `json:"line"`
	// Checkbox is true for a task-list item ("- [ ] …").
	Checkbox bool `json:"checkbox,omitempty"`
}

// Steps lists every step of the document in order.
func (d *Document) Steps() []Step {
	var out []Step
	for _, p := range d.Phases {
		out = append(out, p.Steps...)
	}
	return out
}

// ParseError is why a file is not a valid runbook.
type ParseError struct {
	Path   string `json:"path"`
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Reason)
	}
	return e.Path + ": " + e.Reason
}

// frontMatter is the YAML the parser reads; scalars that may come as
// numbers or dates are read as nodes.
type frontMatter struct {
	ID                     string    `yaml:"id"`
	Title                  string    `yaml:"title"`
	Type                   string    `yaml:"type"`
	Category               string    `yaml:"category"`
	Status                 string    `yaml:"status"`
	Tags                   []string  `yaml:"tags"`
	Version                yaml.Node `yaml:"version"`
	Owner                  string    `yaml:"owner"`
	AppliesTo              AppliesTo `yaml:"applies_to"`
	RequiredSkills         []skillIn `yaml:"required_skills"`
	RequiredCertifications []string  `yaml:"required_certifications"`
	ReviewInterval         yaml.Node `yaml:"review_interval"`
	LastReviewed           yaml.Node `yaml:"last_reviewed"`
	Aliases                []string  `yaml:"aliases"`
}

// skillIn is a required skill as written: "name", "name:level" or a
// mapping {skill|name, level|min_level}.
type skillIn struct {
	SkillNeed
	line int
}

func (s *skillIn) UnmarshalYAML(n *yaml.Node) error {
	s.line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		name, lvl, ok := strings.Cut(n.Value, ":")
		s.Skill, s.Level = strings.TrimSpace(name), DefaultSkillLevel
		if ok {
			v, err := strconv.Atoi(strings.TrimSpace(lvl))
			if err != nil {
				return fmt.Errorf("line %d: required skill %q: level %q is not a number", n.Line, n.Value, lvl)
			}
			s.Level = v
		}
	case yaml.MappingNode:
		var m struct {
			Skill    string `yaml:"skill"`
			Name     string `yaml:"name"`
			Level    int    `yaml:"level"`
			MinLevel int    `yaml:"min_level"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		s.Skill, s.Level = strings.TrimSpace(m.Skill+m.Name), max(m.Level, m.MinLevel)
		if s.Level == 0 {
			s.Level = DefaultSkillLevel
		}
	default:
		return fmt.Errorf("line %d: a required skill is a name, \"name:level\" or {skill, level}", n.Line)
	}
	return nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// Parse reads one runbook file; path is its slash-separated path inside
// the synced folder. A file without front matter, with front matter that
// is not valid YAML, or without a title or type is an error naming the
// line.
func Parse(path string, content []byte) (*Document, error) {
	fail := func(line int, format string, args ...any) (*Document, error) {
		return nil, &ParseError{Path: path, Line: line, Reason: fmt.Sprintf(format, args...)}
	}
	if len(content) > MaxFileSize {
		return fail(0, "larger than %d bytes", MaxFileSize)
	}
	if !utf8.Valid(content) {
		return fail(0, "not UTF-8 text")
	}
	text := strings.TrimPrefix(string(content), "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	if strings.TrimRight(lines[0], " \t") != "---" {
		return fail(1, "no YAML front matter: a runbook starts with a line \"---\"")
	}
	end := -1
	for i := 1; i < len(lines); i++ {
		if l := strings.TrimRight(lines[i], " \t"); l == "---" || l == "..." {
			end = i
			break
		}
	}
	if end < 0 {
		return fail(1, "the front matter opened here is never closed with \"---\"")
	}
	fmText := strings.Join(lines[1:end], "\n")
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(fmText), &root); err != nil {
		return fail(yamlErrorLine(err), "front matter: %s", yamlMessage(err))
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return fail(1, "the front matter is empty: title and type are required")
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return fail(doc.Line+1, "front matter: want key: value pairs")
	}
	var fm frontMatter
	if err := doc.Decode(&fm); err != nil {
		return fail(yamlErrorLine(err), "front matter: %s", yamlMessage(err))
	}
	line := func(key string) int { return keyLine(doc, key) + 1 }
	d := &Document{Path: path, ID: strings.TrimSpace(fm.ID), Title: strings.TrimSpace(fm.Title), Type: strings.ToLower(strings.TrimSpace(fm.Type)),
		Category: strings.TrimSpace(fm.Category), Status: strings.ToLower(strings.TrimSpace(fm.Status)), Tags: cleanList(fm.Tags),
		Owner: strings.TrimSpace(fm.Owner), Aliases: cleanList(fm.Aliases), RequiredCertifications: cleanList(fm.RequiredCertifications)}
	if d.Title == "" {
		return fail(line("title"), "front matter: title is required")
	}
	if d.Type == "" {
		return fail(line("type"), "front matter: type is required (runbook, irp, playbook …)")
	}
	if fm.Version.Kind == yaml.ScalarNode {
		d.Label = strings.TrimSpace(fm.Version.Value)
	} else if fm.Version.Kind != 0 {
		return fail(fm.Version.Line+1, "front matter: version is a single value")
	}
	if d.ID == "" {
		d.ID = strings.TrimSuffix(path, ".md")
	}
	if err := checkID(d.ID); err != nil {
		return fail(line("id"), "front matter: %v", err)
	}
	d.AppliesTo = AppliesTo{Rules: cleanList(fm.AppliesTo.Rules), AlertTypes: cleanList(fm.AppliesTo.AlertTypes),
		Techniques: cleanList(fm.AppliesTo.Techniques)}
	for i, t := range d.AppliesTo.Techniques {
		d.AppliesTo.Techniques[i] = strings.ToUpper(t)
		if !techniqueID.MatchString(d.AppliesTo.Techniques[i]) {
			return fail(line("applies_to"), "front matter: applies_to technique %q is not an ATT&CK id (T1566 or T1566.001)", t)
		}
	}
	for _, s := range fm.RequiredSkills {
		if s.Skill == "" {
			return fail(s.line+1, "front matter: a required skill has no name")
		}
		if s.Level < 1 || s.Level > 5 {
			return fail(s.line+1, "front matter: required skill %q: level %d is not 1 to 5", s.Skill, s.Level)
		}
		d.RequiredSkills = append(d.RequiredSkills, s.SkillNeed)
	}
	if n := fm.ReviewInterval; n.Kind != 0 {
		iv, err := ParseInterval(n.Value)
		if err != nil || n.Kind != yaml.ScalarNode {
			return fail(n.Line+1, "front matter: review_interval: %v", orErr(err, "want a single value"))
		}
		d.ReviewInterval = iv
	}
	if n := fm.LastReviewed; n.Kind != 0 {
		t, err := parseDate(n.Value)
		if err != nil || n.Kind != yaml.ScalarNode {
			return fail(n.Line+1, "front matter: last_reviewed: %v", orErr(err, "want a date"))
		}
		d.LastReviewed = t
	}
	d.BodyLine = end + 2
	d.Body = strings.Join(lines[end+1:], "\n")
	d.Phases, d.Links = structure(lines, end+1)
	sum := sha256.Sum256(content)
	d.Hash = hex.EncodeToString(sum[:])
	return d, nil
}

var techniqueID = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

func orErr(err error, msg string) string {
	if err != nil {
		return err.Error()
	}
	return msg
}

// checkID accepts ids that are safe in URLs, file names and logs.
func checkID(id string) error {
	if len(id) > 200 {
		return fmt.Errorf("id is longer than 200 bytes")
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./", r)) {
			return fmt.Errorf("id %q: use letters, digits and - _ . / only", id)
		}
	}
	if strings.HasPrefix(id, "/") || strings.HasSuffix(id, "/") || strings.Contains(id, "..") || strings.Contains(id, "//") {
		return fmt.Errorf("id %q is not a clean relative name", id)
	}
	return nil
}

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
}

// keyLine is the line (in the YAML) of a mapping's key, 0 when absent.
func keyLine(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 0
}

// yamlErrorLine is the file line of a YAML error: its first "line N",
// shifted past the opening "---".
func yamlErrorLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n + 1
	}
	return 1
}

// yamlMessage is a YAML error on one line, without the "yaml:" prefix
// and with line numbers left to the error's position.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "unmarshal errors:\n  "); ok {
		errs := strings.Split(rest, "\n  ")
		msg = errs[0]
		if len(errs) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(errs)-1)
		}
	}
	msg = yamlLine.ReplaceAllStringFunc(msg, func(s string) string {
		n, _ := strconv.Atoi(s[len("line "):])
		return "line " + strconv.Itoa(n+1)
	})
	return strings.Join(strings.Fields(msg), " ")
}

func cleanList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

var (
	fenceOpen  = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
	atxHeading = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$`)
	numbered   = regexp.MustCompile(`^([ \t]*)(\d{1,9})[.)](?:[ \t]+(.*))?$`)
	checkbox   = regexp.MustCompile(`^([ \t]*)[-*+][ \t]+\[([ xX>!~/-])\](?:[ \t]+(.*))?$`)
	phaseHead  = regexp.MustCompile(`(?i)^(phase|stage)\s+\d+\b`)
	headNumber = regexp.MustCompile(`^\d+(\.\d+)*[.)]?\s+`)
)

// referenceSections are headings whose sections describe a runbook rather
// than prescribe its work: their lists (and their subsections') are not
// steps.
var referenceSections = []string{
	"objective", "objectives", "purpose", "scope", "overview", "summary", "inputs", "input", "outputs", "output",
	"expected outputs", "tools", "required tools", "prerequisites", "rubric", "references", "reference", "see also",
	"related runbooks", "completion criteria", "success criteria", "notes", "appendix", "changelog", "change log",
	"revision history", "version history", "table of contents", "contents", "glossary", "metadata",
}

func isReference(heading string) bool {
	h := strings.ToLower(strings.TrimSpace(headNumber.ReplaceAllString(strings.TrimSpace(heading), "")))
	h = strings.TrimRight(h, ": ")
	for _, r := range referenceSections {
		if h == r || strings.HasPrefix(h, r+" ") || strings.HasPrefix(h, r+"(") || strings.HasPrefix(h, r+":") {
			return true
		}
	}
	return false
}

// section is a heading and the lines up to the next heading.
type section struct {
	level     int // 0 for text before the first heading
	title     string
	line      int
	reference bool // itself or an enclosing section is a reference section
	phase     bool // its heading names a phase
	items     []item
	links     []Link
}

// item is a numbered or checkbox list item.
type item struct {
	indent   int
	text     string
	line     int
	checkbox bool
}

// structure finds the phases, steps and links of the body, which starts at
// index from of lines (file line from+1).
func structure(lines []string, from int) ([]Phase, []Link) {
	secs := []*section{{title: "", line: from + 1}}
	var stack []*section // enclosing headings
	var fence string
	for i := from; i < len(lines); i++ {
		l := lines[i]
		if fence != "" {
			if t := strings.TrimSpace(l); strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" && len(l)-len(strings.TrimLeft(l, " ")) <= 3 {
				fence = ""
			}
			continue
		}
		if m := fenceOpen.FindStringSubmatch(l); m != nil {
			fence = m[1]
			continue
		}
		if m := atxHeading.FindStringSubmatch(l); m != nil {
			title := strings.TrimSpace(strings.TrimRight(m[2], "#"))
			s := &section{level: len(m[1]), title: title, line: i + 1, phase: phaseHead.MatchString(title)}
			for len(stack) > 0 && stack[len(stack)-1].level >= s.level {
				stack = stack[:len(stack)-1]
			}
			s.reference = isReference(title) || len(stack) > 0 && stack[len(stack)-1].reference
			stack = append(stack, s)
			secs = append(secs, s)
			continue
		}
		cur := secs[len(secs)-1]
		for _, lk := range extractLinks(l) {
			cur.links = append(cur.links, Link{Target: lk, Line: i + 1})
		}
		if m := numbered.FindStringSubmatch(l); m != nil && strings.TrimSpace(m[3]) != "" {
			cur.items = append(cur.items, item{indent: indentOf(m[1]), text: strings.TrimSpace(m[3]), line: i + 1})
		} else if m := checkbox.FindStringSubmatch(l); m != nil && strings.TrimSpace(m[3]) != "" {
			cur.items = append(cur.items, item{indent: indentOf(m[1]), text: strings.TrimSpace(m[3]), line: i + 1, checkbox: true})
		}
	}

	explicit := false
	for _, s := range secs {
		explicit = explicit || s.phase && !s.reference
	}
	var phases []Phase
	var owner []int // per section: index of its phase, -1 for none
	var open *section
	for _, s := range secs {
		idx := -1
		switch {
		case explicit && s.phase && !s.reference:
			phases = append(phases, Phase{Title: s.title, Line: s.line})
			open, idx = s, len(phases)-1
		case explicit && open != nil && s.level > open.level && !s.reference:
			idx = len(phases) - 1 // a subsection of the open phase
		case explicit:
			if open != nil && s.level > 0 && s.level <= open.level {
				open = nil
			}
		case !s.reference && len(s.items) > 0:
			title := s.title
			if title == "" {
				title = "Steps"
			}
			phases = append(phases, Phase{Title: title, Line: s.line})
			idx = len(phases) - 1
		}
		owner = append(owner, idx)
		if idx < 0 {
			continue
		}
		p := &phases[idx]
		base := -1
		for _, it := range s.items {
			if base >= 0 && it.indent > base {
				continue // nested under a step
			}
			base = it.indent
			p.Steps = append(p.Steps, Step{Title: stepTitle(it.text), Text: it.text, Line: it.line, Checkbox: it.checkbox})
		}
	}
	for i := range phases {
		for j := range phases[i].Steps {
			phases[i].Steps[j].Key = strconv.Itoa(i+1) + "." + strconv.Itoa(j+1)
		}
	}
	var links []Link
	for i, s := range secs {
		for _, lk := range s.links {
			if owner[i] >= 0 {
				lk.Step = stepAt(phases[owner[i]].Steps, lk.Line)
			}
			links = append(links, lk)
		}
	}
	return phases, links
}

// stepAt is the key of the last step starting at or before line.
func stepAt(steps []Step, line int) string {
	key := ""
	for _, s := range steps {
		if s.Line <= line {
			key = s.Key
		}
	}
	return key
}

func indentOf(ws string) int {
	n := 0
	for _, r := range ws {
		if r == '\t' {
			n += 4 - n%4
		} else {
			n++
		}
	}
	return n
}

// stepTitle is an item's bold lead ("**Enrich IOCs:** …") or its first
// clause, at most 120 characters.
func stepTitle(text string) string {
	t := text
	if rest, ok := strings.CutPrefix(t, "**"); ok {
		if end := strings.Index(rest, "**"); end > 0 {
			if title := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(rest[:end]), ":")); title != "" {
				return truncate(title, 120)
			}
		}
	}
	if i := strings.Index(t, ": "); i > 0 && i <= 120 {
		t = t[:i]
	}
	return truncate(strings.TrimSpace(t), 120)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

var (
	urlScheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`) // https:, mailto:, javascript: …
	mdLink    = regexp.MustCompile(`\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	codeSpan  = regexp.MustCompile("`([^`]+)`")
)

// extractLinks returns the .md files a line names in links or code spans,
// leaving out URLs (anything with a scheme) and templated names
// ("report_${CASE_ID}.md").
func extractLinks(line string) []string {
	if !strings.Contains(strings.ToLower(line), ".md") {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(t string) {
		t = strings.TrimSpace(t)
		if i := strings.IndexAny(t, "#?"); i >= 0 {
			t = t[:i]
		}
		switch {
		case !strings.HasSuffix(strings.ToLower(t), ".md"), urlScheme.MatchString(t),
			strings.ContainsAny(t, "$<>{}*| \t"), strings.Contains(t, "YYYY"), seen[t]:
			return
		}
		seen[t] = true
		out = append(out, t)
	}
	for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
		add(m[1])
	}
	for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
		add(m[1])
	}
	return out
}
