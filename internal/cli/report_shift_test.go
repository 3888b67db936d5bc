package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/report"
)

// TestShiftHandoverAgreesWithMetrics writes the shift handover of the demo's
// last day and checks every number against "monitor operations
// --soc-dashboard", "metrics soc --performance" and "metrics rules" for the
// same day: exact values.
func TestShiftHandoverAgreesWithMetrics(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wf.db")
	if code, _, errOut := run(t, db, "", "demo", "--days", "20", "--alerts-per-day", "800"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	var h report.ShiftHandover
	doc := writtenReport(t, db, filepath.Join(dir, "handover.md"), &h, "report", "shift", "--handover")
	var perf metrics.Report
	var rules metrics.RuleReport
	var dash metrics.Dashboard
	for _, c := range []struct {
		args []string
		dst  any
	}{
		{[]string{"metrics", "soc", "--performance", "--from", h.Day, "--to", h.Day, "-o", "json"}, &perf},
		{[]string{"metrics", "rules", "--noisy", "--limit", "0", "--from", h.Day, "--to", h.Day, "-o", "json"}, &rules},
		{[]string{"monitor", "operations", "--soc-dashboard", "-o", "json"}, &dash},
	} {
		code, out, errOut := run(t, db, "", c.args...)
		if code != 0 {
			t.Fatalf("%v: %s", c.args, errOut)
		}
		if err := json.Unmarshal([]byte(out), c.dst); err != nil {
			t.Fatal(err)
		}
	}
	all := perf.Groups[0]
	if all.Group != "all" || all.Cases == 0 || rules.Alerts == 0 || dash.Open == 0 {
		t.Fatalf("the demo's day %s has no data: %+v", h.Day, all)
	}
	var p1, p2 int
	for _, c := range dash.Queue {
		switch c.Priority {
		case "P1":
			p1 += c.Count
		case "P2":
			p2 += c.Count
		}
	}
	var mtta *float64
	for _, k := range all.KPIs {
		if k.KPI == metrics.MTTA {
			mtta = k.Median
		}
	}
	eq := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"open", int64(h.Open), int64(dash.Open)},
		{"open P1", int64(h.OpenP1), int64(p1)},
		{"open P2", int64(h.OpenP2), int64(p2)},
		{"P1/P2 listed", int64(len(h.Critical)), int64(p1 + p2)},
		{"breached", int64(h.Breached), int64(len(dash.Breached))},
		{"at risk", int64(h.AtRisk), int64(len(dash.AtRisk))},
		{"cases", h.Cases, all.Cases},
		{"alerts", h.Alerts, rules.Alerts},
		{"critical alerts", h.CriticalAlerts, rules.BySeverity["critical"]},
		{"high alerts", h.HighAlerts, rules.BySeverity["high"]},
		{"ack met", h.SLAAcknowledge.Met, all.SLAAcknowledge.Met},
		{"ack breached", h.SLAAcknowledge.Breached, all.SLAAcknowledge.Breached},
		{"analysts", int64(len(h.Analysts)), int64(len(dash.Analysts))},
		{"on shift", int64(h.Inflow.AnalystsOnShift), int64(dash.Inflow.AnalystsOnShift)},
	} {
		if c.got != c.want {
			t.Errorf("%s: handover %d, metrics %d", c.name, c.got, c.want)
		}
	}
	if !eq(h.MTTA, mtta) || !eq(h.SLAAcknowledge.Adherence, all.SLAAcknowledge.Adherence) || !eq(h.FalsePositive, rules.FalsePositiveRate) {
		t.Errorf("MTTA %v adherence %v FP %v differ from the metrics engine's", h.MTTA, h.SLAAcknowledge.Adherence, h.FalsePositive)
	}
	for i, a := range h.Analysts {
		if a != dash.Analysts[i] {
			t.Errorf("analyst %d: handover %+v, dashboard %+v", i, a, dash.Analysts[i])
		}
	}
	for _, want := range []string{report.Value(report.UnitSeconds, mtta), report.Value(report.UnitRatio, rules.FalsePositiveRate), "## Hand-over notes", "## On-shift load"} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("%q not in the Markdown", want)
		}
	}
	if len(h.Notes) == 0 || len(h.Matches) == 0 {
		t.Errorf("the demo's day has notes and intelligence matches: %d notes, %d matches", len(h.Notes), len(h.Matches))
	}
}

