package report

import (
	"bytes"
	"compress/zlib"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// sample is a report with every section filled, a payload in every place
// attacker-controlled text goes, and non-Latin names.
func sample() *Executive {
	payload := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	return &Executive{Title: "Executive security operations summary", Period: "month", From: "2026-11-01", To: "2026-11-30",
		Previous: "2026-10-02 – 2026-10-31", TimeZone: "Europe/Berlin", GeneratedAt: at, Now: at,
		Headline: []Figure{
			{Key: "mttr_median", Name: "MTTR (median)", Unit: UnitSeconds, Value: f64(29*3600 + 25*60), Previous: f64(25*3600 + 34*60), Target: f64(24 * 3600), LowerIsBetter: true, Sample: "272 cases measured, 14 open"},
			{Key: "sla_resolve", Name: "SLA adherence, resolve", Unit: UnitRatio, Value: f64(0.941), Previous: f64(0.942), Target: f64(0.95), Sample: "257 met, 16 breached"},
			{Key: "alerts", Name: "Alert volume", Unit: UnitCount, Value: f64(44176), Previous: f64(23372)},
		},
		Trend: []TrendPoint{
			{Period: "2026-10", Cases: 97, Alerts: 13972, MTTR: f64(25 * 3600), MTTA: f64(233), SLAResolve: f64(0.948)},
			{Period: "2026-11", Cases: 291, Alerts: 45036, MTTR: f64(29 * 3600), MTTA: f64(166), SLAResolve: f64(0.934)},
			{Period: "2026-12", Partial: true},
		},
		NoisyRules:      []NoisyRule{{Rule: "Rule " + payload, Alerts: 900, FalsePositives: 800, FalsePositiveRate: f64(0.9), Share: f64(0.5)}},
		Recommendations: []Recommendation{{Title: "Tune the noisiest detection rule", Text: "One rule, " + strconv.Quote("Rule "+payload) + ", caused 50.0% of all false alarms.", Evidence: []string{"900 alerts"}}},
		SLA: SLASection{Policies: []string{"std v1"}, NowBreached: 1, NowByStage: map[string]int{"triage": 1},
			ByPriority:  []BreachGroup{{Group: "P1", Breached: 9, Resolve: f64(0.692)}},
			MostOverdue: []BreachItem{{Case: "edr/c1", Title: "Case " + payload, Priority: "P1", Stage: "triage", Assignee: "Анна Кузнецова " + payload, Clock: "resolve", Overdue: 3600}}},
		Incidents: IncidentSection{Declared: 1, Incidents: []IncidentImpact{{Ref: "MI-1", Title: "Ransomware " + payload, Severity: "SEV1", Status: "open", DeclaredAt: at, Hours: 12, Cases: 2, Cost: 5000, Currency: "EUR"}}},
		Threats: ThreatSection{Days: 30, Relevant: 1, Profiles: []ThreatProfile{{Name: "Σκιά " + payload, Kind: "actor", Score: 80, Reasons: []string{payload}}},
			MatchedIndicators: 1, Matches: []ThreatMatch{{Type: "domain", Value: "evil.example" + payload, Source: "feed", Confidence: 80, Alerts: 3, LastSeen: at}}},
		Coverage: CoverageSection{Section: Section{Absent: CoverageAbsent}}, Posture: PostureSection{Section: Section{Absent: PostureAbsent}},
		Staffing:    StaffingSection{Analysts: 14, RosterFTE: 14, PlanFTE: 8.6, Queues: []QueueCapacity{{Queue: "cases P1", Target: 0.9, ServiceLevel: 0.98}}},
		Budget:      BudgetSection{Currency: "EUR", RosterMonthly: 166400, RosterAnnual: 1996800, PlanMonthly: 102217, PlanAnnual: 1226606, DeltaAnnual: 770194},
		Definitions: []string{"SLA adherence = met ÷ (met + breached)"},
	}
}

// TestHTMLSelfContained: one file with inline CSS and SVG charts, no
// script and nothing fetched; every payload is text.
func TestHTMLSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := sample().Render(&b, "html"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "<svg "); n != 4 {
		t.Errorf("%d SVG charts, want 4", n)
	}
	for _, bad := range []string{"<script", "<img", "<iframe", "<link", "@import", "url("} {
		if strings.Contains(out, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	if tags := regexp.MustCompile(`<[^>]*\s(on\w+|src|href)=`).FindAllString(out, -1); len(tags) > 0 {
		t.Errorf("tags with handlers or fetched resources: %q", tags)
	}
	if got := regexp.MustCompile(`https?://[^"' ]+`).FindAllString(out, -1); len(got) != 4 || got[0] != "http://www.w3.org/2000/svg" {
		t.Errorf("URLs other than the SVG namespace: %v", got)
	}
	if n := strings.Count(out, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"); n < 8 {
		t.Errorf("payload shown escaped %d times, want every place (8)", n)
	}
	for _, want := range []string{"Анна Кузнецова", "Σκιά", "29h25m", "94.1%", "44,176", "misses target", CoverageAbsent, "<title>Alerts per period</title>"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
}

// pdfStrings extracts the text a PDF shows: fpdf writes each run of UTF-8
// text as UTF-16BE in a string operand of Tj or TJ, in Flate streams.
func pdfStrings(t *testing.T, pdf []byte) (pages int, text string) {
	t.Helper()
	pages = len(regexp.MustCompile(`/Type /Page\b[^s]`).FindAll(pdf, -1))
	var sb strings.Builder
	for _, m := range regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`).FindAllSubmatch(pdf, -1) {
		zr, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue // not a Flate stream (fonts are, images are not here)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			continue
		}
		for _, s := range regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)\s*Tj`).FindAllSubmatch(data, -1) {
			raw := unescapePDF(s[1])
			if len(raw)%2 != 0 {
				continue
			}
			u := make([]uint16, len(raw)/2)
			for i := range u {
				u[i] = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
			}
			sb.WriteString(string(utf16.Decode(u)))
			sb.WriteByte('\n')
		}
	}
	return pages, sb.String()
}

// unescapePDF undoes a PDF literal string's backslash escapes.
func unescapePDF(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		i++
		switch c := b[i]; c {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		default:
			if c >= '0' && c <= '7' {
				j := i
				for j < len(b) && j < i+3 && b[j] >= '0' && b[j] <= '7' {
					j++
				}
				v, _ := strconv.ParseUint(string(b[i:j]), 8, 8)
				out = append(out, byte(v))
				i = j - 1
			} else {
				out = append(out, c)
			}
		}
	}
	return out
}

