package attack

import (
	"bytes"
	"compress/gzip"
	"slices"
	"strings"
	"testing"
)

// fixture is a small hand-written bundle exercising what the real catalog
// does not: uses relationships to revoked and deprecated objects, a
// revocation cycle, a deprecated campaign, a sub-technique without its
// subtechnique-of relationship, ignored object types and escaped strings.
const fixture = `{"type": "bundle", "id": "bundle--1", "spec_version": "2.1", "objects": [
{"type": "x-mitre-matrix", "id": "x-mitre-matrix--m", "tactic_refs": ["x-mitre-tactic--b", "x-mitre-tactic--a"]},
{"type": "x-mitre-tactic", "id": "x-mitre-tactic--a", "name": "Execution", "x_mitre_shortname": "execution", "external_references": [{"source_name": "mitre-attack", "external_id": "TA0002"}]},
{"type": "x-mitre-tactic", "id": "x-mitre-tactic--b", "name": "Initial Access", "x_mitre_shortname": "initial-access", "external_references": [{"source_name": "mitre-attack", "external_id": "TA0001"}]},
{"type": "attack-pattern", "id": "attack-pattern--t1000", "name": "Na\u00efve \"Parent\"", "x_mitre_platforms": ["Linux"], "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}, {"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}], "external_references": [{"source_name": "capec", "external_id": "CAPEC-1"}, {"source_name": "mitre-attack", "external_id": "T1000", "url": "https://attack.mitre.org/techniques/T1000"}], "x_custom": {"nested": [1, -2.5e3, true, null]}},
{"type": "attack-pattern", "id": "attack-pattern--t1000-001", "name": "Child", "x_mitre_is_subtechnique": true, "kill_chain_phases": [{"phase_name": "execution"}], "external_references": [{"source_name": "mitre-attack", "external_id": "T1000.001"}]},
{"type": "attack-pattern", "id": "attack-pattern--t1000-002", "name": "Orphan", "x_mitre_is_subtechnique": true, "kill_chain_phases": [{"phase_name": "execution"}], "external_references": [{"source_name": "mitre-attack", "external_id": "t1000.002"}]},
{"type": "attack-pattern", "id": "attack-pattern--t1001", "name": "Cycle A", "revoked": true, "external_references": [{"source_name": "mitre-attack", "external_id": "T1001"}]},
{"type": "attack-pattern", "id": "attack-pattern--t1002", "name": "Cycle B", "revoked": true, "external_references": [{"source_name": "mitre-attack", "external_id": "T1002"}]},
{"type": "attack-pattern", "id": "attack-pattern--t1003", "name": "Old", "x_mitre_deprecated": true, "external_references": [{"source_name": "mitre-attack", "external_id": "T1003"}]},
{"type": "attack-pattern", "id": "attack-pattern--t1004", "name": "Moved", "revoked": true, "external_references": [{"source_name": "mitre-attack", "external_id": "T1004"}]},
{"type": "attack-pattern", "id": "attack-pattern--no-id", "name": "No ATT&CK ID", "external_references": [{"source_name": "capec", "external_id": "CAPEC-2"}]},
{"type": "intrusion-set", "id": "intrusion-set--g1", "name": "Group One", "aliases": ["Group One", "G1 Alias", "Shared"], "external_references": [{"source_name": "mitre-attack", "external_id": "G0001"}]},
{"type": "intrusion-set", "id": "intrusion-set--g2", "name": "Group Two", "x_mitre_deprecated": true, "aliases": ["Shared"], "external_references": [{"source_name": "mitre-attack", "external_id": "G0002"}]},
{"type": "tool", "id": "tool--s1", "name": "Tool One", "x_mitre_aliases": ["Tool One", "t1.exe"], "x_mitre_platforms": ["Linux"], "external_references": [{"source_name": "mitre-attack", "external_id": "S0001"}]},
{"type": "campaign", "id": "campaign--c1", "name": "Campaign One", "first_seen": "2024-01-02T03:04:05.000Z", "external_references": [{"source_name": "mitre-attack", "external_id": "C0001"}]},
{"type": "campaign", "id": "campaign--c2", "name": "Campaign Two", "x_mitre_deprecated": true, "external_references": [{"source_name": "mitre-attack", "external_id": "C0002"}]},
{"type": "x-custom", "id": "x-custom--1", "revoked": "not a boolean", "name": 7},
{"type": "relationship", "relationship_type": "subtechnique-of", "source_ref": "attack-pattern--t1000-001", "target_ref": "attack-pattern--t1000"},
{"type": "relationship", "relationship_type": "revoked-by", "source_ref": "attack-pattern--t1001", "target_ref": "attack-pattern--t1002"},
{"type": "relationship", "relationship_type": "revoked-by", "source_ref": "attack-pattern--t1002", "target_ref": "attack-pattern--t1001"},
{"type": "relationship", "relationship_type": "revoked-by", "source_ref": "attack-pattern--t1004", "target_ref": "attack-pattern--t1000-001"},
{"type": "relationship", "relationship_type": "uses", "source_ref": "intrusion-set--g1", "target_ref": "attack-pattern--t1000"},
{"type": "relationship", "relationship_type": "uses", "source_ref": "intrusion-set--g1", "target_ref": "attack-pattern--t1000"},
{"type": "relationship", "relationship_type": "uses", "source_ref": "intrusion-set--g1", "target_ref": "attack-pattern--t1001"},
{"type": "relationship", "relationship_type": "uses", "source_ref": "intrusion-set--g1", "target_ref": "attack-pattern--t1003"},
{"type": "relationship", "relationship_type": "uses", "source_ref": "intrusion-set--g1", "target_ref": "tool--s1"},
{"type": "relationship", "relationship_type": "uses", "source_ref": "intrusion-set--g2", "target_ref": "attack-pattern--t1000"},
{"type": "relationship", "relationship_type": "uses", "source_ref": "tool--s1", "target_ref": "attack-pattern--t1000-001"},
{"type": "relationship", "relationship_type": "uses", "source_ref": "campaign--c1", "target_ref": "attack-pattern--t1000-002"},
{"type": "relationship", "relationship_type": "uses", "source_ref": "campaign--c2", "target_ref": "attack-pattern--t1000-001"},
{"type": "relationship", "relationship_type": "attributed-to", "source_ref": "campaign--c1", "target_ref": "intrusion-set--g1"},
{"type": "relationship", "relationship_type": "attributed-to", "source_ref": "campaign--c2", "target_ref": "intrusion-set--g1"},
{"type": "relationship", "relationship_type": "uses", "source_ref": "intrusion-set--g1", "target_ref": "attack-pattern--missing"},
{"type": "relationship", "relationship_type": "detects", "source_ref": "x-mitre-detection-strategy--1", "target_ref": "attack-pattern--t1000"}
], "extra": {"ignored": ["x"]}}
`

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseFixture(t *testing.T) {
	plain, err := Parse(strings.NewReader(fixture))
	if err != nil {
		t.Fatal(err)
	}
	zipped, err := Parse(bytes.NewReader(gzipped(t, fixture)))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*Catalog{"plain": plain, "gzipped": zipped} {
		t.Run(name, func(t *testing.T) { checkFixture(t, c) })
	}
}

