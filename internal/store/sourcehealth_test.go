package store_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func TestLagBucket(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int
	}{
		{-time.Minute, 0}, {0, 0}, {14 * time.Second, 0}, {15 * time.Second, 1}, {59 * time.Second, 2},
		{time.Minute, 3}, {45 * time.Minute, 7}, {23 * time.Hour, 10}, {24 * time.Hour, 11}, {90 * 24 * time.Hour, 11},
	} {
		if got := store.LagBucket(c.d); got != c.want {
			t.Errorf("LagBucket(%v) = %d, want %d", c.d, got, c.want)
		}
	}
}

// TestSourceHealthRollups checks the hourly rollups ingest keeps: counts,
// duplicates, re-deliveries, lag buckets and the newest alert, and that a
// corrected alert moves between hours and rules.
func TestSourceHealthRollups(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		h0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		al := func(id, rule string, created time.Time, lag time.Duration, disp model.Disposition) model.Alert {
			return model.Alert{Source: "edr", ExternalID: id, RuleID: rule, CreatedAt: created, IngestedAt: created.Add(lag), Disposition: disp}
		}
		b := &store.Batch{Alerts: []model.Alert{
			al("a1", "R1", h0.Add(5*time.Minute), 20*time.Second, ""),
			al("a2", "R1", h0.Add(50*time.Minute), 40*time.Minute, model.DispositionDuplicate),
			al("a3", "R2", h0.Add(70*time.Minute), 2*time.Second, ""),
			{Source: "edr", ExternalID: "undated", RuleID: "R1"},
		}}
		if _, err := st.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		// a1 again, unchanged: a re-delivery. a3 corrected to an hour later
		// and to rule R1.
		b2 := &store.Batch{Alerts: []model.Alert{b.Alerts[0], al("a3", "R1", h0.Add(130*time.Minute), 2*time.Second, "")}}
		if _, err := st.Apply(ctx, b2); err != nil {
			t.Fatal(err)
		}
		hour := h0.Unix() / 3600
		hs, err := st.SourceHours(ctx, hour, hour+3)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.SourceHour{
			{Source: "edr", Hour: hour, Alerts: 2, Duplicates: 1, Resent: 1, LastAt: h0.Add(50 * time.Minute)},
			{Source: "edr", Hour: hour + 1, Alerts: 0, LastAt: h0.Add(70 * time.Minute)},
			{Source: "edr", Hour: hour + 2, Alerts: 1, LastAt: h0.Add(130 * time.Minute)},
		}
		want[0].Lag[1], want[0].Lag[7] = 1, 1 // 20 s, 40 min
		want[2].Lag[0] = 1                    // 2 s
		if len(hs) != len(want) {
			t.Fatalf("hours %+v", hs)
		}
		for i := range want {
			if hs[i] != want[i] {
				t.Errorf("hour %d: %+v, want %+v", i, hs[i], want[i])
			}
		}
		rs, err := st.SourceRuleDays(ctx, hour/24, hour/24+1)
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].RuleID < rs[j].RuleID })
		var r1, r2 [24]int64
		r1[9], r1[11] = 2, 1 // 09:00 and 11:00 UTC
		if len(rs) != 2 || rs[0].RuleID != "R1" || rs[0].Day != hour/24 || rs[0].Hours != r1 || rs[1].RuleID != "R2" || rs[1].Hours != r2 {
			t.Errorf("rule days %+v", rs)
		}
		pairs, err := st.SourceRules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(pairs) != 2 || !pairs[0].First.Equal(h0.Add(5*time.Minute)) || !pairs[0].Last.Equal(h0.Add(130*time.Minute)) ||
			pairs[1].RuleID != "R2" || !pairs[1].Last.Equal(h0.Add(70*time.Minute)) {
			t.Errorf("rules %+v", pairs)
		}
	})
}
