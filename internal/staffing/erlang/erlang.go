// Package erlang implements the queueing formulas a watch floor is sized
// with: Erlang B (M/M/n/n, blocking), Erlang C (M/M/n, waiting) and Erlang A,
// also called Palm's model (M/M/n+M, waiting with exponentially distributed
// patience, after Mandelbaum and Zeltyn), and the search for the fewest
// agents that meet a service-level target.
//
// Every formula is evaluated with recursions or series whose terms are all
// positive and kept in range by rescaling or logarithms, so systems with tens
// of thousands of agents give finite, accurate numbers rather than overflow
// or NaN.
//
// The service level is always "the share of all arrivals that are answered
// (start service) within AnswerWithin": P(answered within t). Under Erlang C
// every arrival is eventually answered, so this is P(wait ≤ t). Under
// Erlang A, arrivals that abandon count as not answered, whenever they leave.
package erlang

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// B returns the Erlang B blocking probability of n servers offered a erlangs:
// the share of arrivals lost when there is no waiting room. It uses the
// recursion B(k) = a·B(k−1) / (k + a·B(k−1)), which is stable for any n.
func B(n int, a float64) float64 {
	if n <= 0 {
		return 1
	}
	if a <= 0 {
		return 0
	}
	b := 1.0
	for k := 1; k <= n; k++ {
		ab := a * b
		b = ab / (float64(k) + ab)
	}
	return b
}

// logInvB returns ln(1/B(n, a)) without underflow, for a > 0: the recursion
// 1/B(k) = 1 + (k/a)·(1/B(k−1)) continues in logarithms once it grows large.
func logInvB(n int, a float64) float64 {
	inv := 1.0
	for k := 1; k <= n; k++ {
		inv = 1 + float64(k)/a*inv
		if inv > 1e300 {
			l := math.Log(inv)
			for k++; k <= n; k++ {
				x := math.Log(float64(k)/a) + l
				l = x + math.Log1p(math.Exp(-x))
			}
			return l
		}
	}
	return math.Log(inv)
}

// C returns the Erlang C probability that an arrival waits, for n agents
// offered a erlangs: C = n·B / (n − a·(1 − B)). It is 1 when a ≥ n (the queue
// grows without bound).
func C(n int, a float64) float64 {
	if a <= 0 {
		return 0
	}
	if a >= float64(n) {
		return 1
	}
	b := B(n, a)
	nf := float64(n)
	return nf * b / (nf - a*(1-b))
}