func checkFixture(t *testing.T, c *Catalog) {
	if got := ids(c.Tactics(), func(t Tactic) string { return t.ID }); !slices.Equal(got, []string{"TA0001", "TA0002"}) {
		t.Errorf("Tactics() = %v, want matrix order [TA0001 TA0002]", got)
	}
	if got := techniqueIDs(c.Techniques()); !slices.Equal(got, []string{"T1000", "T1000.001", "T1000.002"}) {
		t.Errorf("Techniques() = %v", got)
	}
	parent, _ := c.Technique("T1000")
	if parent.Name != `Naïve "Parent"` || !slices.Equal(parent.Tactics, []string{"initial-access", "execution"}) {
		t.Errorf("T1000 = %q %v", parent.Name, parent.Tactics)
	}
	if p, ok := c.ParentOf("T1000.002"); !ok || p.ID != "T1000" {
		t.Errorf("ParentOf(T1000.002) = %s, %v; want T1000 from the ID", p.ID, ok)
	}
	if got := techniqueIDs(c.Subtechniques("T1000")); !slices.Equal(got, []string{"T1000.001", "T1000.002"}) {
		t.Errorf("Subtechniques(T1000) = %v", got)
	}
	// A revocation cycle ends on a revoked technique instead of looping.
	if got, ok := c.Technique("T1001"); !ok || !got.Revoked || got.ID != "T1002" {
		t.Errorf("Technique(T1001) = %s revoked=%v, %v; want T1002 revoked", got.ID, got.Revoked, ok)
	}
	if got, _ := c.Technique("T1004"); got.ID != "T1000.001" {
		t.Errorf("Technique(T1004) = %s, want T1000.001", got.ID)
	}
	if _, ok := c.Technique("attack-pattern--no-id"); ok {
		t.Error("an attack-pattern without an ATT&CK ID was kept")
	}

	// G0001 uses T1000 (twice), revoked T1001 and deprecated T1003, and
	// through campaign C0001 T1000.002; deprecated C0002 does not count.
	if got := techniqueIDs(c.GroupTechniques("g1 alias")); !slices.Equal(got, []string{"T1000", "T1000.002"}) {
		t.Errorf("GroupTechniques(G0001) = %v, want [T1000 T1000.002]", got)
	}
	if got := groupIDs(c.TechniqueGroups("T1000")); !slices.Equal(got, []string{"G0001"}) {
		t.Errorf("TechniqueGroups(T1000) = %v, want [G0001] (G0002 is deprecated)", got)
	}
	if got := c.GroupTechniques("G0002"); got != nil {
		t.Errorf("GroupTechniques(deprecated G0002) = %v, want nil", techniqueIDs(got))
	}
	if got := ids(c.GroupCampaigns("G0001"), func(m Campaign) string { return m.ID }); !slices.Equal(got, []string{"C0001"}) {
		t.Errorf("GroupCampaigns(G0001) = %v", got)
	}
	// "Shared" is an alias of active G0001 and deprecated G0002.
	if g, ok := c.Group("shared"); !ok || g.ID != "G0001" {
		t.Errorf("Group(shared) = %s, %v; want G0001", g.ID, ok)
	}
	if g, _ := c.Group("G0001"); !slices.Equal(g.Aliases, []string{"G1 Alias", "Shared"}) {
		t.Errorf("G0001 aliases = %q", g.Aliases)
	}
	if got := techniqueIDs(c.SoftwareTechniques("t1.exe")); !slices.Equal(got, []string{"T1000.001"}) {
		t.Errorf("SoftwareTechniques(t1.exe) = %v", got)
	}
	if got := ids(c.GroupSoftware("Group One"), func(s Software) string { return s.ID }); !slices.Equal(got, []string{"S0001"}) {
		t.Errorf("GroupSoftware(Group One) = %v", got)
	}
	m, _ := c.Campaign("C0001")
	if m.FirstSeen.Format("2006-01-02T15:04:05Z07:00") != "2024-01-02T03:04:05Z" || !m.LastSeen.IsZero() || !slices.Equal(m.AttributedTo, []string{"G0001"}) {
		t.Errorf("C0001 = %+v", m)
	}
	if got := techniqueIDs(c.CampaignTechniques("C0001")); !slices.Equal(got, []string{"T1000.002"}) {
		t.Errorf("CampaignTechniques(C0001) = %v", got)
	}
}

