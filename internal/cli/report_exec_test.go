package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/posture"
	"github.com/watchfloor/watchfloor/internal/report"
	"github.com/watchfloor/watchfloor/internal/store"
)

// TestExecutiveReportAgreesWithMetrics writes the executive report of the
// demo SOC to a file and reads its JSON sidecar: every headline figure, this
// period and the previous one, equals the figure "metrics soc
// --performance", "metrics rules --noisy" and "monitor operations" give for
// the same window, and the Markdown shows them.
func TestExecutiveReportAgreesWithMetrics(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wf.db")
	if code, _, errOut := run(t, db, "", "demo", "--days", "45", "--alerts-per-day", "1500"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	var e report.Executive
	mdBytes := writtenReport(t, db, filepath.Join(dir, "exec.md"), &e, "report", "executive", "--summary", "--period", "month")
	doc := string(mdBytes)

	// Posture: the figures "watchfloor posture" gives for the same 30 days.
	to, err := time.Parse(time.DateOnly, e.To)
	if err != nil {
		t.Fatal(err)
	}
	pcode, pout, perrOut := run(t, db, "", "posture", "--days", "30", "--at", to.AddDate(0, 0, 1).Format(time.RFC3339), "-o", "json")
	if pcode != 0 {
		t.Fatalf("posture: %s", perrOut)
	}
	var pr posture.Report
	if err := json.Unmarshal([]byte(pout), &pr); err != nil {
		t.Fatal(err)
	}
	ps := e.Posture
	if pr.Findings == 0 || ps.Absent != "" || ps.Findings != pr.Findings || ps.Open != pr.Open || !maps.Equal(ps.PastSLA, pr.PastSLA) ||
		!slices.Equal(ps.MTTR, pr.MTTR) || ps.CriticalStart != pr.Trend[0].Critical || ps.HighEnd != pr.Trend[len(pr.Trend)-1].High ||
		len(ps.Overdue) != min(5, len(pr.Overdue)) || (len(ps.Overdue) > 0 && ps.Overdue[0] != pr.Overdue[0]) {
		t.Errorf("posture section %+v, watchfloor posture %+v", ps, pr)
	}
	if !strings.Contains(doc, fmt.Sprintf("- %d findings open now of %d stored.\n", pr.Open, pr.Findings)) {
		t.Errorf("the Markdown lacks the posture line")
	}

	code, out, errOut := run(t, db, "", "metrics", "soc", "--performance", "--trend-analysis", "--timeframe", "monthly", "--from", e.From, "--to", e.To, "-o", "json")
	if code != 0 {
		t.Fatalf("metrics soc: %s", errOut)
	}
	var perf metrics.Report
	if err := json.Unmarshal([]byte(out), &perf); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, db, "", "metrics", "rules", "--noisy", "--limit", "0", "--from", e.From, "--to", e.To, "-o", "json")
	if code != 0 {
		t.Fatalf("metrics rules: %s", errOut)
	}
	var rules metrics.RuleReport
	if err := json.Unmarshal([]byte(out), &rules); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, db, "", "metrics", "rules", "--noisy", "--limit", "0", "--from", perf.Previous.From, "--to", perf.Previous.To, "-o", "json")
	if code != 0 {
		t.Fatalf("metrics rules (previous): %s", errOut)
	}
	var prevRules metrics.RuleReport
	if err := json.Unmarshal([]byte(out), &prevRules); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, db, "", "monitor", "operations", "--soc-dashboard", "-o", "json")
	if code != 0 {
		t.Fatalf("monitor: %s", errOut)
	}
	var dash metrics.Dashboard
	if err := json.Unmarshal([]byte(out), &dash); err != nil {
		t.Fatal(err)
	}

	all, prev := perf.Groups[0], perf.Previous.Groups[0]
	if all.Group != "all" || all.Cases == 0 || rules.Alerts == 0 {
		t.Fatalf("the demo's window %s–%s has no data: %+v", e.From, e.To, all)
	}
	med := func(g metrics.GroupResult, k metrics.KPI) *float64 {
		for _, s := range g.KPIs {
			if s.KPI == k {
				return s.Median
			}
		}
		t.Fatalf("no %s", k)
		return nil
	}
	n := func(v int64) *float64 { f := float64(v); return &f }
	want := map[string][2]*float64{
		"mttd_median":            {med(all, metrics.MTTD), med(prev, metrics.MTTD)},
		"mtta_median":            {med(all, metrics.MTTA), med(prev, metrics.MTTA)},
		"mttc_median":            {med(all, metrics.MTTC), med(prev, metrics.MTTC)},
		"mttr_median":            {med(all, metrics.MTTR), med(prev, metrics.MTTR)},
		"sla_acknowledge":        {all.SLAAcknowledge.Adherence, prev.SLAAcknowledge.Adherence},
		"sla_resolve":            {all.SLAResolve.Adherence, prev.SLAResolve.Adherence},
		"sla_breaches_in_flight": {n(all.SLAAcknowledge.BreachedOpen + all.SLAResolve.BreachedOpen), n(prev.SLAAcknowledge.BreachedOpen + prev.SLAResolve.BreachedOpen)},
		"cases":                  {n(all.Cases), n(prev.Cases)},
		"backlog":                {n(int64(dash.Open)), nil},
		"alerts":                 {n(rules.Alerts), n(prevRules.Alerts)},
		"false_positive_rate":    {rules.FalsePositiveRate, prevRules.FalsePositiveRate},
	}
	eq := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	show := func(v *float64) any {
		if v == nil {
			return nil
		}
		return *v
	}
	if len(e.Headline) != len(want) {
		t.Errorf("%d headline figures, want %d", len(e.Headline), len(want))
	}
	for _, f := range e.Headline {
		w, ok := want[f.Key]
		if !ok {
			t.Errorf("unexpected figure %q", f.Key)
			continue
		}
		if !eq(f.Value, w[0]) || !eq(f.Previous, w[1]) {
			t.Errorf("%s: report %v (previous %v), metrics %v (previous %v)", f.Key, show(f.Value), show(f.Previous), show(w[0]), show(w[1]))
		}
		if f.Value == nil || f.Source == "" {
			t.Errorf("%s: value %v source %q", f.Key, show(f.Value), f.Source)
		}
		// The Markdown shows each figure as the renderers print it.
		if !strings.Contains(doc, report.Value(f.Unit, f.Value)) {
			t.Errorf("%s: %s not in the Markdown", f.Key, report.Value(f.Unit, f.Value))
		}
	}
	// The SLA section and the trend are the same numbers too.
	sameSLA := func(a, b metrics.SLAResult) bool {
		ad, bd := a.Adherence, b.Adherence
		a.Adherence, b.Adherence = nil, nil
		return a == b && eq(ad, bd)
	}
	if !sameSLA(e.SLA.Resolve, all.SLAResolve) || !sameSLA(e.SLA.Acknowledge, all.SLAAcknowledge) {
		t.Errorf("SLA section %+v %+v, metrics %+v %+v", e.SLA.Acknowledge, e.SLA.Resolve, all.SLAAcknowledge, all.SLAResolve)
	}
	if len(e.Trend) == 0 || e.Trend[len(e.Trend)-1].Period != perf.Series[len(perf.Series)-1].Period ||
		e.Trend[len(e.Trend)-1].Cases != perf.Series[len(perf.Series)-1].Result.Cases {
		t.Errorf("trend %+v, series ends %+v", e.Trend, perf.Series[len(perf.Series)-1])
	}
	// Industry context: our side of each published figure is the metrics
	// engine's (dwell mean beside IBM, MTTD median beside Mandiant).
	for _, r := range e.Industry.Rows {
		var w *float64
		for _, k := range all.KPIs {
			if string(k.KPI) == r.Compare {
				w = k.Median
				if r.Statistic == "mean" {
					w = k.Mean
				}
			}
		}
		if !eq(r.Ours, w) || r.Source == "" || r.Year == 0 || !strings.Contains(doc, r.Source+" "+strconv.Itoa(r.Year)) {
			t.Errorf("industry %s %d: ours %v, metrics %v", r.Source, r.Year, show(r.Ours), show(w))
		}
	}
	if len(e.Industry.Rows) != 2 {
		t.Errorf("%d published figures, want the 2 defaults", len(e.Industry.Rows))
	}
	// Detection coverage is "coverage show"'s for the same window.
	code, out, errOut = run(t, db, "", "coverage", "show", "--from", e.From, "--to", e.To, "-o", "json")
	if code != 0 {
		t.Fatalf("coverage show: %s", errOut)
	}
	var cov coverage.Report
	if err := json.Unmarshal([]byte(out), &cov); err != nil {
		t.Fatal(err)
	}
	sum := coverage.Summarize(&cov)
	if c := e.Coverage; c.Absent != "" || c.Covered != sum.Covered || c.Techniques != sum.Techniques || !eq(c.Mean, sum.Mean) ||
		c.Rules != cov.Rules || c.FiredRules != cov.FiredRules || c.PreviousCovered == nil {
		t.Errorf("coverage %+v, coverage show: %d of %d, mean %v, rules %d fired %d", c, sum.Covered, sum.Techniques, show(sum.Mean), cov.Rules, cov.FiredRules)
	}
	// -o json prints the same data.
	code, out, errOut = run(t, db, "", "report", "executive", "--summary", "--from", e.From, "--to", e.To, "-o", "json")
	if code != 0 {
		t.Fatalf("-o json: %s", errOut)
	}
	var again report.Executive
	if err := json.Unmarshal([]byte(out), &again); err != nil {
		t.Fatal(err)
	}
	for i, f := range again.Headline {
		if f.Key != "backlog" && !eq(f.Value, e.Headline[i].Value) {
			t.Errorf("-o json %s = %v, sidecar %v", f.Key, show(f.Value), show(e.Headline[i].Value))
		}
	}
}

