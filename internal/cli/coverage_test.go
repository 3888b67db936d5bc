package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/shareddata"
)

// TestCoverageCommands imports a folder with one bad file, ingests alerts
// credited to an imported rule, shows coverage (table and JSON), exports
// a layer, compares it with itself and takes two snapshots.
func TestCoverageCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wf.db")
	content := filepath.Join(dir, "rules")
	for name, text := range map[string]string{
		"win/ps.yml":  "title: \"Encoded \\e[31mPowerShell\"\nid: sig-1\nstatus: stable\nlevel: high\ntags: [attack.t1059.001, attack.execution]\nlogsource: {product: windows}\ndetection: {a: 1}\n",
		"win/bad.yml": "title: No id\ndetection: {a: 1}\n",
	} {
		p := filepath.Join(content, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := run(t, db, "", "coverage", "import", content)
	if code != ExitRejects || !strings.Contains(out, "win/bad.yml") || !strings.Contains(out, "has no id") ||
		!strings.Contains(errOut, "1 problems in 2 files") {
		t.Fatalf("import (%d): %s\n%s", code, out, errOut)
	}
	alerts := `{"record":"alert","source":"siem","external_id":"a1","title":"t","rule_id":"sig-1","disposition":"true_positive","created_at":"2026-03-02T09:00:00Z"}
{"record":"alert","source":"siem","external_id":"a2","title":"t","rule_id":"sig-1","disposition":"false_positive","created_at":"2026-03-03T09:00:00Z"}
`
	if code, _, errOut := run(t, db, alerts, "ingest", "-"); code != 0 {
		t.Fatalf("ingest (%d): %s", code, errOut)
	}
	window := []string{"--from", "2026-03-01", "--to", "2026-03-31"}
	code, out, _ = run(t, db, "", append([]string{"coverage", "show", "--technique", "T1059"}, window...)...)
	if code != 0 || !strings.Contains(out, "T1059.001") || !strings.Contains(out, "4 very good") || strings.Contains(out, "\x1b") ||
		!strings.Contains(out, `Encoded \x1b[31mPowerShell`) {
		t.Fatalf("show technique (%d): %q", code, out)
	}
	var rep coverage.Report
	_, out, _ = run(t, db, "", append([]string{"coverage", "show", "-o", "json"}, window...)...)
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Imported != 1 || rep.FiredRules != 1 || rep.Alerts != 2 {
		t.Fatalf("show json: %v %+v", err, rep)
	}
	if code, out, _ = run(t, db, "", append([]string{"coverage", "show", "--tactic", "execution"}, window...)...); code != 0 || !strings.Contains(out, "T1059") {
		t.Fatalf("show tactic (%d): %s", code, out)
	}
	layer := filepath.Join(dir, "layer.json")
	if code, _, errOut = run(t, db, "", append([]string{"coverage", "layer", "--out", layer}, window...)...); code != 0 {
		t.Fatalf("layer (%d): %s", code, errOut)
	}
	f, err := os.Open(layer)
	if err != nil {
		t.Fatal(err)
	}
	l, err := coverage.ReadLayer(f)
	f.Close()
	if err != nil || l.Versions.Layer != "4.5" {
		t.Fatalf("layer: %v", err)
	}
	code, out, _ = run(t, db, "", append([]string{"coverage", "compare", layer, "-o", "json"}, window...)...)
	var c coverage.Comparison
	if err := json.Unmarshal([]byte(out), &c); code != 0 || err != nil || len(c.Techniques) != len(l.Techniques) {
		t.Fatalf("compare (%d): %v %d", code, err, len(c.Techniques))
	}
	// No organisation profile and no intelligence: no profile is relevant.
	if code, _, errOut = run(t, db, "", "coverage", "layer", "--gaps", "5"); code == 0 || !strings.Contains(errOut, "no threat profile scores as relevant") {
		t.Errorf("gap layer without relevant profiles (%d): %s", code, errOut)
	}
	for range 2 {
		if code, out, errOut = run(t, db, "", append([]string{"coverage", "snapshot"}, window...)...); code != 0 {
			t.Fatalf("snapshot (%d): %s %s", code, out, errOut)
		}
	}
	if code, out, _ = run(t, db, "", "coverage", "snapshots"); code != 0 || !strings.Contains(out, "Score changes from snapshot 1 to 2") {
		t.Fatalf("snapshots (%d): %s", code, out)
	}
}

// TestCoverageImportShared imports the real Sigma folder through the CLI.
func TestCoverageImportShared(t *testing.T) {
	dir := shareddata.Path(t, "sigma", "rules")
	db := filepath.Join(t.TempDir(), "wf.db")
	code, out, errOut := run(t, db, "", "coverage", "import", dir, "--format", "sigma", "-o", "json")
	var res coverage.ImportResult
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res.Rules < 3000 || res.Added != res.Rules || len(res.Problems) != 0 {
		t.Fatalf("import (%d): %v %s", code, err, errOut)
	}
	_, out, _ = run(t, db, "", "coverage", "import", dir, "--format", "sigma", "-o", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Unchanged != res.Rules || res.Added != 0 {
		t.Fatalf("second import: %v %+v", err, res.ImportCounts)
	}
}

// TestAttackLoad loads a bundle in which Defense Evasion is split in two
// (as ATT&CK v19 does): coverage sums the bundle's tactics; a file that is
// not a bundle changes nothing; --reset goes back to the embedded catalog.
func TestAttackLoad(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wf.db")
	bundle := filepath.Join(dir, "enterprise-attack-19.json")
	if err := os.WriteFile(bundle, []byte(`{"type":"bundle","id":"bundle--1","objects":[
{"type":"x-mitre-matrix","id":"x-mitre-matrix--1","name":"Enterprise ATT&CK","tactic_refs":["x-mitre-tactic--st","x-mitre-tactic--di"]},
{"type":"x-mitre-tactic","id":"x-mitre-tactic--st","name":"Stealth","x_mitre_shortname":"stealth","external_references":[{"source_name":"mitre-attack","external_id":"TA0112"}]},
{"type":"x-mitre-tactic","id":"x-mitre-tactic--di","name":"Defense Impairment","x_mitre_shortname":"defense-impairment","external_references":[{"source_name":"mitre-attack","external_id":"TA0113"}]},
{"type":"attack-pattern","id":"attack-pattern--2","name":"Indicator Removal","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"stealth"}],"external_references":[{"source_name":"mitre-attack","external_id":"T1070"}]},
{"type":"attack-pattern","id":"attack-pattern--3","name":"Impair Defenses","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"defense-impairment"}],"external_references":[{"source_name":"mitre-attack","external_id":"T1562"}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	alerts := `{"record":"rule","source":"siem","external_id":"R1","name":"Log cleared","techniques":["T1070"],"status":"stable"}
{"record":"alert","source":"siem","external_id":"a1","title":"t","rule_id":"R1","disposition":"true_positive","created_at":"2026-03-02T09:00:00Z"}
`
	if code, _, errOut := run(t, db, alerts, "ingest", "-"); code != 0 {
		t.Fatalf("ingest (%d): %s", code, errOut)
	}
	if code, out, errOut := run(t, db, "", "attack", "load", bundle); code != 0 || !strings.Contains(out, "Defense Impairment") {
		t.Fatalf("attack load (%d): %s %s", code, out, errOut)
	}
	var rep coverage.Report
	_, out, _ := run(t, db, "", "coverage", "show", "--from", "2026-03-01", "--to", "2026-03-31", "-o", "json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Tactics) != 2 || rep.Tactics[0].Name != "Stealth" || rep.Tactics[0].Covered != 1 || rep.Tactics[1].Covered != 0 ||
		!strings.HasPrefix(rep.ATTACKVersion, "enterprise-attack-19.json, loaded") {
		t.Errorf("tactics %+v, version %q", rep.Tactics, rep.ATTACKVersion)
	}
	notBundle := filepath.Join(dir, "x.json")
	os.WriteFile(notBundle, []byte(`{"type":"bundle","objects":[]}`), 0o644)
	if code, _, errOut := run(t, db, "", "attack", "load", notBundle); code == 0 || !strings.Contains(errOut, "no ATT&CK techniques") {
		t.Errorf("empty bundle (%d): %s", code, errOut)
	}
	if code, out, _ := run(t, db, "", "attack", "show"); code != 0 || !strings.Contains(out, "Stealth") {
		t.Errorf("show after a refused load (%d): %s", code, out)
	}
	if code, _, _ := run(t, db, "", "attack", "load", "--reset"); code != 0 {
		t.Fatal("reset")
	}
	if code, out, _ := run(t, db, "", "attack", "show"); code != 0 || !strings.Contains(out, "ATT&CK 18.1") || !strings.Contains(out, "Defense Evasion") {
		t.Errorf("show after reset (%d): %s", code, out)
	}
}
