package metrics_test

import (
	"context"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// techniqueCounts keys technique sets by their JSON text, failing on a
// list seen twice.
func techniqueCounts(t *testing.T, sets []store.TechniqueSet) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, s := range sets {
		k, err := json.Marshal(s.Techniques)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := out[string(k)]; dup {
			t.Fatalf("technique list %s twice in %+v", k, sets)
		}
		out[string(k)] = s.Alerts
	}
	return out
}

// TestTechniqueSets: the engine's per-day technique counts over a window
// of whole New York days equal store.TechniqueSets over the same span, from
// a fresh build, from the stored parts (a new engine), and after an alert
// is added to a built day.
func TestTechniqueSets(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		if err := st.SetTimeZone(ctx, "America/New_York"); err != nil {
			t.Fatal(err)
		}
		loc, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		withTechs := func(a model.Alert, techs ...string) model.Alert {
			a.Techniques = techs
			return a
		}
		FP := model.DispositionFalsePositive
		// New York is UTC-4 in March 2026 after the 8th: local 2026-03-10 is
		// 04:00Z on the 10th to 04:00Z on the 11th.
		mustApply(t, st, &store.Batch{Alerts: []model.Alert{
			withTechs(alert("edr", "a1", "r1", FP, model.SeverityLow, "", "", "2026-03-10T05:00:00Z"), "T1059", "T1059.001"),
			withTechs(alert("edr", "a2", "r1", FP, model.SeverityLow, "", "", "2026-03-10T23:00:00Z"), "T1059", "T1059.001"),
			withTechs(alert("edr", "a3", "r2", FP, model.SeverityLow, "", "", "2026-03-11T03:59:59Z"), "T1078"),
			alert("edr", "a4", "r3", FP, model.SeverityLow, "", "", "2026-03-11T12:00:00Z"),
			withTechs(alert("edr", "a5", "r1", FP, model.SeverityLow, "", "", "2026-03-11T13:00:00Z"), "T1059", "T1059.001"),
			withTechs(alert("edr", "a6", "r4", FP, model.SeverityLow, "", "", "2026-03-12T01:00:00Z"), "T1566.001"),
			// Outside the window: local 2026-03-09 and 2026-03-12.
			withTechs(alert("edr", "x1", "r2", FP, model.SeverityLow, "", "", "2026-03-10T03:59:59Z"), "T1078"),
			withTechs(alert("edr", "x2", "r4", FP, model.SeverityLow, "", "", "2026-03-12T04:00:00Z"), "T1566.001"),
		}})
		w := window("2026-03-10", "2026-03-11", loc)
		check := func(e *metrics.Engine, want map[string]int64, wantTotal int64) {
			t.Helper()
			sets, total, err := e.TechniqueSets(ctx, w)
			if err != nil {
				t.Fatal(err)
			}
			ssets, stotal, err := st.TechniqueSets(ctx, w.From, w.To)
			if err != nil {
				t.Fatal(err)
			}
			got, fromStore := techniqueCounts(t, sets), techniqueCounts(t, ssets)
			if total != wantTotal || stotal != wantTotal || !maps.Equal(got, want) || !maps.Equal(fromStore, want) {
				t.Errorf("engine %v (%d alerts), store %v (%d alerts); want %v (%d alerts)", got, total, fromStore, stotal, want, wantTotal)
			}
			for i := 1; i < len(sets); i++ {
				a, _ := json.Marshal(sets[i-1].Techniques)
				b, _ := json.Marshal(sets[i].Techniques)
				if string(a) >= string(b) {
					t.Errorf("sets out of order: %s before %s", a, b)
				}
			}
		}
		want := map[string]int64{`["T1059","T1059.001"]`: 3, `["T1078"]`: 1, `["T1566.001"]`: 1}
		e := &metrics.Engine{Store: st}
		check(e, want, 6)
		check(&metrics.Engine{Store: st}, want, 6) // from the stored parts
		if rep, err := e.Rules(ctx, w); err != nil || rep.Alerts != 6 {
			t.Fatalf("rules over the built days: %v alerts, %v", rep, err)
		}

		mustApply(t, st, &store.Batch{Alerts: []model.Alert{
			withTechs(alert("siem", "b1", "r5", FP, model.SeverityLow, "", "", "2026-03-11T20:00:00Z"), "T1078"),
		}})
		want[`["T1078"]`] = 2
		check(e, want, 7)
	})
}
