package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	promodel "github.com/prometheus/common/model"
	"golang.org/x/crypto/bcrypt"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// concrete fills a route pattern's wildcards with fixture values.
func concrete(pattern string) string {
	p := strings.ReplaceAll(pattern, "{$}", "")
	p = strings.ReplaceAll(p, "{source}", "test")
	if strings.Contains(p, "/alerts/") {
		return strings.ReplaceAll(p, "{id}", "A1")
	}
	return strings.ReplaceAll(p, "{id}", "C1")
}

// requestBodies are valid bodies for the write routes.
var requestBodies = map[string]string{
	"/api/v1/ingest": `{"record":"alert","source":"matrix","external_id":"M1","title":"t","severity":"low","created_at":"2026-11-26T11:00:00Z"}` + "\n",
	"/api/v1/users":  `{"name":"new-user","role":"viewer","password":"another long password"}`,
	"/api/v1/tokens": `{"user":"viewer1","name":"matrix"}`,
}

// TestRoleMatrix checks every route for every role and for anonymous
// callers: allowed requests are served, others get 401 (API), a redirect
// to the sign-in page (pages) or 403.
func TestRoleMatrix(t *testing.T) {
	f := newFixture(t)
	roles := append([]auth.Role{""}, auth.Roles...)
	for _, rt := range f.srv.Routes() {
		for _, role := range roles {
			name := rt.Method + " " + rt.Pattern + " as " + string(role)
			if role == "" {
				name += "anonymous"
			}
			t.Run(name, func(t *testing.T) {
				path := concrete(rt.Pattern)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, rt.Method, f.ts.URL+path, strings.NewReader(requestBodies[rt.Pattern]))
				if role != "" {
					req.Header.Set("Authorization", "Bearer "+f.tokens[role])
				}
				if rt.Pattern == "/login" && rt.Method == "POST" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Body = http.NoBody
				}
				resp, err := noRedirect.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				got := resp.StatusCode
				needsAuth := rt.Perm != "" || rt.Pattern == "/api/v1/me"
				allowed := !needsAuth || (role != "" && (rt.Perm == "" || role.Can(rt.Perm)))
				isLogin := rt.Pattern == "/login" && rt.Method == "POST"
				switch {
				case isLogin:
					// An empty sign-in fails; after five failures from one
					// address the limiter answers instead.
					if got != 401 && got != 429 {
						t.Errorf("empty sign-in answered %d, want 401 or 429", got)
					}
				case allowed && (got == 401 || got == 403 || got >= 500):
					t.Errorf("allowed request answered %d", got)
				case !allowed && role == "" && rt.API && got != 401:
					t.Errorf("anonymous API request answered %d, want 401", got)
				case !allowed && role == "" && !rt.API && (got != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=")):
					t.Errorf("anonymous page request answered %d %q, want a redirect to /login", got, resp.Header.Get("Location"))
				case !allowed && role != "" && got != 403:
					t.Errorf("forbidden request answered %d, want 403", got)
				}
			})
		}
	}
}