// TestPDF: the PDF has a cover with the period and the generation time,
// numbered pages, the headline figures, the payloads as text and the
// non-Latin names; pdftotext and pdftoppm read it where poppler is
// installed.
func TestPDF(t *testing.T) {
	e := sample()
	var b bytes.Buffer
	if err := e.Render(&b, "pdf"); err != nil {
		t.Fatal(err)
	}
	pages, text := pdfStrings(t, b.Bytes())
	if pages < 3 {
		t.Errorf("%d pages, want a cover and at least two of content", pages)
	}
	for _, want := range []string{"Period: 2026-11-01 to 2026-11-30 (month, Europe/Berlin)", "2026-10-31",
		"Generated: 2026-11-30 12:00Z", "Page 1 of " + strconv.Itoa(pages), "Page " + strconv.Itoa(pages) + " of " + strconv.Itoa(pages),
		"MTTR (median)", "29h25m", "25h34m", "SLA adherence, resolve", "94.1%", "44,176", "misses",
		"Анна", "Σκιά", "<script>alert(1)</script>", CoverageAbsent[:40], "Cases opened per period", "Resolution SLA adherence (%)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF does not show %q", want)
		}
	}
	// Deterministic: the same report makes the same bytes.
	var again bytes.Buffer
	if err := e.Render(&again, "pdf"); err != nil || !bytes.Equal(again.Bytes(), b.Bytes()) {
		t.Errorf("a second rendering differs (%v)", err)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext and pdftoppm (Debian's poppler-utils) are not installed: the poppler checks are skipped")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v %s", err, out)
	}
	for _, want := range []string{"MTTR (median)", "29h25m", "94.1%", "44,176", "Page 2 of", "Анна", "Кузнецова", "Σκιά"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("pdftotext does not show %q", want)
		}
	}
	if out, err := exec.Command("pdftoppm", "-r", "30", "-png", file, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "p*.png"))
	if len(pngs) != pages {
		t.Errorf("pdftoppm made %d pages, want %d", len(pngs), pages)
	}
}

// TestColumnWidths: the PDF gives long text the room and short counts
// little, within bounds.
func TestColumnWidths(t *testing.T) {
	got := columnWidths(Table{Columns: []string{"Case", "Title", "Open P1/P2 now"},
		Rows: [][]string{{"demo/C-1", strings.Repeat("x", 90), "2"}, {"d", "short", "10"}}})
	want := []float64{8, 40, 12}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("widths %v, want %v", got, want)
		}
	}
}

// TestUndrawable: Latin, Greek and Cyrillic names are drawn by the Go
// fonts; a CJK or Arabic one makes the PDF cover say that it is not.
func TestUndrawable(t *testing.T) {
	for s, want := range map[string]bool{"Zoë Ødegård — 98.1% · “x”": false, "Анна Кузнецова": false, "Σκιά": false, "王芳": true, "محمد علي": true} {
		if got := undrawable(Document{Title: s}); got != want {
			t.Errorf("%q: undrawable %v, want %v", s, got, want)
		}
	}
	var b bytes.Buffer
	if err := (&Document{Title: "Shift handover", Parts: []Part{{Heading: "On-shift load", Lines: []string{"王芳"}}}}).PDF(&b); err != nil {
		t.Fatal(err)
	}
	if _, text := pdfStrings(t, b.Bytes()); !strings.Contains(text, "embedded font cannot draw") {
		t.Errorf("the cover does not say that a name cannot be drawn")
	}
}
