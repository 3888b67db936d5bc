package staffing

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing/handle"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// rowHistory is a store read the way the model read it before the kept
// summaries: the handle time of every case resolved in the window, one by
// one (WorkloadHandleTimes), summarised here, and the case arrivals counted
// from the case facts.
type rowHistory struct {
	*store.Store
	hts *[]handle.Time // the handle times of the last summary
}

func (r rowHistory) WorkloadHandleSummary(ctx context.Context, since, until time.Time, pause []string, gap time.Duration,
	ackWithin map[model.Priority]time.Duration) (store.HandleSummary, error) {
	hts, err := r.WorkloadHandleTimes(ctx, since, until, pause, gap)
	if err != nil {
		return store.HandleSummary{}, err
	}
	*r.hts = hts
	return store.SummariseHandleTimes(hts, ackWithin), nil
}

func (r rowHistory) WorkloadCaseArrivals(ctx context.Context, since, until time.Time) ([]store.ArrivalBucket, error) {
	return r.WorkloadCaseArrivalsFacts(ctx, since, until)
}

// rowQueue is a case queue's handle time, effort and measured service
// level as the model computed them before the summaries, from the handle
// times in case order (the code of workedByPriority, setHandleTime,
// setEffort and measured then; the all-priorities fallback took the
// priorities in map order, here in priority order).
type rowQueue struct {
	active []float64 // in case order
	effort float64
	sl     *MeasuredSL
}

func rowComputation(hts []handle.Time, p model.Priority, answerWithin float64) (rowQueue, bool) {
	byPrio := map[model.Priority][]int{}
	worked := map[model.Priority]bool{}
	for i, ht := range hts {
		if ht.Priority.Valid() {
			byPrio[ht.Priority] = append(byPrio[ht.Priority], i)
			worked[ht.Priority] = worked[ht.Priority] || ht.Active > 0
		}
	}
	idx := []int(nil)
	if worked[p] {
		idx = byPrio[p]
	} else {
		for _, q := range model.Priorities {
			if worked[q] {
				idx = append(idx, byPrio[q]...)
			}
		}
	}
	if len(idx) == 0 {
		return rowQueue{}, false
	}
	var r rowQueue
	var sum float64
	for _, j := range idx {
		r.active = append(r.active, hts[j].Active.Seconds())
		sum += hts[j].Active.Seconds()
	}
	r.effort = sum / float64(len(r.active))
	var m MeasuredSL
	for _, ht := range hts {
		if ht.ArrivalPriority != p || ht.Created.IsZero() {
			continue
		}
		m.Cases++
		if ht.Start.Sub(ht.Created).Seconds() <= answerWithin {
			m.Within++
		}
	}
	if m.Cases > 0 {
		m.ServiceLevel = float64(m.Within) / float64(m.Cases)
		r.sl = &m
	}
	return r, true
}

