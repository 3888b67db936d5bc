package training_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
	"github.com/watchfloor/watchfloor/internal/training"
)

// everyFact is a store whose CaseOutcomes hands over every field of the
// facts, as DayFacts reads them day by day.
type everyFact struct{ *store.Store }

func (s everyFact) CaseOutcomes(ctx context.Context, fromDay, toDay int64, fn func(*kpi.Facts)) error {
	d := time.Date(int(fromDay/10000), time.Month(fromDay/100%100), int(fromDay%100), 0, 0, 0, 0, time.UTC)
	for {
		n := int64(d.Year()*10000 + int(d.Month())*100 + d.Day())
		if n >= toDay {
			return nil
		}
		if err := s.DayFacts(ctx, n, fn); err != nil {
			return err
		}
		d = d.AddDate(0, 0, 1)
	}
}

// TestAssessReadsOutcomesOnly checks that the assessment built from the
// part of the facts CaseOutcomes reads is the one built from every field,
// on the demo SOC, on both engines: Build reads no field CaseOutcomes
// leaves zero.
func TestAssessReadsOutcomesOnly(t *testing.T) {
	end := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	cfg := demo.Config{End: end, Days: 35, AlertsPerDay: 300}.WithDefaults()
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		demotest.Ingest(t, st, cfg, nil)
		opt := training.Options{At: end, Certifications: true}
		got, err := training.Assess(context.Background(), st, opt)
		if err != nil {
			t.Fatal(err)
		}
		want, err := training.Assess(context.Background(), everyFact{st}, opt)
		if err != nil {
			t.Fatal(err)
		}
		resolved := 0
		for _, a := range got.Analysts {
			resolved += a.Resolved
		}
		if resolved == 0 {
			t.Fatal("no analyst resolved a case in the history: the test would not see a difference")
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("assessment from case outcomes differs from the one from every fact:\n got %s\nwant %s", g, w)
		}
	})
}
