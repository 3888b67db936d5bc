package attack

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzParse checks that Parse never panics and that a catalog it returns is
// consistent: listed objects are found again, lists are sorted and
// GroupTechniques and TechniqueGroups are inverses.
//
// The seeds are small bundles, one per kind of object and relationship
// Parse reads: the fuzzer spends its time mutating them rather than
// minimising large inputs (with the 7 KB excerpt and the full fixture as
// seeds it ran 17 inputs in 20 s). The excerpt and the fixture are covered
// by the unit tests.
//
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 20s ./internal/attack
func FuzzParse(f *testing.F) {
	const ref = `"external_references":[{"source_name":"mitre-attack","external_id":`
	for _, seed := range []string{
		`{"type":"bundle","objects":[{"type":"attack-pattern","id":"attack-pattern--1",` + ref + `"T1"}]}]}`,
		`{"type":"bundle","objects":[{"type":"x-mitre-matrix","id":"m","tactic_refs":["t"]},` +
			`{"type":"x-mitre-tactic","id":"t","x_mitre_shortname":"execution",` + ref + `"TA1"}]},` +
			`{"type":"attack-pattern","id":"a","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"execution"}],` + ref + `"T1"}]},` +
			`{"type":"attack-pattern","id":"b","x_mitre_is_subtechnique":true,` + ref + `"T1.001"}]},` +
			`{"type":"relationship","relationship_type":"subtechnique-of","source_ref":"b","target_ref":"a"}]}`,
		`{"type":"bundle","objects":[{"type":"attack-pattern","id":"a",` + ref + `"T1"}]},` +
			`{"type":"intrusion-set","id":"g","name":"APT","aliases":["APT","Bear"],` + ref + `"G1"}]},` +
			`{"type":"malware","id":"s","name":"Evil","x_mitre_aliases":["Evil"],` + ref + `"S1"}]},` +
			`{"type":"relationship","relationship_type":"uses","source_ref":"g","target_ref":"a"},` +
			`{"type":"relationship","relationship_type":"uses","source_ref":"g","target_ref":"s"}]}`,
		`{"type":"bundle","objects":[{"type":"attack-pattern","id":"a",` + ref + `"T1"}]},` +
			`{"type":"attack-pattern","id":"b","revoked":true,` + ref + `"T2"}]},` +
			`{"type":"relationship","relationship_type":"revoked-by","source_ref":"b","target_ref":"a"}]}`,
		`{"type":"bundle","objects":[{"type":"attack-pattern","id":"a",` + ref + `"T1"}]},` +
			`{"type":"intrusion-set","id":"g",` + ref + `"G1"}]},` +
			`{"type":"campaign","id":"c","first_seen":"2024-01-02T03:04:05Z",` + ref + `"C1"}]},` +
			`{"type":"relationship","relationship_type":"attributed-to","source_ref":"c","target_ref":"g"},` +
			`{"type":"relationship","relationship_type":"uses","source_ref":"c","target_ref":"a"}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Add(gzipped(f, `{"type":"bundle","objects":[{"type":"attack-pattern","id":"a",`+ref+`"T1"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data))
		if err != nil {
			if c != nil {
				t.Fatal("Parse returned a catalog and an error")
			}
			return
		}
		techniques := c.Techniques()
		if len(techniques) == 0 && len(c.techniques) == 0 {
			t.Fatal("Parse returned a catalog without techniques")
		}
		for i, tech := range techniques {
			if i > 0 && techniques[i-1].ID >= tech.ID {
				t.Fatalf("Techniques() not strictly sorted: %s then %s", techniques[i-1].ID, tech.ID)
			}
			if tech.Revoked || tech.Deprecated {
				t.Fatalf("Techniques() holds inactive %s", tech.ID)
			}
			if got, ok := c.Technique(tech.ID); !ok || got.ID != tech.ID {
				t.Fatalf("Technique(%q) = %s, %v", tech.ID, got.ID, ok)
			}
			c.ParentOf(tech.ID)
			c.Subtechniques(tech.ID)
			c.FullName(tech)
		}
		for _, tac := range c.Tactics() {
			c.TechniquesForTactic(tac.ShortName)
		}
		for _, g := range c.Groups() {
			if got, ok := c.Group(g.ID); !ok || got.ID != g.ID {
				t.Fatalf("Group(%q) = %s, %v", g.ID, got.ID, ok)
			}
			for _, tech := range c.GroupTechniques(g.ID) {
				if !slices.ContainsFunc(c.TechniqueGroups(tech.ID), func(u Group) bool { return u.ID == g.ID }) {
					t.Fatalf("TechniqueGroups(%s) lacks %s", tech.ID, g.ID)
				}
			}
			c.GroupSoftware(g.Name)
			c.GroupCampaigns(g.Name)
		}
		for _, s := range c.SoftwareList() {
			c.SoftwareTechniques(s.ID)
		}
		for _, m := range c.Campaigns() {
			c.CampaignTechniques(m.ID)
			c.CampaignSoftware(m.ID)
		}
	})
}
