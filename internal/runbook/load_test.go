package runbook

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/watchfloor/watchfloor/internal/shareddata"
)

// bankTypes counts the bank's runbooks by front matter type without the
// parser: the first "type:" line between the opening and closing "---".
func bankTypes(t *testing.T, dir string) (map[string]int, int) {
	t.Helper()
	counts := map[string]int{}
	files := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		files++
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 0; sc.Scan(); n++ {
			line := sc.Text()
			if n > 0 && line == "---" {
				break
			}
			if v, ok := strings.CutPrefix(line, "type:"); ok {
				counts[strings.Trim(strings.TrimSpace(v), `"'`)]++
				break
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return counts, files
}

func TestLoadBank(t *testing.T) {
	dir := shareddata.Path(t, "ai-runbooks", "rules_bank", "run_books")
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Load(os.DirFS(dir), filepath.ToSlash(abs))
	if err != nil {
		t.Fatal(err)
	}
	want, files := bankTypes(t, dir)
	got := map[string]int{}
	for _, d := range f.Docs {
		got[d.Type]++
	}
	if f.Files != files || len(f.Docs) != files || len(f.Problems) != 0 {
		t.Errorf("%d files, %d runbooks, problems %v; want %d files all loaded", f.Files, len(f.Docs), f.Problems, files)
	}
	if !reflect.DeepEqual(got, want) || got["irp"] != 4 || got["runbook"] != 46 {
		t.Errorf("runbooks by type %v, want %v (4 irp, 46 runbook)", got, want)
	}

	// Every resolved link names a file that exists; every broken one does
	// not exist where the linking file or the bank's root would put it.
	resolved := 0
	for _, d := range f.Docs {
		for _, l := range d.Links {
			if l.Broken != "" {
				continue
			}
			resolved++
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(l.Path))); err != nil {
				t.Errorf("%s:%d: link %s resolved to %s, which does not exist", d.Path, l.Line, l.Target, l.Path)
			}
		}
	}
	if resolved < 150 {
		t.Errorf("only %d links resolved", resolved)
	}
	// The broken links, checked by hand against the bank's tree: files that
	// are not in the bank (rules_bank/*.md outside run_books) and relative
	// paths that miss the irps/ or guidelines/ folder.
	wantBroken := []string{
		"advanced_threat_hunting.md:67 rules_bank/reporting_templates.md",
		"alert_report.md:59 rules_bank/reporting_templates.md",
		"apt_threat_hunt.md:78 rules_bank/reporting_templates.md",
		"case_report.md:44 rules_bank/reporting_templates.md",
		"create_an_investigation_report.md:60 rules_bank/reporting_templates.md",
		"detection_report.md:43 rules_bank/reporting_templates.md",
		"guidelines/report_writing.md:24 rules_bank/reporting_templates.md",
		"guidelines/report_writing.md:41 rules_bank/reporting_templates.md",
		"irps/compromised_user_account_response.md:97 rules_bank/escalation_paths.md",
		"irps/compromised_user_account_response.md:175 rules_bank/reporting_templates.md",
		"irps/malware_incident_response.md:28 rules_bank/project_plan.md",
		"irps/malware_incident_response.md:93 rules_bank/project_plan.md",
		"irps/malware_incident_response.md:95 rules_bank/escalation_paths.md",
		"irps/malware_incident_response.md:95 rules_bank/key_contacts.md",
		"irps/malware_incident_response.md:175 rules_bank/reporting_templates.md",
		"irps/phishing_response.md:55 ../compromised_user_account_response.md",
		"irps/phishing_response.md:114 rules_bank/escalation_paths.md",
		"irps/phishing_response.md:176 ../compromised_user_account_response.md",
		"irps/phishing_response.md:223 rules_bank/reporting_templates.md",
		"irps/phishing_response.md:223 ../report_writing.md",
		"irps/ransomware_response.md:53 ../compromised_user_account_response.md",
		"irps/ransomware_response.md:104 rules_bank/escalation_paths.md",
		"irps/ransomware_response.md:123 ../compromised_user_account_response.md",
		"irps/ransomware_response.md:148 ../compromised_user_account_response.md",
		"irps/ransomware_response.md:193 rules_bank/reporting_templates.md",
		"irps/ransomware_response.md:193 ../report_writing.md",
		"lateral_movement_hunt_psexec_wmi.md:74 compromised_user_account_response.md",
		"post_incident_review.md:37 malware_incident_response.md",
		"post_incident_review.md:37 phishing_response.md",
		"post_incident_review.md:37 reporting_templates.md",
		"post_incident_review.md:58 rules_bank/reporting_templates.md",
		"triage_alerts.md:64 rules_bank/common_benign_alerts.md",
	}
	var gotBroken []string
	for _, b := range f.Broken {
		gotBroken = append(gotBroken, b.From+":"+strconv.Itoa(b.Line)+" "+b.Target)
		if _, err := os.Stat(filepath.Join(dir, filepath.Dir(b.From), b.Target)); err == nil {
			t.Errorf("%s is reported broken but exists beside %s", b.Target, b.From)
		}
	}
	if !reflect.DeepEqual(gotBroken, wantBroken) {
		t.Errorf("broken links:\n%s\nwant:\n%s", strings.Join(gotBroken, "\n"), strings.Join(wantBroken, "\n"))
	}

	// The phishing IRP: seven phases; the links it resolves.
	var irp *Document
	for _, d := range f.Docs {
		if d.ID == "irps/phishing_response" {
			irp = d
		}
	}
	if irp == nil {
		t.Fatal("irps/phishing_response not loaded")
	}
	var phases []string
	for _, p := range irp.Phases {
		phases = append(phases, p.Title+" "+strconv.Itoa(len(p.Steps)))
	}
	wantPhases := []string{"Phase 1: Preparation (Ongoing) 0", "Phase 2: Identification 9", "Phase 3: Containment 4", "Phase 4: Eradication 3",
		"Phase 5: Recovery 5", "Phase 6: Lessons Learned (Post-Incident) 3", "Phase 7: Lessons Learned / Runbook Feedback 6"}
	if !reflect.DeepEqual(phases, wantPhases) {
		t.Errorf("phishing IRP phases %q, want %q", phases, wantPhases)
	}
	targets := map[string]bool{}
	for _, l := range irp.Links {
		if l.Path != "" {
			targets[l.Path] = true
		}
	}
	var paths []string
	for p := range targets {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	wantPaths := []string{"basic_endpoint_triage_isolation.md", "common_steps/check_duplicate_cases.md", "common_steps/document_in_soar.md",
		"common_steps/enrich_ioc.md", "common_steps/find_relevant_soar_case.md", "common_steps/generate_report_file.md",
		"ioc_containment.md", "irps/malware_incident_response.md", "post_incident_review.md"}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Errorf("phishing IRP links resolve to %q, want %q", paths, wantPaths)
	}
	if s := irp.Phases[1].Steps[2]; s.Key != "2.3" || s.Title != "Enrich Extracted IOCs" {
		t.Errorf("step 2.3 = %+v", s)
	}
}