func TestParseErrors(t *testing.T) {
	const technique = `{"type": "attack-pattern", "id": "attack-pattern--1", "external_references": [{"source_name": "mitre-attack", "external_id": "T1"}]}`
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "unexpected end of input"},
		{"array", "[" + technique + "]", "invalid JSON: found [ looking for the bundle object"},
		{"not a bundle", `{"type": "report", "objects": [` + technique + `]}`, `top-level type is "report"`},
		{"no type", `{"objects": [` + technique + `]}`, `top-level type is ""`},
		{"no techniques", `{"type": "bundle", "objects": []}`, "holds no ATT&CK techniques"},
		{"truncated", `{"type": "bundle", "objects": [` + technique, "unexpected end of input"},
		{"truncated string", `{"type": "bundle", "objects": [{"type": "attack-pat`, "objects[0]: unexpected end of input"},
		{"syntax", `{"type": "bundle", "objects": [{"type" "x"}]}`, `objects[0]: invalid JSON: invalid character '"' after object key`},
		{"trailing data", `{"type": "bundle", "objects": [` + technique + `]} {}`, "data after the bundle"},
		{"element not an object", `{"type": "bundle", "objects": [` + technique + `, "x"]}`, "objects[1] is a string, want an object"},
		{"wrong field type", `{"type": "bundle", "objects": [` + technique + `, {"type": "intrusion-set", "id": "intrusion-set--1", "aliases": "APT1"}]}`, `objects[1] (intrusion-set intrusion-set--1): "aliases" is a string, want an array`},
		{"bad date", `{"type": "bundle", "objects": [` + technique + `, {"type": "campaign", "id": "campaign--1", "first_seen": "yesterday", "external_references": [{"source_name": "mitre-attack", "external_id": "C1"}]}]}`, "objects[1] (campaign campaign--1): first_seen: parsing time"},
		{"control character", "{\"type\": \"bun\x01dle\"}", `invalid character '\x01' in string literal`},
		{"bad escape", `{"type": "bun\xdle"}`, "in string escape code"},
		{"bad literal", `{"type": "bundle", "objects": [` + technique + `, {"revoked": tru}]}`, "literal true"},
		{"bad number", `{"type": "bundle", "x": 01}`, "invalid JSON: invalid character '1' after object key:value pair"},
		{"key not a string", `{"type": "bundle", 1: 2}`, "bundle key: invalid JSON: invalid character '1' looking for beginning of object key string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want one containing %q", err, tt.want)
			}
		})
	}

	zipped := gzipped(t, fixture)
	if _, err := Parse(bytes.NewReader(zipped[:len(zipped)-6])); err == nil {
		t.Error("Parse of a truncated gzip stream succeeded")
	}
	corrupt := slices.Clone(zipped)
	corrupt[len(corrupt)-6] ^= 0xff // CRC-32
	if _, err := Parse(bytes.NewReader(corrupt)); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("Parse of a gzip stream with a bad checksum: %v", err)
	}
}

func TestParseLargeValue(t *testing.T) {
	// A value larger than the stream's first buffer makes it grow.
	long := strings.Repeat("x", 1<<20)
	in := `{"type": "bundle", "objects": [{"type": "attack-pattern", "id": "attack-pattern--1", "description": "` + long + `", "external_references": [{"source_name": "mitre-attack", "external_id": "T1"}]}]}`
	c, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if tech, _ := c.Technique("T1"); tech.Description != long {
		t.Errorf("description of %d bytes, want %d", len(tech.Description), len(long))
	}
}
