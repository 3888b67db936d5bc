package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
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
	for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-heat"`, `<title>Mon 00:00: 2 required, 2 scheduled</title>`,
		`<summary>Coverage as a table</summary>`, `<th scope="row">23:00</th>`, `<h2>Proposed schedule</h2>`, `<td>cases P1</td>`,
		`No active analysts on the roster`, `href="/staffing" aria-current="page">Staffing</a>`,
		`<th scope="col">Simulated SL (95% CI)</th><th scope="col">Verdict</th>`, `<p class="sub">Simulation (poisson, 10 replications,`} {
		if !strings.Contains(body, want) {
			t.Errorf("staffing page lacks %q", want)
		}
	}
	if off := readBody(t, f.do("GET", "/staffing?simulate=false", auth.Manager, "")); strings.Contains(off, "Simulated SL") {
		t.Error("simulate=false still simulates")
	}
	if n := strings.Count(body, "<g><title>"); n != 168 {
		t.Errorf("%d heat-map cells, want 168", n)
	}
	// The nav shows the page only to roles that may open it.
	for role, want := range map[auth.Role]bool{auth.Analyst: false, auth.Manager: true, auth.Admin: true} {
		resp := f.do("GET", "/rules", role, "")
		if got := strings.Contains(readBody(t, resp), `href="/staffing"`); got != want {
			t.Errorf("%s: staffing link shown %v, want %v", role, got, want)
		}
	}
}

func TestCoverageHeatMap(t *testing.T) {
	short, enough := 1.5, 4.0
	g := staffing.CoverageGrid{Days: []string{"Mon", `<b>Tue</b>`}, Hours: []string{"00:00"},
		Cells: [][]staffing.CoverageCell{{{Required: 2, Scheduled: 3, Current: &short}, {Required: 4, Scheduled: 4, Current: &enough}}}}
	svg := string(CoverageHeatMap(`Coverage <script>`, g))
	for _, want := range []string{
		`<title>Coverage &lt;script&gt;</title>`, `&lt;b&gt;Tue&lt;/b&gt;`,
		`<title>Mon 00:00: 2 required, 3 scheduled, 1.5 expected with today&#39;s roster (0.5 short)</title>`,
		`fill-opacity="0.44" stroke="#d73a49" stroke-width="2"/>`, `>3/2!</text>`,
		`<title>&lt;b&gt;Tue&lt;/b&gt; 00:00: 4 required, 4 scheduled, 4.0 expected with today&#39;s roster</title>`,
		`fill-opacity="0.80" stroke="currentColor" stroke-opacity="0.15"/>`, `>4/4</text>`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("heat map lacks %q:\n%s", want, svg)
		}
	}
	if strings.Contains(svg, "<script>") || strings.Contains(svg, "<b>") {
		t.Errorf("unescaped text: %s", svg)
	}
}
