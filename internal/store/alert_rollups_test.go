package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi/sketch"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// rollupDays are the local days the rollup tests write alerts on (UTC and
// Asia/Kolkata, +5:30, see TestAlertRollupsKeptEqualRebuilt).
var rollupDays = []int64{20260228, 20260301, 20260302, 20260303, 20260304, 20260305}

// checkRollups compares the kept rollups of every test day with the ones
// computed from the alert rows.
func checkRollups(t *testing.T, s *store.Store, what string) {
	t.Helper()
	checkRollupDays(t, s, what, rollupDays...)
}

// checkRuleVolumes compares the staffing model's rule volumes, read from
// the kept rollups for whole days, with the ones counted from the rows, for
// windows that start and end mid-day, at midnight, and span no whole day.
func checkRuleVolumes(t *testing.T, s *store.Store, what string) {
	t.Helper()
	ctx := context.Background()
	for _, w := range [][2]string{
		{"2026-02-28T00:00:00Z", "2026-03-06T00:00:00Z"}, {"2026-03-01T07:30:00Z", "2026-03-04T13:00:00Z"},
		{"2026-03-02T18:30:00Z", "2026-03-03T18:30:00Z"}, {"2026-03-02T01:00:00Z", "2026-03-02T23:00:00Z"},
		// Ending after the newest alert (the staffing history's end): the
		// last day's rollup stands for its rows.
		{"2026-02-28T00:00:00Z", "2026-03-05T00:00:01Z"}, {"2026-03-01T12:00:00Z", "2026-03-07T09:00:00Z"},
	} {
		got, err := s.WorkloadRuleVolumes(ctx, ts(w[0]), ts(w[1]))
		if err != nil {
			t.Fatal(err)
		}
		want, err := store.WorkloadRuleVolumesScan(ctx, s, ts(w[0]), ts(w[1]))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: rule volumes %s … %s:\nrollups %+v\nrows    %+v", what, w[0], w[1], got, want)
		}
	}
}

