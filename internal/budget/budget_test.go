package budget

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/staffing"
)

func TestParseScenario(t *testing.T) {
	sc, err := ParseScenario("automate:R-002=0.3+tune:R-001=1+growth:0.2+triage-time:4m+shrinkage:0.35+target-sl:0.95")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sc.Automate, []RuleShare{{Rule: "R-002", Share: 0.3}}) {
		t.Errorf("automate %+v, want R-002 at 0.3", sc.Automate)
	}
	if !slices.Equal(sc.Tune, []RuleShare{{Rule: "R-001", Share: 1}}) {
		t.Errorf("tune %+v, want R-001 at 1", sc.Tune)
	}
	for _, c := range []struct {
		part      string
		got, want any
	}{
		{"growth", *sc.Growth, 0.2}, {"triage-time", time.Duration(*sc.TriageHandleTime), 4 * time.Minute},
		{"shrinkage", *sc.Shrinkage, 0.35}, {"target-sl", *sc.TargetServiceLevel, 0.95},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.part, c.got, c.want)
		}
	}
	for _, bad := range []string{"growth", "automate:R1", "automate:R1=1.5", "tune:=0.3", "growth:-1", "triage-time:0",
		"shrinkage:1", "target-sl:abc", "teleport:R1"} {
		if _, err := ParseScenario(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestConfig(t *testing.T) {
	for _, bad := range []string{
		"budget:\n  tools: [{name: X, pricing: per_byte, price: 1}]\n",
		"budget:\n  tools: [{name: X, pricing: flat, price: 1, period: week}]\n",
		"budget:\n  tools: [{name: X, pricing: flat, price: -1}]\n",
		"budget:\n  tiers: {L1: {hourly: 50, annual: 90000}}\n",
		"budget:\n  scenarios: [{automate: [{rule: R1, share: 0.5}]}]\n",
		"budget:\n  scenarios: [{name: x, tune: [{rule: R1, share: 2}]}]\n",
		"budget:\n  licences: 3\n",
	} {
		if _, err := DecodeConfig(strings.NewReader(bad), "bad.yaml"); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	cfg, err := DecodeConfig(strings.NewReader("staffing:\n  shrinkage: 0.3\n"), "x.yaml")
	if err != nil || cfg.Currency != "" || len(cfg.Tools) != 0 {
		t.Errorf("a file without a budget section: %+v %v", cfg, err)
	}
}

// TestExampleConfig keeps the documented example valid for both readers.
func TestExampleConfig(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "staffing-example.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the documented example is missing: %v", err)
	}
	b, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := staffing.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		field     string
		got, want any
	}{
		{"budget.currency", b.Currency, "EUR"}, {"budget.tools", len(b.Tools), 4}, {"budget.scenarios", len(b.Scenarios), 4},
		{"budget.tiers.L1.annual", b.Tiers["L1"].Annual, 78000.0},
		{"staffing.triage_handle_time", time.Duration(*s.TriageHandleTime), 4 * time.Minute},
		{"staffing.templates", len(s.Templates), 4}, {"staffing.skills", len(s.Skills), 3},
	} {
		if c.got != c.want {
			t.Errorf("example %s = %v, want %v", c.field, c.got, c.want)
		}
	}
}
