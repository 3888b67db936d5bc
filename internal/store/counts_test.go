package store_test

import (
	"context"
	"maps"
	"reflect"
	"testing"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// checkCounters compares the counters kept in the write transactions (table
// rows, alerts by source) and the alert arrivals kept at ingest with counts
// of the rows, the arrivals for windows cut mid-quarter, at quarter
// boundaries and inside one quarter.
func checkCounters(t *testing.T, s *store.Store, what string) {
	t.Helper()
	ctx := context.Background()
	tables, sources, err := s.CountRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(kept, tables) {
		t.Fatalf("%s: kept table counts %v, rows %v", what, kept, tables)
	}
	bySource, err := s.AlertsBySource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(bySource, sources) {
		t.Fatalf("%s: kept alerts by source %v, rows %v", what, bySource, sources)
	}
	for _, w := range [][2]string{
		{"2026-02-27T00:00:00Z", "2026-03-07T00:00:00Z"}, {"2026-03-01T07:31:10Z", "2026-03-04T13:07:00Z"},
		{"2026-03-02T18:15:00Z", "2026-03-03T18:44:59Z"}, {"2026-03-02T01:01:00Z", "2026-03-02T01:14:00Z"},
	} {
		got, err := s.WorkloadAlertArrivals(ctx, ts(w[0]), ts(w[1]))
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.WorkloadAlertArrivalsScan(ctx, ts(w[0]), ts(w[1]))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: arrivals %s … %s:\nkept %+v\nrows %+v", what, w[0], w[1], got, want)
		}
	}
}

func dataVersion(t *testing.T, s *store.Store) int64 {
	t.Helper()
	v, err := s.DataVersionNumber(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCountersExact follows the kept counters by hand through ingest, a
// re-ingest, a change of an alert's time and severity, retention and an
// erasure, and the data version through writes and the writes of what is
// kept beside the data, on both engines.
func TestCountersExact(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		v0 := dataVersion(t, s)
		b := &store.Batch{
			Alerts: []model.Alert{
				{Source: "siem", ExternalID: "a1", Severity: model.SeverityHigh, CreatedAt: ts("2026-03-01T08:05:00Z")},
				{Source: "siem", ExternalID: "a2", Severity: model.SeverityHigh, CreatedAt: ts("2026-03-01T08:14:59Z")},
				{Source: "edr", ExternalID: "a3", Severity: model.SeverityLow, CreatedAt: ts("2026-03-03T08:00:00Z")},
				{Source: "edr", ExternalID: "a4", Severity: model.SeverityLow}, // undated: counted, no arrival
			},
			Cases: []model.Case{{Source: "siem", ExternalID: "C1", Title: "c", Priority: model.P2, Stage: model.StageNew,
				Status: "new", Assignee: "alice.w", CreatedAt: ts("2026-03-01T09:00:00Z"), UpdatedAt: ts("2026-03-01T09:00:00Z")}},
		}
		apply(t, s, b)
		counts, err := s.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts["alerts"] != 4 || counts["cases"] != 1 || counts["case_events"] == 0 || counts["findings"] != 0 {
			t.Fatalf("after ingest: %v", counts)
		}
		events := counts["case_events"]
		bySource, _ := s.AlertsBySource(ctx)
		if !maps.Equal(bySource, map[string]int64{"siem": 2, "edr": 2}) {
			t.Fatalf("alerts by source %v", bySource)
		}
		arr, err := s.WorkloadAlertArrivals(ctx, ts("2026-03-01T00:00:00Z"), ts("2026-03-04T00:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		want := []store.ArrivalBucket{{Start: ts("2026-03-01T08:00:00Z"), Priority: model.P2, Count: 2},
			{Start: ts("2026-03-03T08:00:00Z"), Priority: model.P4, Count: 1}}
		if !reflect.DeepEqual(arr, want) {
			t.Fatalf("arrivals %+v, want %+v", arr, want)
		}
		checkCounters(t, s, "after ingest")
		v1 := dataVersion(t, s)
		if v1 <= v0 {
			t.Fatalf("data version %d after an ingest, %d before", v1, v0)
		}

		apply(t, s, b) // re-ingested unchanged: the same counts
		checkCounters(t, s, "after a re-ingest")
		if c, _ := s.Counts(ctx); c["alerts"] != 4 || c["case_events"] != events {
			t.Fatalf("after a re-ingest: %v", c)
		}

		// a2 moves to the next quarter hour and turns critical.
		moved := b.Alerts[1]
		moved.CreatedAt, moved.Severity = ts("2026-03-01T08:15:00Z"), model.SeverityCritical
		apply(t, s, &store.Batch{Alerts: []model.Alert{moved}})
		arr, _ = s.WorkloadAlertArrivals(ctx, ts("2026-03-01T08:00:00Z"), ts("2026-03-01T08:30:00Z"))
		want = []store.ArrivalBucket{{Start: ts("2026-03-01T08:00:00Z"), Priority: model.P2, Count: 1},
			{Start: ts("2026-03-01T08:15:00Z"), Priority: model.P1, Count: 1}}
		if !reflect.DeepEqual(arr, want) {
			t.Fatalf("arrivals after the change %+v, want %+v", arr, want)
		}
		checkCounters(t, s, "after a change")

		// Retention removes a1 and a2 (before 2 March, in no case).
		pruned, err := s.PruneAlerts(ctx, ts("2026-03-02T00:00:00Z"), false)
		if err != nil || pruned.Alerts != 2 {
			t.Fatalf("pruned %+v, %v", pruned, err)
		}
		bySource, _ = s.AlertsBySource(ctx)
		if !maps.Equal(bySource, map[string]int64{"edr": 2}) {
			t.Fatalf("alerts by source after retention %v", bySource)
		}
		checkCounters(t, s, "after retention")

		v2 := dataVersion(t, s)
		if _, err := s.Erase(ctx, store.Erasure{Value: "alice.w", Type: "user", Token: "[erased user 1]"}); err != nil {
			t.Fatal(err)
		}
		checkCounters(t, s, "after an erasure")
		v3 := dataVersion(t, s)
		if v3 <= v2 {
			t.Fatalf("data version %d after an erasure, %d before", v3, v2)
		}
		// What is kept beside the data leaves the version as it is.
		if _, err := s.RefreshFacts(ctx); err != nil {
			t.Fatal(err)
		}
		if v := dataVersion(t, s); v != v3 {
			t.Fatalf("data version %d after refreshing case facts, want %d", v, v3)
		}
		if err := s.SetSetting(ctx, "org_profile", `{"name":"x"}`); err != nil {
			t.Fatal(err)
		}
		if v := dataVersion(t, s); v <= v3 {
			t.Fatalf("data version %d after a setting, want more than %d", v, v3)
		}

		// A rebuild recounts from the rows: still equal.
		if _, err := s.RebuildAlertRollups(ctx); err != nil {
			t.Fatal(err)
		}
		checkCounters(t, s, "after a rebuild")
	})
}