func checkRollupDays(t *testing.T, s *store.Store, what string, days ...int64) {
	t.Helper()
	ctx := context.Background()
	for _, d := range days {
		kept, err := s.AlertRollups(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		rebuilt, err := s.ScanAlertRollups(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if len(kept) == 0 && len(rebuilt) == 0 {
			continue
		}
		if !reflect.DeepEqual(kept, rebuilt) {
			t.Fatalf("%s: day %d: kept rollups differ from the rows:\nkept    %+v\nrebuilt %+v", what, d, kept, rebuilt)
		}
	}
}

// TestAlertRollupsExact: three alerts of one rule on one day, by hand: one
// linked high alert with a 20-minute MTTD, one created before it occurred
// (clamped to 0), one without an occurred time; then a change of the second
// (disposition, rule name) and a case that names the third.
func TestAlertRollupsExact(t *testing.T) {
	hi, lo := int64(model.SeverityHigh), int64(model.SeverityLow)
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		apply(t, s, &store.Batch{Alerts: []model.Alert{
			{Source: "siem", ExternalID: "a1", RuleID: "R1", RuleName: "Brute force", Severity: model.SeverityHigh,
				Disposition: model.DispositionTruePositive, CaseExternalID: "C9", Techniques: []string{"T1110"},
				OccurredAt: ts("2026-03-02T10:00:00Z"), CreatedAt: ts("2026-03-02T10:20:00Z")},
			{Source: "siem", ExternalID: "a2", RuleID: "R1", RuleName: "Brute force", Severity: model.SeverityLow,
				OccurredAt: ts("2026-03-02T12:00:05Z"), CreatedAt: ts("2026-03-02T12:00:00Z")},
			{Source: "siem", ExternalID: "a3", RuleID: "R1", RuleName: "Brute force", Severity: model.SeverityLow,
				CreatedAt: ts("2026-03-02T13:00:00Z")},
		}})
		got, err := s.AlertRollups(ctx, 20260302)
		if err != nil {
			t.Fatal(err)
		}
		key := store.AlertRollupKey{Day: 20260302, Source: "siem", RuleID: "R1", RuleName: "Brute force"}
		want := []store.AlertRollup{{AlertRollupKey: key, Alerts: 3, Linked: 1,
			Severity:     map[int64]int64{int64(model.SeverityHigh): 1, int64(model.SeverityLow): 2},
			Dispositions: map[string]int64{"true_positive": 1, "": 2},
			MTTDN:        2, MTTDMicros: 20 * 60 * 1e6, MTTDMissing: 1, MTTDClamped: 1,
			MTTDBins:   map[int64]int64{int64(sketch.Bin(1200)): 1, sketch.ZeroBin: 1},
			Techniques: map[string]int64{`["T1110"]`: 1},
			Joint: map[int64]int64{store.JointKey(hi, store.VerdictTruePositive, true): 1,
				store.JointKey(lo, store.VerdictNone, false): 2}}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("rollups\n got %+v\nwant %+v", got, want)
		}
		apply(t, s, &store.Batch{
			Alerts: []model.Alert{{Source: "siem", ExternalID: "a2", RuleID: "R1", RuleName: "Brute-force", Severity: model.SeverityLow,
				Disposition: model.DispositionFalsePositive, OccurredAt: ts("2026-03-02T12:00:05Z"), CreatedAt: ts("2026-03-02T12:00:00Z")}},
			Cases: []model.Case{{Source: "siem", ExternalID: "C1", Title: "c", Priority: model.P3, Stage: model.StageNew,
				CreatedAt: ts("2026-03-02T13:05:00Z"), UpdatedAt: ts("2026-03-02T13:05:00Z"), AlertExternalIDs: []string{"a3"}}},
		})
		got, err = s.AlertRollups(ctx, 20260302)
		if err != nil {
			t.Fatal(err)
		}
		renamed := key
		renamed.RuleName = "Brute-force"
		want = []store.AlertRollup{
			{AlertRollupKey: key, Alerts: 2, Linked: 2,
				Severity:     map[int64]int64{int64(model.SeverityHigh): 1, int64(model.SeverityLow): 1},
				Dispositions: map[string]int64{"true_positive": 1, "": 1},
				MTTDN:        1, MTTDMicros: 20 * 60 * 1e6, MTTDMissing: 1,
				MTTDBins:   map[int64]int64{int64(sketch.Bin(1200)): 1},
				Techniques: map[string]int64{`["T1110"]`: 1},
				Joint: map[int64]int64{store.JointKey(hi, store.VerdictTruePositive, true): 1,
					store.JointKey(lo, store.VerdictNone, true): 1}},
			{AlertRollupKey: renamed, Alerts: 1, Severity: map[int64]int64{int64(model.SeverityLow): 1},
				Dispositions: map[string]int64{"false_positive": 1}, MTTDN: 1, MTTDClamped: 1,
				MTTDBins: map[int64]int64{sketch.ZeroBin: 1}, Techniques: map[string]int64{},
				Joint: map[int64]int64{store.JointKey(lo, store.VerdictFalsePositive, false): 1}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after the change\n got %+v\nwant %+v", got, want)
		}
		checkRollups(t, s, "exact")
	})
}

// randomAlert is one version of alert k: any rule and name, severity,
// disposition, techniques, case, and times on one of the test days (moved
// late into an earlier day, or undated, or occurring after creation).
func randomAlert(r *rand.Rand, k int) model.Alert {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	created := ts("2026-03-01T00:00:00Z").Add(time.Duration(r.IntN(4*24*60)) * time.Minute)
	al := model.Alert{Source: pick("siem", "edr"), ExternalID: fmt.Sprintf("a%d", k), Title: pick("t1", "t2"),
		RuleID: pick("R1", "R2", "R3"), RuleName: pick("Brute force", "Brute-force", ""),
		Severity:       model.Severity(r.IntN(6)),
		Disposition:    model.Disposition(pick("", "true_positive", "false_positive", "benign_positive")),
		CaseExternalID: pick("", "", "C1", "C2"), CreatedAt: created,
		OccurredAt: created.Add(-time.Duration(r.IntN(7200)) * time.Second)}
	if r.IntN(2) == 0 {
		al.Techniques = []string{pick("T1110", "T1059"), pick("T1021", "T1566")}
	}
	switch r.IntN(8) {
	case 0:
		al.OccurredAt = time.Time{}
	case 1:
		al.OccurredAt = created.Add(time.Minute) // clock skew: clamped
	case 2:
		al.CreatedAt = time.Time{}
	}
	// The source is part of the key: keep one per alert so a change is an
	// update, not another alert.
	al.Source = []string{"siem", "edr"}[k%2]
	return al
}

// TestAlertRollupsKeptEqualRebuilt is the property test: after random
// interleavings of new alerts, changed ones (rule, name, severity,
// disposition, times moved to another day, late arrivals), re-ingested
// unchanged batches, repeated keys within a batch and cases that link
// stored alerts, the rollups kept at ingest equal the ones computed from the
// rows, on both engines (on PostgreSQL through both COPY paths: straight
// into alerts, and staged with ON CONFLICT DO NOTHING); and again after a time-zone change (re-bucketing),
// after RebuildAlertRollups and after a migrated store's first build.
func TestAlertRollupsKeptEqualRebuilt(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		r := rand.New(rand.NewPCG(19, 2026))
		var last *store.Batch
		for round := range 25 {
			b := &store.Batch{}
			switch {
			case last != nil && r.IntN(5) == 0:
				b = last // re-ingested as is: nothing changes
			case r.IntN(5) == 0:
				// Only new keys: PostgreSQL copies them straight into
				// alerts (the other batches go through its staging table;
				// a staged batch of only new keys before says the next
				// may go straight).
				apply(t, s, &store.Batch{Alerts: []model.Alert{randomAlert(r, 1050+100*round)}})
				for i := range 1 + r.IntN(40) {
					b.Alerts = append(b.Alerts, randomAlert(r, 1000+100*round+i))
				}
			default:
				for range 1 + r.IntN(30) {
					b.Alerts = append(b.Alerts, randomAlert(r, r.IntN(60)))
				}
				if r.IntN(3) == 0 {
					c := model.Case{Source: "siem", ExternalID: fmt.Sprintf("C%d", 1+r.IntN(3)), Title: "c", Priority: model.P2,
						Stage: model.StageNew, CreatedAt: ts("2026-03-02T00:00:00Z"), UpdatedAt: ts("2026-03-02T00:00:00Z")}
					for range 3 {
						c.AlertExternalIDs = append(c.AlertExternalIDs, fmt.Sprintf("a%d", 2*r.IntN(30)))
					}
					b.Cases = append(b.Cases, c)
				}
			}
			apply(t, s, b)
			last = b
			checkRollups(t, s, fmt.Sprintf("round %d", round))
			checkRuleVolumes(t, s, fmt.Sprintf("round %d", round))
			checkCounters(t, s, fmt.Sprintf("round %d", round))
		}
		if err := s.SetTimeZone(ctx, "Asia/Kolkata"); err != nil {
			t.Fatal(err)
		}
		checkRollups(t, s, "after the time-zone change")
		for range 5 {
			b := &store.Batch{}
			for range 20 {
				b.Alerts = append(b.Alerts, randomAlert(r, r.IntN(80)))
			}
			apply(t, s, b)
		}
		checkRollups(t, s, "ingest in the new time zone")
		checkRuleVolumes(t, s, "ingest in the new time zone")
		if _, err := s.RebuildAlertRollups(ctx); err != nil {
			t.Fatal(err)
		}
		checkRollups(t, s, "after a rebuild")

		// A store migrated from before rollups were kept: reports compute
		// from the rows until the next open builds them once.
		if err := store.MarkAlertRollupsPending(ctx, s); err != nil {
			t.Fatal(err)
		}
		apply(t, s, &store.Batch{Alerts: []model.Alert{randomAlert(r, 99)}})
		checkRollups(t, s, "pending")
		s2 := open()
		if pending, err := s2.AlertRollupsPending(ctx); err != nil || pending {
			t.Fatalf("after reopening: pending %v, %v", pending, err)
		}
		checkRollups(t, s2, "built on open")
	})
}

