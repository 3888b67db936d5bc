package erlang

import (
	"errors"
	"fmt"
	"math"
)

// ModelPriority names the multi-class model of EvaluatePriority.
const ModelPriority = "erlang_c_priority" // M/M/n, non-preemptive priority classes

// Class is one class of work on a shared floor: its traffic and the
// threshold its service level is measured against. Classes are served in
// the order given (the first is the most urgent), first come first served
// within a class; patience is not modelled (Erlang C).
type Class struct {
	ArrivalRate  float64 // arrivals per second
	AHT          float64 // mean handle time, seconds
	AnswerWithin float64 // service-level threshold, seconds
}

// EvaluatePriority returns each class's performance when n agents serve
// every class from one floor with non-preemptive priority.
//
// With λ the total arrival rate, s̄ the arrival-weighted mean handle time
// (the floor is modelled as M/M/n with service rate 1/s̄, exact when the
// classes' handle times are equal), A = λs̄ and σₖ the load of classes 1…k
// per agent:
//
//	P(wait)                = C(n, A)                                      (every class, by PASTA)
//	E[Wₖ]                  = C(n, A)·s̄ / (n·(1 − σₖ₋₁)·(1 − σₖ))          (Cobham 1954)
//	P(answered within t)ₖ  = 1 − C(n, A)·exp(−t / θₖ),  θₖ = E[Wₖ]/C(n, A)
//
// Cobham's mean wait is exact for M/M/n with equal handle times; the wait
// of a delayed class-k arrival is taken as exponential with that mean,
// which for a single class is exactly Erlang C. Occupancy is the floor's,
// A/n, in every class's result.
func EvaluatePriority(classes []Class, agents int) ([]Result, error) {
	if len(classes) == 0 {
		return nil, errors.New("no classes to evaluate")
	}
	if agents < 0 {
		return nil, fmt.Errorf("agents must be ≥ 0, got %d", agents)
	}
	var lam, traffic float64
	for i, c := range classes {
		if err := (Queue{ArrivalRate: c.ArrivalRate, AHT: c.AHT}).check(); err != nil {
			return nil, fmt.Errorf("class %d: %w", i+1, err)
		}
		if !(c.AnswerWithin >= 0) || math.IsInf(c.AnswerWithin, 0) {
			return nil, fmt.Errorf("class %d: answer-within must be a finite number of seconds ≥ 0, got %v", i+1, c.AnswerWithin)
		}
		lam += c.ArrivalRate
		traffic += c.ArrivalRate * c.AHT
	}
	n := float64(agents)
	out := make([]Result, len(classes))
	for i, c := range classes {
		out[i] = Result{Model: ModelPriority, Agents: agents, Traffic: c.ArrivalRate * c.AHT, ArrivalsPerHour: c.ArrivalRate * 3600,
			AHT: c.AHT, AnswerWithin: c.AnswerWithin, ServiceLevelDefinition: SLDefinition(c.AnswerWithin)}
	}
	if lam == 0 {
		for i := range out {
			out[i].ServiceLevel, out[i].Stable = 1, true
		}
		return out, nil
	}
	if traffic >= n {
		for i := range out {
			r := &out[i]
			r.PWait, r.Occupancy = 1, 1
			if agents == 0 {
				r.Occupancy = 0
			}
			r.ASA, r.MeanWait, r.QueueLength = math.Inf(1), math.Inf(1), math.Inf(1)
			if r.ArrivalRate() == 0 {
				r.ServiceLevel, r.ASA, r.MeanWait, r.QueueLength = 1, 0, 0, 0
			}
		}
		return out, nil
	}
	mean := traffic / lam
	pw := C(agents, traffic)
	var before float64 // σₖ₋₁
	for i, c := range classes {
		r := &out[i]
		r.Stable, r.Occupancy = true, traffic/n
		upto := before + c.ArrivalRate*c.AHT/n
		if c.ArrivalRate > 0 {
			rate := n * (1 - before) * (1 - upto) / mean // 1/θₖ
			r.PWait = pw
			r.ServiceLevel = 1 - pw*math.Exp(-c.AnswerWithin*rate)
			r.ASA = pw / rate
			r.MeanWait = r.ASA
			r.QueueLength = c.ArrivalRate * r.ASA
		} else {
			r.ServiceLevel = 1
		}
		before = upto
	}
	return out, nil
}

// ArrivalRate is the arrivals per second the result was computed for.
func (r Result) ArrivalRate() float64 { return r.ArrivalsPerHour / 3600 }

// RequiredPriority returns the fewest agents, at least from, with which
// every class meets its target when they share one floor (see
// EvaluatePriority), and the classes' performance with them. targets[i]
// applies to classes[i]; its AnswerWithin is ignored in favour of the
// class's own, and a ServiceLevel of 0 sets no service-level target (the
// class only loads the floor; its other limits still apply). No arrivals
// need no agents beyond from.
func RequiredPriority(classes []Class, targets []Target, from int) (int, []Result, error) {
	if len(targets) != len(classes) {
		return 0, nil, fmt.Errorf("%d targets for %d classes", len(targets), len(classes))
	}
	var traffic float64
	maxOcc := 1.0
	for i, t := range targets {
		t.AnswerWithin = classes[i].AnswerWithin
		if t.ServiceLevel == 0 {
			t.ServiceLevel = 0.5 // no service-level target: check the other limits
		}
		if err := t.check(); err != nil {
			return 0, nil, fmt.Errorf("class %d: %w", i+1, err)
		}
		traffic += classes[i].ArrivalRate * classes[i].AHT
		if t.MaxOccupancy > 0 {
			maxOcc = math.Min(maxOcc, t.MaxOccupancy)
		}
	}
	meets := func(n int) (bool, []Result, error) {
		rs, err := EvaluatePriority(classes, n)
		if err != nil {
			return false, nil, err
		}
		for i, r := range rs {
			if r.ArrivalRate() > 0 && !targets[i].Meets(r) {
				return false, rs, nil
			}
		}
		return true, rs, nil
	}
	// Fewer than A/maxOcc agents never suffice (and never fewer than one
	// when anything arrives); every measure improves with each agent, so
	// the search doubles and then bisects from there.
	lo := max(from, int(math.Ceil(traffic/maxOcc-1e-9))) - 1
	if traffic > 0 {
		lo = max(lo, 0)
	}
	if ok, rs, err := meets(lo + 1); err != nil || ok {
		return lo + 1, rs, err
	}
	hi := lo + 2
	var best []Result
	for {
		ok, rs, err := meets(hi)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			best = rs
			break
		}
		if hi >= MaxAgents {
			return 0, nil, fmt.Errorf("no staffing up to %d agents meets the targets", MaxAgents)
		}
		lo, hi = hi, min(MaxAgents, 2*hi)
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, rs, err := meets(mid)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			hi, best = mid, rs
		} else {
			lo = mid
		}
	}
	return hi, best, nil
}