// TestPlanFromKeptSummaryEqualsRows plans from a seeded random SOC (the
// demo simulation, three weeks) on each engine, once from the kept
// summaries and once from the handle times read one by one, under
// configurations that use the kept hours, replay every log (another
// session gap), cut the window mid-hour, and set targets that are not
// whole seconds: the plans are equal to the byte, simulation included.
// Every measured case queue also equals the computation the model made
// from the handle times before the summaries: the same handle-time
// statistics (count, mean, median, p90, CV) and measured service level
// exactly, the same samples in ascending order, and an effort per item
// equal to the mean handle time (the former second float sum in case
// order differed from it in the last digits only).
func TestPlanFromKeptSummaryEqualsRows(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		end := time.Date(2026, 3, 23, 0, 0, 0, 0, time.UTC)
		dcfg := demo.Config{Seed: 19, Days: 21, AlertsPerDay: 600, End: end}.WithDefaults()
		demotest.Records(t, st, dcfg, nil)
		gap := Duration(10 * time.Minute)
		configs := map[string]Config{
			"kept hours":                    {HistoryDays: 14, Replications: 20},
			"another session gap, replayed": {HistoryDays: 14, Replications: 20, SessionGap: &gap},
			"window cut mid-hour, targets in fractions of a second": {HistoryDays: 10, Replications: 20,
				HistoryUntil: end.Add(-30*time.Hour + 17*time.Minute + 3*time.Second),
				Queues: []QueueConfig{{Kind: Cases, Priority: model.P2, AnswerWithin: Duration(45*time.Minute + 500*time.Millisecond)},
					{Kind: Cases, Priority: model.P3, Concurrency: 2}}},
		}
		for name, cfg := range configs {
			t.Run(name, func(t *testing.T) {
				for round := range 2 { // the first read builds the kept hours, the second reads them
					w, err := Model(ctx, st, cfg)
					if err != nil {
						t.Fatal(err)
					}
					var hts []handle.Time
					rw, err := Model(ctx, rowHistory{st, &hts}, cfg)
					if err != nil {
						t.Fatal(err)
					}
					p, err := Build(w, cfg, Options{Simulate: true})
					if err != nil {
						t.Fatal(err)
					}
					rp, err := Build(rw, cfg, Options{Simulate: true})
					if err != nil {
						t.Fatal(err)
					}
					kept, _ := json.Marshal(p)
					rows, _ := json.Marshal(rp)
					if string(kept) != string(rows) {
						t.Fatalf("round %d: the plan from the kept summaries differs from the plan from the rows:\nkept %.3000s\nrows %.3000s",
							round, kept, rows)
					}
					measured := 0
					for _, q := range w.Queues {
						if q.Kind != Cases || q.Sources["handle_time"] != FromHistory {
							continue
						}
						measured++
						old, ok := rowComputation(hts, q.Priority, q.AnswerWithinSeconds)
						if !ok {
							t.Fatalf("%s: measured from the summary, not from the rows", q.Name)
						}
						want := handleStats(old.active)
						sorted := append([]float64(nil), old.active...)
						sort.Float64s(sorted)
						if !reflect.DeepEqual(q.Handle, want) || !reflect.DeepEqual(q.Handle.Samples, sorted) || q.HandleSeconds != want.MeanSeconds {
							t.Errorf("%s: handle stats %+v, want %+v", q.Name, *q.Handle, *want)
						}
						if q.Concurrency == 1 {
							if !reflect.DeepEqual(q.effort, sorted) {
								t.Errorf("%s: the efforts simulated are not the handle times in ascending order", q.Name)
							}
							if q.EffortSeconds != q.HandleSeconds || math.Abs(q.EffortSeconds-old.effort) > 1e-12*old.effort {
								t.Errorf("%s: effort %v, want the handle time %v (the former float sum gave %v)",
									q.Name, q.EffortSeconds, q.HandleSeconds, old.effort)
							}
						}
						if !reflect.DeepEqual(q.Measured, old.sl) {
							t.Errorf("%s: measured %+v, want %+v", q.Name, q.Measured, old.sl)
						}
					}
					if measured < 3 {
						t.Fatalf("only %d case queues measured from the history: too few to compare", measured)
					}
				}
			})
		}
	})
}

// TestLastMicroWithin checks the acknowledgement limits handed to the
// store: the largest whole microsecond whose Seconds() is at most the
// answer-within time.
func TestLastMicroWithin(t *testing.T) {
	const maxMicros = math.MaxInt64 / int64(time.Microsecond)
	for _, c := range []struct {
		s    float64
		want time.Duration
	}{
		{900, 900 * time.Second},
		{2700.5, 2700*time.Second + 500*time.Millisecond},
		{0, 0},
		{-60, -time.Minute},
		{0.0000015, time.Microsecond},
		{1e-7, 0},
		{-1e-7, -time.Microsecond},
		{math.Inf(1), time.Duration(maxMicros) * time.Microsecond},
		{math.Inf(-1), math.MinInt64},
		{math.NaN(), math.MinInt64},
	} {
		if got := lastMicroWithin(c.s); got != c.want {
			t.Errorf("lastMicroWithin(%v) = %v, want %v", c.s, got, c.want)
		}
	}
	// Around every whole microsecond near some targets: d is within
	// exactly when d ≤ the limit.
	for _, s := range []float64{0.1, 1.0000005, 59.9999999, 3600, 86400.123456789, 604800.0000004} {
		lim := lastMicroWithin(s)
		for k := int64(-3); k <= 3; k++ {
			d := lim + time.Duration(k)*time.Microsecond
			if (d.Seconds() <= s) != (d <= lim) {
				t.Errorf("target %v s, limit %v: %v is within %v", s, lim, d, d.Seconds() <= s)
			}
		}
	}
}
