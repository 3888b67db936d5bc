package ingest

import (
	"testing"

	"github.com/watchfloor/watchfloor/internal/store"
)

func TestCompareLoc(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"f:999", "f:1000", -1},
		{"f:1000", "f:999", 1},
		{"f:12", "f:12", 0},
		{"f:012", "f:12", 0},
		{"f:$[9].cases[10]", "f:$[10]", -1},
		{"f:$[3].cases[10]", "f:$[3].cases[9]", 1},
		{"f:$[3]", "f:$[3].cases[0]", -1},
		{"f:#2", "f:#10", -1},
		{"a.json:5", "b.json:1", -1},
		{"f:1", "", 1},
		{"", "", 0},
	}
	for _, tt := range tests {
		if got := compareLoc(tt.a, tt.b); got != tt.want {
			t.Errorf("compareLoc(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLastLocIsTheLastRecord(t *testing.T) {
	p := &pending{locs: map[store.Kind][]string{
		store.KindAlert: {"alerts.ndjson:998", "alerts.ndjson:999"},
		store.KindCase:  {"alerts.ndjson:1000"},
		store.KindEvent: {"alerts.ndjson:5"},
	}}
	if got := lastLoc(p); got != "alerts.ndjson:1000" {
		t.Errorf("last location %q, want alerts.ndjson:1000", got)
	}
}
