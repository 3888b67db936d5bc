package coverage_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
)

func smallReport(t testing.TB) *coverage.Report {
	t.Helper()
	rules := []model.Rule{
		{Source: "siem", ExternalID: "R1", Name: "Attachment", Techniques: []string{"T1566.001"}, Enabled: true, Status: model.RuleStable},
		{Source: "siem", ExternalID: "R2", Name: "WMI", Techniques: []string{"T1047"}, Enabled: true, Status: model.RuleStable},
		{Source: "siem", ExternalID: "R3", Name: "Kerberoast <script>", Techniques: []string{"T1558.003"}, Enabled: true},
	}
	report := &metrics.RuleReport{Window: "2026-01-01 … 2026-03-31", Alerts: 10, Rules: []metrics.RuleResult{
		result("siem", "R1", "Attachment", 10, 2, 3, 1, f64(2.5), 2)}}
	return coverage.Compute(coverage.Input{Catalog: catalog(t), Rules: rules, Report: report})
}

// TestLayerRoundTrip exports a layer, checks the fields format 4.5
// requires in the JSON itself, reads it back and compares.
func TestLayerRoundTrip(t *testing.T) {
	rep := smallReport(t)
	l := coverage.LayerOf(rep, "Coverage")
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	versions, _ := raw["versions"].(map[string]any)
	if raw["name"] != "Coverage" || raw["domain"] != "enterprise-attack" || versions["layer"] != "4.5" || versions["attack"] != "18" ||
		versions["navigator"] != coverage.NavigatorVersion {
		t.Errorf("header %v %v %v", raw["name"], raw["domain"], versions)
	}
	grad, _ := raw["gradient"].(map[string]any)
	if colors, _ := grad["colors"].([]any); len(colors) < 2 || grad["minValue"] != 0.0 || grad["maxValue"] != 5.0 {
		t.Errorf("gradient %v", grad)
	}
	if legend, _ := raw["legendItems"].([]any); len(legend) != 6 {
		t.Errorf("legend %v", raw["legendItems"])
	}
	techs, _ := raw["techniques"].([]any)
	if active := len(catalog(t).Techniques()); len(techs) != active {
		t.Errorf("%d layer techniques, %d active techniques in the catalog", len(techs), active)
	}
	found := false
	for _, x := range techs {
		m := x.(map[string]any)
		for _, k := range []string{"techniqueID", "score", "color", "comment", "metadata", "enabled", "showSubtechniques"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("technique %v has no %s", m["techniqueID"], k)
			}
		}
		if m["techniqueID"] == "T1566.001" {
			found = true
			if m["tactic"] != "initial-access" || m["score"] != 4.0 || m["color"] != "#a1d99b" || !strings.Contains(m["comment"].(string), "within the 50% limit") {
				t.Errorf("T1566.001 %v", m)
			}
		}
		if m["techniqueID"] == "T1566" && m["showSubtechniques"] != true {
			t.Errorf("T1566 does not show its scored sub-techniques")
		}
	}
	if !found {
		t.Error("T1566.001 not in the layer")
	}
	back, err := coverage.ReadLayer(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, l) {
		t.Error("layer changed on the way back")
	}
	b2, _ := json.Marshal(back)
	if !bytes.Equal(b, b2) {
		t.Error("layer JSON changed on the way back")
	}
}