// TestAlertRollupsOutliveRetention: alerts removed by retention stay
// counted in their day's kept rollup, and a rebuild from the rows leaves
// the days before the retention horizon as they were.
func TestAlertRollupsOutliveRetention(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		b := &store.Batch{}
		for i, at := range []string{"2026-03-01T08:00:00Z", "2026-03-01T09:00:00Z", "2026-03-03T08:00:00Z"} {
			b.Alerts = append(b.Alerts, model.Alert{Source: "siem", ExternalID: fmt.Sprintf("a%d", i), RuleID: "R1",
				Severity: model.SeverityHigh, OccurredAt: ts(at).Add(-time.Minute), CreatedAt: ts(at)})
		}
		apply(t, s, b)
		before, err := s.AlertRollups(ctx, 20260301)
		if err != nil || len(before) != 1 || before[0].Alerts != 2 {
			t.Fatalf("before retention: %+v, %v", before, err)
		}
		if got, err := s.PruneAlerts(ctx, ts("2026-03-02T00:00:00Z"), false); err != nil || got.Alerts != 2 {
			t.Fatalf("pruned %+v, %v", got, err)
		}
		for _, step := range []string{"after retention", "after a rebuild"} {
			after, err := s.AlertRollups(ctx, 20260301)
			if err != nil || !reflect.DeepEqual(after, before) {
				t.Fatalf("%s: %+v, want %+v (%v)", step, after, before, err)
			}
			if _, err := s.RebuildAlertRollups(ctx); err != nil {
				t.Fatal(err)
			}
		}
		rebuilt, err := s.ScanAlertRollups(ctx, 20260301)
		if err != nil || len(rebuilt) != 0 {
			t.Fatalf("rows of the pruned day: %+v, %v", rebuilt, err)
		}
		checkRollupDays(t, s, "later days", 20260303)
		checkCounters(t, s, "after retention")
	})
}
