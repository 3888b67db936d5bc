package sim

import (
	"math"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/staffing/erlang"
)

// TestAgreesWithErlangC: on stationary inputs (Poisson arrivals,
// exponential handle times, constant staffing) the simulated service level,
// P(wait), ASA, occupancy and queue length contain the Erlang C values in
// their 95 % confidence intervals.
func TestAgreesWithErlangC(t *testing.T) {
	for _, c := range []struct {
		traffic, aht, within float64
		agents               int
		seed                 uint64
	}{
		{10, 180, 20, 14, 1}, // the textbook case: SL 0.8884, ASA 7.84 s
		{10, 180, 20, 12, 2}, // tighter: SL about 0.65
		{3, 600, 60, 5, 3},
		{40, 240, 30, 46, 4},
	} {
		q := erlang.Queue{ArrivalRate: c.traffic / c.aht, AHT: c.aht}
		want, err := erlang.Evaluate(q, c.agents, c.within)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(Config{
			Interval: 3600, Staff: []int{c.agents},
			Classes: []Class{{Name: "q", Rates: []float64{q.ArrivalRate}, Service: Dist{Kind: Exponential, Mean: c.aht}, AnswerWithin: c.within}},
			WarmUp:  20 * c.aht, Horizon: 25000/q.ArrivalRate + 1000*c.aht, Replications: 20, Seed: c.seed,
		})
		if err != nil {
			t.Fatal(err)
		}
		cr := res.Classes[0]
		for _, m := range []struct {
			name string
			got  Stat
			want float64
		}{
			{"service level", cr.ServiceLevel, want.ServiceLevel},
			{"P(wait)", cr.PWait, want.PWait},
			{"ASA", cr.ASA, want.ASA},
			{"occupancy", res.Occupancy, want.Occupancy},
			{"queue length", cr.QueueLength, want.QueueLength},
		} {
			if !m.got.Contains(m.want) {
				t.Errorf("A=%v N=%d: simulated %s %.5f [%.5f, %.5f] does not contain Erlang C %.5f",
					c.traffic, c.agents, m.name, m.got.Mean, m.got.Low, m.got.High, m.want)
			}
			if w := m.got.High - m.got.Low; w > 0.25*math.Max(m.want, 0.5) {
				t.Errorf("A=%v N=%d: %s interval too wide to mean anything: %v", c.traffic, c.agents, m.name, w)
			}
		}
		if cr.PAbandon.Mean != 0 {
			t.Errorf("abandonment without patience: %v", cr.PAbandon.Mean)
		}
		t.Logf("A=%v N=%d: SL %.4f [%.4f, %.4f] vs %.4f; ASA %.3f vs %.3f; %d arrivals", c.traffic, c.agents,
			cr.ServiceLevel.Mean, cr.ServiceLevel.Low, cr.ServiceLevel.High, want.ServiceLevel, cr.ASA.Mean, want.ASA, cr.Arrivals)
	}
}

// TestAgreesWithErlangA does the same with exponential patience.
func TestAgreesWithErlangA(t *testing.T) {
	for _, c := range []struct {
		traffic, aht, patience, within float64
		agents                         int
	}{
		{10, 180, 120, 20, 11},
		{12, 240, 300, 30, 10}, // overloaded, held stable by abandonment
	} {
		q := erlang.Queue{ArrivalRate: c.traffic / c.aht, AHT: c.aht, Patience: c.patience}
		want, err := erlang.Evaluate(q, c.agents, c.within)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(Config{
			Interval: 3600, Staff: []int{c.agents},
			Classes: []Class{{Name: "q", Rates: []float64{q.ArrivalRate}, Service: Dist{Kind: Exponential, Mean: c.aht},
				Patience: c.patience, AnswerWithin: c.within}},
			WarmUp: 20 * c.aht, Horizon: 3000 * c.aht, Replications: 20, Seed: 9,
		})
		if err != nil {
			t.Fatal(err)
		}
		cr := res.Classes[0]
		for _, m := range []struct {
			name string
			got  Stat
			want float64
		}{
			{"service level", cr.ServiceLevel, want.ServiceLevel},
			{"P(wait)", cr.PWait, want.PWait},
			{"P(abandon)", cr.PAbandon, want.PAbandon},
			{"ASA of answered", cr.ASA, want.ASA},
			{"queue length", cr.QueueLength, want.QueueLength},
			{"occupancy", res.Occupancy, want.Occupancy},
		} {
			if !m.got.Contains(m.want) {
				t.Errorf("A=%v N=%d patience %v: simulated %s %.5f [%.5f, %.5f] does not contain Erlang A %.5f",
					c.traffic, c.agents, c.patience, m.name, m.got.Mean, m.got.Low, m.got.High, m.want)
			}
		}
	}
}

