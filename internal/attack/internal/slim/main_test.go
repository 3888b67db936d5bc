package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/watchfloor/watchfloor/internal/shareddata"
)

// TestReproducible checks that the embedded catalog is exactly what this
// command makes from the shared original, so it can be regenerated.
func TestReproducible(t *testing.T) {
	in := shareddata.Path(t, "attack", "enterprise-attack-18.1-slim.json.gz")
	out := filepath.Join(t.TempDir(), "enterprise-attack.json.gz")
	if err := run(in, out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../enterprise-attack.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("slim made %d bytes that differ from the %d embedded ones; run go generate in internal/attack", len(got), len(want))
	}
}

func TestSlim(t *testing.T) {
	raw := []byte(`{"type": "bundle", "id": "bundle--1", "spec_version": "2.0", "objects": [
{"type": "relationship", "id": "relationship--2", "created": "2020-01-01T00:00:00Z", "relationship_type": "uses", "source_ref": "intrusion-set--1", "target_ref": "attack-pattern--1"},
{"type": "relationship", "id": "relationship--1", "relationship_type": "uses", "source_ref": "intrusion-set--1", "target_ref": "attack-pattern--1"},
{"type": "relationship", "id": "relationship--3", "relationship_type": "detects", "source_ref": "x-mitre-detection-strategy--1", "target_ref": "attack-pattern--1"},
{"type": "relationship", "id": "relationship--4", "relationship_type": "uses", "source_ref": "intrusion-set--1", "target_ref": "attack-pattern--gone"},
{"type": "x-mitre-data-source", "id": "x-mitre-data-source--1", "name": "Pod", "x_mitre_platforms": 5},
{"type": "attack-pattern", "id": "attack-pattern--1", "created": "2020-01-01T00:00:00Z", "name": "<T>", "revoked": false, "x_mitre_version": "1.0",
 "external_references": [{"source_name": "capec", "external_id": "CAPEC-1"}, {"source_name": "mitre-attack", "external_id": "T1", "url": "https://attack.mitre.org/techniques/T1"}]},
{"type": "intrusion-set", "id": "intrusion-set--1", "name": "G", "aliases": ["G", "H"], "x_mitre_deprecated": true, "external_references": [{"source_name": "mitre-attack", "external_id": "G1"}]}
]}`)
	b, err := readBundle(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	objects, rels, err := slim(b.Objects)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeBundle(&buf, b, objects, rels); err != nil {
		t.Fatal(err)
	}
	want := `{"type":"bundle","id":"bundle--1","spec_version":"2.0","objects":[
{"type":"attack-pattern","id":"attack-pattern--1","name":"<T>","external_references":[{"source_name":"mitre-attack","external_id":"T1"}]},
{"type":"intrusion-set","id":"intrusion-set--1","name":"G","external_references":[{"source_name":"mitre-attack","external_id":"G1"}],"aliases":["G","H"],"x_mitre_deprecated":true},
{"type":"relationship","relationship_type":"uses","source_ref":"intrusion-set--1","target_ref":"attack-pattern--1"}]}
`
	if buf.String() != want {
		t.Errorf("slim wrote\n%s\nwant\n%s", buf.String(), want)
	}
}
