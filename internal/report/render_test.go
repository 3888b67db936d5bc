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

	"golang.org/x/image/font/gofont/goregular"
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
	if n := strings.Count(out, "<svg "); n != 5 {
		t.Errorf("%d SVG charts, want 5", n)
	}
	for _, bad := range []string{"<script", "<img", "<iframe", "<link", "@import", "url("} {
		if strings.Contains(out, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	if tags := regexp.MustCompile(`<[^>]*\s(on\w+|src|href)=`).FindAllString(out, -1); len(tags) > 0 {
		t.Errorf("tags with handlers or fetched resources: %q", tags)
	}
	if got := regexp.MustCompile(`https?://[^"' ]+`).FindAllString(out, -1); len(got) != 5 || got[0] != "http://www.w3.org/2000/svg" {
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

// TestUndrawnScripts: Latin, Greek and Cyrillic names are drawn by the Go
// fonts; the other scripts by the first font of the chain that has them:
// with Droid alone Han and kana, not Hangul or Arabic; with the Debian
// chain (Lexi Gulim, Droid, DejaVu Sans, Lohit Devanagari) Hangul, Arabic
// (shaped), Hebrew and Devanagari too, while Bengali and Syriac, which the
// renderer cannot shape, never — and the cover names exactly those
// scripts.
func TestUndrawnScripts(t *testing.T) {
	droid := testFallback(t)
	debian := testChain(t)
	for s, want := range map[string][3]string{
		"Zoë Ødegård — 98.1% · “x”": {"", "", ""}, "Анна Кузнецова": {"", "", ""}, "Σκιά": {"", "", ""},
		"王芳": {"Han", "", ""}, "田中 テスト": {"Han Katakana", "", ""}, "김민준": {"Hangul", "Hangul", ""},
		"محمد علي": {"Arabic", "Arabic", ""}, "王芳 محمد": {"Arabic Han", "Arabic", ""}, "דוד כהן": {"Hebrew", "Hebrew", ""},
		"राहुल शर्मा": {"Devanagari", "Devanagari", ""}, "সৌমিত্র": {"Bengali", "Bengali", "Bengali"}, "ܐܠܗܐ": {"Syriac", "Syriac", "Syriac"},
	} {
		if got := strings.Join(undrawnScripts(Document{Title: s}, nil), " "); got != want[0] {
			t.Errorf("%q without a fallback font: undrawn %q, want %q", s, got, want[0])
		}
		if droid != nil {
			if got := strings.Join(undrawnScripts(Document{Title: s}, droid), " "); got != want[1] {
				t.Errorf("%q with %s: undrawn %q, want %q", s, droidPath, got, want[1])
			}
		}
		if debian != nil {
			if got := strings.Join(undrawnScripts(Document{Title: s}, debian), " "); got != want[2] {
				t.Errorf("%q with the Debian chain: undrawn %q, want %q", s, got, want[2])
			}
		}
	}
	if got, want := scriptNote([]string{"Bengali", "Han"}, nil), "Some names or titles in this report cannot be drawn in the PDF. "+
		"Bengali text is shown as empty boxes: the PDF renderer cannot join or reorder the letters of these scripts; "+
		"Han characters are shown as empty boxes: no fallback font is installed (Debian: fonts-droid-fallback, fonts-lexi-gulim, fonts-dejavu-core, fonts-lohit-deva; or set report.pdf_fonts to TrueType fonts). "+
		"The HTML and Markdown forms of the report show them."; got != want {
		t.Errorf("note\n%s\nwant\n%s", got, want)
	}
}

// debianChain are the fonts of the Debian packages .ci/run installs, for
// Hangul, Han and kana, Arabic and Hebrew, and Devanagari.
var debianChain = []string{"/usr/share/fonts/truetype/lexi/LexiGulim.ttf", droidPath,
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf"}

// testFallback is Debian's fonts-droid-fallback alone as the chain, nil
// (with a log line) when it is not installed.
func testFallback(t *testing.T) []*fallbackFont {
	t.Helper()
	fb, err := readFallbackFont(droidPath)
	if err != nil {
		t.Logf("no fallback font at %s (Debian: apt-get install fonts-droid-fallback): the CJK checks are skipped", droidPath)
		return nil
	}
	return []*fallbackFont{fb}
}

// testChain is debianChain, nil (with a log line) when one of its fonts
// is not installed.
func testChain(t *testing.T) []*fallbackFont {
	t.Helper()
	var chain []*fallbackFont
	for _, p := range debianChain {
		fb, err := readFallbackFont(p)
		if err != nil {
			t.Logf("%v (Debian: apt-get install fonts-lexi-gulim fonts-droid-fallback fonts-dejavu-core fonts-lohit-deva): the checks of Hangul, Arabic, Hebrew and Devanagari are skipped", err)
			return nil
		}
		chain = append(chain, fb)
	}
	return chain
}

// withFallbackPaths makes paths the well-known fonts for the test.
func withFallbackPaths(t *testing.T, paths ...string) {
	saved := FallbackFontPaths
	FallbackFontPaths = paths
	t.Cleanup(func() { FallbackFontPaths = saved })
}

// TestPDFFallbackFont: a CJK name is drawn with the fallback font run by
// run inside Latin text (pdftotext reads it back whole, in table cells and
// lines), and with Droid as the only fallback font the cover names only
// the scripts still undrawn (Hangul, Arabic); the Go fonts draw the rest.
func TestPDFFallbackFont(t *testing.T) {
	if testFallback(t) == nil {
		t.Skip("no fallback font: install fonts-droid-fallback (Debian) to check CJK names in the PDF")
	}
	withFallbackPaths(t, droidPath)
	d := &Document{Title: "Shift handover 王芳", Window: "2026-11-30", Parts: []Part{
		{Heading: "On-shift load", Lines: []string{"Analyst 王芳 (Wang Fang) has 3 cases; 田中太郎 has 2", "김민준 and محمد have none"},
			Tables: []Table{{Columns: []string{"Analyst", "Open"}, Rows: [][]string{{"王芳", "3"}, {"Анна 田中太郎", "2"}}}}},
	}}
	var b bytes.Buffer
	if err := d.PDF(&b); err != nil {
		t.Fatal(err)
	}
	_, text := pdfStrings(t, b.Bytes())
	for _, want := range []string{"Shift handover ", "王芳", "Analyst ", "(Wang Fang) has 3 cases; ", "田中太郎", "Анна ",
		"Some names or titles in this report cannot be drawn in the PDF. Arabic, Hangul characters are shown as empty boxes: neither the embedded Go fonts nor the fallback fonts " + droidPath + " have them"} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("the PDF does not show %q", want)
		}
	}
	if strings.Contains(text, "Han characters") || strings.Contains(text, "Han,") {
		t.Errorf("the cover says Han cannot be drawn")
	}
	if !bytes.Contains(b.Bytes(), []byte("/BaseFont /utf8fallback0")) || bytes.Contains(b.Bytes(), []byte("/BaseFont /utf8fallback1")) {
		t.Errorf("the fallback font is not embedded, or more than it")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (Debian's poppler-utils) is not installed: the poppler checks are skipped")
	}
	file := filepath.Join(t.TempDir(), "h.pdf")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v %s", err, out)
	}
	for _, want := range []string{"Shift handover 王芳", "Analyst 王芳 (Wang Fang) has 3 cases; 田中太郎 has 2", "Анна 田中太郎"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("pdftotext does not show %q:\n%s", want, out)
		}
	}
	if dir := os.Getenv("WATCHFLOOR_REPORT_PDF_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "cjk.pdf"), b.Bytes(), 0o644)
	}
}

// TestPDFFontConfig: report.pdf_font and report.pdf_fonts head the chain;
// a file that is no TrueType font is refused with its setting and path;
// the cover names the configured fonts when they lack a script (the Go
// font itself here, which has no Han, with no well-known font installed).
func TestPDFFontConfig(t *testing.T) {
	withFallbackPaths(t)
	dir := t.TempDir()
	ttf, txt := filepath.Join(dir, "go.ttf"), filepath.Join(dir, "font.ttc")
	if err := os.WriteFile(ttf, goregular.TTF, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(txt, []byte("ttcf not a font"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = UsePDFFont("") })
	plan := func(yaml string) string {
		p := filepath.Join(dir, "plan.yaml")
		if err := os.WriteFile(p, []byte("report:\n"+yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := LoadConfig(plan("  pdf_font: " + txt + "\n")); err == nil || !strings.HasPrefix(err.Error(), "report.pdf_font: "+txt+": not a TrueType font") {
		t.Errorf("a .ttc file: %v", err)
	}
	if _, err := LoadConfig(plan("  pdf_font: " + filepath.Join(dir, "absent.ttf") + "\n")); err == nil || !strings.Contains(err.Error(), "absent.ttf: no such file") {
		t.Errorf("a missing file: %v", err)
	}
	if _, err := LoadConfig(plan("  pdf_fonts: [" + ttf + ", " + txt + "]\n")); err == nil || !strings.HasPrefix(err.Error(), "report.pdf_fonts[1]: "+txt+": not a TrueType font") {
		t.Errorf("a .ttc file second in pdf_fonts: %v", err)
	}
	c, err := LoadConfig(plan("  pdf_fonts: [" + ttf + "]\n"))
	if err != nil || len(c.PDFFonts) != 1 || c.PDFFonts[0] != ttf {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = LoadConfig(plan("  pdf_font: " + ttf + "\n"))
	if err != nil || c.PDFFont != ttf {
		t.Fatalf("%+v %v", c, err)
	}
	if fb := currentChain(); len(fb) != 1 || fb[0].path != ttf {
		t.Fatalf("fallback %+v, want %s alone", fb, ttf)
	}
	var b bytes.Buffer
	if err := (&Document{Title: "王芳"}).PDF(&b); err != nil {
		t.Fatal(err)
	}
	_, text := pdfStrings(t, b.Bytes())
	if words := strings.Join(strings.Fields(text), " "); !strings.Contains(words, "Han characters are shown as empty boxes: neither the embedded Go fonts nor the fallback fonts "+ttf+" have them.") {
		t.Errorf("the cover does not name the configured font:\n%s", words)
	}
	if bytes.Contains(b.Bytes(), []byte("/BaseFont /utf8fallback")) {
		t.Errorf("a fallback font that draws nothing is embedded")
	}
}

// TestChartUnits: resolve and acknowledge times are drawn on separate
// charts, each in a unit its values read in (25–29 hours; 166–233
// seconds in minutes, not flat at 0 on an hours scale).
func TestChartUnits(t *testing.T) {
	charts := sample().Charts()
	if len(charts) != 5 {
		t.Fatalf("%d charts, want 5", len(charts))
	}
	for i, want := range []struct {
		title  string
		per    float64
		lo, hi float64
	}{{"Median time to resolve (hours)", 3600, 0, 40}, {"Median time to acknowledge (minutes)", 60, 0, 4}} {
		c := charts[2+i]
		lo, hi, ok := c.axis()
		if c.Title != want.title || c.Per != want.per || !ok || lo != want.lo || hi != want.hi || len(c.Series) != 1 {
			t.Errorf("chart %q per %v axis %v–%v (%v) %d series, want %q per %v axis %v–%v", c.Title, c.Per, lo, hi, ok, len(c.Series), want.title, want.per, want.lo, want.hi)
		}
	}
	if got := charts[3].scale(233); got != 233.0/60 {
		t.Errorf("233 s on the acknowledge chart at %v, want %v minutes", got, 233.0/60)
	}
	if name, per := durationAxis([]*float64{nil, f64(7200)}); name != "hours" || per != 3600 {
		t.Errorf("2 h drawn in %s", name)
	}
	if name, per := durationAxis([]*float64{f64(7199)}); name != "minutes" || per != 60 {
		t.Errorf("just under 2 h drawn in %s", name)
	}
	var b bytes.Buffer
	if err := sample().Render(&b, "html"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<title>Median time to acknowledge (minutes)</title>", "<title>2026-10 MTTA median: 3m53s</title>"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the HTML does not show %q", want)
		}
	}
}

// TestBudgetWithoutCurrency: without a configured currency the amounts
// are plain numbers and the section line says so once, in every format,
// also for a report saved with the old "(currency not set)" mark.
func TestBudgetWithoutCurrency(t *testing.T) {
	for _, cur := range []string{"", "(currency not set)"} {
		e := sample()
		e.Budget.Currency = cur
		line := "Today's roster costs 770,194 a year more than the staffing plan. " + NoCurrencyLine
		if got := e.BudgetLine(); got != line {
			t.Errorf("%q: line %q, want %q", cur, got, line)
		}
		if got := e.BudgetRows()[1]; strings.Join(got, "|") != "Annual cost|1,996,800|1,226,606" {
			t.Errorf("%q: row %q", cur, got)
		}
		for _, format := range []string{"md", "html", "pdf"} {
			var b bytes.Buffer
			if err := e.Render(&b, format); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if format == "pdf" {
				_, text := pdfStrings(t, b.Bytes())
				out = strings.Join(strings.Fields(text), " ")
			}
			want := strings.ReplaceAll(NoCurrencyLine, "'", "&#39;")
			if format != "html" {
				want = NoCurrencyLine
			}
			if n := strings.Count(out, want); n != 1 || strings.Contains(out, "currency not set") {
				t.Errorf("%q %s: the currency line %d times, want once; 'currency not set' %v", cur, format, n, strings.Contains(out, "currency not set"))
			}
		}
	}
	e := sample()
	if got := e.BudgetLine(); got != "Today's roster costs 770,194 EUR a year more than the staffing plan." {
		t.Errorf("with a currency: %q", got)
	}
}

// BenchmarkPDFFallback renders the executive sample as PDF with a CJK
// owner (the fallback font embedded and the text drawn run by run) and
// without one.
func BenchmarkPDFFallback(b *testing.B) {
	for _, name := range []string{"Анна Кузнецова", "王芳 Wang Fang", "김민준 محمد علي דוד כהן राहुल शर्मा"} {
		e := sample()
		e.SLA.MostOverdue[0].Assignee = name
		b.Run(name, func(b *testing.B) {
			for range b.N {
				if err := e.PDF(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// droidPath is Debian's fonts-droid-fallback.
const droidPath = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
