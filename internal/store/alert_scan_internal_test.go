package store

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/model"
)

func isIP(t string) bool { return strings.EqualFold(t, "ip") || strings.EqualFold(t, "ipv4") }

func TestMayHoldType(t *testing.T) {
	for _, c := range []struct {
		name string
		ents string
		want bool
	}{
		{"as stored, a host only", `[{"type":"host","value":"ws-1"}]`, false},
		{"as stored, an ip", `[{"type":"host","value":"ws-1"},{"type":"ip","value":"203.0.113.9","role":"src"}]`, true},
		{"type in another case", `[{"type":"IPv4","value":"203.0.113.9"}]`, true},
		{"the key's text inside a value", `[{"type":"user","value":"x\",\"type\":\"ip"}]`, false},
		{"a brace inside a value", `[{"type":"user","value":"{weird}"}]`, true},
		{"an escaped type", `[{"type":"\u0069p","value":"1.2.3.4"}]`, true},
		{"spaces (another writer)", `[{"type": "host", "value": "ws-1"}]`, true},
		{"another key order", `[{"value":"ws-1","type":"host"}]`, true},
		{"empty list", `[]`, false},
		{"a second type key in another case", `[{"type":"host","tYpe":"ip"}]`, true},
		{"an escaped key", `[{"type":"host","\u0074ype":"ip"}]`, true},
		{"a value that ends like the key", `[{"type":"user","value":"a\"type"}]`, true},
	} {
		if got := mayHoldType([]byte(c.ents), isIP); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// FuzzMayHoldType: the prefilter never says "no" for entities that hold a
// wanted type once decoded. Seeds: testdata/fuzz/FuzzMayHoldType and the
// store's own encoding of a few entity lists.
func FuzzMayHoldType(f *testing.F) {
	for _, es := range [][]model.Entity{{{Type: "host", Value: "ws-1"}}, {{Type: "IP", Value: "1.2.3.4", Role: "src"}},
		{{Type: "user", Value: `a"b{c}\d`}, {Type: "ipv4", Value: "<x>"}}} {
		b, _ := json.Marshal(es)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, ents []byte) {
		var es []model.Entity
		if json.Unmarshal(ents, &es) != nil {
			return
		}
		for _, e := range es {
			if isIP(e.Type) && !mayHoldType(ents, isIP) {
				t.Fatalf("%q holds type %q but the prefilter skips it", ents, e.Type)
			}
		}
	})
}