func getJSON(t *testing.T, f *fixture, path string, role auth.Role, v any) {
	t.Helper()
	resp := f.do("GET", path, role, "")
	body := readBody(t, resp)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func TestDashboardAndSLA(t *testing.T) {
	f := newFixture(t)
	var d metrics.Dashboard
	getJSON(t, f, "/api/v1/dashboard", auth.Viewer, &d)
	if d.Open != 2 || len(d.Breached) != 1 || len(d.AtRisk) != 0 || len(d.UnassignedCritical) != 1 || d.Inflow.LastHour != 1 {
		t.Fatalf("dashboard: open %d, breached %d, at risk %d, unassigned critical %d, alerts last hour %d; want 2, 1, 0, 1, 1",
			d.Open, len(d.Breached), len(d.AtRisk), len(d.UnassignedCritical), d.Inflow.LastHour)
	}
	b := d.Breached[0]
	if b.ExternalID != "C1" || b.Clock != "acknowledge" || b.Overdue != (105*time.Minute).Seconds() || b.Title != xssImg {
		t.Fatalf("breached item %+v", b)
	}
	var sla SLAResponse
	getJSON(t, f, "/api/v1/sla", auth.Viewer, &sla)
	if sla.Counts["breached"]["acknowledge"]["P1"] != 1 || len(sla.AtRisk) != 0 {
		t.Fatalf("sla counts %v", sla.Counts)
	}
}

func TestCasesAlertsAndEscaping(t *testing.T) {
	f := newFixture(t)
	var cases Page[struct {
		ExternalID string `json:"external_id"`
		Stage      string `json:"stage"`
	}]
	getJSON(t, f, "/api/v1/cases?open=true", auth.Analyst, &cases)
	if len(cases.Items) != 2 || cases.Items[0].ExternalID != "C2" || cases.Items[1].ExternalID != "C1" || cases.Next != 0 {
		t.Fatalf("open cases %+v", cases)
	}
	getJSON(t, f, "/api/v1/cases?limit=1", auth.Analyst, &cases)
	if len(cases.Items) != 1 || cases.Items[0].ExternalID != "C3" || cases.Next == 0 {
		t.Fatalf("first page %+v", cases)
	}
	var detail CaseDetail
	getJSON(t, f, "/api/v1/cases/test/C1", auth.Analyst, &detail)
	if detail.Case.Title != xssImg || len(detail.Alerts) != 1 || detail.Alerts[0].Title != xssScript || len(detail.Events) == 0 {
		t.Fatalf("case detail %+v", detail)
	}
	// JSON answers escape <, > and & so they cannot be sniffed as HTML.
	raw := readBody(t, f.do("GET", "/api/v1/cases/test/C1", auth.Analyst, ""))
	if strings.Contains(raw, "<img") || !strings.Contains(raw, `\u003cimg`) {
		t.Fatalf("JSON not HTML-escaped: %s", raw[:200])
	}
	for path, want := range map[string]int{
		"/api/v1/cases/test/nope":          404,
		"/api/v1/alerts/test/nope":         404,
		"/api/v1/cases?priority=P9":        400,
		"/api/v1/alerts?since=yesterday":   400,
		"/api/v1/metrics?timeframe=hourly": 400,
		"/api/v1/metrics?group_by=color":   400,
		"/api/v1/alerts?limit=5000":        400,
	} {
		if resp := f.do("GET", path, auth.Admin, ""); resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	var alerts Page[struct {
		ExternalID string          `json:"external_id"`
		Raw        json.RawMessage `json:"raw"`
	}]
	getJSON(t, f, "/api/v1/alerts?since="+url.QueryEscape(testNow.Add(-time.Hour).Format(time.RFC3339)), auth.Analyst, &alerts)
	if len(alerts.Items) != 1 || alerts.Items[0].ExternalID != "A1" || alerts.Items[0].Raw != nil {
		t.Fatalf("alerts in the last hour %+v", alerts)
	}

	// The rendered case page escapes every planted payload.
	page := readBody(t, f.do("GET", "/cases/test/C1", auth.Analyst, ""))
	for _, bad := range []string{xssImg, xssScript, "<script>window", `href="javascript:`} {
		if strings.Contains(page, bad) {
			t.Errorf("case page contains %q unescaped", bad)
		}
	}
	if !strings.Contains(page, "&lt;img src=x onerror=&#34;window.__xss=1&#34;&gt;") {
		t.Error("case page lacks the escaped title")
	}
}

func TestMetricsAndRules(t *testing.T) {
	f := newFixture(t)
	var rep metrics.Report
	getJSON(t, f, "/api/v1/metrics?timeframe=weekly&series=true&group_by=priority", auth.Viewer, &rep)
	// The series covers 8 ISO weeks, every one a row: all three fixture
	// cases were created in week 48, the last (partial: the window ends on
	// its Thursday); the weeks before have no data, so null figures.
	if rep.GroupBy != "priority" || len(rep.Series) != 8 || rep.Series[7].Period != "2026-W48" || rep.Series[7].Result.Cases != 3 ||
		!rep.Series[7].Partial || rep.Series[0].Period != "2026-W41" || rep.Series[0].Partial || rep.Series[0].Result.Cases != 0 ||
		rep.Series[0].Result.SLAResolve.Adherence != nil || rep.From != "2026-11-20" || rep.To != "2026-11-26" {
		t.Fatalf("report: group %q, series %+v, %s…%s", rep.GroupBy, rep.Series, rep.From, rep.To)
	}
	var rules RulesResponse
	getJSON(t, f, "/api/v1/rules?timeframe=weekly", auth.Viewer, &rules)
	// Two rules, and the fixture cases without alerts (C2, C3) in a row of their own.
	if rules.Alerts != 2 || len(rules.Rules) != 3 || !rules.Rules[2].WithoutAlerts || rules.Rules[2].Cases != 2 ||
		rules.ConversionRate == nil || *rules.ConversionRate != 0.5 || rules.TotalRules != 3 || rules.Sort != "false_positives" {
		t.Fatalf("rules: %d alerts, %d of %d rules, conversion %v", rules.Alerts, len(rules.Rules), rules.TotalRules, rules.ConversionRate)
	}
	// Paged and sorted by name: "(cases without alerts)", "Credential
	// dumping", then R2 "Scan".
	getJSON(t, f, "/api/v1/rules?timeframe=weekly&sort=rule&offset=2&limit=1", auth.Viewer, &rules)
	if len(rules.Rules) != 1 || rules.Rules[0].RuleID != "R2" || rules.TotalRules != 3 || rules.Offset != 2 {
		t.Errorf("page 3 by name: %+v (total %d)", rules.Rules, rules.TotalRules)
	}
	if resp := f.do("GET", "/api/v1/rules?sort=nonsense", auth.Viewer, ""); resp.StatusCode != 400 {
		t.Errorf("unknown sort: %d", resp.StatusCode)
	}
	page := readBody(t, f.do("GET", "/performance", auth.Viewer, ""))
	for _, want := range []string{"Time to acknowledge (median, min)", "Time to resolve (median, h)", "SLA adherence (met ÷ met + breached)",
		"Cases created", "Alert volume by severity", "Alert volume by source"} {
		if !strings.Contains(page, `<title id="`) || !strings.Contains(page, ">"+want+"</title>") {
			t.Errorf("performance page lacks the chart %q", want)
		}
	}
	if n := strings.Count(page, "<svg"); n != 6 {
		t.Errorf("performance page has %d charts, want 6", n)
	}
	if n := strings.Count(page, `<details class="table-fallback">`); n != 6 {
		t.Errorf("%d table fallbacks, want one per chart", n)
	}
	// A group-by selector: by priority, a row and two charts per group.
	byPrio := readBody(t, f.do("GET", "/performance?timeframe=weekly&group_by=priority", auth.Viewer, ""))
	for _, want := range []string{`<h2 id="groups-h">By priority`, `<th scope="row" class="text">P1</th>`, `<th scope="row" class="text">P3</th>`,
		"Time to resolve by priority (median,"} {
		if !strings.Contains(byPrio, want) {
			t.Errorf("group-by page lacks %q", want)
		}
	}
	// The selector's links keep the timeframe.
	if !strings.Contains(byPrio, `href="/performance?group_by=team&amp;timeframe=weekly"`) {
		t.Error("the group-by links lose the timeframe")
	}
}

func TestIngestAuditAndLiveUpdate(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.ts.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens[auth.Viewer])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events Content-Type %q", ct)
	}
	events := make(chan [2]string, 8)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				name = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				events <- [2]string{name, v}
			}
		}
		close(events)
	}()
	next := func() (string, LiveSummary) {
		e, ok := <-events
		if !ok {
			t.Fatal("event stream ended")
		}
		var s LiveSummary
		if err := json.Unmarshal([]byte(e[1]), &s); err != nil {
			t.Fatal(err)
		}
		return e[0], s
	}
	if name, s := next(); name != "hello" || s.Open != 2 || s.AlertsLastHour != 1 {
		t.Fatalf("first event %s %+v", name, s)
	}

	body := `{"record":"alert","source":"siem","external_id":"N1","title":"New","severity":"high","created_at":"2026-11-26T11:55:00Z"}
{"record":"alert","source":"siem","title":"no id"}
{"record":"case","source":"siem","external_id":"N2","title":"New case","priority":"P1","status":"new","created_at":"2026-11-26T11:56:00Z","updated_at":"2026-11-26T11:56:00Z"}
`
	resp2 := f.do("POST", "/api/v1/ingest?format=native", auth.Ingest, body, "Content-Type", "application/x-ndjson")
	var res IngestResponse
	if err := json.Unmarshal([]byte(readBody(t, resp2)), &res); err != nil || resp2.StatusCode != 200 {
		t.Fatalf("ingest: %d %v", resp2.StatusCode, err)
	}
	if res.Records != 3 || res.Rejected != 1 || res.Inserted["alert"] != 1 || res.Inserted["case"] != 1 || len(res.Rejects) != 1 || res.Rejects[0].Loc != "api:ingest1:2" || res.Events != 3 {
		t.Fatalf("ingest result %+v", res)
	}
	if name, s := next(); name != "update" || s.Open != 3 || s.AlertsLastHour != 2 || s.UnassignedCritical != 2 {
		t.Fatalf("update event %s %+v", name, s)
	}

	if resp := f.do("POST", "/api/v1/ingest?format=nope", auth.Ingest, body); resp.StatusCode != 400 {
		t.Errorf("unknown format: %d", resp.StatusCode)
	}
	var audit Page[store.AuditEntry]
	getJSON(t, f, "/api/v1/audit", auth.Admin, &audit)
	if len(audit.Items) != 2 {
		t.Fatalf("audit entries %+v", audit.Items)
	}
	e := audit.Items[1]
	if e.Actor != "ingest1" || e.Role != "ingest" || e.Action != "POST /api/v1/ingest" || e.Target != "/api/v1/ingest?format=native" ||
		e.Remote != "127.0.0.1" || e.Status != 200 || e.Detail != "format=native records=3 rejected=1 events=3" || !e.At.Equal(testNow) {
		t.Fatalf("audit entry %+v", e)
	}
	if audit.Items[0].Status != 400 || audit.Items[0].Detail != "unknown format" {
		t.Fatalf("audit of the failed ingest %+v", audit.Items[0])
	}
}

