package coverage_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

func catalog(t testing.TB) *attack.Catalog {
	t.Helper()
	cat, err := attack.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func f64(v float64) *float64 { return &v }

// result is a rule report row: alerts with tp true positives, fp false
// positives and benign benign true positives.
func result(src, id, name string, alerts, tp, fp, benign int64, hours *float64, worked int64) metrics.RuleResult {
	return metrics.RuleResult{Source: src, RuleID: id, RuleName: name, Alerts: alerts, FalsePositives: fp, Judged: tp + fp + benign,
		Dispositions: map[string]int64{string(model.DispositionTruePositive): tp, string(model.DispositionFalsePositive): fp,
			string(model.DispositionBenignPositive): benign},
		FalsePositiveRate: metrics.Ratio(fp, tp+fp+benign), AnalystHours: hours, Worked: worked}
}

// TestComputeScores checks each score of the definition on hand-made
// rules, with the figures worked out by hand.
func TestComputeScores(t *testing.T) {
	cat := catalog(t)
	rules := []model.Rule{
		// T1566.001 (phishing attachment): one stable rule that fired,
		// 10 alerts: 2 TP, 3 FP, 1 benign → FP rate 3/6 = 0.5, at the
		// limit; and a second rule on T1566.002 that fired with 4 alerts,
		// 1 TP, 0 FP → the parent T1566 has 2 rules fired, 14 alerts,
		// 3 TP, FP 3/7.
		{Source: "siem", ExternalID: "R1", Name: "Attachment", Techniques: []string{"T1566.001"}, Enabled: true, Status: model.RuleStable},
		{Source: "siem", ExternalID: "R2", Name: "Link clicked", Techniques: []string{"T1566.002"}, Enabled: true},
		// T1110: fired with 8 alerts, 6 FP 2 TP → 0.75 > 0.5: score 3.
		{Source: "siem", ExternalID: "R3", Name: "Brute force", Techniques: []string{"T1110"}, Enabled: true},
		// T1046: fired, no verdict → 3.
		{Source: "siem", ExternalID: "R4", Name: "Port scan", Techniques: []string{"T1046"}, Enabled: true},
		// T1047: stable, never fired → 2.
		{Source: "siem", ExternalID: "R5", Name: "WMI", Techniques: []string{"T1047"}, Enabled: true, Status: model.RuleStable},
		// T1053.005: experimental, never fired → 1 (and its parent T1053 → 1).
		{Source: "siem", ExternalID: "R6", Name: "Task", Techniques: []string{"t1053.005"}, Enabled: true, Status: model.RuleExperimental},
		// T1070: deprecated only → 0 with the inactive rule noted.
		{Source: "siem", ExternalID: "R7", Name: "Old", Techniques: []string{"T1070"}, Enabled: true, Status: model.RuleDeprecated},
		// T1021.002: fired, 5 alerts, 1 FP 1 TP → 0.5, one TP but one rule → 4.
		{Source: "siem", ExternalID: "R8", Name: "Admin share", Techniques: []string{"T1021.002"}, Enabled: true},
	}
	report := &metrics.RuleReport{Window: "w", Alerts: 10 + 4 + 8 + 3 + 5 + 7, Rules: []metrics.RuleResult{
		result("siem", "R1", "Attachment", 10, 2, 3, 1, f64(2.5), 2),
		result("siem", "R2", "Link clicked", 4, 1, 0, 0, f64(1), 1),
		result("siem", "R3", "Brute force", 8, 2, 6, 0, nil, 0),
		result("siem", "R4", "Port scan", 3, 0, 0, 0, nil, 0),
		result("siem", "R8", "Admin share", 5, 1, 1, 0, nil, 0),
		// An alert rule no stored rule knows.
		result("edr", "X9", "Mystery", 7, 0, 0, 0, nil, 0),
	}}
	sets := []store.TechniqueSet{{Techniques: []string{"T1566.001"}, Alerts: 10}, {Techniques: []string{"T1566.001", "T1566.002"}, Alerts: 2},
		{Techniques: []string{"T1190"}, Alerts: 3}}
	rep := coverage.Compute(coverage.Input{Catalog: cat, Rules: rules, Report: report, TechniqueSets: sets})

	tests := []struct {
		id                   string
		score, rules, fired  int
		alerts, judged, seen int64
		fpRate, hours        *float64
		reason               string
	}{
		{"T1566", 5, 2, 2, 14, 7, 12, f64(3.0 / 7), f64(3.5), "3 true positives; 2 rules fired"},
		{"T1566.001", 4, 1, 1, 10, 6, 12, f64(0.5), f64(2.5), "2 true positives; only one rule fired"},
		{"T1566.002", 4, 1, 1, 4, 1, 2, f64(0), f64(1), "1 true positive; only one rule fired"},
		{"T1110", 3, 1, 1, 8, 8, 0, f64(0.75), nil, "above the 50% limit"},
		{"T1046", 3, 1, 1, 3, 0, 0, nil, nil, "false-positive rate is not known"},
		{"T1047", 2, 1, 0, 0, 0, 0, nil, nil, "none fired in the window"},
		{"T1053.005", 1, 1, 0, 0, 0, 0, nil, nil, "none is stable and none fired"},
		{"T1053", 1, 1, 0, 0, 0, 0, nil, nil, "none is stable and none fired"},
		{"T1070", 0, 0, 0, 0, 0, 0, nil, nil, "1 rule deprecated, unsupported or disabled"},
		{"T1021", 4, 1, 1, 5, 2, 0, f64(0.5), nil, "only one rule fired"},
		{"T1190", 0, 0, 0, 0, 0, 3, nil, nil, "no active rule"},
	}
	for _, tc := range tests {
		got, ok := rep.Technique(tc.id)
		if !ok {
			t.Fatalf("%s: no row", tc.id)
		}
		if got.Score != tc.score || got.Rules != tc.rules || got.Fired != tc.fired || got.Alerts != tc.alerts || got.Judged != tc.judged ||
			got.SeenInAlerts != tc.seen {
			t.Errorf("%s: score %d rules %d fired %d alerts %d judged %d seen %d, want %d %d %d %d %d %d (%v)", tc.id, got.Score, got.Rules,
				got.Fired, got.Alerts, got.Judged, got.SeenInAlerts, tc.score, tc.rules, tc.fired, tc.alerts, tc.judged, tc.seen, got.Reasons)
		}
		if !sameFloat(got.FPRate, tc.fpRate) || !sameFloat(got.AnalystHours, tc.hours) {
			t.Errorf("%s: FP rate %v hours %v, want %v %v", tc.id, deref(got.FPRate), deref(got.AnalystHours), deref(tc.fpRate), deref(tc.hours))
		}
		if r := strings.Join(got.Reasons, "; "); !strings.Contains(r, tc.reason) {
			t.Errorf("%s: reasons %q do not say %q", tc.id, r, tc.reason)
		}
		if got.Label != coverage.Scores[tc.score] {
			t.Errorf("%s: label %q", tc.id, got.Label)
		}
	}
	if rep.Rules != 8 || rep.Active != 7 || rep.FiredRules != 5 || rep.Alerts != 37 {
		t.Errorf("totals: rules %d active %d fired %d alerts %d", rep.Rules, rep.Active, rep.FiredRules, rep.Alerts)
	}
	if len(rep.UnlinkedRule) != 1 || rep.UnlinkedRule[0].RuleID != "X9" {
		t.Errorf("unlinked %+v", rep.UnlinkedRule)
	}
	// Initial Access: of its techniques only T1566 has rules (score 5);
	// T1566 and T1190 are seen in alerts.
	for _, ta := range rep.Tactics {
		if ta.ShortName != "initial-access" {
			continue
		}
		want := len(parents(cat, "initial-access"))
		if ta.Techniques != want || ta.Covered != 1 || ta.ByScore[5] != 1 || ta.ByScore[0] != want-1 || ta.Seen != 2 {
			t.Errorf("initial access %+v, want %d techniques, 1 covered at 5, 2 seen", ta, want)
		}
		if m := *ta.Mean; m != 5.0/float64(want) {
			t.Errorf("initial access mean %v", m)
		}
	}
}

// parents lists the active parent techniques of a tactic.
func parents(cat *attack.Catalog, tactic string) []string {
	var out []string
	for _, t := range cat.TechniquesForTactic(tactic) {
		if !t.IsSubtechnique {
			out = append(out, t.ID)
		}
	}
	return out
}

func sameFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	d := *a - *b
	return d < 1e-9 && d > -1e-9
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// TestLink checks how imported rules join the stored rules and how alert
// rules are credited: by id, else by title, case ignored.
func TestLink(t *testing.T) {
	stored := []model.Rule{
		{Source: "siem", ExternalID: "R-1", Name: "Encoded PowerShell", Techniques: []string{"T1059.001"}, Enabled: true},
		{Source: "siem", ExternalID: "R-2", Name: "Port Scan", Techniques: []string{"T1046"}, Enabled: true, Status: model.RuleTest},
	}
	imported := []store.ImportedRule{
		// Same id as R-1 (other case): merged, its status fills the unknown one.
		{Rule: model.Rule{Source: "sigma", ExternalID: "r-1", Name: "Other title", Techniques: []string{"T1027"}, Status: model.RuleStable,
			DataSources: []string{"windows/process_creation"}, Enabled: true}, Path: "a.yml"},
		// Same title as R-2: merged, R-2's own status kept.
		{Rule: model.Rule{Source: "sigma", ExternalID: "abc", Name: "port scan", Status: model.RuleStable, Enabled: true}, Path: "b.yml"},
		// Matches nothing stored; alerts name it by title.
		{Rule: model.Rule{Source: "splunk", ExternalID: "uuid-3", Name: "Kerberoasting", Techniques: []string{"T1558.003"}, Enabled: true}, Path: "c.yml"},
	}
	report := []metrics.RuleResult{
		result("siem", "R-1", "", 5, 1, 1, 0, nil, 0),
		result("other", "x", "PORT SCAN", 2, 0, 0, 0, nil, 0),
		result("siem", "R-2", "Port Scan", 3, 0, 2, 0, nil, 0),
		result("splunk", "kerb", "Kerberoasting", 4, 0, 0, 0, nil, 0),
		result("edr", "zzz", "Unknown", 1, 0, 0, 0, nil, 0),
	}
	l := coverage.Link(stored, imported, report)
	if len(l.Detections) != 3 {
		t.Fatalf("%d detections", len(l.Detections))
	}
	d := l.Detections[0]
	if d.Format != "sigma" || d.Path != "a.yml" || d.Status != model.RuleStable || !slices.Equal(d.Techniques, []string{"T1027", "T1059.001"}) ||
		d.Alerts != 5 || d.Judged != 2 || *d.FPRate != 0.5 {
		t.Errorf("R-1 %+v", d)
	}
	d = l.Detections[1]
	if d.Format != "sigma" || d.Status != model.RuleTest || d.Alerts != 5 || !slices.Equal(d.AlertRules, []string{"other/x", "siem/R-2"}) {
		t.Errorf("R-2 %+v", d)
	}
	d = l.Detections[2]
	if d.Key != "splunk:uuid-3" || d.Source != "" || d.Alerts != 4 || d.FPRate != nil {
		t.Errorf("Kerberoasting %+v", d)
	}
	if len(l.Unlinked) != 1 || l.Unlinked[0].RuleID != "zzz" {
		t.Errorf("unlinked %+v", l.Unlinked)
	}
}
