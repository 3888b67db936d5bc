package mcp

import (
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/roadmap"
)

// TestStrategyTools calls get_detection_coverage and develop_soc_roadmap
// on two weeks of the demo: the coverage of the demo's rules, and a
// roadmap whose items cite evidence; bad arguments are refused.
func TestStrategyTools(t *testing.T) {
	st := demoStore(t)
	cs := connect(t, Options{Store: st})
	cov := call[CoverageOut](t, cs, "get_detection_coverage", map[string]any{"timeframe": "monthly", "tactic": "execution"})
	if cov.Rules == 0 || cov.FiredRules == 0 || len(cov.Tactics) != 14 || len(cov.Techniques) == 0 || !strings.Contains(cov.ScoreDefinition, "0 no rule") {
		t.Fatalf("coverage %+v", cov)
	}
	for _, x := range cov.Techniques {
		if x.Score < 0 || x.Score > 5 || len(x.Reasons) == 0 {
			t.Errorf("technique %+v", x)
		}
	}
	one := call[CoverageOut](t, cs, "get_detection_coverage", map[string]any{"technique": "T1059.001"})
	if len(one.Techniques) != 1 || one.Techniques[0].ID != "T1059.001" || one.TotalTechniques != 1 {
		t.Errorf("one technique %+v", one.Techniques)
	}
	if msg := callErr(t, cs, "get_detection_coverage", map[string]any{"tactic": "lunch"}); !strings.Contains(msg, `"lunch" is not an ATT&CK tactic`) {
		t.Errorf("bad tactic: %s", msg)
	}
	rm := call[roadmap.Roadmap](t, cs, "develop_soc_roadmap", map[string]any{"horizon": "1q", "timeframe": "monthly"})
	if rm.Horizon != "1q" || len(rm.Items) == 0 || len(rm.Inputs) != 7 || rm.ID != 0 {
		t.Fatalf("roadmap %+v", rm)
	}
	for _, it := range rm.Items {
		if len(it.Evidence) == 0 || it.KPI == "" || it.Bucket == "" {
			t.Errorf("item %+v", it)
		}
	}
	if msg := callErr(t, cs, "develop_soc_roadmap", map[string]any{"horizon": "12q"}); !strings.Contains(msg, "between 1 and 8 quarters") {
		t.Errorf("bad horizon: %s", msg)
	}
	if docs, err := st.Roadmaps(t.Context(), false); err != nil || len(docs) != 0 {
		t.Errorf("the tool saved a roadmap: %v %v", docs, err)
	}
}
