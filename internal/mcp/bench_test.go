package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	wfauth "github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/store"
)

// benchStore opens the store named by WATCHFLOOR_MCP_BENCH_DB (for example
// one filled with `watchfloor demo --db /tmp/bench.db`); benchmarks skip
// without it.
func benchStore(b *testing.B) *store.Store {
	dsn := os.Getenv("WATCHFLOOR_MCP_BENCH_DB")
	if dsn == "" {
		b.Skip("set WATCHFLOOR_MCP_BENCH_DB to a filled store (watchfloor demo --db …)")
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// benchCalls are the tool calls measured, one sub-benchmark each.
var benchCalls = []struct {
	tool string
	args map[string]any
}{
	{"list_cases", nil},
	{"list_cases", map[string]any{"status": "open", "priority": "P1"}},
	{"get_case_full_details", map[string]any{"case_id": "1"}},
	{"get_security_alerts", nil},
	{"list_alerts", nil},
	{"list_alerts", map[string]any{"page_size": 100, "severity": "high"}},
	{"list_alerts", map[string]any{"case_id": "1"}},
	{"list_alerts", map[string]any{"host": "no-such-host"}},
	{"get_alert", map[string]any{"alert_id": "1"}},
	{"get_ioc_matches", nil},
	{"get_ioc_matches", map[string]any{"hours_back": 24 * 90}},
	{"get_observable_prevalence", nil},
	{"top_vulnerability_findings", nil},
	{"search_findings", map[string]any{"severity": "high"}},
	{"get_soc_dashboard", nil},
	{"list_sla_breaches", nil},
	{"get_analyst_workload", nil},
	{"get_soc_metrics", map[string]any{"timeframe": "monthly"}},
	{"get_noisy_rules", map[string]any{"timeframe": "monthly"}},
	{"list_threat_profiles", map[string]any{"days_back": 7}},
	{"list_threat_profiles", map[string]any{"days_back": 90}},
	{"get_threat_profile", map[string]any{"profile_id": "G0007"}},
	{"get_finding_remediation", map[string]any{"finding_id": "$finding"}},
	{"list_major_incidents", nil},
	{"get_major_incident_status", map[string]any{"incident_id": "$incident"}},
	{"list_runbooks", nil},
	{"get_runbook", map[string]any{"runbook_id": "$runbook"}},
	{"get_runbook_metrics", nil},
	{"get_technology_health", nil},
	{"get_detection_coverage", nil},
	{"develop_soc_roadmap", nil},
	{"plan_staffing", nil},
	{"plan_budget", nil},
	{"assess_team_skills", nil},
	{"get_soc_metrics", map[string]any{"from": "$month-start", "to": "$month-end", "trend": true}},
	{"list_sla_breaches", map[string]any{"from": "$month-start", "to": "$month-end"}},
	{"get_analyst_workload", map[string]any{"from": "$month-start", "to": "$month-end"}},
	{"generate_executive_report", nil},
	{"generate_shift_handover", nil},
	{"generate_operations_review", nil},
}

// benchArgs fills the arguments that name a record of the store ($finding,
// $incident, $runbook: the first one listed) or a window (the 30 days up to
// latest); false when the store has no such record.
func benchArgs(ctx context.Context, cs *sdk.ClientSession, args map[string]any, latest time.Time) (map[string]any, bool, error) {
	first := func(tool, list, key string) (string, error) {
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tool})
		if err != nil || res.IsError {
			return "", fmt.Errorf("%s: %v %s", tool, err, text(res))
		}
		rows, _ := res.StructuredContent.(map[string]any)[list].([]any)
		if len(rows) == 0 {
			return "", nil
		}
		id, _ := rows[0].(map[string]any)[key].(string)
		return id, nil
	}
	out := map[string]any{}
	for k, v := range args {
		out[k] = v
		var err error
		switch v {
		case "$finding":
			out[k], err = first("top_vulnerability_findings", "findings", "id")
		case "$incident":
			out[k], err = first("list_major_incidents", "incidents", "incident_id")
		case "$runbook":
			out[k], err = first("list_runbooks", "runbooks", "id")
		case "$month-start":
			out[k] = latest.AddDate(0, 0, -29).Format(time.DateOnly)
		case "$month-end":
			out[k] = latest.Format(time.DateOnly)
		}
		if err != nil {
			return nil, false, err
		}
		if out[k] == "" {
			return nil, false, nil
		}
	}
	return out, true, nil
}

