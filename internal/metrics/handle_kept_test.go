package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/staffing/handle"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// replayStore builds every case day afresh, never from stored day parts,
// with the handle times replayed from each case's log instead of the ones
// kept with the case facts: the oracle.
type replayStore struct{ *store.Store }

func (s replayStore) RollupPart(ctx context.Context, kind string, day int64, part string) (int64, string, bool, error) {
	if kind == store.RollupCases {
		return 0, "", false, nil
	}
	return s.Store.RollupPart(ctx, kind, day, part)
}

func (s replayStore) SaveRollupParts(ctx context.Context, kind string, day, version int64, parts map[string]string) error {
	if kind == store.RollupCases {
		return nil
	}
	return s.Store.SaveRollupParts(ctx, kind, day, version, parts)
}

func (s replayStore) DayHandleTimes(ctx context.Context, day int64, pause []string, gap time.Duration) (map[int64]time.Duration, error) {
	var ids []int64
	if err := s.DayFacts(ctx, day, func(f *kpi.Facts) {
		if !f.Resolve.IsZero() {
			ids = append(ids, f.CaseID)
		}
	}); err != nil {
		return nil, err
	}
	c, err := handle.NewCollector(pause, gap)
	if err != nil {
		return nil, err
	}
	out := map[int64]time.Duration{}
	for _, id := range ids {
		log, err := s.CaseEvents(ctx, id)
		if err != nil {
			return nil, err
		}
		if ht, ok := c.Measure(id, log); ok {
			out[id] = ht.Active
		}
	}
	return out, nil
}

// TestKeptHandleTimesReportLikeTheLogs: on a demo SOC (ingested twice, the
// second time changing nothing), the performance report by rule and by
// analyst and the rule report's analyst hours, built with the handle times
// kept with the case facts, equal field for field the ones built with the
// handle times replayed from every case's log, for windows of one, seven
// and twelve days.
func TestKeptHandleTimesReportLikeTheLogs(t *testing.T) {
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cfg := demo.Config{Days: 12, AlertsPerDay: 600, End: end}.WithDefaults()
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ctx := context.Background()
		ingestDemoTwice(t, st, cfg)
		kept, replay := &metrics.Engine{Store: st}, &metrics.Engine{Store: replayStore{st}}
		same := func(what string, a, b any) {
			t.Helper()
			sameJSON(t, what+": kept and replayed handle times differ (kept, then replayed)", a, b)
		}
		for _, days := range []int{1, 7, 12} {
			w := metrics.WindowEnding(end.Add(-time.Hour), days, time.UTC)
			for _, by := range []string{metrics.ByRule, metrics.ByAnalyst} {
				pk, err := kept.Performance(ctx, metrics.Request{Window: w, GroupBy: by, Now: end})
				if err != nil {
					t.Fatal(err)
				}
				pr, err := replay.Performance(ctx, metrics.Request{Window: w, GroupBy: by, Now: end})
				if err != nil {
					t.Fatal(err)
				}
				same(by, pk, pr)
			}
			rk, err := kept.Rules(ctx, w)
			if err != nil {
				t.Fatal(err)
			}
			rr, err := replay.Rules(ctx, w)
			if err != nil {
				t.Fatal(err)
			}
			same("rules", rk, rr)
			if days == 12 {
				worked := 0.0
				for _, r := range rk.Rules {
					if r.AnalystHours != nil {
						worked += *r.AnalystHours
					}
				}
				if worked == 0 {
					t.Fatal("the demo's cases have no worked time: the comparison tests nothing")
				}
			}
		}
	})
}
