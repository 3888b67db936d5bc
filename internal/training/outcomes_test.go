package training_test

import (
	"context"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
	"github.com/watchfloor/watchfloor/internal/training"
)

// TestCaseOutcomesAreTheFacts checks that the outcomes the assessment
// reads (Store.CaseOutcomes, one range query) are the case facts' fields
// day by day as DayFacts reads them, on the demo SOC, on both engines, and
// that the assessment over them has resolved cases to show.
func TestCaseOutcomesAreTheFacts(t *testing.T) {
	end := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	cfg := demo.Config{End: end, Days: 35, AlertsPerDay: 300}.WithDefaults()
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		demotest.Ingest(t, st, cfg, nil)
		as, err := training.Assess(ctx, st, training.Options{At: end, Certifications: true})
		if err != nil {
			t.Fatal(err)
		}
		resolved := 0
		for _, a := range as.Analysts {
			resolved += a.Resolved
		}
		if resolved == 0 {
			t.Fatal("no analyst resolved a case in the history")
		}
		from, to := end.AddDate(0, 0, -28), end
		got, err := st.CaseOutcomes(ctx, 20260202, 20260302)
		if err != nil {
			t.Fatal(err)
		}
		var want []store.CaseOutcome
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			if err := st.DayFacts(ctx, int64(d.Year()*10000+int(d.Month())*100+d.Day()), func(f *kpi.Facts) {
				want = append(want, store.CaseOutcome{CaseID: f.CaseID, Analyst: f.Analyst, Priority: f.Priority, Excluded: f.Excluded,
					Created: f.Created, Resolve: f.Resolve, SLAResolve: f.SLAResolve})
			}); err != nil {
				t.Fatal(err)
			}
		}
		if len(want) == 0 || len(got) != len(want) {
			t.Fatalf("%d outcomes, want %d", len(got), len(want))
		}
		resolvedOutcomes, judged := 0, 0
		for i := range want {
			g, w := got[i], want[i]
			if g.CaseID != w.CaseID || g.Analyst != w.Analyst || g.Priority != w.Priority || g.Excluded != w.Excluded ||
				!g.Created.Equal(w.Created) || !g.Resolve.Equal(w.Resolve) || g.SLAResolve != w.SLAResolve {
				t.Fatalf("outcome %d: %+v, want %+v", i, g, w)
			}
			if !w.Resolve.IsZero() {
				resolvedOutcomes++
			}
			if w.SLAResolve != "" {
				judged++
			}
		}
		if resolvedOutcomes == 0 || judged == 0 {
			t.Fatalf("%d resolved, %d with a resolve SLA status: the comparison would not see those fields", resolvedOutcomes, judged)
		}
	})
}
