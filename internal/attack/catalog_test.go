package attack

import (
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/shareddata"
)

// The expected values below were computed once, independently of this
// package, by testdata/expected.py (Python standard library only) over the
// shared ../shared/data/attack/enterprise-attack-18.1-slim.json.gz:
//
//	python3 internal/attack/testdata/expected.py ../shared/data/attack/enterprise-attack-18.1-slim.json.gz

func mustLoad(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func techniqueIDs(ts []Technique) []string { return ids(ts, func(t Technique) string { return t.ID }) }
func groupIDs(gs []Group) []string         { return ids(gs, func(g Group) string { return g.ID }) }

func TestLoadCounts(t *testing.T) {
	c := mustLoad(t)
	if again := mustLoad(t); again != c {
		t.Error("Load returned a different catalog on the second call")
	}
	// 835 attack-patterns: 132 revoked, 12 deprecated, 691 active
	// (216 techniques + 475 sub-techniques).
	techniques := c.Techniques()
	subs := 0
	for _, tech := range techniques {
		if tech.Revoked || tech.Deprecated {
			t.Errorf("Techniques() holds inactive %s", tech.ID)
		}
		if tech.IsSubtechnique {
			subs++
		}
	}
	if len(techniques) != 691 || subs != 475 {
		t.Errorf("Techniques(): %d, %d sub-techniques; want 691, 475", len(techniques), subs)
	}
	if len(c.techniques) != 835 {
		t.Errorf("catalog holds %d techniques with revoked and deprecated ones, want 835", len(c.techniques))
	}
	if !slices.IsSortedFunc(techniques, func(a, b Technique) int { return compareStrings(a.ID, b.ID) }) {
		t.Error("Techniques() is not sorted by ID")
	}
	// intrusion-set 187 (172 active), malware 696 (693 active), tool 91
	// (91 active), campaign 52 (52 active).
	if n := len(c.Groups()); n != 172 {
		t.Errorf("Groups(): %d, want 172", n)
	}
	software := c.SoftwareList()
	malware := 0
	for _, s := range software {
		if s.Type == Malware {
			malware++
		}
	}
	if len(software) != 784 || malware != 693 {
		t.Errorf("SoftwareList(): %d, %d malware; want 784, 693", len(software), malware)
	}
	if n := len(c.Campaigns()); n != 52 {
		t.Errorf("Campaigns(): %d, want 52", n)
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestTactics(t *testing.T) {
	c := mustLoad(t)
	want := []Tactic{
		{ID: "TA0043", ShortName: "reconnaissance", Name: "Reconnaissance"},
		{ID: "TA0042", ShortName: "resource-development", Name: "Resource Development"},
		{ID: "TA0001", ShortName: "initial-access", Name: "Initial Access"},
		{ID: "TA0002", ShortName: "execution", Name: "Execution"},
		{ID: "TA0003", ShortName: "persistence", Name: "Persistence"},
		{ID: "TA0004", ShortName: "privilege-escalation", Name: "Privilege Escalation"},
		{ID: "TA0005", ShortName: "defense-evasion", Name: "Defense Evasion"},
		{ID: "TA0006", ShortName: "credential-access", Name: "Credential Access"},
		{ID: "TA0007", ShortName: "discovery", Name: "Discovery"},
		{ID: "TA0008", ShortName: "lateral-movement", Name: "Lateral Movement"},
		{ID: "TA0009", ShortName: "collection", Name: "Collection"},
		{ID: "TA0011", ShortName: "command-and-control", Name: "Command and Control"},
		{ID: "TA0010", ShortName: "exfiltration", Name: "Exfiltration"},
		{ID: "TA0040", ShortName: "impact", Name: "Impact"},
	}
	got := c.Tactics()
	if len(got) != len(want) {
		t.Fatalf("Tactics(): %d tactics, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.ID || g.ShortName != w.ShortName || g.Name != w.Name {
			t.Errorf("Tactics()[%d] = %s %s %q, want %s %s %q", i, g.ID, g.ShortName, g.Name, w.ID, w.ShortName, w.Name)
		}
	}
	if got[7].Description != "The adversary is trying to steal account names and passwords." {
		t.Errorf("credential-access description = %q", got[7].Description)
	}
	if got[7].URL() != "https://attack.mitre.org/tactics/TA0006" {
		t.Errorf("URL() = %s", got[7].URL())
	}

	for _, ref := range []string{"TA0006", "ta0006", "credential-access", "Credential_Access", "credential access", " Credential Access ", "x-mitre-tactic--2558fd61-8c75-4730-94c4-11926db2a263"} {
		if tac, ok := c.Tactic(ref); !ok || tac.ID != "TA0006" {
			t.Errorf("Tactic(%q) = %s, %v; want TA0006", ref, tac.ID, ok)
		}
	}
	for _, ref := range []string{"", "TA9999", "T1059", "credential"} {
		if tac, ok := c.Tactic(ref); ok {
			t.Errorf("Tactic(%q) = %s, want not found", ref, tac.ID)
		}
	}
}

func TestTechniquesForTactic(t *testing.T) {
	c := mustLoad(t)
	// Active techniques and sub-techniques per kill-chain phase.
	want := map[string]int{
		"reconnaissance": 45, "resource-development": 47, "initial-access": 22, "execution": 46,
		"persistence": 126, "privilege-escalation": 109, "defense-evasion": 215, "credential-access": 67,
		"discovery": 49, "lateral-movement": 23, "collection": 41, "command-and-control": 45,
		"exfiltration": 19, "impact": 33,
	}
	for _, tac := range c.Tactics() {
		got := c.TechniquesForTactic(tac.ShortName)
		if len(got) != want[tac.ShortName] {
			t.Errorf("TechniquesForTactic(%s): %d, want %d", tac.ShortName, len(got), want[tac.ShortName])
		}
		for _, tech := range got {
			if !slices.Contains(tech.Tactics, tac.ShortName) || tech.Revoked || tech.Deprecated {
				t.Errorf("TechniquesForTactic(%s) holds %s (tactics %v)", tac.ShortName, tech.ID, tech.Tactics)
			}
		}
	}
	if got := c.TechniquesForTactic("TA0002"); len(got) != 46 || !slices.Contains(techniqueIDs(got), "T1059.001") {
		t.Errorf("TechniquesForTactic(TA0002): %d techniques, want 46 with T1059.001", len(got))
	}
	if got := c.TechniquesForTactic("nope"); got != nil {
		t.Errorf("TechniquesForTactic(nope) = %v, want nil", techniqueIDs(got))
	}
}

func TestTechnique(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		ref, wantID, wantName string
		revoked, deprecated   bool
	}{
		{ref: "T1059.001", wantID: "T1059.001", wantName: "PowerShell"},
		{ref: " t1059.001 ", wantID: "T1059.001", wantName: "PowerShell"},
		{ref: "attack-pattern--970a3432-3237-47ad-bcca-7d8cbb217736", wantID: "T1059.001", wantName: "PowerShell"},
		{ref: "ATTACK-PATTERN--970A3432-3237-47AD-BCCA-7D8CBB217736", wantID: "T1059.001", wantName: "PowerShell"},
		// Revoked, followed along revoked-by.
		{ref: "T1086", wantID: "T1059.001", wantName: "PowerShell"},
		{ref: "T1053.001", wantID: "T1053.002", wantName: "At"},
		// Two revocations: T1150 → T1547.011 → T1647, T1073 → T1574.002 → T1574.001.
		{ref: "T1150", wantID: "T1647", wantName: "Plist File Modification"},
		{ref: "T1073", wantID: "T1574.001", wantName: "DLL"},
		// Deprecated: returned, flagged.
		{ref: "T1064", wantID: "T1064", wantName: "Scripting", deprecated: true},
		{ref: "T1053.004", wantID: "T1053.004", wantName: "Launchd", deprecated: true},
	}
	for _, tt := range tests {
		got, ok := c.Technique(tt.ref)
		if !ok || got.ID != tt.wantID || got.Name != tt.wantName || got.Revoked != tt.revoked || got.Deprecated != tt.deprecated {
			t.Errorf("Technique(%q) = %s %q revoked=%v deprecated=%v, %v; want %s %q revoked=%v deprecated=%v",
				tt.ref, got.ID, got.Name, got.Revoked, got.Deprecated, ok, tt.wantID, tt.wantName, tt.revoked, tt.deprecated)
		}
	}
	for _, ref := range []string{"", "T9999", "G0016", "TA0002", "T1059.999", "attack-pattern--nope"} {
		if got, ok := c.Technique(ref); ok {
			t.Errorf("Technique(%q) = %s, want not found", ref, got.ID)
		}
	}

	ps, _ := c.Technique("T1059.001")
	want := Technique{
		ID:             "T1059.001",
		Name:           "PowerShell",
		Tactics:        []string{"execution"},
		Platforms:      []string{"Windows"},
		Description:    "Adversaries may abuse PowerShell commands and scripts for execution. PowerShell is a powerful interactive command-line interface and scripting environment included in the Windows operating system.(Citation: TechNet PowerShell) Adversaries…",
		IsSubtechnique: true,
		Parent:         "T1059",
		STIXID:         "attack-pattern--970a3432-3237-47ad-bcca-7d8cbb217736",
	}
	if !reflect.DeepEqual(ps, want) {
		t.Errorf("Technique(T1059.001) = %+v\nwant %+v", ps, want)
	}
	if ps.URL() != "https://attack.mitre.org/techniques/T1059/001" {
		t.Errorf("URL() = %s", ps.URL())
	}
	if got := c.FullName(ps); got != "Command and Scripting Interpreter: PowerShell" {
		t.Errorf("FullName(T1059.001) = %q", got)
	}
	// The bundle lists defense-evasion first; kill-chain order puts
	// privilege-escalation first.
	ewm, _ := c.Technique("T1055.011")
	if !slices.Equal(ewm.Tactics, []string{"privilege-escalation", "defense-evasion"}) {
		t.Errorf("T1055.011 tactics = %v", ewm.Tactics)
	}
	parent, _ := c.Technique("T1059")
	if parent.IsSubtechnique || parent.Parent != "" {
		t.Errorf("T1059 is a sub-technique (of %q)", parent.Parent)
	}
	if got := c.FullName(parent); got != "Command and Scripting Interpreter" {
		t.Errorf("T1059 full name %q", got)
	}
	if want := []string{"ESXi", "IaaS", "Identity Provider", "Linux", "macOS", "Network Devices", "Office Suite", "Windows"}; !slices.Equal(parent.Platforms, want) {
		t.Errorf("T1059 platforms %v, want %v", parent.Platforms, want)
	}
	if parent.URL() != "https://attack.mitre.org/techniques/T1059" {
		t.Errorf("URL() = %s", parent.URL())
	}
}

func TestParentAndSubtechniques(t *testing.T) {
	c := mustLoad(t)
	tests := []struct{ ref, want string }{
		{"T1059.001", "T1059"},
		{"t1055.011", "T1055"},
		{"T1053.001", "T1053"}, // revoked; its replacement T1053.002 is a sub-technique of T1053
		{"T1053.004", "T1053"}, // deprecated
		{"T1059", ""},
		{"T1647", ""},
		{"T9999", ""},
	}
	for _, tt := range tests {
		p, ok := c.ParentOf(tt.ref)
		if p.ID != tt.want || ok != (tt.want != "") {
			t.Errorf("ParentOf(%q) = %s, %v; want %q", tt.ref, p.ID, ok, tt.want)
		}
	}
	p, _ := c.ParentOf("T1059.001")
	if p.Name != "Command and Scripting Interpreter" {
		t.Errorf("ParentOf(T1059.001).Name = %q", p.Name)
	}
	want := []string{"T1059.001", "T1059.002", "T1059.003", "T1059.004", "T1059.005", "T1059.006", "T1059.007", "T1059.008", "T1059.009", "T1059.010", "T1059.011", "T1059.012", "T1059.013"}
	if got := techniqueIDs(c.Subtechniques("T1059")); !slices.Equal(got, want) {
		t.Errorf("Subtechniques(T1059) = %v\nwant %v", got, want)
	}
	if got := c.Subtechniques("T1059.001"); got != nil {
		t.Errorf("Subtechniques(T1059.001) = %v, want nil", techniqueIDs(got))
	}
	// Every active sub-technique is listed under its parent.
	n := 0
	for _, tech := range c.Techniques() {
		if !tech.IsSubtechnique {
			n += len(c.Subtechniques(tech.ID))
		}
	}
	if n != 475 {
		t.Errorf("sub-techniques listed under parents: %d, want 475", n)
	}
}

func TestGroup(t *testing.T) {
	c := mustLoad(t)
	tests := []struct{ ref, want string }{
		{"G0016", "G0016"},
		{"g0016", "G0016"},
		{"APT29", "G0016"},
		{"cozy bear", "G0016"},
		{"Midnight Blizzard", "G0016"},
		{"intrusion-set--899ce53f-13a0-479b-a0e4-67d46e241542", "G0016"},
		{"G0118", "G0016"},   // UNC2452, revoked by APT29
		{"UNC2452", "G0016"}, // the revoked group's name and an APT29 alias
		{"thrip", "G0076"},   // Thrip's name; also an alias of G0030
		{"Night Dragon", "G0014"},
		{"UAC-0056", ""}, // alias of both G1003 and G1031
		{"T1059", ""},
		{"", ""},
	}
	for _, tt := range tests {
		g, ok := c.Group(tt.ref)
		if g.ID != tt.want || ok != (tt.want != "") {
			t.Errorf("Group(%q) = %s, %v; want %q", tt.ref, g.ID, ok, tt.want)
		}
	}
	apt29, _ := c.Group("G0016")
	wantAliases := []string{"IRON RITUAL", "IRON HEMLOCK", "NobleBaron", "Dark Halo", "NOBELIUM", "UNC2452", "YTTRIUM", "The Dukes", "Cozy Bear", "CozyDuke", "SolarStorm", "Blue Kitsune", "UNC3524", "Midnight Blizzard"}
	if apt29.Name != "APT29" {
		t.Errorf("G0016 name %q, want APT29", apt29.Name)
	}
	if !slices.Equal(apt29.Aliases, wantAliases) {
		t.Errorf("G0016 aliases %v, want %v", apt29.Aliases, wantAliases)
	}
	if apt29.Revoked || apt29.Deprecated {
		t.Errorf("G0016 revoked %v deprecated %v, want neither", apt29.Revoked, apt29.Deprecated)
	}
	if got := apt29.URL(); got != "https://attack.mitre.org/groups/G0016" {
		t.Errorf("G0016 URL %s", got)
	}
	if got := PlainText(apt29.Description); got != "APT29 is threat group that has been attributed to Russia's Foreign Intelligence Service (SVR). They have operated since at least 2008, often targeting…" {
		t.Errorf("PlainText(APT29 description) = %q", got)
	}
	if g, _ := c.Group("Night Dragon"); !g.Deprecated || g.Revoked {
		t.Errorf("Group(Night Dragon) = %+v, want deprecated", g)
	}
}

func TestGroupTechniques(t *testing.T) {
	c := mustLoad(t)
	got := techniqueIDs(c.GroupTechniques("G0016"))
	// 66 techniques from APT29's own uses relationships, 119 with those of
	// its campaigns C0023 and C0024.
	if len(got) != 119 {
		t.Errorf("GroupTechniques(G0016): %d techniques, want 119", len(got))
	}
	if !slices.Equal(got[:5], []string{"T1001.002", "T1003.002", "T1003.004", "T1003.006", "T1005"}) {
		t.Errorf("GroupTechniques(G0016) starts %v", got[:5])
	}
	for _, id := range []string{"T1059.001", "T1078", "T1018", "T1021.001"} {
		if !slices.Contains(got, id) {
			t.Errorf("GroupTechniques(G0016) lacks %s", id)
		}
	}
	if !slices.IsSorted(got) {
		t.Error("GroupTechniques(G0016) is not sorted")
	}
	for _, ref := range []string{"APT29", "G0118", "Cozy Bear"} {
		if other := techniqueIDs(c.GroupTechniques(ref)); !slices.Equal(other, got) {
			t.Errorf("GroupTechniques(%q) differs from GroupTechniques(G0016)", ref)
		}
	}
	if got := ids(c.GroupCampaigns("G0016"), func(m Campaign) string { return m.ID }); !slices.Equal(got, []string{"C0023", "C0024"}) {
		t.Errorf("GroupCampaigns(G0016) = %v", got)
	}
	if n := len(c.GroupSoftware("G0016")); n != 49 {
		t.Errorf("GroupSoftware(G0016): %d, want 49", n)
	}
	if got := c.GroupTechniques("nobody"); got != nil {
		t.Errorf("GroupTechniques(nobody) = %v", techniqueIDs(got))
	}

	users := groupIDs(c.TechniqueGroups("T1059.001"))
	if len(users) != 84 || !slices.Equal(users[:3], []string{"G0007", "G0009", "G0010"}) || !slices.Contains(users, "G0016") {
		t.Errorf("TechniqueGroups(T1059.001): %d groups starting %v; want 84 starting [G0007 G0009 G0010], with G0016", len(users), users[:min(3, len(users))])
	}

	// TechniqueGroups is the inverse of GroupTechniques: 169 active groups
	// use 4640 (group, technique) pairs.
	pairs, withTechniques := 0, 0
	for _, g := range c.Groups() {
		techniques := c.GroupTechniques(g.ID)
		if len(techniques) > 0 {
			withTechniques++
		}
		pairs += len(techniques)
		for _, tech := range techniques {
			if tech.Revoked || tech.Deprecated {
				t.Errorf("GroupTechniques(%s) holds inactive %s", g.ID, tech.ID)
			}
			if !slices.Contains(groupIDs(c.TechniqueGroups(tech.ID)), g.ID) {
				t.Errorf("TechniqueGroups(%s) lacks %s", tech.ID, g.ID)
			}
		}
	}
	inverse := 0
	for _, tech := range c.Techniques() {
		inverse += len(c.TechniqueGroups(tech.ID))
	}
	if withTechniques != 169 || pairs != 4640 || inverse != 4640 {
		t.Errorf("%d groups with techniques, %d pairs, %d inverse pairs; want 169, 4640, 4640", withTechniques, pairs, inverse)
	}
}

func TestSoftware(t *testing.T) {
	c := mustLoad(t)
	tests := []struct{ ref, want string }{
		{"S0039", "S0039"},
		{"net", "S0039"},
		{"net.exe", "S0039"},
		{"tool--03342581-f790-4f03-ba41-e82e67392e23", "S0039"},
		{"S9000", "S0508"}, // malware Ngrok revoked by tool ngrok
		{"DNSMessenger", ""},
		{"G0016", ""},
	}
	for _, tt := range tests {
		s, ok := c.Software(tt.ref)
		if s.ID != tt.want || ok != (tt.want != "") {
			t.Errorf("Software(%q) = %s, %v; want %q", tt.ref, s.ID, ok, tt.want)
		}
	}
	net, _ := c.Software("S0039")
	if net.Name != "Net" || net.Type != Tool {
		t.Errorf("S0039 is %s %q, want tool Net", net.Type, net.Name)
	}
	if !slices.Equal(net.Aliases, []string{"net.exe"}) || !slices.Equal(net.Platforms, []string{"Windows"}) {
		t.Errorf("S0039 aliases %v platforms %v, want [net.exe] and [Windows]", net.Aliases, net.Platforms)
	}
	if got := net.URL(); got != "https://attack.mitre.org/software/S0039" {
		t.Errorf("S0039 URL %s", got)
	}
	if n := len(c.SoftwareTechniques("S0039")); n != 16 {
		t.Errorf("SoftwareTechniques(S0039): %d, want 16", n)
	}
}

func TestCampaign(t *testing.T) {
	c := mustLoad(t)
	m, ok := c.Campaign("operation north star")
	if !ok || m.ID != "C0022" || m.Name != "Operation Dream Job" ||
		!m.FirstSeen.Equal(time.Date(2019, 9, 1, 4, 0, 0, 0, time.UTC)) ||
		!m.LastSeen.Equal(time.Date(2020, 8, 1, 4, 0, 0, 0, time.UTC)) ||
		!slices.Equal(m.AttributedTo, []string{"G0032"}) || m.URL() != "https://attack.mitre.org/campaigns/C0022" {
		t.Errorf("Campaign(operation north star) = %+v, %v", m, ok)
	}
	if n := len(c.CampaignTechniques("C0022")); n != 55 {
		t.Errorf("CampaignTechniques(C0022): %d, want 55", n)
	}
	if !slices.ContainsFunc(c.GroupCampaigns("G0032"), func(m Campaign) bool { return m.ID == "C0022" }) {
		t.Error("GroupCampaigns(G0032) lacks C0022")
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"[at](https://attack.mitre.org/software/S0110) utility", "at utility"},
		{"operating system.(Citation: TechNet PowerShell) Adversaries", "operating system. Adversaries"},
		{"x (Citation: A)(Citation: B) y", "x y"},
		{"plain [not a link] (nor this)", "plain [not a link] (nor this)"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEmbeddedMatchesShared checks that the slimmed copy gives the same
// catalog as the shared original it was made from.
func TestEmbeddedMatchesShared(t *testing.T) {
	path := shareddata.Path(t, "attack", "enterprise-attack-18.1-slim.json.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	shared, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	embedded := mustLoad(t)
	if !reflect.DeepEqual(embedded, shared) {
		t.Error("the embedded catalog differs from the one parsed from the shared original; run go generate in internal/attack")
	}
	if len(shared.techniques) != 835 || len(shared.groups) != 187 || len(shared.software) != 787 || len(shared.campaigns) != 52 {
		t.Errorf("shared original: %d techniques, %d groups, %d software, %d campaigns; want 835, 187, 787, 52",
			len(shared.techniques), len(shared.groups), len(shared.software), len(shared.campaigns))
	}
}
