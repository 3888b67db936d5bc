package attack

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that a catalog it returns is
// consistent: listed objects are found again, lists are sorted and
// GroupTechniques and TechniqueGroups are inverses.
func FuzzParse(f *testing.F) {
	excerpt, err := os.ReadFile("testdata/excerpt.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(excerpt)
	f.Add(gzipped(f, string(excerpt)))
	f.Add([]byte(fixture))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"attack-pattern","id":"attack-pattern--1","external_references":[{"source_name":"mitre-attack","external_id":"T1"}]}]}`))
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

// jsonObject mirrors stixObject with encoding/json tags; FuzzDecodeObject
// uses encoding/json with it as the reference decoder.
type jsonObject struct {
	Type               string `json:"type"`
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Description        string `json:"description"`
	ExternalReferences []struct {
		SourceName string `json:"source_name"`
		ExternalID string `json:"external_id"`
	} `json:"external_references"`
	KillChainPhases []struct {
		KillChainName string `json:"kill_chain_name"`
		PhaseName     string `json:"phase_name"`
	} `json:"kill_chain_phases"`
	Platforms        []string `json:"x_mitre_platforms"`
	IsSubtechnique   bool     `json:"x_mitre_is_subtechnique"`
	ShortName        string   `json:"x_mitre_shortname"`
	Revoked          bool     `json:"revoked"`
	Deprecated       bool     `json:"x_mitre_deprecated"`
	Aliases          []string `json:"aliases"`
	SoftwareAliases  []string `json:"x_mitre_aliases"`
	FirstSeen        string   `json:"first_seen"`
	LastSeen         string   `json:"last_seen"`
	TacticRefs       []string `json:"tactic_refs"`
	RelationshipType string   `json:"relationship_type"`
	SourceRef        string   `json:"source_ref"`
	TargetRef        string   `json:"target_ref"`
}

// fieldKeys are the JSON keys stixObject reads, at any depth.
var fieldKeys = []string{
	"type", "id", "name", "description", "external_references", "source_name", "external_id",
	"kill_chain_phases", "kill_chain_name", "phase_name", "x_mitre_platforms", "x_mitre_is_subtechnique",
	"x_mitre_shortname", "revoked", "x_mitre_deprecated", "aliases", "x_mitre_aliases", "first_seen",
	"last_seen", "tactic_refs", "relationship_type", "source_ref", "target_ref",
}

// foldedKey reports whether v holds a key that encoding/json would match to
// a field case-insensitively but decodeObject, like STIX, would not.
func foldedKey(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			for _, f := range fieldKeys {
				if k != f && strings.EqualFold(k, f) {
					return true
				}
			}
			if foldedKey(x) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(v, foldedKey)
	}
	return false
}

// FuzzDecodeObject checks the JSON reader against encoding/json: scanValue
// accepts exactly the values json.Valid accepts, and decodeObject decodes
// them to the same fields, reporting a type mismatch when encoding/json
// does.
func FuzzDecodeObject(f *testing.F) {
	excerpt, err := os.ReadFile("testdata/excerpt.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(excerpt)
	for _, line := range strings.Split(fixture, "\n") {
		f.Add([]byte(strings.TrimSuffix(line, ",")))
	}
	f.Add([]byte(`{"name": "\ud83d\ude00 \u00e9\t\"\\\/", "aliases": ["a", null, 1], "revoked": "yes", "x": [{}, [], -0.5E+3]}`))
	f.Add([]byte("{\"name\": \"\xff\xfe invalid UTF-8\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		end, scanErr := scanValue(data, 0, 0)
		if scanErr == nil && len(bytes.TrimLeft(data[end:], " \t\r\n")) > 0 {
			scanErr = errors.New("data after the value")
		}
		valid := json.Valid(data)
		if first := bytes.TrimLeft(data, " \t\r\n"); len(first) > 0 && (first[0] == '-' || '0' <= first[0] && first[0] <= '9') {
			// A number at the very end of the input is errShort for
			// scanValue, which never sees a number outside an object.
			return
		}
		if scanErr != nil && strings.Contains(scanErr.Error(), "nested too deeply") {
			return
		}
		if (scanErr == nil) != valid {
			t.Fatalf("scanValue error %v, json.Valid %v", scanErr, valid)
		}
		if !valid {
			return
		}
		var tree any
		if err := json.Unmarshal(data, &tree); err != nil || foldedKey(tree) {
			return
		}

		var got stixObject
		gotErr := decodeObject(data[:end], &got, make(map[string]string))
		var ref jsonObject
		refErr := json.Unmarshal(data, &ref)
		var te *json.UnmarshalTypeError
		if refErr != nil && !errors.As(refErr, &te) {
			t.Fatalf("encoding/json: %v", refErr)
		}
		if (gotErr == nil) != (refErr == nil) {
			t.Fatalf("decodeObject error %v, encoding/json error %v", gotErr, refErr)
		}
		want := stixObject{
			Type: ref.Type, ID: ref.ID, Name: ref.Name, Description: ref.Description,
			Platforms: ref.Platforms, IsSubtechnique: ref.IsSubtechnique, ShortName: ref.ShortName,
			Revoked: ref.Revoked, Deprecated: ref.Deprecated, Aliases: ref.Aliases,
			SoftwareAliases: ref.SoftwareAliases, FirstSeen: ref.FirstSeen, LastSeen: ref.LastSeen,
			TacticRefs: ref.TacticRefs, RelationshipType: ref.RelationshipType,
			SourceRef: ref.SourceRef, TargetRef: ref.TargetRef,
		}
		for _, r := range ref.ExternalReferences {
			want.ExternalReferences = append(want.ExternalReferences, externalReference{r.SourceName, r.ExternalID})
		}
		for _, p := range ref.KillChainPhases {
			want.KillChainPhases = append(want.KillChainPhases, killChainPhase{p.KillChainName, p.PhaseName})
		}
		if !reflect.DeepEqual(emptyToNil(got), emptyToNil(want)) {
			t.Fatalf("decodeObject = %+v\nencoding/json = %+v", got, want)
		}
	})
}

// emptyToNil makes empty slices nil, which encoding/json and decodeObject
// do not agree on and Parse does not care about.
func emptyToNil(o stixObject) stixObject {
	if len(o.ExternalReferences) == 0 {
		o.ExternalReferences = nil
	}
	if len(o.KillChainPhases) == 0 {
		o.KillChainPhases = nil
	}
	for _, s := range []*[]string{&o.Platforms, &o.Aliases, &o.SoftwareAliases, &o.TacticRefs} {
		if len(*s) == 0 {
			*s = nil
		}
	}
	return o
}