// OfferedLoad returns the traffic, in erlangs, that n servers can be offered
// for an Erlang B blocking probability of p (0 < p < 1): the inverse of B in
// its second argument, found by bisection to full precision.
func OfferedLoad(n int, p float64) (float64, error) {
	if n < 1 {
		return 0, fmt.Errorf("offered load: need at least one server, got %d", n)
	}
	if !(p > 0 && p < 1) {
		return 0, fmt.Errorf("offered load: blocking probability must be between 0 and 1, got %v", p)
	}
	lo, hi := 0.0, float64(n)
	for B(n, hi) < p {
		lo, hi = hi, 2*hi
	}
	for i := 0; i < 200 && hi-lo > 1e-13*hi; i++ {
		mid := (lo + hi) / 2
		if B(n, mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2, nil
}

// Queue is the traffic offered to a group of agents.
type Queue struct {
	// ArrivalRate is the mean number of arrivals per second (Poisson).
	ArrivalRate float64
	// AHT is the mean handle time in seconds (exponentially distributed).
	AHT float64
	// Patience is the mean time, in seconds, an arrival waits before it
	// abandons (exponentially distributed). Zero means arrivals never
	// abandon: the Erlang C model. A positive value selects Erlang A.
	Patience float64
}

// Traffic is the offered load in erlangs: arrival rate × handle time.
func (q Queue) Traffic() float64 { return q.ArrivalRate * q.AHT }

func (q Queue) check() error {
	switch {
	case !(q.ArrivalRate >= 0) || math.IsInf(q.ArrivalRate, 0):
		return fmt.Errorf("arrival rate must be a finite number ≥ 0, got %v", q.ArrivalRate)
	case !(q.AHT > 0) || math.IsInf(q.AHT, 0):
		return fmt.Errorf("handle time must be a finite number > 0, got %v", q.AHT)
	case !(q.Patience >= 0) || math.IsInf(q.Patience, 0):
		return fmt.Errorf("patience must be a finite number ≥ 0 (0 = never abandons), got %v", q.Patience)
	}
	return nil
}

// Model names.
const (
	ModelC = "erlang_c" // M/M/n
	ModelA = "erlang_a" // M/M/n+M
)

// Result is a queue's performance with a given number of agents. Times are
// in seconds. When the queue is unstable (Erlang C with traffic ≥ agents)
// the waiting times and queue length are infinite; they are encoded as null
// in JSON.
type Result struct {
	Model   string  `json:"model"`
	Agents  int     `json:"agents"`
	Traffic float64 `json:"traffic_erlangs"`
	// ArrivalsPerHour, AHT and Patience echo the input.
	ArrivalsPerHour float64 `json:"arrivals_per_hour"`
	AHT             float64 `json:"aht_seconds"`
	Patience        float64 `json:"patience_seconds,omitempty"`
	AnswerWithin    float64 `json:"answer_within_seconds"`
	// ServiceLevelDefinition says in words what ServiceLevel measures.
	ServiceLevelDefinition string `json:"service_level_definition"`
	// PWait is the probability that an arrival has to wait (finds every
	// agent busy).
	PWait float64 `json:"p_wait"`
	// ServiceLevel is P(answered within AnswerWithin): the share of all
	// arrivals that start service within AnswerWithin of arriving.
	ServiceLevel float64 `json:"service_level"`
	// ASA is the average speed of answer: the mean wait of the arrivals
	// that are answered, those answered at once included.
	ASA float64 `json:"asa_seconds"`
	// MeanWait is the mean time in queue over all arrivals, abandoned ones
	// included (equal to ASA under Erlang C).
	MeanWait float64 `json:"mean_wait_seconds"`
	// PAbandon is the share of arrivals that abandon (0 under Erlang C).
	PAbandon float64 `json:"p_abandon"`
	// Occupancy is the share of agent time spent handling work: the
	// answered traffic divided by the agents.
	Occupancy float64 `json:"occupancy"`
	// QueueLength is the time-average number of arrivals waiting.
	QueueLength float64 `json:"mean_queue_length"`
	// Stable is false when the queue grows without bound.
	Stable bool `json:"stable"`
}

// MarshalJSON encodes infinite values (of an unstable queue) as null.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	type out struct {
		plain
		ASA         *float64 `json:"asa_seconds"`
		MeanWait    *float64 `json:"mean_wait_seconds"`
		QueueLength *float64 `json:"mean_queue_length"`
	}
	return json.Marshal(out{plain: plain(r), ASA: finite(r.ASA), MeanWait: finite(r.MeanWait), QueueLength: finite(r.QueueLength)})
}

func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

// SLDefinition describes the service level for a threshold in seconds.
func SLDefinition(answerWithin float64) string {
	return "P(answered within " + formatSeconds(answerWithin) + "): share of all arrivals that start being handled within " +
		formatSeconds(answerWithin) + " of arriving; arrivals that abandon count as not answered"
}

func formatSeconds(s float64) string {
	return strconv.FormatFloat(s, 'f', -1, 64) + "s"
}

