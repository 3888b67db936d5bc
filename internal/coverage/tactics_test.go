package coverage_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/store"
)

// newerBundle is an ATT&CK bundle of a later version in which Defense
// Evasion is split, as ATT&CK v19 does, into two tactics that do not exist
// in the embedded v18.1 catalog: "Stealth" (T1070) and "Defense
// Impairment" (T1562 and its sub-technique T1562.001).
const newerBundle = `{"type":"bundle","id":"bundle--1","objects":[
{"type":"x-mitre-matrix","id":"x-mitre-matrix--1","name":"Enterprise ATT&CK","tactic_refs":["x-mitre-tactic--ex","x-mitre-tactic--st","x-mitre-tactic--di"],
 "external_references":[{"source_name":"mitre-attack","external_id":"enterprise-attack"}]},
{"type":"x-mitre-tactic","id":"x-mitre-tactic--ex","name":"Execution","x_mitre_shortname":"execution","external_references":[{"source_name":"mitre-attack","external_id":"TA0002"}]},
{"type":"x-mitre-tactic","id":"x-mitre-tactic--st","name":"Stealth","x_mitre_shortname":"stealth","external_references":[{"source_name":"mitre-attack","external_id":"TA0112"}]},
{"type":"x-mitre-tactic","id":"x-mitre-tactic--di","name":"Defense Impairment","x_mitre_shortname":"defense-impairment","external_references":[{"source_name":"mitre-attack","external_id":"TA0113"}]},
{"type":"attack-pattern","id":"attack-pattern--1","name":"Command and Scripting Interpreter","x_mitre_platforms":["Windows"],"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"execution"}],"external_references":[{"source_name":"mitre-attack","external_id":"T1059"}]},
{"type":"attack-pattern","id":"attack-pattern--2","name":"Indicator Removal","x_mitre_platforms":["Windows","Linux"],"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"stealth"}],"external_references":[{"source_name":"mitre-attack","external_id":"T1070"}]},
{"type":"attack-pattern","id":"attack-pattern--3","name":"Impair Defenses","x_mitre_platforms":["Windows"],"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"defense-impairment"}],"external_references":[{"source_name":"mitre-attack","external_id":"T1562"}]},
{"type":"attack-pattern","id":"attack-pattern--4","name":"Disable or Modify Tools","x_mitre_is_subtechnique":true,"x_mitre_platforms":["Windows"],"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"defense-impairment"}],"external_references":[{"source_name":"mitre-attack","external_id":"T1562.001"}]},
{"type":"relationship","id":"relationship--1","relationship_type":"subtechnique-of","source_ref":"attack-pattern--4","target_ref":"attack-pattern--3"}
]}`

// TestNewerBundleTactics loads a bundle whose tactics differ from the
// embedded catalog's and checks that rules written for the old tactics
// (Sigma's attack.defense-evasion) still load and that coverage is summed
// over the bundle's tactics.
func TestNewerBundleTactics(t *testing.T) {
	cat, err := attack.Parse(strings.NewReader(newerBundle))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ta := range cat.Tactics() {
		names = append(names, ta.Name)
	}
	if !slices.Equal(names, []string{"Execution", "Stealth", "Defense Impairment"}) {
		t.Fatalf("tactics %v", names)
	}
	// Written for v18: tagged with Defense Evasion, which this bundle
	// no longer has.
	old, err := coverage.ParseSigma(cat, []byte("title: Tamper\nid: s1\nstatus: stable\ntags: [attack.defense-evasion, attack.t1562.001]\ndetection: {a: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(old.Tactics, []string{"defense-impairment"}) {
		t.Errorf("tactics %v, want the bundle's defense-impairment", old.Tactics)
	}
	// Written for v19: tagged with the new tactic.
	newer, err := coverage.ParseSigma(cat, []byte("title: Clear logs\nid: s2\nstatus: stable\ntags: [attack.stealth, attack.t1070]\ndetection: {a: 1}\n"))
	if err != nil || !slices.Equal(newer.Tactics, []string{"stealth"}) {
		t.Fatalf("v19 rule %+v %v", newer, err)
	}
	if _, err := coverage.ParseSigma(cat, []byte("title: x\nid: s3\ntags: [attack.defense-evasion]\ndetection: {a: 1}\n")); err == nil {
		t.Error("a rule with only an unknown tactic loaded")
	}
	rep := coverage.Compute(coverage.Input{Catalog: cat, Imported: []store.ImportedRule{{Rule: old}, {Rule: newer}}})
	got := map[string][2]int{}
	for _, ta := range rep.Tactics {
		got[ta.ShortName] = [2]int{ta.Techniques, ta.Covered}
	}
	want := map[string][2]int{"execution": {1, 0}, "stealth": {1, 1}, "defense-impairment": {1, 1}}
	if len(got) != 3 || got["execution"] != want["execution"] || got["stealth"] != want["stealth"] || got["defense-impairment"] != want["defense-impairment"] {
		t.Errorf("tactics %v, want %v", got, want)
	}
	if row, _ := rep.Technique("T1562"); row.Score != 2 || row.Rules != 1 || len(row.Subtechniques) != 1 {
		t.Errorf("T1562 %+v", row)
	}
	layer := coverage.LayerOf(rep, "v19")
	if err := coverage.ValidateLayer(layer); err != nil || len(layer.Techniques) != 4 {
		t.Errorf("layer: %v, %d techniques", err, len(layer.Techniques))
	}
}
