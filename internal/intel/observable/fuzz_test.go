package observable

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNormalize checks that normalisation never panics, that what it
// returns is stable (normalising a normalised value gives it back) and
// that every key it produces parses back into its observable.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Evil.Example.", "hxxp://evil[.]example/a?b=%7e", "203.0.113.7/24", "::ffff:1.2.3.4",
		"Bücher.example", "a@B.example", "d41d8cd98f00b204e9800998ecf8427e", "[2001:db8::1]:443", "http://[::1", "xn--", "%zz"} {
		for _, k := range []string{"ip", "domain", "url", "email", "hash", "text"} {
			f.Add(k, s)
		}
	}
	f.Fuzz(func(t *testing.T, typ, value string) {
		kind, _ := KindOf(typ)
		o, err := Normalize(kind, value)
		if err == nil {
			if o.Value == "" {
				t.Fatalf("Normalize(%q, %q) = empty value", typ, value)
			}
			if IsKnown(o.Kind) {
				again, err := Normalize(o.Kind, o.Value)
				if err != nil || again != o {
					t.Fatalf("Normalize(%q, %q) = %v, which normalises to %v, %v", typ, value, o, again, err)
				}
				if !utf8.ValidString(o.Value) || strings.ContainsAny(o.Value, " \t\n") && o.Kind != URL {
					t.Fatalf("Normalize(%q, %q) = %q: not a clean value", typ, value, o.Value)
				}
			}
			if back, ok := ParseKey(o.Key()); !ok || back != o {
				t.Fatalf("ParseKey(%q) = %v, %v", o.Key(), back, ok)
			}
		}
		Candidates(typ, value, Prefixes{V4: []int{8, 16, 24}, V6: []int{32, 64}}, func(c Observable) {
			if c.Value == "" {
				t.Fatalf("Candidates(%q, %q) produced an empty value", typ, value)
			}
		})
	})
}
