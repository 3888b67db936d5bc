package store

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/watchfloor/watchfloor/internal/model"
)

// TestJSONTextLikeMarshal: entities and string lists are written byte for
// byte as json.Marshal writes them, for hand-picked awkward text (quotes,
// backslashes, control characters, HTML characters, U+2028, invalid
// UTF-8) and for random strings over those pieces.
func TestJSONTextLikeMarshal(t *testing.T) {
	pieces := []string{"", "a", "T1059.001", `"`, `\`, "\x00", "\x01", "\b", "\f", "\n", "\r", "\t", "\x1f", "\x7f",
		"<", ">", "&", "é", "日本", "\u2028", "\u2029", "\xff", "\xe2\x80", "😀", "\xed\xa0\x80", " ", "/"}
	check := func(es []model.Entity, ss []string) {
		t.Helper()
		want, _ := json.Marshal(es)
		if got := entitiesJSON(es); got != string(want) {
			t.Fatalf("entities %q:\n got %s\nwant %s", es, got, want)
		}
		want, _ = json.Marshal(ss)
		if got := stringsJSON(ss); got != string(want) {
			t.Fatalf("strings %q:\n got %s\nwant %s", ss, got, want)
		}
	}
	for _, p := range pieces {
		check([]model.Entity{{Type: p, Value: p + "x", Role: p}}, []string{p})
	}
	r := rand.New(rand.NewPCG(19, 26))
	word := func() string {
		s := ""
		for range r.IntN(6) {
			s += pieces[r.IntN(len(pieces))]
		}
		return s
	}
	for range 2000 {
		es := make([]model.Entity, 1+r.IntN(3))
		for i := range es {
			es[i] = model.Entity{Type: word(), Value: word(), Role: word()}
		}
		ss := make([]string, 1+r.IntN(3))
		for i := range ss {
			ss[i] = word()
		}
		check(es, ss)
	}
	if n := reflect.TypeFor[model.Entity]().NumField(); n != 3 {
		t.Fatalf("model.Entity has %d fields; entitiesJSON writes type, value and role", n)
	}
	if jsonText([]model.Entity{{Type: "host", Value: "ws-1"}}) != `[{"type":"host","value":"ws-1"}]` ||
		jsonText([]string{"T1110", "T1059"}) != `["T1110","T1059"]` || jsonText([]string(nil)) != "" {
		t.Fatal("jsonText")
	}
}
