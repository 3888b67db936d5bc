package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func TestTimeframeKeys(t *testing.T) {
	for _, c := range []struct {
		tf   metrics.Timeframe
		day  string
		want string
	}{
		{metrics.Weekly, "2026-12-27", "2026-W52"},
		{metrics.Weekly, "2026-12-28", "2026-W53"},
		{metrics.Weekly, "2026-12-31", "2026-W53"},
		{metrics.Weekly, "2027-01-03", "2026-W53"},
		{metrics.Weekly, "2027-01-04", "2027-W01"},
		{metrics.Weekly, "2024-12-30", "2025-W01"}, // ISO year ahead of the calendar year
		{metrics.Weekly, "2021-01-03", "2020-W53"},
		{metrics.Monthly, "2027-01-03", "2027-01"},
		{metrics.Quarterly, "2026-12-31", "2026-Q4"},
		{metrics.Quarterly, "2027-01-01", "2027-Q1"},
		{metrics.Daily, "2027-01-03", "2027-01-03"},
	} {
		d, _ := time.Parse(time.DateOnly, c.day)
		if got := c.tf.Key(d); got != c.want {
			t.Errorf("%s key of %s = %q, want %q", c.tf, c.day, got, c.want)
		}
	}
}

// TestISOWeekAcrossNewYear: 2026-12-31 is a Thursday, so ISO 2026 has 53
// weeks and Monday 2026-12-28 … Sunday 2027-01-03 is 2026-W53. Days and
// weeks are counted in the organisation's zone, Europe/Berlin (UTC+1 in
// winter); two cases sit on either side of a local midnight that UTC
// would put on the other side:
//
//	K1 2026-12-27 11:00Z = Sun 12:00 CET  2026-W52   MTTR  600
//	K2 2026-12-27 23:30Z = Mon 00:30 CET  2026-W53   MTTR 1200 (UTC: Sunday, W52)
//	K3 2026-12-31 11:00Z = Thu 12:00 CET  2026-W53   MTTR 1800
//	K4 2027-01-03 22:30Z = Sun 23:30 CET  2026-W53   MTTR 2400
//	K5 2027-01-03 23:30Z = Mon 00:30 CET  2027-W01   MTTR 3000 (UTC: Sunday, W53)
//
// K1–K3 are stored while the organisation is still on UTC and their
// rollups built; the zone then changes, and K4, K5 follow.
func TestISOWeekAcrossNewYear(t *testing.T) {
	for _, c := range []struct {
		day      string
		year, wk int
	}{{"2026-12-27", 2026, 52}, {"2026-12-28", 2026, 53}, {"2026-12-31", 2026, 53}, {"2027-01-03", 2026, 53}, {"2027-01-04", 2027, 1}} {
		d, _ := time.Parse(time.DateOnly, c.day)
		if y, w := d.ISOWeek(); y != c.year || w != c.wk {
			t.Fatalf("time.ISOWeek(%s) = %d-W%d, the test assumes %d-W%d", c.day, y, w, c.year, c.wk)
		}
	}
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ctx := context.Background()
		var ss []*script
		for i, created := range []string{"2026-12-27T11:00:00Z", "2026-12-27T23:30:00Z", "2026-12-31T11:00:00Z",
			"2027-01-03T22:30:00Z", "2027-01-03T23:30:00Z"} {
			ext := "K" + string(rune('1'+i))
			resolved := ts(created).Add(time.Duration(600*(i+1)) * time.Second).Format(time.RFC3339)
			ss = append(ss, newScript("fx", ext, model.P3, "", created, "").on(resolved, model.EventStage, "resolved"))
		}
		mustApply(t, st, &store.Batch{Cases: cases(ss[:3]), Events: events(ss[:3])})
		perf(t, st, metrics.Request{Window: window("2026-12-21", "2027-01-10", time.UTC), Series: metrics.Weekly})
		if err := st.SetTimeZone(ctx, "Europe/Berlin"); err != nil {
			t.Fatal(err)
		}
		mustApply(t, st, &store.Batch{Cases: cases(ss[3:]), Events: events(ss[3:])})
		loc, err := st.TimeZone(ctx)
		if err != nil || loc.String() != "Europe/Berlin" {
			t.Fatalf("time zone %v %v", loc, err)
		}

		w := window("2026-12-21", "2027-01-10", loc)
		weekly := perf(t, st, metrics.Request{Window: w, Series: metrics.Weekly}).Series
		checkSeries(t, weekly, map[string]want{
			"2026-W52": {count: 1, mean: 600, median: 600, p90: 600},
			"2026-W53": {count: 3, mean: 1800, median: 1800, p90: 2400}, // 1200 1800 2400
			"2027-W01": {count: 1, mean: 3000, median: 3000, p90: 3000},
		}, map[string]int64{"2026-W52": 1, "2026-W53": 3, "2027-W01": 1})
		var keys []string
		for _, p := range weekly {
			keys = append(keys, p.Period)
		}
		if len(keys) != 3 {
			t.Errorf("weekly periods %q, want 2026-W52 2026-W53 2027-W01", keys)
		}

		monthly := perf(t, st, metrics.Request{Window: w, Series: metrics.Monthly}).Series
		checkSeries(t, monthly, map[string]want{
			"2026-12": {count: 3, mean: 1200, median: 1200, p90: 1800}, // K1 K2 K3
			"2027-01": {count: 2, mean: 2700, median: 2400, p90: 3000}, // K4 K5
		}, map[string]int64{"2026-12": 3, "2027-01": 2})
		quarterly := perf(t, st, metrics.Request{Window: w, Series: metrics.Quarterly}).Series
		checkSeries(t, quarterly, nil, map[string]int64{"2026-Q4": 3, "2027-Q1": 2})
		daily := perf(t, st, metrics.Request{Window: w, Series: metrics.Daily}).Series
		checkSeries(t, daily, nil, map[string]int64{"2026-12-27": 1, "2026-12-28": 1, "2026-12-31": 1, "2027-01-03": 1, "2027-01-04": 1})

		// The window of ISO week 2026-W53 in Berlin holds K2, K3, K4.
		w53 := perf(t, st, metrics.Request{Window: window("2026-12-28", "2027-01-03", loc)})
		g := w53.Groups[0]
		if g.Cases != 3 || w53.From != "2026-12-28" || w53.To != "2027-01-03" {
			t.Errorf("2026-W53 window %s … %s: %d cases, want 3", w53.From, w53.To, g.Cases)
		}
		checkKPI(t, "2026-W53", kpiOf(t, g, metrics.MTTR), want{count: 3, mean: 1800, median: 1800, p90: 2400})
	})
}
