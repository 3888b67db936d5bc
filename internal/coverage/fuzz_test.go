package coverage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"testing/fstest"

	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/model"
)

// The fuzzers start from the seed corpus in testdata/fuzz (small rules and
// layers, one per shape the parsers read) and the f.Add seeds below:
//
//	go test -run '^$' -fuzz '^FuzzParseSigma$' -fuzztime 30s ./internal/coverage
//	go test -run '^$' -fuzz '^FuzzParseSplunk$' -fuzztime 30s ./internal/coverage
//	go test -run '^$' -fuzz '^FuzzReadLayer$' -fuzztime 30s ./internal/coverage
//	go test -run '^$' -fuzz '^FuzzRead$' -fuzztime 30s ./internal/coverage

// checkRule checks what a parser may return: a rule with its key, known
// status, techniques in ATT&CK ID form.
func checkRule(t *testing.T, r model.Rule, err error) {
	t.Helper()
	if err != nil {
		return
	}
	if r.ExternalID == "" || r.Source == "" || r.Name == "" && r.Source != coverage.FormatNative {
		t.Fatalf("rule without key: %+v", r)
	}
	if _, perr := model.ParseRuleStatus(r.Status); perr != nil {
		t.Fatalf("status %q", r.Status)
	}
	for _, id := range r.Techniques {
		if len(id) != 5 && len(id) != 9 || id[0] != 'T' {
			t.Fatalf("technique %q", id)
		}
	}
}

func FuzzParseSigma(f *testing.F) {
	cat := catalog(f)
	f.Add([]byte(sigmaRule))
	f.Add([]byte("title: t\nid: x\ntags: [attack.t1003, attack.credential-access]\ndetection: {a: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := coverage.ParseSigma(cat, data)
		checkRule(t, r, err)
	})
}

func FuzzParseSplunk(f *testing.F) {
	cat := catalog(f)
	f.Add([]byte(splunkDetection))
	f.Add([]byte("name: n\nid: i\nsearch: s\nrba: {risk_objects: [{score: 50}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := coverage.ParseSplunk(cat, data)
		checkRule(t, r, err)
	})
}

// FuzzRead reads one file of each name kind through the folder reader
// (format detection, native records).
func FuzzRead(f *testing.F) {
	cat := catalog(f)
	f.Add("r.yml", []byte(sigmaRule))
	f.Add("r.ndjson", []byte(`{"record":"rule","source":"s","external_id":"N1","techniques":["T1047"],"status":"test"}`))
	f.Add("r.json", []byte(`[{"source":"s","external_id":"N4","tactics":["discovery"]}]`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if name == "" || name == "." || len(name) > 64 {
			return
		}
		l, err := coverage.Read(context.Background(), cat, fstest.MapFS{"d/" + name: {Data: data}}, "")
		if err != nil {
			return
		}
		for _, r := range l.Rules {
			checkRule(t, r.Rule, nil)
			if r.Hash == "" || r.Path == "" {
				t.Fatalf("rule without path or hash: %+v", r)
			}
		}
	})
}

// FuzzReadLayer checks that a layer ReadLayer accepts validates and
// survives being written and read again unchanged.
func FuzzReadLayer(f *testing.F) {
	f.Add([]byte(`{"name":"x","domain":"enterprise-attack","versions":{"layer":"4.5","navigator":"5.1.0"},"techniques":[{"techniqueID":"T1059","score":3,"metadata":[{"divider":true}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := coverage.ReadLayer(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := coverage.ValidateLayer(l); err != nil {
			t.Fatalf("accepted layer does not validate: %v", err)
		}
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		l2, err := coverage.ReadLayer(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("written layer not read back: %v", err)
		}
		b2, _ := json.Marshal(l2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("layer changed:\n%s\n%s", b, b2)
		}
	})
}