// Evaluate returns the performance of q with the given number of agents,
// the service level measured against answerWithin seconds.
func Evaluate(q Queue, agents int, answerWithin float64) (Result, error) {
	if err := q.check(); err != nil {
		return Result{}, err
	}
	if agents < 0 {
		return Result{}, fmt.Errorf("agents must be ≥ 0, got %d", agents)
	}
	if !(answerWithin >= 0) {
		return Result{}, fmt.Errorf("answer-within must be ≥ 0 seconds, got %v", answerWithin)
	}
	r := Result{
		Model: ModelC, Agents: agents, Traffic: q.Traffic(), ArrivalsPerHour: q.ArrivalRate * 3600,
		AHT: q.AHT, Patience: q.Patience, AnswerWithin: answerWithin, ServiceLevelDefinition: SLDefinition(answerWithin),
	}
	if q.Patience > 0 {
		r.Model = ModelA
	}
	switch {
	case q.ArrivalRate == 0:
		r.ServiceLevel, r.Stable = 1, true
		return r, nil
	case r.Model == ModelC:
		evalC(&r)
	default:
		if err := evalA(&r, q); err != nil {
			return Result{}, err
		}
	}
	return r, nil
}

// evalC fills r with the Erlang C formulas.
func evalC(r *Result) {
	n, a := float64(r.Agents), r.Traffic
	if a >= n {
		r.PWait, r.ServiceLevel, r.Occupancy = 1, 0, 1
		if r.Agents == 0 {
			r.Occupancy = 0
		}
		r.ASA, r.MeanWait, r.QueueLength = math.Inf(1), math.Inf(1), math.Inf(1)
		return
	}
	c := C(r.Agents, a)
	r.Stable = true
	r.PWait = c
	// The wait of a delayed arrival is exponential with rate (n − a)/AHT.
	r.ServiceLevel = 1 - c*math.Exp(-(n-a)*r.AnswerWithin/r.AHT)
	r.ASA = c * r.AHT / (n - a)
	r.MeanWait = r.ASA
	r.Occupancy = a / n
	r.QueueLength = c * a / (n - a)
}

// evalA fills r with the Erlang A (M/M/n+M) formulas of Mandelbaum and
// Zeltyn. With λ the arrival rate, μ = 1/AHT, θ = 1/patience, n agents,
// y = λ/θ, s = nμ/θ and the series
//
//	F(s, y) = Σₖ yᵏ / (s(s+1)…(s+k)) = e^y y^−s γ(s, y),
//
// the virtual wait V (the time an arrival would wait if infinitely patient)
// has an atom P(V = 0) = E/(E + yF(s,y)), E = 1/B(n−1, λ/μ), and the density
// f(x) = θ(1−P(V=0))/F(s,y) · exp(y(1 − e^−θx) − nμx) for x > 0. An arrival
// is answered when V is shorter than its patience, so
//
//	P(wait)               = yF(s,y) / (E + yF(s,y))
//	P(abandon)            = P(wait) · (1 − F(s+1,y)/F(s,y)) = P(wait) · M(s,y)/y
//	P(answered within t)  = 1 − P(wait) + P(wait)·(F(s+1,y) − e^{y−z−(s+1)θt}F(s+1,z))/F(s,y),  z = y·e^−θt
//	E[V; answered]        = P(wait) · F(s+1,y)/F(s,y) · G(s+1,y)/θ,   G = −∂ln F/∂s
//	mean wait (all)       = P(abandon)/θ,  queue length = λ·P(abandon)/θ.
func evalA(r *Result, q Queue) error {
	if r.Agents == 0 {
		// Nobody is answered; ASA (the wait of the answered) is 0 by
		// convention.
		r.PWait, r.PAbandon, r.ServiceLevel, r.Stable = 1, 1, 0, true
		r.MeanWait = q.Patience
		r.QueueLength = q.ArrivalRate * q.Patience
		return nil
	}
	lambda, mu, theta := q.ArrivalRate, 1/q.AHT, 1/q.Patience
	n := float64(r.Agents)
	y, s := lambda/theta, n*mu/theta
	lnE := logInvB(r.Agents-1, r.Traffic)
	f0, err := series(s, y)
	if err != nil {
		return err
	}
	f1, err := series(s+1, y)
	if err != nil {
		return err
	}
	pw := 1 / (1 + math.Exp(lnE-math.Log(y)-f0.lnF))
	gone := f0.m / y                    // P(abandon | waits) = 1 − F(s+1,y)/F(s,y)
	served := math.Exp(f1.lnF - f0.lnF) // P(answered | waits)
	r.Stable = true
	r.PWait = pw
	r.PAbandon = pw * gone
	t := r.AnswerWithin
	switch {
	case t == 0:
		r.ServiceLevel = 1 - pw
	case math.IsInf(t, 1):
		r.ServiceLevel = 1 - r.PAbandon
	default:
		z := y * math.Exp(-theta*t)
		f1z, err := series(s+1, z)
		if err != nil {
			return err
		}
		// y − z = y(1 − e^−θt), computed without cancellation.
		late := math.Exp(-y*math.Expm1(-theta*t) - (n*mu+theta)*t + f1z.lnF - f0.lnF)
		r.ServiceLevel = 1 - pw + pw*max(0, served-late)
	}
	if ans := 1 - r.PAbandon; ans > 0 {
		r.ASA = pw * served * f1.g / theta / ans
	}
	r.MeanWait = r.PAbandon / theta
	r.QueueLength = lambda * r.MeanWait
	r.Occupancy = r.Traffic * (1 - r.PAbandon) / n
	return nil
}

