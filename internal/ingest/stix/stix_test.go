package stix

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/shareddata"
)

func parse(t *testing.T, p Parser, input string) []record.Record {
	t.Helper()
	var out []record.Record
	if err := p.Parse(context.Background(), strings.NewReader(input), "in", func(r record.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return out
}

// taxiiCollection returns the objects of one collection of the TAXII
// server's test data.
func taxiiCollection(t *testing.T, id string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(shareddata.Path(t, "taxii", "default_data.json"))
	if err != nil {
		t.Fatal(err)
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(b, &data); err != nil {
		t.Fatal(err)
	}
	var root struct {
		Collections []struct {
			ID      string            `json:"id"`
			Objects []json.RawMessage `json:"objects"`
		} `json:"collections"`
	}
	if err := json.Unmarshal(data["trustgroup1"], &root); err != nil {
		t.Fatal(err)
	}
	for _, c := range root.Collections {
		if c.ID == id {
			return c.Objects
		}
	}
	t.Fatalf("collection %s not in the TAXII test data", id)
	return nil
}

// TestTAXIIObjects reads the TAXII test data's indicator collection as an
// envelope and checks each object against an independent reading.
func TestTAXIIObjects(t *testing.T) {
	objs := taxiiCollection(t, "91a7b528-80eb-42ed-a74d-c6fbd5a26116")
	// The independent walk: object types as the file states them.
	types := map[string]int{}
	for _, o := range objs {
		var h struct {
			Type string `json:"type"`
		}
		json.Unmarshal(o, &h)
		types[h.Type]++
	}
	if types["indicator"] != 4 || types["malware"] != 2 || types["relationship"] != 1 || types["marking-definition"] != 1 {
		t.Fatalf("test data changed: %v", types)
	}
	env, _ := json.Marshal(map[string]any{"more": false, "objects": objs})
	recs := parse(t, Parser{Source: "taxii:test"}, string(env))
	var inds []*model.Indicator
	var threats []*model.ThreatObject
	var rels []*model.IntelRelation
	for _, r := range recs {
		switch {
		case r.Err != nil:
			t.Errorf("%s rejected: %v", r.Loc, r.Err)
		case r.Indicator != nil:
			inds = append(inds, r.Indicator)
		case r.Threat != nil:
			threats = append(threats, r.Threat)
		case r.Relation != nil:
			rels = append(rels, r.Relation)
		}
	}
	if len(inds) != types["indicator"] || len(threats) != types["malware"] || len(rels) != types["relationship"] {
		t.Fatalf("got %d indicators, %d threats, %d relations; want %v", len(inds), len(threats), len(rels), types)
	}
	hash := inds[0]
	if hash.ExternalID != "indicator--cd981c25-8042-4166-8945-51178443bdac" || hash.Source != "taxii:test" || hash.Type != "sha256" ||
		len(hash.Observables) != 1 || hash.Observables[0].Value != "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c" ||
		hash.Name != "File hash for Poison Ivy variant" || !hash.Detect || hash.Confidence != model.ConfidenceUnknown ||
		!hash.ValidFrom.Equal(time.Date(2014, 5, 8, 9, 0, 0, 0, time.UTC)) || hash.Labels[0] != "file-hash-watchlist" {
		t.Errorf("hash indicator: %+v", hash)
	}
	// Three versions of one URL indicator, in file order.
	for i, want := range []struct{ url, mod string }{
		{"http://z4z10farb.cn/4712", "2016-11-03T12:30:59Z"},
		{"http://x4z9arb.cn/4712", "2016-12-25T12:30:59.444Z"},
		{"http://x4z9arb.cn/4712", "2017-01-27T13:49:53.935Z"},
	} {
		in := inds[i+1]
		mod, _ := time.Parse(time.RFC3339Nano, want.mod)
		if in.ExternalID != "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e" || in.Observables[0].Key() != "url:"+want.url ||
			!in.Modified.Equal(mod) {
			t.Errorf("url indicator version %d: %s %v %v", i, in.ExternalID, in.Observables, in.Modified)
		}
	}
	if r := rels[0]; r.Type != "indicates" || r.From != hash.ExternalID || r.To != "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec" {
		t.Errorf("relation: %+v", r)
	}
	if m := threats[0]; m.Kind != "malware" || m.Name != "Poison Ivy" || m.Source != "taxii:test" {
		t.Errorf("malware: %+v", m)
	}
}

// TestBadObjects: malformed objects are rejected with their JSON path and
// the reason; the good ones around them are read.
func TestBadObjects(t *testing.T) {
	bundle := `{"type": "bundle", "id": "bundle--1", "objects": [
	 {"type": "marking-definition", "id": "marking-definition--x1", "name": "TLP:AMBER", "definition_type": "tlp", "definition": {"tlp": "amber"}},
	 {"type": "indicator", "id": "indicator--a", "spec_version": "2.1", "pattern": "[ipv4-addr:value = '203.0.113.5'", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
	 {"type": "indicator", "id": "indicator--b", "pattern": "[domain-name:value = 'evil.example']", "confidence": "high"},
	 {"type": "indicator", "pattern": "[domain-name:value = 'noid.example']"},
	 "not an object",
	 {"type": "indicator", "id": "indicator--c", "pattern": "[domain-name:value = 'Evil[.]Example']", "confidence": 80,
	  "object_marking_refs": ["marking-definition--x1"], "valid_from": "2024-01-01T00:00:00Z", "valid_until": "2024-02-01T00:00:00Z", "revoked": true},
	 {"type": "indicator", "id": "indicator--d", "pattern": "[ipv4-addr:value = '300.1.1.1']"},
	 {"type": "indicator", "id": "indicator--e", "pattern": "[file:size > 10]"},
	 {"type": "indicator", "id": "indicator--f", "pattern": "rule x {}", "pattern_type": "yara"},
	 {"type": "indicator", "id": "indicator--g", "pattern": "[url:value = 'http://a.example/']", "valid_from": "yesterday"},
	 {"type": "intrusion-set", "id": "intrusion-set--h", "name": "Example Spider", "aliases": ["EXAMPLE SPIDER", "Spider Group"],
	  "primary_motivation": "financial-gain", "external_references": [{"source_name": "mitre-attack", "external_id": "g9999", "url": "https://attack.mitre.org/groups/G9999"}]},
	 {"type": "location", "id": "location--i", "country": "DE"},
	 {"type": "identity", "id": "identity--j", "name": "Banks", "identity_class": "class", "sectors": ["financial-services"]},
	 {"type": "relationship", "id": "relationship--k", "relationship_type": "targets", "source_ref": "intrusion-set--h"},
	 {"type": "report", "id": "report--l", "name": "skipped"}
	]}`
	recs := parse(t, Parser{}, bundle)
	got := map[string]string{}
	for _, r := range recs {
		switch {
		case r.Err != nil:
			got[r.Loc] = "reject: " + r.Err.Error()
		case r.Indicator != nil:
			got[r.Loc] = "indicator " + r.Indicator.ExternalID
		case r.Threat != nil:
			got[r.Loc] = r.Threat.Kind + " " + r.Threat.Name
		case r.Relation != nil:
			got[r.Loc] = "relation"
		}
	}
	want := map[string]string{
		"in:$.objects[1]":  `reject: indicator--a: pattern "[ipv4-addr:value = '203.0.113.5'": expected "]", found the end of the pattern`,
		"in:$.objects[2]":  `reject: indicator--b: property "confidence" is a JSON string, not an integer`,
		"in:$.objects[3]":  `reject: indicator has no id of the form indicator--<uuid> (id "")`,
		"in:$.objects[4]":  `reject: a STIX object is a JSON object, not "not an object"`,
		"in:$.objects[5]":  "indicator indicator--c",
		"in:$.objects[6]":  `reject: indicator--d: ipv4-addr:value = "300.1.1.1": "300.1.1.1": not a valid value of its type`,
		"in:$.objects[7]":  `reject: indicator--e: pattern "[file:size > 10]" compares no value for equality; Watchfloor matches values`,
		"in:$.objects[9]":  `reject: indicator--g: valid_from: "yesterday" is not an RFC 3339 timestamp`,
		"in:$.objects[10]": "intrusion-set Example Spider",
		"in:$.objects[11]": "location DE",
		"in:$.objects[12]": "identity Banks",
		"in:$.objects[13]": "reject: relationship--k needs relationship_type, source_ref and target_ref",
	}
	for loc, w := range want {
		if got[loc] != w {
			t.Errorf("%s: got %q, want %q", loc, got[loc], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d records, want %d: %v", len(got), len(want), got)
	}
	for _, r := range recs {
		if r.Indicator != nil {
			in := r.Indicator
			if in.Source != DefaultSource || in.Observables[0].Key() != "domain:evil.example" || in.Confidence != 80 || in.TLP != "amber" ||
				!in.Revoked || in.ValidUntil.Format(time.RFC3339) != "2024-02-01T00:00:00Z" {
				t.Errorf("indicator--c: %+v", in)
			}
		}
		if r.Threat != nil && r.Threat.Kind == "intrusion-set" {
			th := r.Threat
			if len(th.Aliases) != 2 || th.AttackIDs[0] != "G9999" || th.Motivation != "financial-gain" || th.Refs[0] == "" {
				t.Errorf("intrusion set: %+v", th)
			}
		}
	}
}

func TestSyntaxErrorEndsWithLocation(t *testing.T) {
	recs := parse(t, Parser{}, `[{"type": "indicator", "id": "indicator--a", "pattern": "[url:value = 'http://a.example/']"}, {"type": ]`)
	if len(recs) != 2 || recs[0].Indicator == nil || recs[1].Err == nil || recs[1].Loc != "in:$[1]" {
		t.Fatalf("records: %+v", recs)
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]bool{
		`{"type": "bundle", "id": "bundle--1", "objects": []}`:                                        true,
		`{"more": true, "objects": [{"id": "indicator--1", "type": "indicator", "created": "2020"}]}`: true,
		`[{"type": "intrusion-set", "id": "intrusion-set--1", "spec_version": "2.1"}]`:                true,
		`{"record": "alert", "source": "x", "external_id": "1", "title": "indicator--1"}`:             false,
		`{"Event": {"uuid": "x", "Attribute": []}}`:                                                   false,
		`{"class_uid": 2004, "finding_info": {"uid": "indicator--1"}}`:                                false,
	} {
		if got := Detect([]byte(in)); got != want {
			t.Errorf("Detect(%s) = %v, want %v", in, got, want)
		}
	}
}
