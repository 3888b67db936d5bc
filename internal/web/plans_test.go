package web

import (
	"context"
	"encoding/json"
	"github.com/watchfloor/watchfloor/internal/ingest"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/staffing"
)

func TestStaffingPlanAPI(t *testing.T) {
	f := newFixture(t)
	var p StaffingResponse
	getJSON(t, f, "/api/v1/staffing/plan?history_weeks=1", auth.Manager, &p)
	// One case of each of P1, P2, P3 in the week; thresholds from the SLA
	// policy's acknowledge targets.
	want := map[string]float64{"cases P1": 900, "cases P2": 3600, "cases P3": 14400}
	if len(p.Queues) != len(want) {
		t.Fatalf("queues %+v", p.Queues)
	}
	for _, q := range p.Queues {
		if q.WeeklyArrivals != 1 || q.AnswerWithinSeconds != want[q.Queue] || q.TargetServiceLevel != 0.9 || q.PlannedServiceLevel < 0.9 {
			t.Errorf("queue %+v", q)
		}
	}
	g := p.Coverage
	if len(g.Cells) != 24 || len(g.Days) != 7 || p.Current != nil {
		t.Fatalf("coverage %d hours × %v; current roster %+v (the fixture has none)", len(g.Cells), g.Days, p.Current)
	}
	for _, row := range g.Cells {
		for _, c := range row {
			if c.Required < p.MinHeads || c.Scheduled < c.Required {
				t.Fatalf("coverage cell %+v below the requirement or the minimum %d", c, p.MinHeads)
			}
		}
	}

	var over StaffingResponse
	getJSON(t, f, "/api/v1/staffing/plan?history_weeks=1&answer_within=10m&target_service_level=0.95", auth.Admin, &over)
	for _, q := range over.Queues {
		if q.AnswerWithinSeconds != 600 || q.TargetServiceLevel != 0.95 {
			t.Errorf("with overrides: %+v", q)
		}
	}
	for _, bad := range []string{"history_weeks=53", "answer_within=soon", "target_service_level=1", "target_service_level=x"} {
		resp := f.do("GET", "/api/v1/staffing/plan?"+bad, auth.Manager, "")
		if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", bad, resp.StatusCode, body)
		}
	}
}

func TestBudgetPlanAPI(t *testing.T) {
	f := newFixture(t)
	resp := f.do("GET", "/api/v1/budget/plan", auth.Manager, "")
	if body := readBody(t, resp); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "needs a budget configuration") {
		t.Fatalf("without a budget configuration: %d %s", resp.StatusCode, body)
	}
	bcfg := &budget.Config{Currency: "EUR", Tiers: map[string]budget.TierCost{"L1": {Annual: 60000}}, Mix: map[string]float64{"L1": 1},
		Tools: []budget.Tool{{Name: "SIEM", Pricing: budget.Flat, Price: 1000}}}
	srv, err := New(Config{Store: f.st, Auth: f.srv.auth, Now: f.srv.cfg.Now, PollInterval: -1, Budget: bcfg})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); ts.Close() })
	get := func(query string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/budget/plan"+query, nil)
		req.Header.Set("Authorization", "Bearer "+f.tokens[auth.Manager])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, readBody(t, resp)
	}
	resp, body := get("?history_weeks=1&scenario=growth:1")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var p budget.Plan
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Columns) != 3 || p.Columns[2].Name != "growth:1" || p.Currency != "EUR" {
		t.Fatalf("columns %+v", p.Columns)
	}
	// Staff cost is FTE × the L1 loaded cost; the flat tool is in every column.
	for i, c := range p.Columns {
		want := c.FTE*60000/12 + 1000
		if d := c.Monthly - want; d > 1e-6 || d < -1e-6 {
			t.Errorf("%s: %.2f a month for %.1f FTE, want %.2f", c.Name, c.Monthly, c.FTE, want)
		}
		if i == 2 && c.FTE <= p.Columns[1].FTE {
			t.Errorf("doubling the volume needs %.1f FTE, the plan %.1f", c.FTE, p.Columns[1].FTE)
		}
	}
	if resp, body := get("?scenario=double-it"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "double-it") {
		t.Errorf("unknown scenario: %d %s", resp.StatusCode, body)
	}
}