// maxTerms bounds the series: enough for y − s up to tens of millions.
const maxTerms = 100_000_000

// seriesResult holds ln F(s, y), G(s, y) = −∂ ln F/∂s and M(s, y), the mean
// index of the series' terms.
type seriesResult struct{ lnF, g, m float64 }

// series evaluates, for s > 0 and y ≥ 0,
//
//	F = Σₖ tₖ,  tₖ = yᵏ / Πᵢ₌₀ᵏ (s+i),   G = Σₖ tₖHₖ / F,  Hₖ = Σᵢ₌₀ᵏ 1/(s+i),   M = Σₖ k·tₖ / F.
//
// M gives 1 − F(s+1, y)/F(s, y) = M/y without cancellation, since
// F(s,y) − F(s+1,y) = Σₖ k·tₖ / y.
//
// All terms are positive; they rise while s+k < y and then fall faster than
// geometrically, so the sum is accumulated in a rescaled linear form and cut
// once the remaining tail cannot change it in double precision.
func series(s, y float64) (sr seriesResult, err error) {
	lnScale := -math.Log(s) // the scaled term 1 stands for t₀ = 1/s
	term, h := 1.0, 1/s
	sum, wsum, ksum := 1.0, h, 0.0
	if y == 0 {
		return seriesResult{lnF: lnScale, g: h}, nil
	}
	const big, lnBig = 1e250, 250 * math.Ln10
	for k := 1; ; k++ {
		sk := s + float64(k)
		term *= y / sk
		h += 1 / sk
		sum += term
		wsum += term * h
		ksum += term * float64(k)
		if sum > big {
			term, sum, wsum, ksum = term/big, sum/big, wsum/big, ksum/big
			lnScale += lnBig
		}
		if r := y / (sk + 1); r < 1 {
			// The tail Σ_{j>k} tⱼ is below term·r/(1−r); Hⱼ grows by less
			// than 1/sk a step.
			tail := term * r / (1 - r)
			kt := float64(k) + 1/(1-r)
			if tail <= 1e-17*sum && tail*(h+1/((1-r)*sk)) <= 1e-17*wsum && tail*kt <= 1e-17*ksum {
				return seriesResult{lnF: lnScale + math.Log(sum), g: wsum / sum, m: ksum / sum}, nil
			}
		}
		if k >= maxTerms {
			return seriesResult{}, errors.New("erlang A: patience too long relative to the handle time for this load; use Erlang C (no abandonment)")
		}
	}
}

