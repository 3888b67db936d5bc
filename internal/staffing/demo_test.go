package staffing

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// TestDemoPlanAgreesWithRoster plans from a two-week demo SOC, whose
// roster meets its SLAs, and checks the plan against what it is sized
// from and what it replaces:
//
//   - the case work measured from the log (arrivals × effort) fits in the
//     hours the roster is on shift after shrinkage (under the former
//     held-time measure the demo asked for about 46 FTE of case work
//     against a roster of 14);
//   - today's SL per queue from Erlang (the roster's expected analysts as
//     one floor in priority order) agrees with the simulation of the same
//     roster: on the same side of the target, and lower by at most 5
//     points, never higher by more than 1. Hour-by-hour Erlang, even with
//     the load carried between hours (offeredRates), stays conservative
//     for 47-minute P1 cases (measured: P1 96.3 % against 99.6 %
//     simulated, 93.8 % before the carried load; P2 98.8 % against
//     99.5 %; on stationary input the two agree, see erlang and sim's
//     tests);
//   - and it agrees with the service level measured in the history within
//     10 points where 30 or more cases measure it (queues sized one by one
//     put P4 at 44 % and P5 at 6 % against 100 % measured);
//   - the proposed schedule needs fewer FTE than today's roster, which
//     meets its targets, and no fewer than the minimum heads and the work
//     at the maximum occupancy need (the queues sized one by one asked for
//     22.9 FTE on the 90-day demo).
func TestDemoPlanAgreesWithRoster(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.SQLitePath(t))
	dcfg := demo.Config{Days: 14, End: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}.WithDefaults()
	demotest.Records(t, st, dcfg, nil)
	cfg := Config{HistoryDays: 14, Replications: 100}
	w, err := Model(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(w, cfg, Options{Simulate: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Current == nil || p.Current.ExpectedFTE == 0 || p.Current.Simulation == nil {
		t.Fatalf("no roster comparison or simulation: %+v", p.Current)
	}
	var caseHours float64
	measured := 0
	for _, q := range w.Queues {
		if q.Kind != Cases {
			continue
		}
		if q.Sources["handle_time"] == FromHistory {
			measured++
		}
		if q.Concurrency != 1 {
			t.Errorf("%s: concurrency %v, want 1 for measured work", q.Name, q.Concurrency)
		}
		caseHours += q.WeeklyArrivals * q.EffortSeconds / 3600
	}
	if measured == 0 {
		t.Fatal("no case queue has a handle time measured from the log")
	}
	onShift := p.Current.ExpectedFTE * p.ContractHours
	available := onShift * (1 - p.Shrinkage)
	t.Logf("case work %.1f analyst-hours a week; roster on shift %.1f h, %.1f h after shrinkage", caseHours, onShift, available)
	if caseHours <= 0 || caseHours >= available {
		t.Errorf("case work %.1f analyst-hours a week, want more than 0 and below the roster's %.1f available hours", caseHours, available)
	}

	for _, q := range p.Current.Queues {
		if q.Simulated == nil {
			t.Fatalf("%s: no simulated service level", q.Queue)
		}
		msg := fmt.Sprintf("%s: expected %.3f, simulated %.3f [%.3f, %.3f]", q.Queue, q.ServiceLevel, q.Simulated.Mean, q.Simulated.Low, q.Simulated.High)
		gap := q.Simulated.Mean - q.ServiceLevel
		sameSide := (q.ServiceLevel >= q.TargetServiceLevel) == (q.Simulated.Mean >= q.TargetServiceLevel)
		if gap > 0.05 || gap < -0.01 || !sameSide {
			t.Errorf("%s: Erlang and the simulation of the same roster disagree", msg)
		}
		if m := q.Measured; m != nil {
			msg += fmt.Sprintf(", measured %.3f of %d", m.ServiceLevel, m.Cases)
			if m.Cases >= 30 && math.Abs(q.ServiceLevel-m.ServiceLevel) > 0.10 {
				t.Errorf("%s: the plan's today's SL contradicts the history", msg)
			}
		}
		t.Log(msg)
	}

	floor := float64(HoursPerWeek*p.MinHeads) / p.ContractHours
	work := caseHours / p.MaxOccupancy / (1 - p.Shrinkage) / p.ContractHours
	t.Logf("plan %.1f FTE (%.0f agent-hours); roster %.1f FTE; floor of minimum heads %.1f FTE, work at max occupancy %.1f FTE",
		p.FTE, p.AgentHours, p.Current.ExpectedFTE, floor, work)
	if p.FTE >= p.Current.ExpectedFTE || p.FTE < floor || p.FTE < work {
		t.Errorf("plan %.1f FTE: want below today's %.1f and at least %.1f (minimum heads) and %.1f (the work)", p.FTE,
			p.Current.ExpectedFTE, floor, work)
	}
	for _, v := range p.Validation.Queues {
		if v.Verdict == Missed {
			t.Errorf("%s: the proposed schedule misses its target in simulation: %+v", v.Name, v.ServiceLevel)
		}
	}

	// The plan from the alert arrivals kept at ingest is the plan from the
	// alert rows, to the byte.
	rw, err := Model(ctx, rowArrivals{st}, cfg)
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
		t.Errorf("the plan from the kept arrivals differs from the plan from the rows:\nkept %.2000s\nrows %.2000s", kept, rows)
	}
}

// rowArrivals is a store whose alert arrivals are counted from the rows:
// the oracle of the kept ones.
type rowArrivals struct{ *store.Store }

func (r rowArrivals) WorkloadAlertArrivals(ctx context.Context, since, until time.Time) ([]store.ArrivalBucket, error) {
	return r.WorkloadAlertArrivalsScan(ctx, since, until)
}
