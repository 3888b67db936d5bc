package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/store"
)

// runbookFixture syncs a folder whose runbook's title, step and body are
// attacker-controlled markup.
func runbookFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	fsys := fstest.MapFS{
		"irps/evil.md": {Data: []byte("---\ntitle: '" + xssImg + "'\ntype: irp\napplies_to: {rules: [R1]}\nrequired_skills: [\"alert triage:2\"]\n" +
			"review_interval: 30d\n---\n## Phase 1: Contain\n1. **Isolate:** " + xssScript + " see `../common/iso.md`\n2. Block [x](" + xssLink + ".md)\n")},
		"common/iso.md": {Data: []byte("---\ntitle: Isolate host\ntype: runbook\ntags: [common_step]\n---\n1. Isolate\n")},
		"bad.md":        {Data: []byte("---\ntitle: [oops\n---\n")},
	}
	if _, err := runbook.Sync(context.Background(), f.st, fsys, "", "test", testNow.Add(-10*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRunbookAPI(t *testing.T) {
	f := runbookFixture(t)
	var rows []runbook.Row
	getJSON(t, f, "/api/v1/runbooks", auth.Viewer, &rows)
	if len(rows) != 2 || rows[1].ID != "irps/evil" || rows[1].Title != xssImg || rows[1].Steps != 2 {
		t.Fatalf("runbooks %+v", rows)
	}
	var d RunbookResponse
	getJSON(t, f, "/api/v1/runbooks/irps%2Fevil", auth.Viewer, &d)
	if d.ID != "irps/evil" || d.Shown != 1 || len(d.Versions) != 1 || d.Versions[0].Doc.Phases[0].Steps[0].Title != "Isolate" {
		t.Fatalf("runbook %+v", d)
	}
	if resp := f.do("GET", "/api/v1/runbooks/nope", auth.Viewer, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown runbook: %d", resp.StatusCode)
	}
	if resp := f.do("GET", "/api/v1/runbooks/irps%2Fevil?version=2", auth.Viewer, ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown version: %d", resp.StatusCode)
	}

	// Recording needs the ingest permission and is audited.
	body := `{"case":"test/C2","runbook":"irps/evil","run":"r1","completed":["Isolate"],"skipped":["1.2"],"outcome":"completed",
		"started_at":"` + testNow.Add(-20*time.Minute).Format(time.RFC3339) + `","finished_at":"` + testNow.Add(-5*time.Minute).Format(time.RFC3339) + `"}`
	if resp := f.do("POST", "/api/v1/runbook-runs", auth.Analyst, body); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst recording a run: %d", resp.StatusCode)
	}
	resp := f.do("POST", "/api/v1/runbook-runs", auth.Ingest, body)
	raw := readBody(t, resp)
	var rec RecordRunResponse
	if err := json.Unmarshal([]byte(raw), &rec); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("recording: %d %v %s", resp.StatusCode, err, raw)
	}
	if x := rec.Run; len(rec.Events) != 2 || x.Runbook != "irps/evil" || x.Version != 1 || x.Outcome != runbook.OutcomeCompleted ||
		x.Duration() != 15*time.Minute || x.Completed != 1 || x.Skipped != 1 || x.Analysts[0] != "ingest1" {
		t.Errorf("recorded %+v", rec)
	}
	for _, bad := range []string{`{"case":"test/C9","runbook":"irps/evil","run":"r","outcome":"completed"}`,
		`{"case":"test/C2","runbook":"irps/evil","run":"r","completed":["7.7"]}`, `{"case":"test/C2","runbook":"x","run":"r","bogus":1}`} {
		if resp := f.do("POST", "/api/v1/runbook-runs", auth.Ingest, bad); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, resp.StatusCode)
		}
	}
	es, err := f.st.AuditEntries(context.Background(), store.AuditFilter{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	audited := 0
	for _, e := range es {
		if e.Action == "POST /api/v1/runbook-runs" {
			audited++
			if e.Status == http.StatusOK && (e.Target != "test/C2" || !strings.Contains(e.Detail, "runbook=irps/evil run=r1 events=2")) {
				t.Errorf("audit entry %+v", e)
			}
		}
	}
	if audited != 5 {
		t.Errorf("%d audited attempts to record a run, want 5", audited)
	}

	var runs RunbookRunsResponse
	if resp := f.do("GET", "/api/v1/runbook-runs?case=test/C2", auth.Viewer, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer listing runs: %d", resp.StatusCode)
	}
	getJSON(t, f, "/api/v1/runbook-runs?case=test/C2", auth.Analyst, &runs)
	if runs.Total != 1 || runs.Runs[0].Run != "r1" {
		t.Errorf("runs on C2 %+v", runs)
	}
	getJSON(t, f, "/api/v1/runbook-runs?timeframe=weekly", auth.Analyst, &runs)
	if runs.Total != 1 || runs.Window == "" {
		t.Errorf("runs this week %+v", runs)
	}

	var rep runbook.Report
	getJSON(t, f, "/api/v1/metrics/runbooks", auth.Viewer, &rep)
	if rep.Runs != 1 || len(rep.Runbooks) != 2 || rep.Runbooks[0].ID != "irps/evil" || rep.Runbooks[0].Duration.Median != 900 ||
		rep.Runbooks[1].InPlans != 1 || len(rep.Overdue) != 0 {
		t.Errorf("runbook metrics %+v", rep)
	}
	// R2's alert has no runbook; R1's is covered by irps/evil.
	if len(rep.RulesWithout) != 1 || rep.RulesWithout[0].ID != "R2" {
		t.Errorf("rules without runbook %+v", rep.RulesWithout)
	}

	var as map[string]any
	if resp := f.do("GET", "/api/v1/training/assessment", auth.Analyst, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst reading the team assessment: %d", resp.StatusCode)
	}
	getJSON(t, f, "/api/v1/training/assessment?certifications=true", auth.Manager, &as)
	if reqs, _ := as["requirements"].([]any); len(reqs) != 1 {
		t.Errorf("assessment requirements %v", as["requirements"])
	}
}

func TestRunbookPages(t *testing.T) {
	f := runbookFixture(t)
	for _, tc := range []struct {
		path string
		role auth.Role
		code int
		want string
	}{
		{"/runbooks", auth.Viewer, 200, "Continuous improvement"},
		{"/runbooks/irps%2Fevil", auth.Viewer, 200, "Phases and steps"},
		{"/runbooks/irps%2Fevil?version=1&theme=light", auth.Viewer, 200, "Versions"},
		{"/runbooks/missing", auth.Viewer, 404, ""},
		{"/team", auth.Manager, 200, "Who on each shift"},
		{"/team", auth.Analyst, 403, ""},
		{"/runbooks?kiosk=1", auth.Viewer, 200, "Library"},
	} {
		resp := f.do("GET", tc.path, tc.role, "")
		html := readBody(t, resp)
		if resp.StatusCode != tc.code || !strings.Contains(html, tc.want) {
			t.Errorf("%s as %s: %d, want %d with %q", tc.path, tc.role, resp.StatusCode, tc.code, tc.want)
		}
		for _, bad := range []string{xssImg, xssScript, "<script>window", `href="javascript:`} {
			if strings.Contains(html, bad) {
				t.Errorf("%s: unescaped %q", tc.path, bad)
			}
		}
	}
	html := readBody(t, f.do("GET", "/runbooks/irps%2Fevil", auth.Viewer, ""))
	if !strings.Contains(html, "&lt;img src=x") {
		t.Error("the runbook page does not show the escaped title")
	}
	if html := readBody(t, f.do("GET", "/runbooks", auth.Viewer, "")); !strings.Contains(html, "bad.md:2:") {
		t.Error("the library does not list the file that did not load")
	}
}