// Target is what a queue must achieve. ServiceLevel is required; the other
// limits apply when positive.
type Target struct {
	// AnswerWithin is the service-level threshold in seconds.
	AnswerWithin float64 `json:"answer_within_seconds"`
	// ServiceLevel is the least acceptable P(answered within AnswerWithin),
	// between 0 and 1 (exclusive).
	ServiceLevel float64 `json:"service_level"`
	// MaxASA caps the average speed of answer, in seconds.
	MaxASA float64 `json:"max_asa_seconds,omitempty"`
	// MaxAbandon caps the share of arrivals that abandon (Erlang A).
	MaxAbandon float64 `json:"max_abandon,omitempty"`
	// MaxOccupancy caps agent occupancy (for example 0.85), so the floor
	// keeps slack for breaks, escalations and surges.
	MaxOccupancy float64 `json:"max_occupancy,omitempty"`
}

func (t Target) check() error {
	switch {
	case !(t.AnswerWithin >= 0) || math.IsInf(t.AnswerWithin, 0):
		return fmt.Errorf("answer-within must be a finite number of seconds ≥ 0, got %v", t.AnswerWithin)
	case !(t.ServiceLevel > 0 && t.ServiceLevel < 1):
		return fmt.Errorf("target service level must be between 0 and 1 (exclusive), got %v", t.ServiceLevel)
	case t.MaxASA < 0 || math.IsNaN(t.MaxASA):
		return fmt.Errorf("max ASA must be ≥ 0, got %v", t.MaxASA)
	case t.MaxAbandon < 0 || t.MaxAbandon >= 1 || math.IsNaN(t.MaxAbandon):
		return fmt.Errorf("max abandon must be in [0, 1), got %v", t.MaxAbandon)
	case t.MaxOccupancy < 0 || t.MaxOccupancy > 1 || math.IsNaN(t.MaxOccupancy):
		return fmt.Errorf("max occupancy must be in (0, 1], got %v", t.MaxOccupancy)
	}
	return nil
}

// Meets reports whether r satisfies t.
func (t Target) Meets(r Result) bool {
	if !r.Stable || r.ServiceLevel < t.ServiceLevel {
		return false
	}
	if t.MaxASA > 0 && r.ASA > t.MaxASA {
		return false
	}
	if t.MaxAbandon > 0 && r.PAbandon > t.MaxAbandon {
		return false
	}
	if t.MaxOccupancy > 0 && r.Occupancy > t.MaxOccupancy*(1+1e-12) {
		return false
	}
	return true
}

// MaxAgents bounds the search of Required.
const MaxAgents = 10_000_000

// Required returns the fewest agents with which q meets t, and the queue's
// performance with them. Every measure is monotone in the number of agents,
// so the answer is found by doubling and bisection. No arrivals need no
// agents.
func Required(q Queue, t Target) (Result, error) {
	if err := q.check(); err != nil {
		return Result{}, err
	}
	if err := t.check(); err != nil {
		return Result{}, err
	}
	eval := func(n int) (Result, error) { return Evaluate(q, n, t.AnswerWithin) }
	if q.ArrivalRate == 0 {
		return eval(0)
	}
	a := q.Traffic()
	// Under Erlang C fewer than a agents never suffice, and an occupancy
	// cap sets its own floor; start the search there. (Under Erlang A
	// abandonment lowers occupancy, so neither floor holds.)
	lo := 0 // known to fail, or the floor minus one
	if q.Patience == 0 {
		lo = int(math.Floor(a))
	}
	if q.Patience == 0 && t.MaxOccupancy > 0 {
		lo = max(lo, int(math.Ceil(a/t.MaxOccupancy-1e-9))-1)
	}
	hi := max(lo+1, 1)
	var best Result
	for {
		r, err := eval(hi)
		if err != nil {
			return Result{}, err
		}
		if t.Meets(r) {
			best = r
			break
		}
		if hi >= MaxAgents {
			return Result{}, fmt.Errorf("no staffing up to %d agents meets the target", MaxAgents)
		}
		lo, hi = hi, min(MaxAgents, lo+2*(hi-lo)+1)
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		r, err := eval(mid)
		if err != nil {
			return Result{}, err
		}
		if t.Meets(r) {
			hi, best = mid, r
		} else {
			lo = mid
		}
	}
	return best, nil
}
