package stix

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

// FuzzParse checks that no input makes Parse fail as a whole or panic, and
// that every record is one item or a rejection, located in the input, and
// every indicator has normalised values to match.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"type":"bundle","id":"bundle--1","objects":[{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '198.51.100.1']","valid_from":"2024-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"more":true,"next":"2","objects":[{"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--2"},{"type":"malware","id":"malware--2","name":"Poison Ivy"}]}`))
	f.Add([]byte(`[{"type":"intrusion-set","id":"intrusion-set--1","name":"X","aliases":["Y"],"external_references":[{"source_name":"mitre-attack","external_id":"G0001"}]}]`))
	f.Add([]byte(`{"type":"indicator","id":"indicator--x","pattern":"([file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c'] OR [url:value = 'hxxp://a[.]b/c']) WITHIN 10 SECONDS","confidence":101}`))
	f.Add([]byte(`{"type":"location","id":"location--1","country":"DE"}` + "\n" + `{"type":"identity","id":"identity--1","name":"b","sectors":["financial-services"]}`))
	f.Add([]byte(`{"type":"indicator","id":"indicator--2","pattern":"[domain-name:value = 'a' AND`))
	f.Add([]byte(`[1, "x", null, {"type": 3}]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		Detect(data)
		err := Parser{}.Parse(context.Background(), bytes.NewReader(data), "fuzz", func(r record.Record) error {
			if !strings.HasPrefix(r.Loc, "fuzz:") {
				t.Errorf("location %q does not name the input", r.Loc)
			}
			n := 0
			if r.Err != nil {
				n++
			}
			if r.Threat != nil {
				n++
				if r.Threat.Name == "" || r.Threat.ExternalID == "" {
					t.Errorf("%s: threat without a name or id: %+v", r.Loc, r.Threat)
				}
			}
			if r.Relation != nil {
				n++
			}
			if in := r.Indicator; in != nil {
				n++
				if len(in.Observables) == 0 || in.ExternalID == "" {
					t.Errorf("%s: indicator without values or id: %+v", r.Loc, in)
				}
				for _, o := range in.Observables {
					if o.Kind == "" || o.Value == "" {
						t.Errorf("%s: empty observable %+v", r.Loc, o)
					}
				}
			}
			if n != 1 {
				t.Errorf("%s: record holds %d items and errors, want 1", r.Loc, n)
			}
			return nil
		})
		if err != nil {
			t.Errorf("Parse failed as a whole: %v", err)
		}
	})
}

// FuzzParsePattern checks that patterns never panic or loop, and that
// what parses yields comparisons with object paths.
func FuzzParsePattern(f *testing.F) {
	for _, p := range []string{`[ipv4-addr:value = '1.2.3.4']`, `[file:hashes.'SHA-256' = 'aa' AND file:name = 'x'] OR [url:value IN ('a','b')]`,
		`([a:b = 'c'] FOLLOWEDBY [d:e != 'f']) WITHIN 5 SECONDS REPEATS 2 TIMES`, `[x:y[*].z MATCHES '^a' ]`, `[a:b = 'it\'s']`,
		`[a:b = t'2020-01-01T00:00:00Z'] START t'2020' STOP t'2021'`, `(((`, `]`, `'`} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		comps, err := ParsePattern(p)
		if err != nil {
			return
		}
		for _, c := range comps {
			if c.Object == "" || c.Property == "" {
				t.Fatalf("%q gave a comparison without a path: %+v", p, c)
			}
			c.Observable()
		}
	})
}