// TestShiftHandoverFormats: a payload in a case title and an analyst name
// is escaped in Markdown and HTML, the PDF is a PDF, and a day without
// data says so section by section.
func TestShiftHandoverFormats(t *testing.T) {
	db := fixtureStore(t)
	payload := `<script>alert(1)</script>`
	hostile := `{"record":"analyst","external_id":"evil","name":"` + payload + `","tier":"L1"}
{"record":"case","source":"edr","external_id":"c3","title":"Case ` + payload + ` | [x](javascript:alert(1))","priority":"P1","status":"in_progress","assignee":"evil","created_at":"2026-03-04T10:00:00Z","updated_at":"2026-03-04T10:00:00Z"}
`
	if code, _, errOut := run(t, db, hostile, "ingest", "-"); code != 0 {
		t.Fatalf("ingest: %s", errOut)
	}
	dir := t.TempDir()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, name := range []string{"h.md", "h.html", "h.pdf"} {
		if code, _, errOut := run(t, db, "", "report", "shift", "--handover", "--day", "2026-03-04", "-o", filepath.Join(dir, name)); code != 0 {
			t.Fatalf("%s: %s", name, errOut)
		}
	}
	md := read("h.md")
	if strings.Contains(md, "<script>") {
		t.Errorf("unescaped <script> in the Markdown")
	}
	if link := regexp.MustCompile(`(^|[^\\])\]\(`).FindString(md); link != "" {
		t.Errorf("a link survives in the Markdown: %q", link)
	}
	if !strings.Contains(md, `| Case &lt;script&gt;alert(1)&lt;/script&gt; \| \[x\](javascript:alert(1)) |`) || !strings.Contains(md, `| evil | &lt;script&gt;alert(1)&lt;/script&gt; |`) {
		t.Errorf("the hostile case and analyst are not shown escaped:\n%s", md)
	}
	html := read("h.html")
	if strings.Contains(html, "<script>") || !strings.Contains(html, "<td>Case &lt;script&gt;") || !strings.Contains(html, "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>") {
		t.Errorf("HTML does not show the payloads as text")
	}
	if pdf := read("h.pdf"); !strings.HasPrefix(pdf, "%PDF-") || !strings.Contains(pdf, "%%EOF") {
		t.Errorf("not a PDF: %.20q", pdf)
	}
	code, out, errOut := run(t, db, "", "report", "shift", "--handover", "--day", "2020-01-01")
	if code != 0 {
		t.Fatalf("empty day: %s", errOut)
	}
	for _, want := range []string{"No case and no alert was created on 2020-01-01.", "No critical or high alert and no intelligence match on 2020-01-01.",
		"No note was left on an open case on 2020-01-01."} {
		if !strings.Contains(out, want) {
			t.Errorf("empty day: %q missing:\n%s", want, out)
		}
	}
	if code, _, errOut := run(t, db, "", "report", "shift"); code == 0 || !strings.Contains(errOut, "--handover") {
		t.Errorf("without --handover: %d %s", code, errOut)
	}
}

// TestShiftAndReviewHistory: --save keeps the handover and the review in
// the report history, "report show" renders each again from its data in
// any format, and "report schedule add --kind" schedules them with the
// period their kind covers.
func TestShiftAndReviewHistory(t *testing.T) {
	db := fixtureStore(t)
	code, out, errOut := run(t, db, "", "report", "shift", "--handover", "--day", "2026-03-04", "--save")
	if code != 0 || errOut != "saved as report 1 (watchfloor report show 1)\n" || !strings.HasPrefix(out, "# Shift handover\n\n**Period:** 2026-03-04 (UTC)\n") {
		t.Fatalf("shift --save: %d %q %.80q", code, errOut, out)
	}
	code, review, errOut := run(t, db, "", "report", "operations", "--weekly", "--from", "2026-03-01", "--to", "2026-03-07", "--save")
	if code != 0 || errOut != "saved as report 2 (watchfloor report show 2)\n" {
		t.Fatalf("operations --save: %d %q", code, errOut)
	}
	var list struct {
		Total   int `json:"total"`
		Reports []struct {
			ID     int64  `json:"id"`
			Kind   string `json:"kind"`
			Period string `json:"period"`
			From   string `json:"from"`
			To     string `json:"to"`
		} `json:"reports"`
	}
	if code, out, _ := run(t, db, "", "report", "list", "-o", "json"); code != 0 || json.Unmarshal([]byte(out), &list) != nil {
		t.Fatalf("report list: %s", out)
	}
	if list.Total != 2 || list.Reports[0].Kind != "operations" || list.Reports[0].Period != "week" || list.Reports[0].From != "2026-03-01" ||
		list.Reports[0].To != "2026-03-07" || list.Reports[1].Kind != "shift" || list.Reports[1].Period != "day" || list.Reports[1].From != "2026-03-04" {
		t.Errorf("history %+v", list)
	}
	if code, shown, _ := run(t, db, "", "report", "show", "2", "--format", "md"); code != 0 || shown != review {
		t.Errorf("report show 2 differs from the review written:\n%s", shown)
	}
	if code, shown, _ := run(t, db, "", "report", "show", "1", "--format", "html"); code != 0 || !strings.Contains(shown, "<h1>Shift handover</h1>") {
		t.Errorf("report show 1 as HTML: %.200s", shown)
	}
	if code, _, errOut := run(t, db, "", "report", "schedule", "add", "h", "--kind", "shift", "--period", "month", "--spec", "@daily"); code == 0 ||
		!strings.Contains(errOut, "the shift handover covers one day") {
		t.Errorf("shift with a month: %d %s", code, errOut)
	}
	if code, out, errOut := run(t, db, "", "report", "schedule", "add", "handover", "--kind", "shift", "--spec", "45 6 * * *"); code != 0 ||
		!strings.HasPrefix(out, `scheduled "handover": Shift handover (day), 45 6 * * *, next run `) {
		t.Errorf("schedule add --kind shift: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, db, "", "report", "schedule", "add", "review", "--kind", "operations", "--spec", "0 8 * * mon"); code != 0 ||
		!strings.HasPrefix(out, `scheduled "review": Weekly operations review (week), 0 8 * * mon, next run `) {
		t.Errorf("schedule add --kind operations: %d %s %s", code, out, errOut)
	}
}
