package mcp

import (
	"context"
	"encoding/json"
	"os"
	"sort"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// demoEnd ends the test demo; the tests' clock is its end.
var demoEnd = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// fullDemoStore stores a demo SOC the way `watchfloor demo` does (intelligence
// feed, alerts matched as they land, cases, runbooks, certifications, the
// organisation's profile), over days with alertsPerDay.
func fullDemoStore(t testing.TB, days, alertsPerDay int) *store.Store {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, storetest.SQLitePath(t))
	cfg := demo.Config{End: demoEnd, Days: days, AlertsPerDay: alertsPerDay}
	cat, err := attack.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tq := range cat.Techniques() {
		cfg.Techniques = append(cfg.Techniques, tq.ID)
	}
	cfg = cfg.WithDefaults()
	if _, err := ingest.RunFormat(ctx, st, demo.Format(cfg), nil, "demo", ingest.Options{BatchSize: 10000, Matcher: &intel.Matcher{Store: st}}); err != nil {
		t.Fatal(err)
	}
	for _, s := range demo.Runbooks(cfg) {
		if _, err := runbook.Sync(ctx, st, s.FS, "", demo.RunbookSource, s.At); err != nil {
			t.Fatal(err)
		}
	}
	analysts, err := st.Analysts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var certs []store.Certification
	for _, c := range demo.Certifications(cfg, analysts) {
		certs = append(certs, store.Certification{Analyst: c.Analyst, Name: c.Name, Issued: c.Issued, Expires: c.Expires, Source: demo.Source})
	}
	if _, err := st.SaveCertifications(ctx, certs); err != nil {
		t.Fatal(err)
	}
	if _, err := (&intel.Service{Store: st}).SetOrgProfile(ctx, intel.OrgProfile{Sectors: demo.OrgSectors, Regions: demo.OrgRegions,
		Platforms: demo.OrgPlatforms}); err != nil {
		t.Fatal(err)
	}
	return st
}

// testBudget prices plan_budget in the size tests.
var testBudget = &budget.Config{Currency: "EUR",
	Tiers: map[string]budget.TierCost{"L1": {Annual: 60000}, "L2": {Annual: 80000}, "L3": {Annual: 110000}}}

// TestEveryAnswerWithinBudget calls every tool (as admin, write tools on)
// with its largest arguments, and the detail tools on the demo's records,
// and checks that every answer's text is within the answer budget. It runs
// on a 30-day demo, or on the store WATCHFLOOR_MCP_BENCH_DB names (the
// 1 M-case benchmark store).
func TestEveryAnswerWithinBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("stores a demo SOC")
	}
	var st *store.Store
	clock := demoEnd
	if dsn := os.Getenv("WATCHFLOOR_MCP_BENCH_DB"); dsn != "" {
		var err error
		if st, err = store.Open(context.Background(), dsn); err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		clock = time.Now().UTC()
	} else {
		st = fullDemoStore(t, 30, 1500)
	}
	cs := connect(t, Options{Store: st, AllowWrites: true, Budget: testBudget, Now: func() time.Time { return clock }})
	ctx := context.Background()
	limit := DefaultAnswerTokens * 4
	type size struct {
		call  string
		bytes int
	}
	var sizes []size
	for _, c := range everyCall(t, cs) {
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: c.tool, Arguments: c.args})
		if err != nil {
			t.Errorf("%s %v: %v", c.tool, c.args, err)
			continue
		}
		if res.IsError {
			t.Errorf("%s %v: tool error %s", c.tool, c.args, text(res))
			continue
		}
		n := len(text(res))
		b, _ := json.Marshal(c.args)
		var ans map[string]any
		if err := json.Unmarshal([]byte(text(res)), &ans); err != nil {
			t.Fatal(err)
		}
		if note, ok := ans["answer_budget"].(map[string]any); ok {
			t.Logf("%s %s cut: %v", c.tool, b, note["cut"])
			if tok, _ := ans["next_page_token"].(string); tok != "" {
				t.Errorf("%s %s: a paged answer was cut by the backstop (its page should fit itself): %v", c.tool, b, note)
			}
			if len(note["cut"].([]any)) == 0 {
				t.Errorf("%s %s: over budget with nothing left to cut", c.tool, b)
			}
		}
		sizes = append(sizes, size{c.tool + " " + string(b), n})
		if n > limit {
			t.Errorf("%s %s: %d bytes, over the %d-byte budget", c.tool, b, n, limit)
		}
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i].bytes > sizes[j].bytes })
	for _, s := range sizes[:min(12, len(sizes))] {
		t.Logf("%6d bytes  %s", s.bytes, s.call)
	}
	lt, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(lt)
	t.Logf("tools/list: %d tools, %d bytes", len(lt.Tools), len(b))
}
