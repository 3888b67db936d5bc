package misp

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/shareddata"
)

func collect(t *testing.T, parse func(context.Context, *strings.Reader, record.Emit) error, input string) []record.Record {
	t.Helper()
	var out []record.Record
	if err := parse(context.Background(), strings.NewReader(input), func(r record.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return out
}

func parseEvents(p Parser) func(context.Context, *strings.Reader, record.Emit) error {
	return func(ctx context.Context, r *strings.Reader, emit record.Emit) error {
		return p.Parse(ctx, r, "in", emit)
	}
}

// TestRealFeed reads every event file of the shared MISP feed and checks
// the indicators against an independent walk of the files.
func TestRealFeed(t *testing.T) {
	dir := shareddata.Path(t, "misp-feed")
	var manifest map[string]json.RawMessage
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*-*-*-*-*.json"))
	if len(files) != len(manifest) {
		t.Fatalf("%d event files, %d manifest entries", len(files), len(manifest))
	}
	// Independent walk: attributes, those with to_ids, and url values.
	type want struct{ attrs, toIDs int }
	var w want
	byUUID := map[string]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Event struct {
				Attribute []map[string]any `json:"Attribute"`
				Object    []struct {
					Attribute []map[string]any `json:"Attribute"`
				} `json:"Object"`
			} `json:"Event"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		attrs := doc.Event.Attribute
		for _, o := range doc.Event.Object {
			attrs = append(attrs, o.Attribute...)
		}
		for _, a := range attrs {
			w.attrs++
			if a["to_ids"] == true {
				w.toIDs++
			}
			byUUID[a["uuid"].(string)] = a
		}
	}
	t.Logf("shared MISP feed: %d events, %d attributes, %d with to_ids", len(files), w.attrs, w.toIDs)
	var got want
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, r := range collect(t, parseEvents(Parser{}), string(b)) {
			if r.Err != nil {
				t.Errorf("%s: %s rejected: %v", filepath.Base(f), r.Loc, r.Err)
				continue
			}
			in := r.Indicator
			if in == nil {
				t.Errorf("%s: unexpected record %+v", r.Loc, r)
				continue
			}
			got.attrs++
			if in.Detect {
				got.toIDs++
			}
			a := byUUID[in.ExternalID]
			if a == nil || in.Value != a["value"] || in.Source != "misp:chrome-mal-ids" || in.TLP != "clear" || in.Description != a["comment"] {
				t.Fatalf("%s: indicator %+v does not match attribute %v", r.Loc, in, a)
			}
			ts := a["timestamp"].(string)
			if in.Modified.Format("2006-01-02") == "0001-01-01" || ts == "" || in.Modified.Unix() != mustInt(t, ts) {
				t.Fatalf("%s: modified %v, timestamp %s", r.Loc, in.Modified, ts)
			}
			switch a["type"] {
			case "url":
				u, err := observable.NormalizeURL(a["value"].(string))
				if in.Type != "url" || err != nil || in.Observables[0].Value != u || in.Detect {
					t.Fatalf("%s: url attribute as %v", r.Loc, in.Observables)
				}
			case "text":
				if in.Type != "text" || !in.Detect || in.Observables[0].Value != a["value"] {
					t.Fatalf("%s: text attribute as %v", r.Loc, in.Observables)
				}
			}
		}
	}
	if got != w {
		t.Fatalf("parsed %+v, the files hold %+v", got, w)
	}
}

func mustInt(t *testing.T, s string) int64 {
	var n int64
	for _, c := range s {
		n = n*10 + int64(c-'0')
	}
	return n
}

// TestBadEvent: an attribute of an unknown type or with an invalid value
// is rejected with its path; the event's other attributes are read.
func TestBadEvent(t *testing.T) {
	ev := `{"Event": {"uuid": "e1", "info": "Test event", "timestamp": "1700000000", "Orgc": {"name": "CIRCL"},
	  "Tag": [{"name": "tlp:amber"}, {"name": "misp-galaxy:threat-actor=\"Sofacy\""}],
	  "Galaxy": [{"type": "threat-actor", "GalaxyCluster": [{"uuid": "c1", "value": "Sofacy", "meta": {"synonyms": ["APT28", "G0007"], "country": "RU"}}]}],
	  "Attribute": [
	    {"uuid": "a1", "type": "ip-dst", "value": "198.51.100.7", "to_ids": true, "timestamp": "1700000001",
	     "Tag": [{"name": "estimative-language:confidence-in-analytic-judgment=\"high\""}]},
	    {"uuid": "a2", "type": "not-a-misp-type", "value": "x", "to_ids": true},
	    {"uuid": "a3", "type": "domain", "value": "bad domain", "to_ids": "1"},
	    {"uuid": "a4", "type": "filename|sha256", "value": "dropper.exe|E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "to_ids": "1", "deleted": true},
	    {"uuid": "a5", "type": "domain|ip", "value": "evil[.]example|203.0.113.9", "to_ids": 0, "first_seen": "2023-11-01T10:00:00.000000+00:00"},
	    {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"},
	    {"uuid": "a7", "type": "ip-src", "value": "198.51.100.8", "to_ids": "maybe"}
	  ],
	  "Object": [{"name": "file", "Attribute": [{"uuid": "o1", "type": "sha1", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709", "to_ids": true}]}]
	}}`
	recs := collect(t, parseEvents(Parser{}), ev)
	got := map[string]string{}
	var inds []*model.Indicator
	rels := 0
	for _, r := range recs {
		switch {
		case r.Err != nil:
			got[r.Loc] = r.Err.Error()
		case r.Indicator != nil:
			inds = append(inds, r.Indicator)
		case r.Threat != nil:
			if r.Threat.Name != "Sofacy" || r.Threat.Country != "RU" || r.Threat.AttackIDs[0] != "G0007" || r.Threat.Aliases[0] != "APT28" {
				t.Errorf("cluster: %+v", r.Threat)
			}
		case r.Relation != nil:
			rels++
			if r.Relation.To != "name:Sofacy" || r.Relation.Type != "indicates" {
				t.Errorf("relation %+v", r.Relation)
			}
		}
	}
	wantRejects := map[string]string{
		"in:$.Event.Attribute[1]": `attribute a2: unknown MISP attribute type "not-a-misp-type"`,
		"in:$.Event.Attribute[2]": `attribute a3: domain value: "bad domain": not a valid value of its type (character ' ')`,
		"in:$.Event.Attribute[5]": `attribute without uuid: no uuid`,
		"in:$.Event.Attribute[6]": `attribute: "maybe" is not a boolean`,
	}
	for loc, w := range wantRejects {
		if got[loc] != w {
			t.Errorf("%s: got %q, want %q", loc, got[loc], w)
		}
	}
	if len(got) != len(wantRejects) || len(inds) != 4 || rels != 4 {
		t.Fatalf("rejects %v, %d indicators, %d relations", got, len(inds), rels)
	}
	a1, a4, a5, o1 := inds[0], inds[1], inds[2], inds[3]
	if a1.Source != "misp:CIRCL" || a1.Name != "Test event" || a1.TLP != "amber" || a1.Confidence != 85 || !a1.Detect ||
		a1.Modified.Unix() != 1700000001 || a1.Observables[0].Key() != "ip:198.51.100.7" {
		t.Errorf("a1: %+v", a1)
	}
	if !a4.Revoked || a4.Observables[0].Key() != "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("a4: %+v", a4)
	}
	if a5.Detect || len(a5.Observables) != 2 || a5.Observables[0].Key() != "domain:evil.example" || a5.Observables[1].Key() != "ip:203.0.113.9" ||
		!a5.FirstSeen.Equal(time.Date(2023, 11, 1, 10, 0, 0, 0, time.UTC)) || a5.Modified.Unix() != 1700000000 {
		t.Errorf("a5: %+v", a5)
	}
	if o1.ExternalID != "o1" || o1.Type != "sha1" {
		t.Errorf("object attribute: %+v", o1)
	}
}

func TestManifestIsExplained(t *testing.T) {
	recs := collect(t, parseEvents(Parser{}), `{"5e2e6e1a-0000": {"info": "x", "Orgc": {"name": "o"}, "threat_level_id": "1", "timestamp": "1"}}`)
	if len(recs) != 1 || recs[0].Err == nil || !strings.Contains(recs[0].Err.Error(), "intel pull --misp-feed") {
		t.Fatalf("%+v", recs)
	}
}

// TestGalaxyClusters reads the shared galaxy clusters and checks them
// against an independent walk.
func TestGalaxyClusters(t *testing.T) {
	for _, tc := range []struct {
		file, kind string
	}{{"threat-actor.json", model.ThreatActor}, {"ransomware.json", model.ThreatRansomware}} {
		b, err := os.ReadFile(shareddata.Path(t, "misp-galaxy", "clusters", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Values []struct {
				UUID    string                     `json:"uuid"`
				Value   string                     `json:"value"`
				Meta    map[string]json.RawMessage `json:"meta"`
				Related []map[string]any           `json:"related"`
			} `json:"values"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		related := 0
		for _, v := range f.Values {
			related += len(v.Related)
		}
		if !DetectGalaxy(b[:min(len(b), 64<<10)]) || Detect(b[:min(len(b), 64<<10)]) {
			t.Errorf("%s: detection", tc.file)
		}
		recs := collect(t, func(ctx context.Context, r *strings.Reader, emit record.Emit) error {
			return ParseGalaxy(ctx, r, tc.file, emit)
		}, string(b))
		threats, rels := 0, 0
		for _, r := range recs {
			switch {
			case r.Err != nil:
				t.Errorf("%s rejected: %v", r.Loc, r.Err)
			case r.Threat != nil:
				v := f.Values[threats]
				if r.Threat.ExternalID != v.UUID || r.Threat.Name != v.Value || r.Threat.Kind != tc.kind {
					t.Fatalf("%s: %+v, want %s %s", r.Loc, r.Threat, v.UUID, v.Value)
				}
				threats++
			case r.Relation != nil:
				rels++
			}
		}
		t.Logf("%s: %d clusters, %d related entries", tc.file, len(f.Values), related)
		if threats != len(f.Values) || rels != related {
			t.Errorf("%s: %d threats, %d relations; the file holds %d clusters, %d related", tc.file, threats, rels, len(f.Values), related)
		}
	}
}

// TestGalaxyActor checks one well-known actor's fields.
func TestGalaxyActor(t *testing.T) {
	b, err := os.ReadFile(shareddata.Path(t, "misp-galaxy", "clusters", "threat-actor.json"))
	if err != nil {
		t.Fatal(err)
	}
	recs := collect(t, func(ctx context.Context, r *strings.Reader, emit record.Emit) error {
		return ParseGalaxy(ctx, r, "ta", emit)
	}, string(b))
	for _, r := range recs {
		if r.Threat == nil || r.Threat.Name != "APT1" {
			continue
		}
		th := r.Threat
		if th.Country != "CN" || th.AttackIDs[0] != "G0006" || len(th.Victims) != 15 || th.Victims[0] != "United States" ||
			th.Sectors[0] != "Private sector" || th.Motivation != "Espionage" {
			t.Errorf("APT1: %+v", th)
		}
		return
	}
	t.Fatal("APT1 not found")
}
