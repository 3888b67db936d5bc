package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/tech"
)

// hostileSource is a source name an attacker could choose.
const hostileSource = `edr<script>alert(1)</script>`

// storeSteadySource stores four weeks of a source sending 30 alerts an
// hour, until two hours before testNow: silent at testNow.
func storeSteadySource(t *testing.T, f *fixture) {
	t.Helper()
	var b store.Batch
	start := testNow.Add(-28 * 24 * time.Hour)
	for at := start; at.Before(testNow.Add(-2 * time.Hour)); at = at.Add(2 * time.Minute) {
		b.Alerts = append(b.Alerts, model.Alert{Source: hostileSource, ExternalID: fmt.Sprint(at.Unix()), RuleID: "R1", RuleName: "Rule one",
			CreatedAt: at, IngestedAt: at.Add(20 * time.Second)})
	}
	if _, err := f.st.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	f.srv.Changed()
}

func TestTechAPIAndPage(t *testing.T) {
	f := newFixture(t)
	storeSteadySource(t, f)

	var h tech.HealthReport
	getJSON(t, f, "/api/v1/tech/health", auth.Viewer, &h)
	var src *tech.KeyHealth
	for i := range h.Sources {
		if h.Sources[i].Source == hostileSource {
			src = &h.Sources[i]
		}
	}
	if src == nil || src.State != tech.Silent || src.Seen != 0 || src.Since == nil || !src.Since.Equal(testNow.Add(-2*time.Hour-2*time.Minute)) {
		t.Fatalf("health %+v", src)
	}
	if resp := f.do("GET", "/api/v1/tech/health?last=7x", auth.Viewer, ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad last: %d", resp.StatusCode)
	}
	var p tech.PipelineReport
	getJSON(t, f, "/api/v1/tech/pipeline", auth.Viewer, &p)
	if len(p.Stopped) == 0 || p.Stopped[0].Rule != "R1" || p.Stopped[0].State != tech.Silent {
		t.Errorf("pipeline stopped %+v", p.Stopped)
	}

	// The inventory: managers only; a bad body names the platform and
	// field; a good one is stored, audited and judged.
	if resp := f.do("GET", "/api/v1/tech/inventory", auth.Viewer, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer reads the inventory: %d", resp.StatusCode)
	}
	if resp := f.do("PUT", "/api/v1/tech/inventory", auth.Analyst, `{"platforms":[]}`); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst replaces the inventory: %d", resp.StatusCode)
	}
	resp := f.do("PUT", "/api/v1/tech/inventory", auth.Manager, `{"platforms":[{"name":"EDR","category":"firewall"}]}`)
	if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `platforms[0]: EDR: category \"firewall\"`) {
		t.Errorf("bad inventory: %d %s", resp.StatusCode, body)
	}
	resp = f.do("PUT", "/api/v1/tech/inventory", auth.Manager, `{"platforms":[{"name":"EDR","category":"edr","renewal":"2027-01-15","notice_days":30,
		"cost":{"pricing":"flat","price":1000},"sources":[`+fmt.Sprintf("%q", hostileSource)+`]}]}`)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("inventory: %d %s", resp.StatusCode, body)
	}
	var inv tech.InventoryReport
	getJSON(t, f, "/api/v1/tech/inventory?within=60", auth.Manager, &inv)
	if len(inv.Platforms) != 1 || *inv.Platforms[0].RenewalInDays != 50 || !inv.Platforms[0].RenewalDue || inv.Platforms[0].State != tech.Silent ||
		*inv.Platforms[0].AnnualCost != 12000 || inv.Window != 60 {
		t.Errorf("inventory %+v", inv)
	}
	entries, err := f.st.AuditEntries(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range entries {
		audited = audited || e.Action == "PUT /api/v1/tech/inventory" && e.Detail == "1 platforms" && e.Role == "manager"
	}
	if !audited {
		t.Errorf("inventory change not audited: %+v", entries)
	}

	// The page and the overview's banner escape the source's name.
	for _, c := range []struct {
		path string
		role auth.Role
		want []string
		not  []string
	}{
		{"/technology", auth.Viewer, []string{`id="tech-sources"`, "silent", "edr&lt;script&gt;"}, []string{"<script>alert", `id="tech-inventory"`}},
		{"/technology", auth.Manager, []string{`id="tech-inventory"`, "in 50 days"}, []string{"<script>alert"}},
		{"/technology?kiosk=1", auth.Viewer, []string{`id="tech-sources"`}, nil},
		{"/", auth.Viewer, []string{`id="source-alarms"`, "edr&lt;script&gt;", "alerts expected since then, none seen"}, []string{"<script>alert"}},
	} {
		resp := f.do("GET", c.path, c.role, "")
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s as %s: %d", c.path, c.role, resp.StatusCode)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s as %s lacks %q", c.path, c.role, w)
			}
		}
		for _, w := range c.not {
			if strings.Contains(body, w) {
				t.Errorf("%s as %s has %q", c.path, c.role, w)
			}
		}
	}

	// Prometheus: one state series per state, the silent one at 1.
	metrics := readBody(t, f.do("GET", "/metrics", auth.Viewer, ""))
	for _, w := range []string{
		`watchfloor_source_state{source="edr<script>alert(1)</script>",state="silent"} 1`,
		`watchfloor_source_state{source="edr<script>alert(1)</script>",state="healthy"} 0`,
		`watchfloor_source_seen_alerts{source="edr<script>alert(1)</script>"} 0`,
		`watchfloor_source_ingest_lag_seconds{source="edr<script>alert(1)</script>",window="usual"}`,
		`watchfloor_rules{state="silent"}`,
	} {
		if !strings.Contains(metrics, w) {
			t.Errorf("/metrics lacks %s", w)
		}
	}
}