// TestExecutiveReportWithoutData: a period without cases or alerts says
// so, and shows no data, not zeros; a payload in a case title, an analyst
// name and a rule name is escaped in the Markdown.
func TestExecutiveReportWithoutData(t *testing.T) {
	db := fixtureStore(t)
	hostile := `{"record":"analyst","external_id":"evil","name":"<img src=x onerror=alert(1)>","tier":"L1"}
{"record":"case","source":"edr","external_id":"c3","title":"<script>alert(1)</script> | [x](javascript:alert(1))","priority":"P1","status":"in_progress","assignee":"<img src=x onerror=alert(1)>","created_at":"2026-03-04T10:00:00Z","updated_at":"2026-03-04T10:00:00Z"}
`
	if code, _, errOut := run(t, db, hostile, "ingest", "-"); code != 0 {
		t.Fatalf("ingest: %s", errOut)
	}
	code, out, errOut := run(t, db, "", "report", "executive", "--summary", "--from", "2020-01-01", "--to", "2020-01-31")
	if code != 0 {
		t.Fatalf("report: %d %s", code, errOut)
	}
	if !strings.Contains(out, report.EmptyLine) {
		t.Errorf("no empty-period line:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		for _, key := range []string{"| MTT", "| SLA adherence", "| Cases opened", "| Alert volume", "| False-positive"} {
			if strings.HasPrefix(line, key) && !strings.Contains(line, "| no data |") {
				t.Errorf("figure without data shown as a number: %s", line)
			}
		}
	}
	for _, bad := range []string{"<script>", "<img"} {
		if strings.Contains(out, bad) {
			t.Errorf("unescaped %q in the Markdown", bad)
		}
	}
	if link := regexp.MustCompile(`(^|[^\\])\]\(`).FindString(out); link != "" {
		t.Errorf("a link survives in the Markdown: %q", link)
	}
	// In a table cell: the markup and the cell separator escaped, nothing else.
	if !strings.Contains(out, `| &lt;script&gt;alert(1)&lt;/script&gt; \| \[x\](javascript:alert(1)) |`) || !strings.Contains(out, "| &lt;img src=x onerror=alert(1)&gt; |") {
		t.Errorf("the hostile case and analyst are not shown escaped:\n%s", out)
	}
	// Flags that contradict each other are refused with the reason.
	if code, _, errOut := run(t, db, "", "report", "executive", "--summary", "-o", "csv"); code == 0 || !strings.Contains(errOut, "no CSV form") {
		t.Errorf("-o csv: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, db, "", "report", "executive", "--summary", "--period", "fortnight"); code == 0 || !strings.Contains(errOut, "period") {
		t.Errorf("--period fortnight: %d %s", code, errOut)
	}
}

// TestExecutiveReportFormats writes the report in every format from a store
// with a payload in a case title, an analyst name and a rule name: the
// HTML has SVG charts and shows the payloads as text, the Markdown escapes
// them, the PDF is a PDF, and each file has its JSON beside it.
func TestExecutiveReportFormats(t *testing.T) {
	db := fixtureStore(t)
	payload := `<script>alert(1)</script>`
	hostile := `{"record":"analyst","external_id":"evil","name":"` + payload + `","tier":"L1"}
{"record":"case","source":"edr","external_id":"c3","title":"Case ` + payload + `","priority":"P1","status":"in_progress","assignee":"` + payload + `","created_at":"2026-03-04T10:00:00Z","updated_at":"2026-03-04T10:00:00Z"}
{"record":"alert","source":"edr","external_id":"a2","title":"t","rule_id":"R9","rule_name":"Rule ` + payload + `","disposition":"false_positive","created_at":"2026-03-04T09:00:00Z"}
{"record":"alert","source":"edr","external_id":"a3","title":"t","rule_id":"R9","rule_name":"Rule ` + payload + `","disposition":"false_positive","created_at":"2026-03-04T09:05:00Z"}
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
	for _, name := range []string{"r.md", "r.html", "r.pdf"} {
		if code, _, errOut := run(t, db, "", "report", "executive", "--summary", "--from", "2026-03-01", "--to", "2026-03-31", "-o", filepath.Join(dir, name)); code != 0 {
			t.Fatalf("%s: %s", name, errOut)
		}
		var e report.Executive
		if err := json.Unmarshal([]byte(read(name+".json")), &e); err != nil || e.From != "2026-03-01" || len(e.NoisyRules) != 1 {
			t.Fatalf("%s.json: %v %+v", name, err, e.NoisyRules)
		}
	}
	html := read("r.html")
	if !strings.Contains(html, "<svg ") || strings.Contains(html, "<script>") {
		t.Errorf("HTML: SVG %v, raw script %v", strings.Contains(html, "<svg "), strings.Contains(html, "<script>"))
	}
	for _, want := range []string{"Case &lt;script&gt;", "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>", "Rule &lt;script&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML does not show %q", want)
		}
	}
	md := read("r.md")
	if strings.Contains(md, "<script>") || !strings.Contains(md, `| Rule &lt;script&gt;alert(1)&lt;/script&gt; |`) {
		t.Errorf("Markdown: the rule name is not escaped")
	}
	if pdf := read("r.pdf"); !strings.HasPrefix(pdf, "%PDF-") || !strings.Contains(pdf, "%%EOF") {
		t.Errorf("not a PDF: %.20q", pdf)
	}
	// Kept in the history, listed, and rendered again from it.
	code, _, errOut := run(t, db, "", "report", "executive", "--summary", "--from", "2026-03-01", "--to", "2026-03-31", "--save", "-o", filepath.Join(dir, "saved.md"))
	if code != 0 || !strings.Contains(errOut, "saved as report 1") {
		t.Fatalf("--save: %d %s", code, errOut)
	}
	code, out, _ := run(t, db, "", "report", "list", "-o", "json")
	if code != 0 || !strings.Contains(out, `"total": 1`) || !strings.Contains(out, `"from": "2026-03-01"`) {
		t.Errorf("report list: %d %s", code, out)
	}
	code, out, _ = run(t, db, "", "report", "show", "1", "--format", "md")
	if code != 0 || out != read("saved.md") {
		t.Errorf("report show 1 differs from the report saved (%d)", code)
	}
	if code, _, errOut := run(t, db, "", "report", "show", "7"); code == 0 || !strings.Contains(errOut, "report 7: not found") {
		t.Errorf("report show 7: %d %s", code, errOut)
	}
	// Schedules: checked, listed, removed; every change audited.
	if code, _, errOut := run(t, db, "", "report", "schedule", "add", "bad", "--spec", "0 25 * * *"); code == 0 || !strings.Contains(errOut, `hour "25"`) {
		t.Errorf("schedule with hour 25: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, db, "", "report", "schedule", "add", "mail", "--spec", "@weekly", "--channel", "ciso"); code == 0 || !strings.Contains(errOut, "no notification channels are configured") {
		t.Errorf("schedule to an unconfigured channel: %d %s", code, errOut)
	}
	if code, out, errOut := run(t, db, "", "report", "schedule", "add", "weekly board", "--spec", "0 7 * * mon", "--period", "week"); code != 0 || !strings.Contains(out, `scheduled "weekly board": Executive summary (week), 0 7 * * mon, next run`) {
		t.Fatalf("schedule add: %d %s %s", code, out, errOut)
	}
	if code, out, _ := run(t, db, "", "report", "schedule", "list"); code != 0 || !strings.Contains(out, "weekly board") {
		t.Errorf("schedule list: %s", out)
	}
	if code, out, _ := run(t, db, "", "report", "schedule", "remove", "weekly board"); code != 0 || !strings.Contains(out, "removed") {
		t.Errorf("schedule remove: %s", out)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	audit, err := st.AuditEntries(context.Background(), store.AuditFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"report executive --save", "report schedule add", "report schedule remove"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log %v lacks %q", actions, want)
		}
	}
	// --format beats the extension; an unknown one is refused.
	if code, out, _ := run(t, db, "", "report", "executive", "--summary", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "html"); code != 0 || !strings.HasPrefix(out, "<!DOCTYPE html>") {
		t.Errorf("--format html to standard output: %d %.40q", code, out)
	}
	if code, _, errOut := run(t, db, "", "report", "executive", "--summary", "--format", "docx"); code == 0 || !strings.Contains(errOut, `--format "docx"`) {
		t.Errorf("--format docx: %d %s", code, errOut)
	}
}

// writtenReport runs a report command with -o FILE, decodes the JSON data
// written beside the file into data, and returns the document.
func writtenReport(t *testing.T, db, file string, data any, args ...string) []byte {
	t.Helper()
	if code, out, errOut := run(t, db, "", append(args, "-o", file)...); code != 0 || !strings.Contains(out, "wrote "+file) {
		t.Fatalf("report: %d %s %s", code, out, errOut)
	}
	side, err := os.ReadFile(file + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(side, data); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
