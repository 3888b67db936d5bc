package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// TestTechHealthSilencedDemo stores a demo whose source stopped for its
// last two hours and reads its health in JSON and as a table.
func TestTechHealthSilencedDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("stores a demo")
	}
	db := filepath.Join(t.TempDir(), "wf.db")
	end := "2026-03-10T11:00:00Z"
	if code, _, errOut := run(t, db, "", "demo", "--days", "28", "--alerts-per-day", "1500", "--end", end,
		"--silence", "demo", "--silence-for", "2h", "--log-level", "warn"); code != 0 {
		t.Fatalf("demo: %d %s", code, errOut)
	}
	code, out, errOut := run(t, db, "", "tech", "health", "--at", end, "-o", "json")
	if code != 0 {
		t.Fatalf("tech health: %d %s", code, errOut)
	}
	var rep struct {
		Sources []struct {
			Source   string     `json:"source"`
			State    string     `json:"state"`
			Expected float64    `json:"expected"`
			Seen     int64      `json:"seen"`
			Since    *time.Time `json:"since"`
		} `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rep.Sources) != 1 {
		t.Fatalf("sources %+v", rep.Sources)
	}
	s := rep.Sources[0]
	stop := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	if s.Source != "demo" || s.State != "silent" || s.Seen != 0 || s.Expected < 50 || s.Since == nil ||
		!s.Since.Before(stop) || s.Since.Before(stop.Add(-10*time.Minute)) {
		t.Errorf("silenced source %+v", s)
	}
	code, out, _ = run(t, db, "", "tech", "health", "--at", end)
	if code != 0 || !strings.Contains(out, "demo    silent") || !strings.Contains(out, "1 source: 1 silent") {
		t.Errorf("table:\n%s", out)
	}
	// The pipeline: the silenced source's busy rules are silent.
	code, out, errOut = run(t, db, "", "tech", "pipeline", "--at", end, "-o", "json")
	if code != 0 {
		t.Fatalf("tech pipeline: %d %s", code, errOut)
	}
	var pipe struct {
		Stopped []struct {
			Rule  string `json:"rule"`
			State string `json:"state"`
		} `json:"stopped_rules"`
		NeverFired []any `json:"never_fired"`
		Feeds      []any `json:"feeds"`
	}
	if err := json.Unmarshal([]byte(out), &pipe); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(pipe.Stopped) == 0 || pipe.Stopped[0].State != "silent" || pipe.NeverFired == nil || pipe.Feeds == nil {
		t.Errorf("pipeline %s", out)
	}
	// The demo's tool inventory: four platforms, the SIEM holding the
	// demo's alerts.
	code, out, errOut = run(t, db, "", "tech", "inventory", "-o", "json")
	var inv struct {
		Platforms []struct {
			Name    string   `json:"name"`
			Sources []string `json:"sources"`
			Renewal string   `json:"renewal"`
		} `json:"platforms"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &inv) != nil || len(inv.Platforms) != 4 || inv.Platforms[1].Name != "SIEM" ||
		len(inv.Platforms[1].Sources) != 1 || inv.Platforms[1].Sources[0] != "demo" || inv.Platforms[1].Renewal != "2026-04-24" {
		t.Errorf("demo inventory (%d): %s %s", code, out, errOut)
	}
	// A priced platform the budget file does not name flows into the
	// budget's tools line: 1,000 a month, flat.
	if code, _, errOut := run(t, db, "", "tech", "inventory", "add", "Mail gateway", "--category", "email", "--pricing", "flat", "--price", "1000"); code != 0 {
		t.Fatalf("add: %s", errOut)
	}
	code, out, errOut = run(t, db, "", "budget", "plan", "--config", "../../docs/staffing-example.yaml", "-o", "json")
	var plan struct {
		Lines []struct {
			Category string    `json:"category"`
			Name     string    `json:"name"`
			Monthly  []float64 `json:"monthly"`
		} `json:"lines"`
		Notes []string `json:"notes"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &plan) != nil {
		t.Fatalf("budget plan (%d): %s %s", code, out, errOut)
	}
	found := false
	for _, l := range plan.Lines {
		if l.Category == "tools" && l.Name == "Mail gateway" {
			found = len(l.Monthly) > 0 && l.Monthly[0] == 1000
		}
		if l.Category == "tools" && l.Name == "EDR" && strings.Contains(out, "Tools priced from the technology inventory (watchfloor tech inventory): EDR") {
			t.Errorf("the budget file's EDR was replaced by the inventory's")
		}
	}
	if !found || !strings.Contains(strings.Join(plan.Notes, "\n"), "Tools priced from the technology inventory (watchfloor tech inventory): Mail gateway.") {
		t.Errorf("budget tools %+v notes %v", plan.Lines, plan.Notes)
	}
	// Bad flags are errors that say why.
	if code, _, errOut := run(t, db, "", "tech", "health", "--last", "7x"); code == 0 || !strings.Contains(errOut, "span") {
		t.Errorf("--last 7x: %d %s", code, errOut)
	}
}

// TestTechInventoryCLI imports the example inventory, edits it, and checks
// the audit log and the errors.
func TestTechInventoryCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wf.db")
	if code, out, errOut := run(t, db, "", "tech", "inventory", "import", "../../docs/inventory-example.yaml"); code != 0 || !strings.Contains(out, "stored 3 platforms") {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, db, "", "tech", "inventory", "add", "Mail gateway", "--category", "email", "--vendor", "Example Mail",
		"--pricing", "flat", "--price", "1000", "--renewal", "2099-01-01", "--sources", "mailgw"); code != 0 || !strings.Contains(out, "4 platforms") {
		t.Fatalf("add: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run(t, db, "", "tech", "inventory", "add", "X", "--category", "firewall"); code == 0 || !strings.Contains(errOut, `category "firewall"`) {
		t.Errorf("bad category: %d %s", code, errOut)
	}
	if code, out, errOut := run(t, db, "", "tech", "inventory", "remove", "endpoint protection"); code != 0 || !strings.Contains(out, "3 platforms") {
		t.Fatalf("remove: %d %s %s", code, out, errOut)
	}
	code, out, errOut := run(t, db, "", "tech", "inventory", "-o", "json")
	if code != 0 {
		t.Fatalf("list: %d %s", code, errOut)
	}
	var rep struct {
		Platforms []struct {
			Name       string   `json:"name"`
			Renewal    string   `json:"renewal"`
			AnnualCost *float64 `json:"annual_cost"`
		} `json:"platforms"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rep.Platforms) != 3 || rep.Platforms[1].Name != "Mail gateway" || rep.Platforms[1].Renewal != "2099-01-01" || *rep.Platforms[1].AnnualCost != 12000 {
		t.Errorf("%s", out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("platforms:\n  - {name: A, category: siem, renewal: 31/12/2026}\n"), 0o600)
	if code, _, errOut := run(t, db, "", "tech", "inventory", "import", bad); code == 0 || !strings.Contains(errOut, "platforms[0]") && !strings.Contains(errOut, "31/12/2026") {
		t.Errorf("bad file: %d %s", code, errOut)
	}
	st := storetest.Open(t, db)
	defer st.Close()
	entries, err := st.AuditEntries(t.Context(), store.AuditFilter{})
	if err != nil || len(entries) != 3 || entries[0].Action != "tech inventory remove" || entries[2].Action != "tech inventory import" {
		t.Errorf("audit %+v %v", entries, err)
	}
}
