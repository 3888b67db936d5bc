package staffing

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/watchfloor/watchfloor/internal/staffing/sim"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Validation is the simulation of a proposed schedule.
type Validation struct {
	// Mode is "poisson" (arrivals drawn from the hourly profile) or
	// "replay" (the recorded arrivals, one replication per week).
	Mode         string  `json:"mode"`
	Replications int     `json:"replications"`
	WarmUpHours  float64 `json:"warm_up_hours"`
	Arrivals     int64   `json:"arrivals"`
	// Staffing is how the floor was simulated.
	Staffing string           `json:"staffing"`
	Queues   []ValidatedQueue `json:"queues"`
	// Occupancy and QueueLength are over the whole floor.
	Occupancy   sim.Stat `json:"occupancy"`
	QueueLength sim.Stat `json:"mean_queue_length"`
}

// Verdicts on a simulated queue.
const (
	Met          = "met"          // the whole confidence interval is at or above target
	Missed       = "missed"       // the whole interval is below it
	Inconclusive = "inconclusive" // the interval straddles the target
)

// ValidatedQueue is one queue's simulated outcome.
type ValidatedQueue struct {
	sim.ClassResult
	TargetServiceLevel float64 `json:"target_service_level"`
	// PlannedServiceLevel is what Erlang promised for the week.
	PlannedServiceLevel float64 `json:"planned_service_level"`
	Verdict             string  `json:"verdict"`
}

// simulate runs the floor with staff analysts per hour of the week
// serving every queue as one floor, in priority order, first come first
// served within a queue; planned holds the service level each queue was
// expected to reach, for the verdicts' table.
func simulate(w *Workload, cfg Config, staff []int, planned []float64, replay bool) (*Validation, error) {
	reps := cfg.Replications
	if reps == 0 {
		reps = DefaultReplications
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = DefaultSeed
	}
	v := &Validation{Mode: "poisson", Replications: reps,
		Staffing: "serve all queues as one floor, highest priority first, first come first served within a queue; " +
			"items started before a shift ends are finished"}
	sc := sim.Config{Interval: 3600, Staff: staff, Horizon: 7 * 24 * 3600, Replications: reps, Seed: seed}
	longest := 0.0
	for i, q := range w.Queues {
		cl := sim.Class{Name: q.Name, AnswerWithin: q.AnswerWithinSeconds, Patience: q.PatienceSeconds, Priority: i,
			Service: sim.Dist{Kind: sim.Exponential, Mean: q.EffortSeconds}}
		if len(q.effort) > 0 {
			cl.Service = sim.Dist{Kind: sim.Empirical, Mean: q.EffortSeconds, Samples: q.effort}
		}
		cl.Rates = make([]float64, HoursPerWeek)
		for h := range cl.Rates {
			cl.Rates[h] = q.ArrivalsPerHour[h] / 3600
		}
		longest = math.Max(longest, q.EffortSeconds)
		sc.Classes = append(sc.Classes, cl)
	}
	if len(sc.Classes) == 0 {
		return nil, errors.New("no queues to simulate")
	}
	sc.WarmUp = math.Min(7*24*3600, math.Max(24*3600, 10*longest))
	if replay {
		weeks, err := replayTimes(w, sc.Classes, seed)
		if err != nil {
			return nil, err
		}
		v.Mode, v.Replications, sc.Replications, sc.WarmUp = "replay", weeks, weeks, 0
	}
	v.WarmUpHours = sc.WarmUp / 3600
	res, err := sim.Run(sc)
	if err != nil {
		return nil, err
	}
	v.Arrivals, v.Occupancy, v.QueueLength = res.Arrivals, res.Occupancy, res.QueueLength
	for i, cr := range res.Classes {
		vq := ValidatedQueue{ClassResult: cr, TargetServiceLevel: w.Queues[i].TargetServiceLevel, PlannedServiceLevel: planned[i]}
		switch {
		case cr.Arrivals == 0 || cr.ServiceLevel.Low >= vq.TargetServiceLevel:
			vq.Verdict = Met
		case cr.ServiceLevel.High < vq.TargetServiceLevel:
			vq.Verdict = Missed
		default:
			vq.Verdict = Inconclusive
		}
		v.Queues = append(v.Queues, vq)
	}
	return v, nil
}

// simulateRoster simulates today's roster: the expected analysts of each
// hour, fractional, are turned into whole analysts by carrying the
// fractions forward (so the week's analyst-hours are kept), and the
// simulated service levels are set on the comparison's queues.
func simulateRoster(rc *RosterComparison, w *Workload, cfg Config, replay bool) error {
	staff := make([]int, HoursPerWeek)
	var cum float64
	prev := 0
	for h, a := range rc.agents {
		cum += a
		n := int(math.Floor(cum + 1e-9))
		staff[h], prev = n-prev, n
	}
	expected := make([]float64, len(rc.Queues))
	for i, q := range rc.Queues {
		expected[i] = q.ServiceLevel
	}
	v, err := simulate(w, cfg, staff, expected, replay)
	if err != nil {
		return err
	}
	v.Staffing = "today's roster: the expected analysts on duty less shrinkage, fractions carried from hour to hour, " + v.Staffing
	rc.Simulation = v
	for i := range rc.Queues {
		st := v.Queues[i].ServiceLevel
		rc.Queues[i].Simulated = &st
	}
	return nil
}

// replayTimes fills each class with the recorded arrivals of every whole
// week of history (Monday 00:00 local onwards), spreading each quarter
// hour's count evenly at random within it, and returns the number of
// weeks.
func replayTimes(w *Workload, classes []sim.Class, seed uint64) (int, error) {
	const perWeek = 4 * HoursPerWeek
	first := -1
	for i := 0; w.Since.Add(time.Duration(i) * store.QuarterHour).Before(w.Until); i++ {
		t := w.Since.Add(time.Duration(i) * store.QuarterHour).In(w.loc)
		if t.Weekday() == time.Monday && t.Hour() == 0 && t.Minute() == 0 {
			first = i
			break
		}
	}
	n := int(w.Until.Sub(w.Since) / store.QuarterHour)
	if first < 0 || (n-first)/perWeek < 1 {
		return 0, errors.New("replay needs at least one whole week (Monday to Monday) of history; raise history_days")
	}
	weeks := (n - first) / perWeek
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for c := range classes {
		q := w.Queues[c]
		if q.hist == nil {
			return 0, errors.New("queue " + q.Name + " has configured arrivals, not recorded ones: replay is not possible")
		}
		classes[c].Rates = nil
		classes[c].Times = make([][]float64, weeks)
		for wk := 0; wk < weeks; wk++ {
			var ts []float64
			for k := 0; k < perWeek; k++ {
				x := q.hist[first+wk*perWeek+k] * q.histScale
				cnt := int(x)
				if rng.Float64() < x-float64(cnt) {
					cnt++
				}
				start := len(ts)
				for j := 0; j < cnt; j++ {
					ts = append(ts, (float64(k)+rng.Float64())*store.QuarterHour.Seconds())
				}
				sort.Float64s(ts[start:])
			}
			classes[c].Times[wk] = ts
		}
	}
	return weeks, nil
}
