package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	promodel "github.com/prometheus/common/model"

	"github.com/prometheus/common/expfmt"
	"golang.org/x/crypto/bcrypt"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/mcp"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/web"
)

// TestSurfacesAgree runs one demo SOC through every surface: the CLI, the
// REST API, the MCP tool and Prometheus give the same window and the same
// KPIs and SLA adherence (breaches in flight counted) per priority, and the
// same breached clocks, because they all ask one report service.
func TestSurfacesAgree(t *testing.T) {
	db := filepath.Join(t.TempDir(), "wf.db")
	if code, _, errOut := run(t, db, "", "demo", "--days", "45", "--alerts-per-day", "1500"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	// Whether the simulated SOC has an overdue open case inside this week
	// depends on the hour the demo is built, so add one the report must
	// count in flight: a P1 opened two days ago, 24 h target, still open.
	at := time.Now().UTC().Add(-48 * time.Hour).Format(time.RFC3339)
	overdue := fmt.Sprintf(`{"record":"case","source":"siem","external_id":"OVERDUE-1","title":"Overdue P1","priority":"P1","status":"in_progress","created_at":%q,"updated_at":%q}`+"\n", at, at)
	if code, _, errOut := run(t, db, overdue, "ingest", "-"); code != 0 {
		t.Fatalf("ingest: %s", errOut)
	}
	code, out, errOut := run(t, db, "", "metrics", "soc", "--performance", "--group-by", "priority", "-o", "json")
	if code != 0 {
		t.Fatalf("metrics: %s", errOut)
	}
	var cli metrics.Report
	if err := json.Unmarshal([]byte(out), &cli); err != nil {
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

	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := metrics.NewService(st, nil)
	as := &auth.Service{Store: st, BcryptCost: bcrypt.MinCost}
	if _, err := as.CreateUser(ctx, "mgr", auth.Manager, "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	token, _, err := as.CreateToken(ctx, "mgr", "t", 0)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Store: st, Auth: as, Metrics: svc, PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	get := func(path string) string {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %v %v", path, err, resp.Status)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 1<<16)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return b.String()
	}
	var api metrics.Report
	if err := json.Unmarshal([]byte(get("/api/v1/metrics?group_by=priority")), &api); err != nil {
		t.Fatal(err)
	}
	var apiSLA web.SLAResponse
	if err := json.Unmarshal([]byte(get("/api/v1/sla")), &apiSLA); err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(promodel.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(get("/metrics")))
	if err != nil {
		t.Fatal(err)
	}
	gauge := func(name string, labels map[string]string) (float64, bool) {
		for _, m := range fams[name].GetMetric() {
			ok := true
			for _, l := range m.GetLabel() {
				if v, want := labels[l.GetName()]; want && v != l.GetValue() {
					ok = false
				}
			}
			if ok {
				return m.GetGauge().GetValue(), true
			}
		}
		return 0, false
	}

	ms, err := mcp.NewServer(mcp.Options{Store: st, Metrics: svc})
	if err != nil {
		t.Fatal(err)
	}
	ct, stt := sdk.NewInMemoryTransports()
	ss, err := ms.Connect(ctx, stt, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "get_soc_metrics", Arguments: map[string]any{"group_by": "priority"}})
	if err != nil || res.IsError {
		t.Fatalf("get_soc_metrics: %v %v", err, res)
	}
	var mcpOut mcp.MetricsOut
	if err := mcp.DecodeAnswer(res.StructuredContent, &mcpOut); err != nil {
		t.Fatal(err)
	}
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "list_sla_breaches", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("list_sla_breaches: %v %v", err, res)
	}
	var breaches mcp.BreachesOut
	if err := mcp.DecodeAnswer(res.StructuredContent, &breaches); err != nil {
		t.Fatal(err)
	}

	// One window everywhere, ending with the demo's data (today).
	if cli.From != api.From || cli.To != api.To || mcpOut.From != cli.From || mcpOut.To != cli.To {
		t.Fatalf("windows: CLI %s…%s, API %s…%s, MCP %s…%s", cli.From, cli.To, api.From, api.To, mcpOut.From, mcpOut.To)
	}
	if len(cli.Groups) < 3 || len(api.Groups) != len(cli.Groups) || len(mcpOut.Groups) != len(cli.Groups) {
		t.Fatalf("groups: CLI %d, API %d, MCP %d", len(cli.Groups), len(api.Groups), len(mcpOut.Groups))
	}
	inFlight := 0
	for i, g := range cli.Groups {
		a, m := api.Groups[i], mcpOut.Groups[i]
		for _, o := range []metrics.GroupResult{a, m} {
			if o.Group != g.Group || o.Cases != g.Cases || o.SLAResolve.Met != g.SLAResolve.Met || o.SLAResolve.Breached != g.SLAResolve.Breached ||
				o.SLAAcknowledge.Breached != g.SLAAcknowledge.Breached || !sameFig(o.SLAResolve.Adherence, g.SLAResolve.Adherence) {
				t.Errorf("%s: CLI %+v\nother %+v", g.Group, g.SLAResolve, o.SLAResolve)
			}
			for k := range g.KPIs {
				if o.KPIs[k].Count != g.KPIs[k].Count || !sameFig(o.KPIs[k].Mean, g.KPIs[k].Mean) || !sameFig(o.KPIs[k].Median, g.KPIs[k].Median) {
					t.Errorf("%s %s: CLI %d/%v, other %d/%v", g.Group, g.KPIs[k].KPI, g.KPIs[k].Count, g.KPIs[k].Mean, o.KPIs[k].Count, o.KPIs[k].Mean)
				}
			}
		}
		inFlight += int(g.SLAResolve.BreachedOpen + g.SLAAcknowledge.BreachedOpen)
		// Prometheus: the adherence sample is there exactly when there is
		// data, with the same value.
		v, ok := gauge("watchfloor_sla_adherence_ratio", map[string]string{"clock": "resolve", "priority": g.Group})
		if x, has := metrics.Value(g.SLAResolve.Adherence); ok != has || v != x {
			t.Errorf("%s: Prometheus resolve adherence %v (%v), CLI %v", g.Group, v, ok, g.SLAResolve.Adherence)
		}
		for _, k := range g.KPIs {
			if k.KPI != metrics.MTTR {
				continue
			}
			v, ok := gauge("watchfloor_mttr_seconds", map[string]string{"priority": g.Group, "stat": "mean"})
			if x, has := metrics.Value(k.Mean); ok != has || v != x {
				t.Errorf("%s: Prometheus MTTR mean %v (%v), CLI %v", g.Group, v, ok, k.Mean)
			}
		}
	}
	// The live breaches: the CLI's dashboard, the API, the MCP tool and
	// Prometheus list the same clocks; the report counts them in flight.
	prom := 0.0
	for _, m := range fams["watchfloor_sla_breached_cases"].GetMetric() {
		prom += m.GetGauge().GetValue()
	}
	if len(dash.Breached) == 0 || len(apiSLA.Breached) != len(dash.Breached) || breaches.Breached != len(dash.Breached) || int(prom) != len(dash.Breached) {
		t.Errorf("breached clocks: CLI %d, API %d, MCP %d, Prometheus %v", len(dash.Breached), len(apiSLA.Breached), breaches.Breached, prom)
	}
	if inFlight == 0 {
		t.Error("the demo's report counts no breach in flight")
	}
}

func sameFig(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// TestReportEnumsAgree: the OpenAPI document and the MCP tool schema offer
// the group_by and timeframe values the report service takes, generated
// from it.
func TestReportEnumsAgree(t *testing.T) {
	sch := mcp.MetricsInSchema()
	for name, want := range web.ReportEnums() {
		var got []string
		for _, v := range sch.Properties[name].Enum {
			got = append(got, v.(string))
		}
		if !slices.Equal(got, want) {
			t.Errorf("MCP %s enum %v, OpenAPI %v", name, got, want)
		}
	}
	if !slices.Equal(web.ReportEnums()["group_by"], metrics.GroupBys) || !slices.Contains(metrics.GroupBys, metrics.ByShift) ||
		!slices.Contains(metrics.GroupBys, metrics.ByRule) {
		t.Errorf("group_by %v", metrics.GroupBys)
	}
	doc, err := web.OpenAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), `"shift",`) || !strings.Contains(string(doc), `"quarterly"`) {
		t.Error("the served OpenAPI document lacks the generated enums")
	}
}
