package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/crisis"
	"github.com/watchfloor/watchfloor/internal/store"
)

func TestIncidentAPIAndWarRoom(t *testing.T) {
	f := newFixture(t)
	post := func(path string, role auth.Role, body string) (int, string) {
		t.Helper()
		resp := f.do("POST", path, role, body, "Content-Type", "application/json")
		return resp.StatusCode, readBody(t, resp)
	}
	// Analysts declare; the title comes from the case (attacker-controlled).
	code, body := post("/api/v1/incidents", auth.Analyst, `{"severity":"SEV1","cases":["test/C1"],"aware_at":"`+at(-time.Hour)+`","regimes":["gdpr","dora"]}`)
	if code != 201 {
		t.Fatalf("declare: %d %s", code, body)
	}
	var v crisis.StatusView
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if v.Ref != "MI-1" || v.Title != xssImg || v.Commander != "analyst1" || len(v.Clocks) != 4 {
		t.Fatalf("declared %+v", v)
	}
	gdpr := v.Clocks[0]
	if gdpr.Regime != "gdpr" || !gdpr.DueAt.Equal(testNow.Add(71*time.Hour)) || gdpr.State != crisis.ClockRunning {
		t.Fatalf("gdpr clock %+v", gdpr)
	}
	for _, tc := range []struct {
		path, body string
		role       auth.Role
		want       int
		msg        string
	}{
		{"/api/v1/incidents/MI-1/events", `{"type":"classified-major","regime":"dora","at":"` + at(-10*time.Minute) + `"}`, auth.Analyst, 200, ""},
		{"/api/v1/incidents/MI-1/roles", `{"role":"commander","person":"manager1"}`, auth.Analyst, 400, "a second incident commander is not allowed"},
		{"/api/v1/incidents/MI-1/roles", `{"role":"scribe","person":"bob"}`, auth.Analyst, 200, ""},
		{"/api/v1/incidents/MI-1/tasks", `{"title":"Reset the CFO's credentials","owner":"bob","due":"` + at(time.Hour) + `"}`, auth.Analyst, 200, ""},
		{"/api/v1/incidents/MI-1/updates", `{"conditions":"c","actions":"a","needs":"none","severity":"SEV2"}`, auth.Analyst, 200, ""},
		{"/api/v1/incidents/MI-1/events", `{"type":"aware","regime":"ccpa"}`, auth.Analyst, 400, `unknown regime \"ccpa\"`},
		{"/api/v1/incidents/MI-1/events", `{"type":"notified","regime":"dora","at":"` + at(-20*time.Minute) + `"}`, auth.Analyst, 400, "before the clock's trigger"},
		{"/api/v1/incidents/MI-1/events", `{"type":"aware","at":"yesterday"}`, auth.Analyst, 400, "at: want an RFC 3339 time"},
		{"/api/v1/incidents/MI-1/events", `{"type":"aware","color":"red"}`, auth.Analyst, 400, `unknown field \"color\"`},
		{"/api/v1/incidents/MI-9/events", `{"type":"aware"}`, auth.Analyst, 404, "incident MI-9: not found"},
		// External audiences need the manager role; internal ones do not.
		{"/api/v1/incidents/MI-1/notify", `{"audience":"regulator"}`, auth.Analyst, 403, "external audiences need the manager role"},
		{"/api/v1/incidents/MI-1/notify", `{"audience":"regulator"}`, auth.Manager, 400, "no stakeholder is registered for regulator"},
		{"/api/v1/incidents/MI-1/notify", `{"audience":"regulator","dry_run":true}`, auth.Analyst, 200, "Incident notification MI-1"},
		{"/api/v1/incidents/MI-1/close", `{"summary":"done"}`, auth.Analyst, 400, "closing needs a commander hand-over"},
		{"/api/v1/incidents/MI-1/events", `{"type":"aware"}`, auth.Viewer, 403, ""},
	} {
		code, body := post(tc.path, tc.role, tc.body)
		if code != tc.want || !strings.Contains(body, tc.msg) {
			t.Errorf("%s %s as %s: %d %s, want %d %q", tc.path, tc.body, tc.role, code, body, tc.want, tc.msg)
		}
	}
	getJSON(t, f, "/api/v1/incidents/1", auth.Analyst, &v)
	for _, k := range v.Clocks {
		if k.Regime == "dora" && k.Report == "initial" && !k.DueAt.Equal(testNow.Add(-10*time.Minute+4*time.Hour)) {
			t.Errorf("DORA initial due %v", k.DueAt)
		}
	}
	if v.Severity != "SEV2" || len(v.Tasks) != 1 || v.Tactical == nil || len(v.Roles) != 2 {
		t.Fatalf("status %+v", v)
	}
	// Prometheus: the open incidents as gauges, for viewers too (no titles).
	prom := readBody(t, f.do("GET", "/metrics", auth.Viewer, ""))
	for _, line := range []string{`watchfloor_major_incidents_open{severity="SEV2",status="active"} 1`,
		`watchfloor_major_incident_clocks{state="running"} 2`, `watchfloor_major_incident_clocks{state="waiting"} 2`,
		`watchfloor_major_incident_clocks{state="overdue"} 0`, "watchfloor_major_incident_updates_overdue 0", "watchfloor_major_incident_tasks_overdue 0"} {
		if !strings.Contains(prom, line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	var list []crisis.ListItem
	getJSON(t, f, "/api/v1/incidents?open=true", auth.Analyst, &list)
	if len(list) != 1 || list[0].ClocksAtRisk != 0 || list[0].NextDeadline == nil {
		t.Fatalf("list %+v", list)
	}

	// The war room, as page and wall screen: escaped title, clocks with
	// countdowns, the entry form only outside kiosk mode.
	page := readBody(t, f.do("GET", "/incidents/1", auth.Analyst, ""))
	if strings.Contains(page, xssImg) || !strings.Contains(page, `&lt;img src=x onerror=&#34;window.__xss=1&#34;&gt;`) ||
		!strings.Contains(page, `data-due="`+testNow.Add(71*time.Hour).Format(time.RFC3339)+`"`) ||
		!strings.Contains(page, `action="/incidents/1/entries"`) || !strings.Contains(page, "GDPR Art. 33") {
		t.Fatalf("war room:\n%s", page)
	}
	kiosk := readBody(t, f.do("GET", "/incidents/1?kiosk=1", auth.Analyst, ""))
	if strings.Contains(kiosk, `action="/incidents/1/entries"`) || !strings.Contains(kiosk, `class="kiosk"`) {
		t.Fatalf("kiosk page has the form or no kiosk class")
	}
	if list := readBody(t, f.do("GET", "/incidents", auth.Viewer, "")); !strings.Contains(list, "may not see this page") {
		t.Errorf("viewer saw the incident list")
	}
	if list := readBody(t, f.do("GET", "/incidents", auth.Analyst, "")); !strings.Contains(list, `href="/incidents/1"`) {
		t.Errorf("incident list:\n%s", list)
	}
	// The entry form posts with the session's CSRF token.
	form := url.Values{"type": {"decision"}, "text": {"Isolate the CFO's laptop"}, "pin": {"on"}}
	resp := f.do("POST", "/incidents/1/entries", auth.Analyst, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/incidents/1?saved=1" {
		t.Fatalf("entry form: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	getJSON(t, f, "/api/v1/incidents/MI-1", auth.Analyst, &v)
	if len(v.Pinned) != 1 || v.Pinned[0].Text != "Isolate the CFO's laptop" {
		t.Fatalf("pinned %+v", v.Pinned)
	}
	code, body = post("/api/v1/incidents/MI-1/close", auth.Analyst, `{"handover_to":"manager1","summary":"contained"}`)
	if code != 200 || !strings.Contains(body, `"status":"closed"`) {
		t.Fatalf("close: %d %s", code, body)
	}
	code, body = post("/api/v1/incidents/MI-1/review", auth.Analyst, `{"lessons":[{"text":"Detect forwarding rules","category":"detection","roadmap":true}],"actions":[{"title":"Write the rule","owner":"bob","due":"`+at(24*time.Hour)+`"}]}`)
	var rv crisis.ReviewView
	if err := json.Unmarshal([]byte(body), &rv); code != 200 || err != nil || len(rv.RoadmapInputs) != 1 || len(rv.FollowUps) != 1 {
		t.Fatalf("review: %d %s", code, body)
	}

	// Every write attempt is audited, refusals with their reason.
	es, err := f.st.AuditEntries(t.Context(), store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var refused, declared bool
	for _, e := range es {
		refused = refused || e.Action == "POST /api/v1/incidents/{id}/roles" && e.Status == 400 && strings.Contains(e.Detail, "second incident commander")
		declared = declared || e.Action == "POST /api/v1/incidents" && e.Status == 201 && e.Target == "incident:MI-1" && e.Actor == "analyst1"
	}
	if !refused || !declared {
		t.Fatalf("audit log lacks the declaration or the refused role: %+v", es)
	}
}