func TestSessionCSRFAndLogin(t *testing.T) {
	f := newFixture(t)
	login := func(name, pw string, hdr ...string) *http.Response {
		form := url.Values{"name": {name}, "password": {pw}, "next": {"/rules"}}
		return f.do("POST", "/login", "", form.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdr...)...)
	}
	resp := login("admin1", testPassword)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/rules" {
		t.Fatalf("sign-in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", cookie)
	}
	withCookie := func(method, path, body string, hdr ...string) *http.Response {
		req, _ := http.NewRequest(method, f.ts.URL+path, strings.NewReader(body))
		req.AddCookie(cookie)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		r, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	var me meResponse
	if err := json.Unmarshal([]byte(readBody(t, withCookie("GET", "/api/v1/me", ""))), &me); err != nil || me.Name != "admin1" || me.CSRF == "" || me.Via != "session" {
		t.Fatalf("me %+v %v", me, err)
	}
	user := `{"name":"carol","role":"analyst","password":"a long enough password"}`
	if r := withCookie("POST", "/api/v1/users", user); r.StatusCode != 403 {
		t.Errorf("cookie write without CSRF token: %d", r.StatusCode)
	}
	if r := withCookie("POST", "/api/v1/users", user, "X-CSRF-Token", "wrong"); r.StatusCode != 403 {
		t.Errorf("cookie write with a wrong CSRF token: %d", r.StatusCode)
	}
	if r := withCookie("POST", "/api/v1/users", user, "X-CSRF-Token", me.CSRF, "Sec-Fetch-Site", "cross-site"); r.StatusCode != 403 {
		t.Errorf("cross-site write: %d", r.StatusCode)
	}
	if r := withCookie("POST", "/api/v1/users", user, "X-CSRF-Token", me.CSRF); r.StatusCode != 201 {
		t.Errorf("cookie write with the CSRF token: %d", r.StatusCode)
	}
	if r := withCookie("POST", "/api/v1/users", user, "X-CSRF-Token", me.CSRF); r.StatusCode != 409 {
		t.Errorf("duplicate user: %d", r.StatusCode)
	}
	if r := withCookie("POST", "/api/v1/users", `{"name":"dave","role":"root","password":"a long enough password"}`, "X-CSRF-Token", me.CSRF); r.StatusCode != 400 {
		t.Errorf("unknown role: %d", r.StatusCode)
	}
	if r := withCookie("POST", "/logout", "csrf="+url.QueryEscape(me.CSRF), "Content-Type", "application/x-www-form-urlencoded"); r.StatusCode != 303 {
		t.Errorf("sign-out: %d", r.StatusCode)
	}
	if r := withCookie("GET", "/api/v1/me", ""); r.StatusCode != 401 {
		t.Errorf("after sign-out: %d", r.StatusCode)
	}
	if page := readBody(t, f.do("GET", "/audit", auth.Admin, "")); !strings.Contains(page, "<td>POST /api/v1/users</td><td>user:carol</td><td>127.0.0.1</td><td>201</td><td>role=analyst</td>") {
		t.Errorf("audit page lacks the user creation:\n%s", page)
	}

	if r := login("ingest1", ""); r.StatusCode != 401 {
		t.Errorf("token-only account signed in: %d", r.StatusCode)
	}
	if r := login("analyst1", testPassword, "Sec-Fetch-Site", "cross-site"); r.StatusCode != 403 {
		t.Errorf("cross-site sign-in: %d", r.StatusCode)
	}
	// Five failures for one account from this address make the sixth
	// attempt wait (2 s), even with the right password.
	for range 5 {
		if r := login("viewer1", "wrong password!!"); r.StatusCode != 401 {
			t.Fatalf("wrong password: %d", r.StatusCode)
		}
	}
	if r := login("viewer1", testPassword); r.StatusCode != 429 || r.Header.Get("Retry-After") != "2" {
		t.Errorf("after 5 failures: %d (Retry-After %q), want 429 after 2 s", r.StatusCode, r.Header.Get("Retry-After"))
	}
	var audit Page[store.AuditEntry]
	getJSON(t, f, "/api/v1/audit?actor=admin1", auth.Admin, &audit)
	var actions []string
	for _, e := range audit.Items {
		actions = append(actions, e.Action+" "+http.StatusText(e.Status))
	}
	want := "POST /logout See Other,POST /api/v1/users Bad Request,POST /api/v1/users Conflict,POST /api/v1/users Created," +
		"POST /api/v1/users Forbidden,POST /api/v1/users Forbidden,POST /login See Other"
	if got := strings.Join(actions, ","); got != want {
		t.Errorf("audit of admin1:\n got %s\nwant %s", got, want)
	}
}