func TestStaffingPage(t *testing.T) {
	f := newFixture(t)
	resp := f.do("GET", "/staffing", auth.Manager, "")
	body := readBody(t, resp)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-heat"`, `<title>Mon 00:00: 2 scheduled, 2 required</title>`,
		`<summary>Proposed schedule as a table</summary>`, `<th scope="row" class="text">23:00</th>`, `<h2 id="schedule-h">Proposed schedule</h2>`,
		`<th scope="row" class="text">cases P1</th>`, `No active analysts on the roster`, `<a href="/staffing" aria-current="page">Staffing</a>`,
		`<th scope="col">Simulated SL (95% CI)</th><th scope="col" class="text">Verdict</th>`, `<p class="sub">Simulation (poisson, 10 replications,`,
		`<th scope="col">Cost a week (paid hours)</th>`,
		// The triage scope is stated beside the headline, with the switch.
		`<strong>Scope: cases only.</strong> Alert triage (≈ 0.5 alerts a week) is not in this plan`,
		`<a class="button primary" href="/staffing?triage=include" id="triage-toggle">Include alert triage</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("staffing page lacks %q", want)
		}
	}
	if strings.Contains(body, "alerts P2") {
		t.Error("the cases-only plan has an alert queue")
	}
	if off := readBody(t, f.do("GET", "/staffing?simulate=false", auth.Manager, "")); strings.Contains(off, "Simulated SL") {
		t.Error("simulate=false still simulates")
	}
	if n := strings.Count(body, "<g><title>"); n != 168 {
		t.Errorf("%d heat-map cells, want 168 (no roster: no second map)", n)
	}
	// One click includes alert triage, at the assumed 4 minutes an alert.
	with := readBody(t, f.do("GET", "/staffing?triage=include", auth.Manager, ""))
	for _, want := range []string{`<strong>Scope: cases and alert triage.</strong> Triage at 4m an alert (assumed: set staffing.triage_handle_time)`,
		`<a class="button" href="/staffing?triage=exclude" id="triage-toggle">Plan cases only</a>`, `<th scope="row" class="text">alerts P2</th>`} {
		if !strings.Contains(with, want) {
			t.Errorf("staffing page with triage lacks %q", want)
		}
	}
	var plan StaffingResponse
	getJSON(t, f, "/api/v1/staffing/plan?triage=include&triage_time=6m&triage_share=0.5", auth.Manager, &plan)
	var handle float64
	for _, q := range plan.Queues {
		if q.Queue == "alerts P2" {
			handle = q.HandleSeconds
		}
	}
	if handle != 360 {
		t.Errorf("API with triage_time=6m: alert queue handle %v s, want 360", handle)
	}
	if resp := f.do("GET", "/api/v1/staffing/plan?triage=maybe", auth.Manager, ""); resp.StatusCode != 400 {
		t.Errorf("triage=maybe: %d", resp.StatusCode)
	}
	// The nav shows the page only to roles that may open it.
	for role, want := range map[auth.Role]bool{auth.Analyst: false, auth.Manager: true, auth.Admin: true} {
		resp := f.do("GET", "/rules", role, "")
		if got := strings.Contains(readBody(t, resp), `href="/staffing"`); got != want {
			t.Errorf("%s: staffing link shown %v, want %v", role, got, want)
		}
	}
}

// TestSkillsAndBudgetPages: the skill matrix and training needs, and the
// budget's scenarios side by side, on the web for managers.
func TestSkillsAndBudgetPages(t *testing.T) {
	f := newFixtureWith(t, func(cfg *Config, _ string) {
		cfg.Budget = &budget.Config{Currency: "EUR", Tiers: map[string]budget.TierCost{"L1": {Annual: 78000}},
			Scenarios: []budget.Scenario{{Name: "double <b>volume</b>", Growth: ptr(1.0)}}}
	})
	ctx := context.Background()
	_, err := ingest.Run(ctx, f.st, strings.NewReader(`{"record":"shift","name":"Day","start":"06:00","duration":28800000000000,"days":[0,1,2,3,4,5,6],"time_zone":"UTC"}
{"record":"analyst","external_id":"ada","name":"Ada","tier":"L1","shift":"Day","active":true,"skills":[{"name":"malware analysis","level":4},{"name":"email security","level":2}]}
{"record":"analyst","external_id":"bob","name":"Bob","tier":"L1","shift":"Day","active":true,"skills":[{"name":"email security","level":3}]}
`), "skills", ingest.Options{Format: "native"})
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, f.do("GET", "/staffing/skills", auth.Manager, ""))
	for _, want := range []string{`<th scope="col" class="lvl">malware analysis</th>`, `<td class="lvl lvl-4">4</td>`, `<td class="lvl lvl-0">·</td>`,
		`id="training-needs"`, `single point of failure`} {
		if !strings.Contains(body, want) {
			t.Errorf("skills page lacks %q", want)
		}
	}
	b := readBody(t, f.do("GET", "/budget", auth.Manager, ""))
	for _, want := range []string{`<th scope="col">today&#39;s roster</th><th scope="col">staffing plan</th><th scope="col">double &lt;b&gt;volume&lt;/b&gt;</th>`,
		`Total a year`, `Change a year vs the staffing plan`, `class="chart chart-bar"`, `<h2 id="units-h">Unit costs</h2>`} {
		if !strings.Contains(b, want) {
			t.Errorf("budget page lacks %q", want)
		}
	}
	if strings.Contains(b, "<b>volume") {
		t.Error("scenario name not escaped")
	}
	if resp := f.do("GET", "/budget", auth.Analyst, ""); resp.StatusCode != 403 {
		t.Errorf("analyst on the budget page: %d", resp.StatusCode)
	}
	nob := newFixture(t)
	if b := readBody(t, nob.do("GET", "/budget", auth.Manager, "")); !strings.Contains(b, "serve --plan-config FILE") {
		t.Error("without prices the budget page does not say how to get them")
	}
}