func TestLoadMalformedFolder(t *testing.T) {
	good := "---\ntitle: Good\ntype: runbook\n---\n## Steps\n1. See `common/step.md` and `missing.md`\n"
	fsys := fstest.MapFS{
		"good.md":           {Data: []byte(good)},
		"common/step.md":    {Data: []byte("---\ntitle: Step\ntype: runbook\ntags: [common_step]\n---\n1. Do it\n")},
		"bad/yaml.md":       {Data: []byte("---\ntitle: [unclosed\ntype: runbook\n---\n")},
		"bad/notitle.md":    {Data: []byte("---\ntype: runbook\n---\n")},
		"bad/plain.md":      {Data: []byte("# Just notes\n")},
		"bad/types.md":      {Data: []byte("---\ntitle: T\ntype: runbook\ntags: {a: 1}\n---\n")},
		"dup/one.md":        {Data: []byte("---\nid: same\ntitle: One\ntype: runbook\n---\n")},
		"dup/two.md":        {Data: []byte("---\nid: same\ntitle: Two\ntype: runbook\n---\n")},
		".hidden/x.md":      {Data: []byte("not read")},
		"notes.txt":         {Data: []byte("ignored")},
		"sub/escape.md":     {Data: []byte("---\ntitle: E\ntype: runbook\n---\n1. [up](../../outside.md)\n")},
		"sub/.draft.md":     {Data: []byte("ignored")},
		"sub/relative.md":   {Data: []byte("---\ntitle: R\ntype: runbook\n---\n1. `common/step.md` `../good.md` `x/run_books/good.md`\n")},
		"sub/self/other.md": {Data: []byte("---\ntitle: O\ntype: playbook\n---\n")},
	}
	f, err := Load(fsys, "/repo/x/run_books")
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, p := range f.Problems {
		problems = append(problems, p.Error())
	}
	wantProblems := []string{
		"bad/notitle.md:1: front matter: title is required",
		"bad/plain.md:1: no YAML front matter: a runbook starts with a line \"---\"",
		"bad/types.md:4: front matter: line 4: cannot unmarshal !!map into []string",
		"bad/yaml.md:2: front matter: line 2: did not find expected ',' or ']'",
		`dup/two.md: id "same" is already used by dup/one.md`,
	}
	if !reflect.DeepEqual(problems, wantProblems) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(wantProblems, "\n"))
	}
	var ids []string
	for _, d := range f.Docs {
		ids = append(ids, d.ID)
	}
	if want := []string{"common/step", "same", "good", "sub/escape", "sub/relative", "sub/self/other"}; !reflect.DeepEqual(ids, want) || f.Files != 11 {
		t.Errorf("loaded %q of %d files, want %q of 11", ids, f.Files, want)
	}
	var broken []string
	for _, b := range f.Broken {
		broken = append(broken, b.String())
	}
	wantBroken := []string{
		"good.md:6: link missing.md: no such file in the synced folder (tried missing.md)",
		"sub/escape.md:5: link ../../outside.md: points outside the synced folder",
	}
	if !reflect.DeepEqual(broken, wantBroken) {
		t.Errorf("broken:\n%s\nwant:\n%s", strings.Join(broken, "\n"), strings.Join(wantBroken, "\n"))
	}
	for _, d := range f.Docs {
		if d.ID == "sub/relative" {
			var paths []string
			for _, l := range d.Links {
				paths = append(paths, l.Path)
			}
			if want := []string{"common/step.md", "good.md", "good.md"}; !reflect.DeepEqual(paths, want) {
				t.Errorf("sub/relative links resolve to %q, want %q", paths, want)
			}
		}
	}
}