func TestSecurityHeadersAndHealth(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/healthz", "/login", "/static/app.css"} {
		resp := f.do("GET", path, "", "")
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != 200 || !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self';") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: %d, headers %v", path, resp.StatusCode, h)
		}
	}
	if body := readBody(t, f.do("GET", "/readyz", "", "")); body != `{"status":"ready"}`+"\n" {
		t.Errorf("readyz %q", body)
	}
	if resp := f.do("GET", "/login?next=//evil.example", "", ""); !strings.Contains(readBody(t, resp), `name="next" value="/"`) {
		t.Error("an off-site next survived")
	}
}

// TestPrometheus parses /metrics as Prometheus does and checks the SOC
// gauges against the fixture, the request counter and the standard
// collectors.
func TestPrometheus(t *testing.T) {
	f := newFixture(t)
	f.do("GET", "/api/v1/dashboard", auth.Viewer, "").Body.Close()
	resp := f.do("GET", "/metrics", auth.Viewer, "")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q", ct)
	}
	parser := expfmt.NewTextParser(promodel.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(readBody(t, resp)))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		fam := fams[name]
		if fam == nil {
			return 0, false
		}
	metric:
		for _, m := range fam.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue metric
				}
			}
			switch {
			case m.Gauge != nil:
				return m.GetGauge().GetValue(), true
			case m.Counter != nil:
				return m.GetCounter().GetValue(), true
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount()), true
			}
		}
		return 0, false
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"watchfloor_open_cases", map[string]string{"priority": "P1", "stage": "new"}, 1},
		{"watchfloor_open_cases", map[string]string{"priority": "P2", "stage": "investigating"}, 1},
		{"watchfloor_sla_breached_cases", map[string]string{"clock": "acknowledge", "priority": "P1"}, 1},
		{"watchfloor_sla_breached_cases", map[string]string{"clock": "resolve", "priority": "P1"}, 0},
		{"watchfloor_unassigned_cases", map[string]string{"priority": "P1"}, 1},
		{"watchfloor_alerts_last_hour", nil, 1},
		{"watchfloor_http_requests_total", map[string]string{"method": "GET", "route": "GET /api/v1/dashboard", "code": "200"}, 1},
		{"watchfloor_http_request_duration_seconds", map[string]string{"method": "GET", "route": "GET /api/v1/dashboard"}, 1},
		{"watchfloor_live_streams", nil, 0},
	} {
		if got, ok := value(c.name, c.labels); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	// The weekly report by priority: C1's acknowledge clock is a breach
	// in flight (0 of 1), its resolve clock is open and within target (no
	// data: no sample, never 0); C3 met both targets.
	for _, c := range []struct {
		name    string
		labels  map[string]string
		want    float64
		present bool
	}{
		{"watchfloor_sla_adherence_ratio", map[string]string{"clock": "acknowledge", "priority": "P1"}, 0, true},
		{"watchfloor_sla_adherence_ratio", map[string]string{"clock": "resolve", "priority": "P1"}, 0, false},
		{"watchfloor_sla_adherence_ratio", map[string]string{"clock": "resolve", "priority": "P3"}, 1, true},
		{"watchfloor_mttr_sample_size", map[string]string{"priority": "P1"}, 0, true},
		{"watchfloor_mttr_seconds", map[string]string{"priority": "P1", "stat": "mean"}, 0, false},
		{"watchfloor_mttr_seconds", map[string]string{"priority": "P3", "stat": "mean"}, 8 * 3600, true},
	} {
		if got, ok := value(c.name, c.labels); ok != c.present || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v (present %v)", c.name, c.labels, got, ok, c.want, c.present)
		}
	}
	for _, name := range []string{"watchfloor_mtta_seconds", "watchfloor_mttr_sample_size", "go_goroutines", "process_start_time_seconds",
		"process_resident_memory_bytes"} {
		if fams[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if fams["watchfloor_mtta_seconds"].GetType().String() != "GAUGE" || fams["watchfloor_http_requests_total"].GetType().String() != "COUNTER" {
		t.Errorf("metric types: %v %v", fams["watchfloor_mtta_seconds"].GetType(), fams["watchfloor_http_requests_total"].GetType())
	}
}

// TestReplicasShareLiveUpdates runs two servers on one PostgreSQL
// database: an ingest through one reaches a live stream on the other.
func TestReplicasShareLiveUpdates(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var servers [2]*httptest.Server
	var tokens [2]string
	for i := range servers {
		st := storetest.Open(t, dsn)
		as := &auth.Service{Store: st, BcryptCost: bcrypt.MinCost}
		if i == 0 {
			if _, err := as.CreateUser(ctx, "admin1", auth.Admin, testPassword); err != nil {
				t.Fatal(err)
			}
		}
		tok, _, err := as.CreateToken(ctx, "admin1", "replica", 0)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := New(Config{Store: st, Auth: as, PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		go srv.Watch(ctx)
		servers[i], tokens[i] = httptest.NewServer(srv.Handler()), tok
		t.Cleanup(func() { srv.Close(); servers[i].Close() })
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", servers[1].URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+tokens[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	nextData := func(event string) LiveSummary {
		var name string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				name = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok && name == event {
				var s LiveSummary
				if err := json.Unmarshal([]byte(v), &s); err != nil {
					t.Fatal(err)
				}
				return s
			}
		}
		t.Fatalf("stream ended before a %s event: %v", event, sc.Err())
		return LiveSummary{}
	}
	if s := nextData("hello"); s.Open != 0 {
		t.Fatalf("hello %+v", s)
	}
	body := fmt.Sprintf(`{"record":"case","source":"siem","external_id":"R1","title":"Replicated","priority":"P2","status":"new","created_at":%q,"updated_at":%q}`+"\n",
		time.Now().UTC().Add(-time.Minute).Format(time.RFC3339), time.Now().UTC().Add(-time.Minute).Format(time.RFC3339))
	ireq, _ := http.NewRequest("POST", servers[0].URL+"/api/v1/ingest?format=native", strings.NewReader(body))
	ireq.Header.Set("Authorization", "Bearer "+tokens[0])
	iresp, err := http.DefaultClient.Do(ireq)
	if err != nil || iresp.StatusCode != 200 {
		t.Fatalf("ingest on replica 0: %v %v", iresp, err)
	}
	iresp.Body.Close()
	if s := nextData("update"); s.Open != 1 {
		t.Fatalf("update on replica 1 %+v", s)
	}
}

// TestMCPMount checks that an MCP handler given in Config is served at
// /mcp behind authentication, for analysts and above.
func TestMCPMount(t *testing.T) {
	f := newFixture(t)
	mcp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := principal(r)
		fmt.Fprintf(w, "mcp for %s", p.Name)
	})
	srv, err := New(Config{Store: f.st, Auth: f.srv.auth, MCP: mcp, PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	f.ts = ts
	// Viewers reach /mcp and are offered only the aggregate tools (see mcp.ToolAccess).
	for role, want := range map[auth.Role]int{"": 401, auth.Viewer: 200, auth.Ingest: 403, auth.Analyst: 200, auth.Admin: 200} {
		resp := f.do("POST", "/mcp", role, `{}`, "Content-Type", "application/json")
		body := readBody(t, resp)
		if resp.StatusCode != want || (want == 200 && body != "mcp for "+string(role)+"1") {
			t.Errorf("%q: %d %q, want %d", role, resp.StatusCode, body, want)
		}
	}
}

// TestSignInThrottlePerAddress: an attacker's address failing against the
// admin is throttled with backoff while the admin signs in from another
// address; a password change or disabling the account ends its sessions.
func TestSignInThrottlePerAddress(t *testing.T) {
	f := newFixtureWith(t, func(cfg *Config, _ string) { cfg.TrustProxy = true })
	login := func(name, pw, from string) *http.Response {
		form := url.Values{"name": {name}, "password": {pw}}
		return f.do("POST", "/login", "", form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "X-Forwarded-For", from)
	}
	const attacker, office = "203.0.113.9", "10.20.30.40"
	for i := range 5 {
		if r := login("admin1", "not the password", attacker); r.StatusCode != 401 {
			t.Fatalf("attacker attempt %d: %d", i, r.StatusCode)
		}
	}
	r := login("admin1", testPassword, attacker)
	body := readBody(t, r)
	if r.StatusCode != 429 || r.Header.Get("Retry-After") != "2" || !strings.Contains(body, "Try again in 2 s.") {
		t.Errorf("attacker's sixth attempt: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	r = login("admin1", testPassword, office)
	if r.StatusCode != 303 {
		t.Fatalf("the admin from the office while the attacker is throttled: %d", r.StatusCode)
	}
	var cookie *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	me := func() int {
		req, _ := http.NewRequest("GET", f.ts.URL+"/api/v1/me", nil)
		req.AddCookie(cookie)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := me(); code != 200 {
		t.Fatalf("session after sign-in: %d", code)
	}
	if err := f.srv.auth.SetPassword(context.Background(), "admin1", "a new long passphrase"); err != nil {
		t.Fatal(err)
	}
	if code := me(); code != 401 {
		t.Errorf("session after the password change: %d, want 401", code)
	}
	r = login("viewer1", testPassword, office)
	for _, c := range r.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if code := me(); code != 200 {
		t.Fatalf("viewer's session: %d", code)
	}
	if _, err := f.srv.auth.SetDisabled(context.Background(), "viewer1", true); err != nil {
		t.Fatal(err)
	}
	if code := me(); code != 401 {
		t.Errorf("session after disabling the account: %d, want 401", code)
	}
}

// httpSeries counts the request counter's and latency histogram's series.
func httpSeries(t *testing.T, f *fixture) int {
	t.Helper()
	fams, err := f.srv.prom.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fam := range fams {
		if strings.HasPrefix(fam.GetName(), "watchfloor_http_") {
			n += len(fam.GetMetric())
		}
	}
	return n
}

// TestPrometheusMethodLabels: 10,000 requests with made-up methods, before
// and after authentication, add no series once the first has made the
// "other" ones.
func TestPrometheusMethodLabels(t *testing.T) {
	f := newFixture(t)
	rng := rand.New(rand.NewPCG(1, 2))
	method := func() string {
		b := make([]byte, 4+rng.IntN(12))
		for i := range b {
			b[i] = byte('A' + rng.IntN(26))
		}
		return string(b)
	}
	paths := []string{"/", "/api/v1/dashboard", "/metrics", "/nowhere"}
	send := func(n int) {
		for i := range n {
			role := auth.Role("")
			if i%2 == 1 {
				role = auth.Admin
			}
			f.do(method(), paths[i%len(paths)], role, "").Body.Close()
		}
	}
	send(2 * len(paths)) // every path once anonymous and once signed in
	before := httpSeries(t, f)
	send(10000)
	if after := httpSeries(t, f); after != before {
		t.Errorf("10,000 requests with random methods grew the HTTP series from %d to %d", before, after)
	}
	fams, _ := f.srv.prom.reg.Gather()
	for _, fam := range fams {
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "method" && !knownMethods[l.GetValue()] && l.GetValue() != "other" {
					t.Errorf("%s has method label %q", fam.GetName(), l.GetValue())
				}
			}
		}
	}
}

// TestIngestOverLimit: a body declared over the limit is refused before
// anything is read or stored; a chunked body that runs over it answers 413
// with the counts of what was stored, which match the store.
func TestIngestOverLimit(t *testing.T) {
	f := newFixtureWith(t, func(cfg *Config, _ string) { cfg.MaxIngestBytes = 1 << 20 })
	ctx := context.Background()
	count := func() int64 {
		c, err := f.st.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c["alerts"]
	}
	base := count()
	var body strings.Builder
	for i := 0; body.Len() < 5<<19; i++ {
		fmt.Fprintf(&body, `{"record":"alert","source":"big","external_id":"B%05d","title":"bulk alert %d","severity":"low","created_at":"2026-11-26T11:00:00Z"}`+"\n", i, i)
	}
	// Declared length: refused at once.
	resp := f.do("POST", "/api/v1/ingest?format=native", auth.Ingest, body.String())
	msg := readBody(t, resp)
	if resp.StatusCode != 413 || !strings.Contains(msg, "nothing was stored") || count() != base {
		t.Fatalf("declared oversized body: %d %s, %d alerts stored", resp.StatusCode, msg, count()-base)
	}
	// Chunked (no length): what was stored before the limit is counted.
	req, _ := http.NewRequest("POST", f.ts.URL+"/api/v1/ingest?format=native", io.MultiReader(strings.NewReader(body.String())))
	req.Header.Set("Authorization", "Bearer "+f.tokens[auth.Ingest])
	req.ContentLength = -1
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var lim IngestLimitResponse
	if err := json.Unmarshal([]byte(readBody(t, resp)), &lim); err != nil || resp.StatusCode != 413 || lim.Error == "" {
		t.Fatalf("chunked oversized body: %d %+v %v", resp.StatusCode, lim, err)
	}
	stored := count() - base
	if stored == 0 {
		t.Error("nothing was stored before the limit (want the first batch of 5,000)")
	}
	if int64(lim.Inserted["alert"]) != stored || int64(lim.Records) != stored {
		t.Errorf("the 413 answer says %d records, %d alerts inserted; the store gained %d", lim.Records, lim.Inserted["alert"], stored)
	}
	t.Logf("chunked body of %d bytes over a %d-byte limit: %d alerts stored and reported", body.Len(), 1<<20, stored)
}