func TestValidateLayer(t *testing.T) {
	good := `{"name":"x","domain":"enterprise-attack","versions":{"layer":"4.5","navigator":"5.1.0"},"techniques":[{"techniqueID":"T1059"}]}`
	if _, err := coverage.ReadLayer(strings.NewReader(good)); err != nil {
		t.Fatalf("good layer: %v", err)
	}
	// Older 4.x layers and unknown fields (DeTT&CT adds its own) read.
	if _, err := coverage.ReadLayer(strings.NewReader(`{"name":"dettect","domain":"enterprise-attack","versions":{"layer":"4.2","navigator":"4.3"},"x_tool":1,"techniques":[]}`)); err != nil {
		t.Errorf("4.2 layer: %v", err)
	}
	tests := []struct{ name, layer, err string }{
		{"name", `{"domain":"enterprise-attack","techniques":[]}`, "name: required"},
		{"domain", `{"name":"x","domain":"pre-attack","techniques":[]}`, `domain: "pre-attack"`},
		{"version", `{"name":"x","domain":"enterprise-attack","versions":{"layer":"3.0","navigator":"2"},"techniques":[]}`, `versions.layer: "3.0"`},
		{"navigator", `{"name":"x","domain":"enterprise-attack","versions":{"layer":"4.5"},"techniques":[]}`, "versions.navigator: required"},
		{"technique", `{"name":"x","domain":"enterprise-attack","techniques":[{"techniqueID":"T1059"},{"techniqueID":"TA0002"}]}`, `techniques[1].techniqueID: "TA0002"`},
		{"color", `{"name":"x","domain":"enterprise-attack","techniques":[{"techniqueID":"T1059","color":"red"}]}`, `techniques[0].color`},
		{"gradient", `{"name":"x","domain":"enterprise-attack","techniques":[],"gradient":{"colors":["#fff"],"minValue":5,"maxValue":5}}`, "gradient.maxValue"},
		{"legend", `{"name":"x","domain":"enterprise-attack","techniques":[],"legendItems":[{"label":"a"}]}`, "legendItems[0]"},
		{"metadata", `{"name":"x","domain":"enterprise-attack","techniques":[],"metadata":[{"value":"v"}]}`, "metadata[0]"},
		{"json", `{"name":`, "not a Navigator layer"},
	}
	for _, tc := range tests {
		_, err := coverage.ReadLayer(strings.NewReader(tc.layer))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestCompareLayer(t *testing.T) {
	rep := smallReport(t)
	l, err := coverage.ReadLayer(strings.NewReader(`{"name":"red team plan","domain":"enterprise-attack","techniques":[
		{"techniqueID":"T1566.001","tactic":"initial-access","score":1},
		{"techniqueID":"T1047","score":1},
		{"techniqueID":"T1047","tactic":"execution","score":1},
		{"techniqueID":"T1190","enabled":false},
		{"techniqueID":"T1086"},
		{"techniqueID":"T9999"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := coverage.CompareLayer(rep, catalog(t), l)
	var got []string
	for _, x := range c.Techniques {
		got = append(got, x.ID+"="+x.Label)
	}
	// T1086 was revoked by T1059.001, which no rule covers.
	want := []string{"T1566.001=very good", "T1047=fair", "T1059.001=none"}
	if !reflect.DeepEqual(got, want) || c.Gaps != 2 || !reflect.DeepEqual(c.Unknown, []string{"T9999"}) {
		t.Errorf("techniques %v gaps %d unknown %v", got, c.Gaps, c.Unknown)
	}
}

// TestGapLayer weighs the gaps of two profiles: T1190 (no rule) used by
// both scores 30 + 10, T1047 (stable, never fired: 2) by one scores 30;
// T1566.001 (4) is no gap; unknown IDs are skipped.
func TestGapLayer(t *testing.T) {
	rep := smallReport(t)
	l := coverage.GapLayer(rep, []coverage.GapProfile{
		{ID: "G1", Name: "Alpha", Score: 30, Techniques: []string{"T1190", "t1047", "T1566.001", "T1190", "T9999"}},
		{ID: "G2", Name: "Beta", Score: 10, Techniques: []string{"T1190"}},
	}, "gaps")
	if err := coverage.ValidateLayer(l); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, x := range l.Techniques {
		got[x.TechniqueID] = *x.Score
	}
	if len(got) != 2 || got["T1190"] != 40 || got["T1047"] != 30 || l.Gradient.MaxValue != 40 {
		t.Errorf("gaps %v, gradient %+v", got, l.Gradient)
	}
	if !strings.Contains(l.Techniques[1].Comment, "used by G1 Alpha (30.0), G2 Beta (10.0); coverage 0 (none)") {
		t.Errorf("comment %q", l.Techniques[1].Comment)
	}
}
