package coverage_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/shareddata"
)

const sigmaRule = `title: Encoded PowerShell
id: 1111-2222
status: stable
description: Detects encoded commands.
author: Someone
level: high
tags:
    - attack.execution
    - attack.t1059.001
    - attack.defense_evasion
    - attack.t1086
    - attack.g0016
    - attack.s0002
    - attack.ds0017
    - cve.2021-1234
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        CommandLine|contains: ' -enc '
    condition: selection
`

func TestParseSigma(t *testing.T) {
	cat := catalog(t)
	r, err := coverage.ParseSigma(cat, []byte(sigmaRule))
	if err != nil {
		t.Fatal(err)
	}
	// T1086 was revoked by T1059.001: one technique.
	want := model.Rule{Source: "sigma", ExternalID: "1111-2222", Name: "Encoded PowerShell", Description: "Detects encoded commands.",
		Severity: model.SeverityHigh, Techniques: []string{"T1059.001"}, Tactics: []string{"defense-evasion", "execution"},
		Enabled: true, Author: "Someone", Status: model.RuleStable, DataSources: []string{"windows/process_creation", "DS0017"},
		Platforms: []string{"windows"}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
	bad := []struct{ name, doc, err string }{
		{"no title", "id: x\ndetection: {a: 1}\n", "has no title"},
		{"no id", "title: t\ndetection: {a: 1}\n", `"t" has no id`},
		{"no detection", "title: t\nid: x\n", "no detection section"},
		{"status", "title: t\nid: x\nstatus: wip\ndetection: {a: 1}\n", `unknown rule status "wip"`},
		{"level", "title: t\nid: x\nlevel: severe\ndetection: {a: 1}\n", `unknown severity "severe"`},
		{"tag", "title: t\nid: x\ntags: [attack.nonsense]\ndetection: {a: 1}\n", "unknown ATT&CK tag attack.nonsense"},
		{"yaml", "title: [\n", "not a Sigma rule"},
		{"list", "- a\n- b\n", "not a Sigma rule"},
	}
	for _, tc := range bad {
		if _, err := coverage.ParseSigma(cat, []byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
	// A correlation rule has no detection but counts.
	if _, err := coverage.ParseSigma(cat, []byte("title: t\nid: x\ncorrelation: {type: event_count}\n")); err != nil {
		t.Errorf("correlation: %v", err)
	}
	// Deprecated rules are read, not enabled.
	r, err = coverage.ParseSigma(cat, []byte("title: t\nid: x\nstatus: deprecated\ndetection: {a: 1}\n"))
	if err != nil || r.Enabled {
		t.Errorf("deprecated: %+v %v", r, err)
	}
}

const splunkDetection = `name: Kerberoasting spn request with RC4 encryption
id: 5cc67381-44fa-4111-8a37-7a230943f027
version: 9
author: Jose Hernandez, Splunk
status: production
type: TTP
description: Detects kerberoasting.
data_source:
- Windows Event Log Security 4769
- Windows Event Log Security 4769
search: '` + "`wineventlog_security`" + ` EventCode=4769 | stats count by dest'
tags:
  analytic_story:
  - Active Directory Kerberos Attacks
  asset_type: Endpoint
  mitre_attack_id:
  - T1558.003
  - t1558
  risk_score: 72
  security_domain: endpoint
`

func TestParseSplunk(t *testing.T) {
	cat := catalog(t)
	r, err := coverage.ParseSplunk(cat, []byte(splunkDetection))
	if err != nil {
		t.Fatal(err)
	}
	want := model.Rule{Source: "splunk", ExternalID: "5cc67381-44fa-4111-8a37-7a230943f027", Name: "Kerberoasting spn request with RC4 encryption",
		Description: "Detects kerberoasting.", Severity: model.SeverityHigh, Techniques: []string{"T1558", "T1558.003"},
		Tactics: []string{"credential-access"}, Enabled: true, Author: "Jose Hernandez, Splunk", Status: model.RuleStable,
		DataSources: []string{"Windows Event Log Security 4769"}, Platforms: []string{"endpoint"}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
	levels := []struct {
		tags string
		want model.Severity
	}{
		{"risk_score: 20", model.SeverityInformational},
		{"risk_score: 21", model.SeverityLow},
		{"risk_score: 60", model.SeverityMedium},
		{"risk_score: 81", model.SeverityCritical},
		{"confidence: 50\n  impact: 80", model.SeverityLow}, // 50 × 80 ÷ 100 = 40
		{"security_domain: network", model.SeverityUnknown},
	}
	for _, tc := range levels {
		doc := "name: n\nid: i\nsearch: s\ntags:\n  " + tc.tags + "\n"
		r, err := coverage.ParseSplunk(cat, []byte(doc))
		if err != nil || r.Severity != tc.want {
			t.Errorf("%q: level %v (%v), want %v", tc.tags, r.Severity, err, tc.want)
		}
	}
	r, err = coverage.ParseSplunk(cat, []byte("name: n\nid: i\nsearch: s\nrba:\n  risk_objects:\n  - score: 30\n  - score: 64\n"))
	if err != nil || r.Severity != model.SeverityHigh {
		t.Errorf("rba: %v %v", r.Severity, err)
	}
	bad := []struct{ name, doc, err string }{
		{"no name", "id: x\nsearch: s\n", "has no name"},
		{"no id", "name: n\nsearch: s\n", `"n" has no id`},
		{"no search", "name: n\nid: x\n", "has no search"},
		{"status", "name: n\nid: x\nsearch: s\nstatus: beta\n", `unknown rule status "beta"`},
		{"technique", "name: n\nid: x\nsearch: s\ntags: {mitre_attack_id: [TA0001]}\n", `"TA0001" is not an ATT&CK technique ID`},
		{"yaml", "name: n\n  id: x\n", "not a Splunk detection"},
	}
	for _, tc := range bad {
		if _, err := coverage.ParseSplunk(cat, []byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
}

// TestRead checks a folder with good and bad files of each format: bad
// files are reported with their path and the reason, the rest load.
func TestRead(t *testing.T) {
	cat := catalog(t)
	fsys := fstest.MapFS{
		"win/good.yml":          {Data: []byte(sigmaRule)},
		"win/bad.yml":           {Data: []byte("title: t\ndetection: {a: 1}\n")},
		"win/again.yaml":        {Data: []byte(sigmaRule)},
		"escu/kerb.yml":         {Data: []byte(splunkDetection)},
		"README.md":             {Data: []byte("# rules")},
		".hidden/x.yml":         {Data: []byte("nonsense: [")},
		"other.yml":             {Data: []byte("foo: bar\n")},
		"native/rules.ndjson":   {Data: []byte(`{"record":"rule","source":"s","external_id":"N1","name":"Native one","techniques":["T1047"],"status":"test","data_sources":["wmi"]}` + "\n" + `{"record":"alert","source":"s","external_id":"A1"}` + "\n" + `{"record":"rule","source":"s","external_id":"N2","techniques":["T9999"]}` + "\n" + `{"record":"rule","source":"s","external_id":"N5","techniques":["TA0001"]}` + "\n" + `{"record":"rule","source":"s","external_id":"N3","status":"beta"}` + "\n")},
		"native/array.json":     {Data: []byte(`[{"source":"s","external_id":"N4","name":"Array rule","tactics":["Discovery"]}]`)},
		"native/not-json.jsonl": {Data: []byte("{oops\n")},
	}
	l, err := coverage.Read(context.Background(), cat, fsys, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range l.Rules {
		got = append(got, r.Source+":"+r.ExternalID+"@"+r.Path)
	}
	want := []string{"splunk:5cc67381-44fa-4111-8a37-7a230943f027@escu/kerb.yml", "native:N4@native/array.json", "native:N1@native/rules.ndjson",
		"native:N2@native/rules.ndjson", "sigma:1111-2222@win/again.yaml"}
	if !slices.Equal(got, want) {
		t.Errorf("rules %q, want %q", got, want)
	}
	if l.Files != 8 {
		t.Errorf("files %d, want 8 (README and hidden skipped)", l.Files)
	}
	var problems []string
	for _, p := range l.Problems {
		problems = append(problems, p.Path+": "+p.Reason)
	}
	wantProblems := []string{
		"native/not-json.jsonl:$: invalid JSON",
		"native/rules.ndjson:2: not a rule record",
		`native/rules.ndjson:4: rule "N5": "TA0001" is neither an ATT&CK technique ID nor a tactic`,
		`native/rules.ndjson:5: field "status": unknown rule status "beta"`,
		"other.yml: neither a Sigma rule",
		`win/bad.yml: Sigma rule "t" has no id`,
		`win/good.yml: sigma rule id "1111-2222" already read from win/again.yaml`,
	}
	if len(problems) != len(wantProblems) {
		t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
	}
	for i, w := range wantProblems {
		if !strings.HasPrefix(problems[i], w) && !strings.Contains(problems[i], w) {
			t.Errorf("problem %d %q, want %q", i, problems[i], w)
		}
	}
	n1 := l.Rules[2]
	if n1.Name != "Native one" || n1.Status != model.RuleTest || !slices.Equal(n1.Tactics, []string{"execution"}) || !slices.Equal(n1.DataSources, []string{"wmi"}) {
		t.Errorf("N1 %+v", n1)
	}
	if n4 := l.Rules[1]; !slices.Equal(n4.Tactics, []string{"discovery"}) {
		t.Errorf("N4 tactics %q", n4.Tactics)
	}
	// --format sigma reads only the YAML files, all as Sigma.
	l, err = coverage.Read(context.Background(), cat, fsys, "sigma")
	if err != nil {
		t.Fatal(err)
	}
	if l.Files != 5 || len(l.Rules) != 1 {
		t.Errorf("sigma only: %d files %d rules", l.Files, len(l.Rules))
	}
	if _, err := coverage.Read(context.Background(), cat, fsys, "yara"); err == nil {
		t.Error("unknown format accepted")
	}
}

// independent counts, per tactic, the parent techniques that at least one
// rule of the folder names, without the package's parsers: each YAML file
// is decoded generically and its tags read by the tag convention of the
// format; deprecated rules are left out. Technique IDs resolve through the
// catalog (revoked IDs to their replacements) like any ATT&CK reader.
func independent(t *testing.T, cat *attack.Catalog, dir, format string) (map[string]int, int) {
	t.Helper()
	parentsByTactic := map[string]map[string]bool{}
	files := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(p) != ".yml" && filepath.Ext(p) != ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		files++
		if doc["status"] == "deprecated" || doc["status"] == "unsupported" {
			return nil
		}
		var ids []string
		switch format {
		case "sigma":
			tags, _ := doc["tags"].([]any)
			for _, tag := range tags {
				s, _ := tag.(string)
				if rest, ok := strings.CutPrefix(s, "attack.t"); ok && len(rest) >= 4 && rest[0] >= '0' && rest[0] <= '9' {
					ids = append(ids, "T"+rest)
				}
			}
		case "splunk":
			tags, _ := doc["tags"].(map[string]any)
			list, _ := tags["mitre_attack_id"].([]any)
			for _, v := range list {
				s, _ := v.(string)
				ids = append(ids, s)
			}
		}
		for _, id := range ids {
			te, ok := cat.Technique(id)
			if !ok || te.Revoked || te.Deprecated {
				continue
			}
			if te.IsSubtechnique {
				te, _ = cat.Technique(te.Parent)
			}
			for _, ta := range te.Tactics {
				if parentsByTactic[ta] == nil {
					parentsByTactic[ta] = map[string]bool{}
				}
				parentsByTactic[ta][te.ID] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for ta, set := range parentsByTactic {
		out[ta] = len(set)
	}
	return out, files
}

// TestSharedContentPerTactic reads the real Sigma and Splunk ESCU folders
// and checks, per tactic, the number of techniques with at least one rule
// against the independent count.
func TestSharedContentPerTactic(t *testing.T) {
	cat := catalog(t)
	for _, c := range []struct{ dir, format string }{
		{"sigma/rules", "sigma"},
		{"splunk-security-content/detections", "splunk"},
	} {
		t.Run(c.format, func(t *testing.T) {
			dir := shareddata.Path(t, strings.Split(c.dir, "/")...)
			l, err := coverage.Read(context.Background(), cat, os.DirFS(dir), c.format)
			if err != nil {
				t.Fatal(err)
			}
			want, files := independent(t, cat, dir, c.format)
			if l.Files != files || len(l.Rules)+len(l.Problems) != files {
				t.Errorf("%d files read, %d rules, %d problems; %d YAML files in the folder", l.Files, len(l.Rules), len(l.Problems), files)
			}
			for _, p := range l.Problems {
				t.Errorf("%s: %s", p.Path, p.Reason)
			}
			rep := coverage.Compute(coverage.Input{Catalog: cat, Imported: l.Rules})
			for _, ta := range rep.Tactics {
				if ta.Covered != want[ta.ShortName] {
					t.Errorf("%s: %d techniques covered, independent count %d", ta.ShortName, ta.Covered, want[ta.ShortName])
				}
			}
			t.Logf("%s: %d files, %d rules; covered per tactic %v", c.format, l.Files, len(l.Rules), want)
		})
	}
}
