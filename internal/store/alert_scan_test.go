package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func TestScanAlertsAndTechniqueSets(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		var als []model.Alert
		for i, techs := range [][]string{{"T1059", "T1059.001"}, nil, {"T1078"}, {"T1059", "T1059.001"}, {"T1566"}} {
			als = append(als, model.Alert{Source: "s", ExternalID: string(rune('a' + i)), Title: "t", CreatedAt: t0.Add(time.Duration(i) * time.Hour),
				Techniques: techs, Entities: []model.Entity{{Type: "ip", Value: "203.0.113.1"}}, Severity: model.SeverityHigh})
		}
		if _, err := st.Apply(ctx, &store.Batch{Alerts: als}); err != nil {
			t.Fatal(err)
		}
		var seen []string
		n, truncated, err := st.ScanAlerts(ctx, t0.Add(time.Hour), t0.Add(10*time.Hour), 10, func(a *model.Alert) bool {
			seen = append(seen, a.ExternalID)
			if a.ID == 0 {
				t.Errorf("scanned alert %s has no id", a.ExternalID)
			}
			if a.Severity != model.SeverityHigh {
				t.Errorf("scanned alert %s severity %v, want high", a.ExternalID, a.Severity)
			}
			if len(a.Entities) == 0 || a.Entities[0].Value != "203.0.113.1" {
				t.Errorf("scanned alert %s entities %v, want 203.0.113.1 first", a.ExternalID, a.Entities)
			}
			return true
		})
		if err != nil || n != 4 || truncated || len(seen) != 4 || seen[0] != "e" || seen[3] != "b" {
			t.Fatalf("scan = %v, %d, %v, %v", seen, n, truncated, err)
		}
		n, truncated, err = st.ScanAlerts(ctx, t0, t0.Add(10*time.Hour), 2, func(*model.Alert) bool { return true })
		if err != nil || n != 2 || !truncated {
			t.Fatalf("capped scan = %d, %v, %v", n, truncated, err)
		}
		n, truncated, err = st.ScanAlerts(ctx, t0, t0.Add(10*time.Hour), 10, func(*model.Alert) bool { return false })
		if err != nil || n != 1 || truncated {
			t.Fatalf("stopped scan = %d, %v, %v", n, truncated, err)
		}

		sets, total, err := st.TechniqueSets(ctx, t0, t0.Add(4*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		// Alerts a..d: a and d share a list, b has none, c has T1078.
		if total != 4 {
			t.Errorf("%d alerts in the window, want 4", total)
		}
		if len(sets) != 2 {
			t.Fatalf("%d technique sets, want 2: %+v", len(sets), sets)
		}
		if len(sets[0].Techniques) == 0 || sets[0].Techniques[0] != "T1059" || sets[0].Alerts != 2 {
			t.Errorf("first set %v on %d alerts, want T1059 first, on 2 alerts (a and d)", sets[0].Techniques, sets[0].Alerts)
		}
		if len(sets[1].Techniques) == 0 || sets[1].Techniques[0] != "T1078" || sets[1].Alerts != 1 {
			t.Errorf("second set %v on %d alerts, want T1078 first, on 1 alert (c)", sets[1].Techniques, sets[1].Alerts)
		}
	})
}

func TestScanAlertEntitiesMatchesScanAlerts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		ents := [][]model.Entity{
			{{Type: "ip", Value: "203.0.113.1"}, {Type: "host", Value: "web-1"}},
			nil, // no entities between two alerts with them: nothing may carry over
			{{Type: "domain", Value: "evil.example", Role: "dst"}},
		}
		var als []model.Alert
		for i, e := range ents {
			als = append(als, model.Alert{Source: "s" + string(rune('0'+i)), ExternalID: string(rune('a' + i)), Title: "t",
				CreatedAt: t0.Add(time.Duration(i) * time.Hour), Entities: e, Disposition: model.DispositionTruePositive})
		}
		if _, err := st.Apply(ctx, &store.Batch{Alerts: als}); err != nil {
			t.Fatal(err)
		}
		var want []store.AlertEntities
		if _, _, err := st.ScanAlerts(ctx, t0, t0.Add(10*time.Hour), 10, func(a *model.Alert) bool {
			want = append(want, store.AlertEntities{ID: a.ID, Source: a.Source, Disposition: a.Disposition, CreatedAt: a.CreatedAt, Entities: a.Entities})
			return true
		}); err != nil {
			t.Fatal(err)
		}
		var got []store.AlertEntities
		n, truncated, err := st.ScanAlertEntities(ctx, t0, t0.Add(10*time.Hour), 10, nil, func(a *store.AlertEntities) bool {
			c := *a
			c.Entities = append([]model.Entity(nil), a.Entities...)
			got = append(got, c)
			return true
		})
		if err != nil || n != 3 || truncated || len(got) != 3 || len(want) != 3 {
			t.Fatalf("scan = %d, %v, %v (%d alerts, want %d)", n, truncated, err, len(got), len(want))
		}
		for i := range want {
			w, g := want[i], got[i]
			if g.ID != w.ID || g.Source != w.Source || g.Disposition != w.Disposition || !g.CreatedAt.Equal(w.CreatedAt) ||
				len(g.Entities) != len(w.Entities) {
				t.Fatalf("alert %d = %+v, want %+v", i, g, w)
			}
			for j := range w.Entities {
				if g.Entities[j] != w.Entities[j] {
					t.Fatalf("alert %d entity %d = %+v, want %+v", i, j, g.Entities[j], w.Entities[j])
				}
			}
		}
		if got[0].Source != "s2" || got[1].Entities != nil && len(got[1].Entities) != 0 || got[2].Entities[1].Value != "web-1" {
			t.Fatalf("scan order or entities wrong: %+v", got)
		}
		// With a wanted type, only alerts that may carry one are decoded;
		// the others are still seen and counted.
		domains := map[int64]int{}
		n, _, err = st.ScanAlertEntities(ctx, t0, t0.Add(10*time.Hour), 10, func(t string) bool { return t == "domain" }, func(a *store.AlertEntities) bool {
			domains[a.ID] = len(a.Entities)
			return true
		})
		if err != nil || n != 3 || domains[want[0].ID] != 1 || domains[want[1].ID] != 0 || domains[want[2].ID] != 0 {
			t.Fatalf("filtered scan: %d alerts, entities decoded per alert %v, %v", n, domains, err)
		}
		if n, truncated, err := st.ScanAlertEntities(ctx, t0, t0.Add(10*time.Hour), 2, nil, func(*store.AlertEntities) bool { return true }); err != nil || n != 2 || !truncated {
			t.Fatalf("capped scan = %d, %v, %v", n, truncated, err)
		}
	})
}