// BenchmarkToolsCall measures tools/call through the in-memory transport
// and reports the p50 and p99 latency of each call.
//
//	WATCHFLOOR_MCP_BENCH_DB=/tmp/bench.db go test ./internal/mcp -run '^$' -bench ToolsCall
func BenchmarkToolsCall(b *testing.B) {
	st := benchStore(b)
	// "Now" is the store's newest data, so the tools' windows (the last 24
	// hours, 7 or 90 days) hold alerts however old the store is.
	latest, err := st.LatestActivity(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if latest.IsZero() {
		latest = time.Now()
	}
	srv, err := NewServer(Options{Store: st, Now: func() time.Time { return latest }, Budget: testBudget})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ct, stt := sdk.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, stt, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ss.Close()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "bench", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer cs.Close()
	for _, bc := range benchCalls {
		b.Run(fmt.Sprintf("%s%v", bc.tool, bc.args), func(b *testing.B) {
			args, ok, err := benchArgs(ctx, cs, bc.args, latest)
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				b.Skip("the store holds no record to name")
			}
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: bc.tool, Arguments: args})
				if err != nil {
					b.Fatal(err)
				}
				if res.IsError {
					b.Fatalf("%s: %s", bc.tool, text(res))
				}
				lat = append(lat, time.Since(t0))
			}
			reportLatency(b, lat)
		})
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}

// BenchmarkToolsList measures tools/list for an admin with the write
// tools, and reports its size.
func BenchmarkToolsList(b *testing.B) {
	st := benchStore(b)
	srv, err := NewServer(Options{Store: st, AllowWrites: true, Budget: testBudget})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ct, stt := sdk.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, stt, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ss.Close()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "bench", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer cs.Close()
	var lat []time.Duration
	var size, tools int
	for b.Loop() {
		t0 := time.Now()
		res, err := cs.ListTools(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		enc, err := json.Marshal(res)
		if err != nil {
			b.Fatal(err)
		}
		size, tools = len(enc), len(res.Tools)
	}
	reportLatency(b, lat)
	b.ReportMetric(float64(size), "bytes")
	b.ReportMetric(float64(tools), "tools")
}

// BenchmarkHTTPConcurrentClients runs 50 clients at once over streamable
// HTTP, each with its own session, calling list_cases and get_security_alerts;
// any error fails the benchmark.
func BenchmarkHTTPConcurrentClients(b *testing.B) {
	st := benchStore(b)
	srv, err := NewServer(Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	v, err := ParseSHA256Tokens(sha256hex("bench"), wfauth.Admin)
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(HTTPHandler(srv, v, nil))
	defer hs.Close()
	const clients = 50
	ctx := context.Background()
	sessions := make([]*sdk.ClientSession, clients)
	for i := range sessions {
		c := sdk.NewClient(&sdk.Implementation{Name: "bench", Version: "1"}, nil)
		cs, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: hs.URL, DisableStandaloneSSE: true,
			HTTPClient: &http.Client{Transport: bearer{"bench", http.DefaultTransport}}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer cs.Close()
		sessions[i] = cs
	}
	var mu sync.Mutex
	var lat []time.Duration
	for b.Loop() {
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for _, cs := range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, tool := range []string{"list_cases", "get_security_alerts"} {
					t0 := time.Now()
					res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tool})
					if err == nil && res.IsError {
						err = fmt.Errorf("%s: %s", tool, text(res))
					}
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	reportLatency(b, lat)
}
