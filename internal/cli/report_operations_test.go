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

// TestOperationsReviewAgreesWithMetrics writes the weekly operations review
// of the demo and checks every figure, overall, per team and per analyst,
// against "metrics soc --performance [--group-by]", "metrics rules" and
// "monitor operations" for the same window: exact values.
func TestOperationsReviewAgreesWithMetrics(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wf.db")
	if code, _, errOut := run(t, db, "", "demo", "--days", "20", "--alerts-per-day", "800"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	var o report.Operations
	doc := writtenReport(t, db, filepath.Join(dir, "review.md"), &o, "report", "operations", "--weekly")
	var perf, teams, analysts metrics.Report
	var rules metrics.RuleReport
	var dash metrics.Dashboard
	for _, c := range []struct {
		args []string
		dst  any
	}{
		{[]string{"metrics", "soc", "--performance", "--trend-analysis", "--timeframe", "weekly", "--from", o.From, "--to", o.To, "-o", "json"}, &perf},
		{[]string{"metrics", "soc", "--performance", "--group-by", "team", "--from", o.From, "--to", o.To, "-o", "json"}, &teams},
		{[]string{"metrics", "soc", "--performance", "--group-by", "analyst", "--from", o.From, "--to", o.To, "-o", "json"}, &analysts},
		{[]string{"metrics", "rules", "--noisy", "--limit", "0", "--from", o.From, "--to", o.To, "-o", "json"}, &rules},
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
	if perf.Groups[0].Cases == 0 || perf.Previous == nil || len(teams.Groups) < 2 || len(analysts.Groups) < 2 {
		t.Fatalf("the demo's week %s–%s has no data to compare", o.From, o.To)
	}
	eq := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	med := func(g metrics.GroupResult, k metrics.KPI) *float64 {
		for _, s := range g.KPIs {
			if s.KPI == k {
				return s.Median
			}
		}
		return nil
	}
	sameSLA := func(a, b metrics.SLAResult) bool {
		ad, bd := a.Adherence, b.Adherence
		a.Adherence, b.Adherence = nil, nil
		return a == b && eq(ad, bd)
	}
	check := func(what string, f report.GroupFigures, g metrics.GroupResult) {
		t.Helper()
		if f.Group != g.Group || f.Cases != g.Cases || f.Done != g.Done || !eq(f.MTTA, med(g, metrics.MTTA)) || !eq(f.MTTR, med(g, metrics.MTTR)) ||
			!sameSLA(f.SLAAcknowledge, g.SLAAcknowledge) || !sameSLA(f.SLAResolve, g.SLAResolve) {
			t.Errorf("%s: review %+v, metrics %+v", what, f, g)
		}
		// The Markdown shows the figures as the renderers print them.
		for _, v := range []string{report.Value(report.UnitSeconds, f.MTTR), report.Value(report.UnitRatio, f.SLAResolve.Adherence)} {
			if !strings.Contains(string(doc), v) {
				t.Errorf("%s: %s not in the Markdown", what, v)
			}
		}
	}
	check("all", o.All, perf.Groups[0])
	if o.PreviousAll == nil {
		t.Fatal("no previous week")
	}
	check("previous", *o.PreviousAll, perf.Previous.Groups[0])
	if len(o.Teams) != len(teams.Groups) {
		t.Fatalf("%d teams, metrics %d", len(o.Teams), len(teams.Groups))
	}
	byTeam := map[string]metrics.GroupResult{}
	for _, g := range teams.Groups {
		byTeam[g.Group] = g
	}
	for i, g := range o.Teams {
		check("team "+g.Group, g, byTeam[g.Group])
		// The busiest team first.
		if i > 0 && g.Cases > o.Teams[i-1].Cases {
			t.Errorf("team %s (%d cases) after %s (%d)", g.Group, g.Cases, o.Teams[i-1].Group, o.Teams[i-1].Cases)
		}
	}
	if len(o.Analysts) < len(analysts.Groups) {
		t.Fatalf("%d analysts, metrics %d", len(o.Analysts), len(analysts.Groups))
	}
	load := map[string]metrics.AnalystLoad{}
	for _, a := range dash.Analysts {
		load[a.Analyst] = a
	}
	for i := range analysts.Groups {
		a := o.Analysts[i]
		check("analyst "+a.Group, a.GroupFigures, analysts.Groups[i])
		if l := load[a.Group]; a.Open != l.Open || a.Critical != l.Critical || a.Name != l.Name {
			t.Errorf("analyst %s: open %d/%d %q, dashboard %+v", a.Group, a.Open, a.Critical, a.Name, l)
		}
	}
	if o.Alerts != rules.Alerts || !eq(o.FalsePositiveRate, rules.FalsePositiveRate) || o.Open != dash.Open ||
		o.Breached != len(dash.Breached) || o.AtRisk != len(dash.AtRisk) {
		t.Errorf("alerts %d FP %v open %d breached %d at risk %d; metrics %d %v %d %d %d", o.Alerts, o.FalsePositiveRate, o.Open, o.Breached, o.AtRisk,
			rules.Alerts, rules.FalsePositiveRate, dash.Open, len(dash.Breached), len(dash.AtRisk))
	}
}

// TestOperationsReviewFormats: a payload in a case title, a team and an
// analyst name is escaped in Markdown and HTML, the PDF is a PDF, and a
// period without data says so section by section.
func TestOperationsReviewFormats(t *testing.T) {
	db := fixtureStore(t)
	payload := `<script>alert(1)</script>`
	hostile := `{"record":"analyst","external_id":"evil","name":"` + payload + `","tier":"L1"}
{"record":"case","source":"edr","external_id":"c3","title":"Case ` + payload + `","priority":"P1","status":"in_progress","assignee":"evil","team":"Team ` + payload + ` | [x](javascript:alert(1))","created_at":"2026-03-04T10:00:00Z","updated_at":"2026-03-04T10:00:00Z"}
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
	for _, name := range []string{"o.md", "o.html", "o.pdf"} {
		if code, _, errOut := run(t, db, "", "report", "operations", "--weekly", "--from", "2026-03-01", "--to", "2026-03-07", "-o", filepath.Join(dir, name)); code != 0 {
			t.Fatalf("%s: %s", name, errOut)
		}
	}
	md := read("o.md")
	if strings.Contains(md, "<script>") {
		t.Errorf("unescaped <script> in the Markdown")
	}
	if link := regexp.MustCompile(`(^|[^\\])\]\(`).FindString(md); link != "" {
		t.Errorf("a link survives in the Markdown: %q", link)
	}
	if !strings.Contains(md, `| Team &lt;script&gt;alert(1)&lt;/script&gt; \| \[x\](javascript:alert(1)) |`) || !strings.Contains(md, `| evil | &lt;script&gt;alert(1)&lt;/script&gt; |`) {
		t.Errorf("the hostile team and analyst are not shown escaped:\n%s", md)
	}
	html := read("o.html")
	if strings.Contains(html, "<script>") || !strings.Contains(html, "<td>Team &lt;script&gt;") || !strings.Contains(html, "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>") {
		t.Errorf("HTML does not show the payloads as text")
	}
	if pdf := read("o.pdf"); !strings.HasPrefix(pdf, "%PDF-") || !strings.Contains(pdf, "%%EOF") {
		t.Errorf("not a PDF: %.20q", pdf)
	}
	code, out, errOut := run(t, db, "", "report", "operations", "--weekly", "--from", "2020-01-01", "--to", "2020-01-07")
	if code != 0 {
		t.Fatalf("empty week: %s", errOut)
	}
	for _, want := range []string{"No case and no alert was created in this period.", "No team data: no case was created in this period."} {
		if !strings.Contains(out, want) {
			t.Errorf("empty week: %q missing:\n%s", want, out)
		}
	}
	if strings.Contains(out, "| 0 |") {
		t.Errorf("empty week shows zeros:\n%s", out)
	}
	if code, _, errOut := run(t, db, "", "report", "operations"); code == 0 || !strings.Contains(errOut, "--weekly") {
		t.Errorf("without --weekly: %d %s", code, errOut)
	}
}
