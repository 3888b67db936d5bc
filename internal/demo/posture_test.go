package demo

import (
	"context"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/posture"
)

// TestGeneratePosture checks the demo's posture history: deterministic,
// nothing dated at or after End, remediated findings closed after they
// opened, and open and overdue findings of every urgent severity.
func TestGeneratePosture(t *testing.T) {
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	cfg := Config{Seed: 3, End: end, Days: 90, AlertsPerDay: 100, Analysts: 6}
	gen := func() []model.Finding {
		var out []model.Finding
		if err := GeneratePosture(context.Background(), cfg, func(r record.Record) error {
			if r.Finding == nil || r.Err != nil {
				t.Fatalf("%s: %+v", r.Loc, r)
			}
			out = append(out, *r.Finding)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := gen(), gen()
	if len(a) != len(b) || len(a) < 40+2*90 || len(a) > 40+7*90 {
		t.Fatalf("%d and %d findings", len(a), len(b))
	}
	ids := map[string]bool{}
	for i, f := range a {
		if f.ExternalID != b[i].ExternalID || f.Status != b[i].Status || !f.LastSeenAt.Equal(b[i].LastSeenAt) {
			t.Fatalf("finding %d differs between runs", i)
		}
		if ids[f.ExternalID] {
			t.Fatalf("duplicate id %s", f.ExternalID)
		}
		ids[f.ExternalID] = true
		if !f.FirstSeenAt.Before(end) || !f.LastSeenAt.Before(end) || f.LastSeenAt.Before(f.FirstSeenAt) || f.ResourceName == "" {
			t.Fatalf("finding %+v", f)
		}
	}
	r := posture.Compute(a, posture.Query{From: end.AddDate(0, 0, -90), To: end})
	if r.PastSLA["critical"] == 0 || r.PastSLA["high"] == 0 || len(r.MTTR) < 4 || r.Open == 0 || r.Open == len(a) {
		t.Fatalf("posture of the demo: %+v", r)
	}
}