// TestPriorities: with one pool serving two classes, the high-priority
// class waits less than the other and than a single pooled class would.
func TestPriorities(t *testing.T) {
	res, err := Run(Config{
		Interval: 3600, Staff: []int{6},
		Classes: []Class{
			{Name: "P4", Rates: []float64{3.0 / 300}, Service: Dist{Kind: Exponential, Mean: 300}, AnswerWithin: 60, Priority: 4},
			{Name: "P1", Rates: []float64{2.0 / 300}, Service: Dist{Kind: Exponential, Mean: 300}, AnswerWithin: 60, Priority: 1},
		},
		WarmUp: 3600, Horizon: 200 * 3600, Replications: 10, Seed: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	pooled, _ := erlang.Evaluate(erlang.Queue{ArrivalRate: 5.0 / 300, AHT: 300}, 6, 60)
	hi, lo := res.Classes[1], res.Classes[0]
	if !(hi.ServiceLevel.Low > pooled.ServiceLevel && lo.ServiceLevel.Mean < pooled.ServiceLevel && hi.ASA.High < lo.ASA.Low) {
		t.Errorf("priority: P1 SL %v ASA %v, P4 SL %v ASA %v, pooled SL %v", hi.ServiceLevel, hi.ASA, lo.ServiceLevel, lo.ASA, pooled.ServiceLevel)
	}
	// Conservation: with equal handle-time distributions, priorities move
	// waiting between classes without changing its total, so the
	// arrival-weighted mean wait is the pooled FCFS (Erlang C) one.
	mean := (3*lo.ASA.Mean + 2*hi.ASA.Mean) / 5
	low, high := (3*lo.ASA.Low+2*hi.ASA.Low)/5, (3*lo.ASA.High+2*hi.ASA.High)/5
	if pooled.ASA < low || pooled.ASA > high {
		t.Errorf("weighted mean wait %.2f [%.2f, %.2f], pooled Erlang C %.2f", mean, low, high, pooled.ASA)
	}
	if res.Classes[0].Name != "P4" || res.Arrivals != hi.Arrivals+lo.Arrivals {
		t.Errorf("class order or totals: %+v", res)
	}
}

// TestReplayDeterministic: arrivals every 100 s, fixed 50-s handling, one
// agent: nobody waits and the agent is busy exactly half the time.
func TestReplayDeterministic(t *testing.T) {
	times := make([]float64, 1000)
	for i := range times {
		times[i] = float64(i) * 100
	}
	res, err := Run(Config{
		Interval: 3600, Staff: []int{1},
		Classes: []Class{{Name: "q", Times: [][]float64{times}, Service: Dist{Kind: Fixed, Mean: 50}, AnswerWithin: 0}},
		Horizon: 100000, Replications: 2, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	cr := res.Classes[0]
	if cr.Arrivals != 2000 || cr.ServiceLevel.Mean != 1 || cr.PWait.Mean != 0 || cr.ASA.Mean != 0 || res.Occupancy.Mean != 0.5 {
		t.Errorf("replay: %+v occupancy %+v", cr, res.Occupancy)
	}
	// Each replication replays its own recording.
	res, err = Run(Config{
		Interval: 3600, Staff: []int{1},
		Classes: []Class{{Name: "q", Times: [][]float64{times, times[:500]}, Service: Dist{Kind: Fixed, Mean: 50}}},
		Horizon: 100000, Replications: 2, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Classes[0].Arrivals != 1500 {
		t.Errorf("two recordings of 1000 and 500 arrivals gave %d", res.Classes[0].Arrivals)
	}
	// Twice as fast as it can serve: the queue grows by one every 100 s
	// and the n-th arrival waits (n−1)·100 s: ASA = 999·100/2 = 49,950 s.
	res, err = Run(Config{
		Interval: 3600, Staff: []int{1},
		Classes: []Class{{Name: "q", Times: [][]float64{times}, Service: Dist{Kind: Fixed, Mean: 200}, AnswerWithin: 0}},
		Horizon: 100000, Replications: 1, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Classes[0].ASA.Mean; math.Abs(got-49950) > 1e-6 {
		t.Errorf("overloaded replay ASA %v, want 49950", got)
	}
}

// TestStaffingChanges: nobody on duty in the second hour of a two-hour
// cycle; arrivals in that hour wait for the next staffed hour, so the
// interval service levels differ sharply and agents who are mid-task at the
// end of their hour finish it.
func TestStaffingChanges(t *testing.T) {
	res, err := Run(Config{
		Interval: 3600, Staff: []int{3, 0},
		Classes: []Class{{Name: "q", Rates: []float64{10.0 / 3600, 10.0 / 3600}, Service: Dist{Kind: Lognormal, Mean: 300, CV: 0.8}, AnswerWithin: 600}},
		WarmUp:  7200, Horizon: 500 * 7200, Replications: 4, Seed: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	sl := res.IntervalServiceLevel
	if len(sl) != 2 || sl[0] < 0.8 || sl[1] > 0.2 {
		t.Errorf("interval service levels %v: want high in the staffed hour, low in the empty one", sl)
	}
	if res.Occupancy.Mean <= 0 || res.Occupancy.Mean >= 1 {
		t.Errorf("occupancy %v", res.Occupancy)
	}
}

func TestEmpiricalAndErrors(t *testing.T) {
	res, err := Run(Config{
		Interval: 60, Staff: []int{2},
		Classes: []Class{{Name: "q", Rates: []float64{0.001}, Service: Dist{Kind: Empirical, Samples: []float64{30, 60, 90}}}},
		Horizon: 1e6, Replications: 3, Seed: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Offered load 0.001 × 60 s = 0.06 erlangs over two agents.
	if occ := res.Occupancy.Mean; math.Abs(occ-0.03) > 0.003 {
		t.Errorf("occupancy with empirical handle times %v, want about 0.03", occ)
	}
	ok := Class{Name: "q", Rates: []float64{1}, Service: Dist{Kind: Exponential, Mean: 1}}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Interval: 60, Staff: []int{1}, Horizon: 10, Replications: 1}, "at least one class"},
		{Config{Interval: 60, Staff: []int{1, 1}, Classes: []Class{ok}, Horizon: 10, Replications: 1}, "1 arrival rates for 2 intervals"},
		{Config{Interval: 60, Staff: []int{0}, Classes: []Class{ok}, Horizon: 10, Replications: 1}, "nobody is ever on duty"},
		{Config{Interval: 60, Staff: []int{1}, Classes: []Class{{Name: "q", Rates: []float64{1}, Service: Dist{Kind: "gamma", Mean: 1}}}, Horizon: 10, Replications: 1}, "unknown handle-time distribution"},
		{Config{Interval: 60, Staff: []int{1}, Classes: []Class{ok}, Horizon: 10}, "replications"},
		{Config{Interval: 60, Staff: []int{1}, Classes: []Class{{Name: "q", Times: [][]float64{{3, 1}}, Service: Dist{Kind: Fixed, Mean: 1}}}, Horizon: 10, Replications: 1}, "not sorted"},
	} {
		if _, err := Run(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

// TestAgreesWithPriorityFormula: one floor serving classes in priority
// order with equal exponential handle times. Cobham's mean waits are exact
// there, so the simulated ASA of each class contains them; the service
// level per class, whose formula takes a delayed wait as exponential, lies
// within the interval or 0.01 of it. With unequal handle times the
// formula uses their mean; the service levels still agree (means are not
// compared there).
func TestAgreesWithPriorityFormula(t *testing.T) {
	for _, c := range []struct {
		rates  []float64 // per hour
		within []float64
		aht    []float64
		agents int
	}{
		{[]float64{6, 24}, []float64{60, 600}, []float64{600, 600}, 6},
		{[]float64{2, 10, 12}, []float64{120, 900, 3600}, []float64{900, 900, 900}, 8},
		// The demo's case queues at their weekly mean on one analyst:
		// 47-, 23- and 18-minute items.
		{[]float64{0.013, 0.36, 0.61}, []float64{900, 1800, 14400}, []float64{2800, 1394, 1062}, 1},
	} {
		var classes []Class
		var ec []erlang.Class
		equal := true
		for i, r := range c.rates {
			classes = append(classes, Class{Name: string(rune('A' + i)), Rates: []float64{r / 3600}, Priority: i,
				Service: Dist{Kind: Exponential, Mean: c.aht[i]}, AnswerWithin: c.within[i]})
			ec = append(ec, erlang.Class{ArrivalRate: r / 3600, AHT: c.aht[i], AnswerWithin: c.within[i]})
			equal = equal && c.aht[i] == c.aht[0]
		}
		want, err := erlang.EvaluatePriority(ec, c.agents)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(Config{Interval: 3600, Staff: []int{c.agents}, Classes: classes,
			WarmUp: 20 * c.aht[0], Horizon: 4000 * c.aht[0], Replications: 20, Seed: 11})
		if err != nil {
			t.Fatal(err)
		}
		for i, cr := range res.Classes {
			if equal && (!cr.ASA.Contains(want[i].ASA) || !cr.PWait.Contains(want[i].PWait)) {
				t.Errorf("%v class %d: simulated ASA %.2f [%.2f, %.2f] P(wait) %.4f [%.4f, %.4f]; Cobham %.2f, C %.4f", c.rates, i,
					cr.ASA.Mean, cr.ASA.Low, cr.ASA.High, cr.PWait.Mean, cr.PWait.Low, cr.PWait.High, want[i].ASA, want[i].PWait)
			}
			if sl := cr.ServiceLevel; want[i].ServiceLevel < sl.Low-0.01 || want[i].ServiceLevel > sl.High+0.01 {
				t.Errorf("%v class %d: simulated SL %.4f [%.4f, %.4f], formula %.4f", c.rates, i, sl.Mean, sl.Low, sl.High, want[i].ServiceLevel)
			}
			t.Logf("%v class %d: SL %.4f [%.4f, %.4f] vs %.4f; ASA %.2f vs %.2f", c.rates, i, cr.ServiceLevel.Mean,
				cr.ServiceLevel.Low, cr.ServiceLevel.High, want[i].ServiceLevel, cr.ASA.Mean, want[i].ASA)
		}
	}
}