func ptr[T any](v T) *T { return &v }

// TestHeatMaps: the schedule map says scheduled/required, the roster map
// expected/required with the shortfall; the two are never mixed in one
// cell, every cell has a tooltip in words, and text is escaped.
func TestHeatMaps(t *testing.T) {
	short, enough := 1.5, 4.0
	g := staffing.CoverageGrid{Days: []string{"Mon", `<b>Tue</b>`}, Hours: []string{"00:00"},
		Cells: [][]staffing.CoverageCell{{{Required: 2, Scheduled: 3, Current: &short}, {Required: 4, Scheduled: 3, Current: &enough}}}}
	sched := string(ScheduleHeatMap(`Coverage <script>`, g))
	for _, want := range []string{
		`<title id="heat-schedule-title">Coverage &lt;script&gt;</title>`, `&lt;b&gt;Tue&lt;/b&gt;`,
		`<title>Mon 00:00: 3 scheduled, 2 required</title>`, `>3/2</text>`,
		`<title>&lt;b&gt;Tue&lt;/b&gt; 00:00: 3 scheduled, 4 required (1 short)</title>`, `>3/4</text>`, `cell: scheduled/required`,
	} {
		if !strings.Contains(sched, want) {
			t.Errorf("schedule map lacks %q:\n%s", want, sched)
		}
	}
	if !regexp.MustCompile(`4 required \(1 short\)</title><rect [^>]*stroke="#d73a49"`).MatchString(sched) ||
		regexp.MustCompile(`2 required</title><rect [^>]*stroke="#d73a49"`).MatchString(sched) {
		t.Error("the short hour is not outlined, or a covered one is")
	}
	roster := string(RosterHeatMap("Today", g))
	for _, want := range []string{
		`<title>Mon 00:00: 1.5 expected with today&#39;s roster, 2 required (0.5 short)</title>`, `>1.5/2</text>`,
		`<title>&lt;b&gt;Tue&lt;/b&gt; 00:00: 4.0 expected with today&#39;s roster, 4 required</title>`, `>4.0/4</text>`,
		`short by one or more`,
	} {
		if !strings.Contains(roster, want) {
			t.Errorf("roster map lacks %q:\n%s", want, roster)
		}
	}
	for _, svg := range []string{sched, roster} {
		if strings.Contains(svg, "<script>") || strings.Contains(svg, "<b>") || strings.Contains(svg, "!<") {
			t.Errorf("unescaped text or a mixed cell: %s", svg)
		}
	}
}
