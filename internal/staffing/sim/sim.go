// Package sim validates a staffing plan by discrete-event simulation. Work
// arrives in classes (queues) as a Poisson process whose rate changes by
// interval of the week, or replays recorded arrival times; agents on duty
// follow the schedule interval by interval; each class is served first come,
// first served, classes in priority order; handle times follow an
// exponential, lognormal or empirical distribution, and arrivals may abandon
// after an exponentially distributed patience.
//
// Each replication is independent (its own random stream, derived from the
// seed); the reported means carry 95 % confidence intervals from the
// Student t distribution across replications. Arrivals are counted in the
// window that follows the warm-up; their waits are followed to the end even
// after the window closes, so no arrival is cut short.
package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// DistKind names a handle-time distribution.
type DistKind string

// The distributions.
const (
	Exponential DistKind = "exponential"
	Lognormal   DistKind = "lognormal"
	Empirical   DistKind = "empirical"
	Fixed       DistKind = "fixed"
)

// Dist is a handle-time distribution, in seconds.
type Dist struct {
	Kind DistKind `json:"kind"`
	Mean float64  `json:"mean_seconds"`
	// CV is the coefficient of variation (standard deviation ÷ mean) of a
	// lognormal distribution.
	CV float64 `json:"cv,omitempty"`
	// Samples are the observed values an empirical distribution draws from.
	Samples []float64 `json:"-"`
}

func (d Dist) check() error {
	switch d.Kind {
	case Exponential, Fixed:
		if !(d.Mean > 0) || math.IsInf(d.Mean, 0) {
			return fmt.Errorf("%s handle time needs a positive mean, got %v", d.Kind, d.Mean)
		}
	case Lognormal:
		if !(d.Mean > 0) || math.IsInf(d.Mean, 0) || !(d.CV > 0) || math.IsInf(d.CV, 0) {
			return fmt.Errorf("lognormal handle time needs a positive mean and CV, got %v and %v", d.Mean, d.CV)
		}
	case Empirical:
		if len(d.Samples) == 0 {
			return errors.New("empirical handle time needs samples")
		}
		for _, v := range d.Samples {
			if !(v >= 0) || math.IsInf(v, 0) {
				return fmt.Errorf("empirical handle time sample %v is not a finite duration", v)
			}
		}
	default:
		return fmt.Errorf("unknown handle-time distribution %q", d.Kind)
	}
	return nil
}

// sampler draws from a Dist.
type sampler struct {
	kind    DistKind
	mean    float64
	mu, sd  float64 // of the underlying normal, lognormal
	samples []float64
}

func newSampler(d Dist) sampler {
	s := sampler{kind: d.Kind, mean: d.Mean, samples: d.Samples}
	if d.Kind == Lognormal {
		v := math.Log1p(d.CV * d.CV)
		s.sd = math.Sqrt(v)
		s.mu = math.Log(d.Mean) - v/2
	}
	return s
}

func (s *sampler) draw(rng *rand.Rand) float64 {
	switch s.kind {
	case Exponential:
		return rng.ExpFloat64() * s.mean
	case Lognormal:
		return math.Exp(s.mu + s.sd*rng.NormFloat64())
	case Empirical:
		return s.samples[rng.IntN(len(s.samples))]
	}
	return s.mean
}

// Class is one queue of work.
type Class struct {
	Name string `json:"name"`
	// Rates are the mean arrivals per second in each interval of the
	// cycle (Poisson within an interval). Ignored when Times is set.
	Rates []float64 `json:"-"`
	// Times, when set, are recorded arrival times in seconds from the start
	// of the simulated span, replayed as they are (each list sorted
	// ascending); replication r replays Times[r mod len(Times)].
	Times [][]float64 `json:"-"`
	// Service is the handle-time distribution.
	Service Dist `json:"service"`
	// Patience is the mean patience in seconds (exponential); 0 means
	// arrivals wait as long as it takes.
	Patience float64 `json:"patience_seconds,omitempty"`
	// AnswerWithin is the service-level threshold in seconds.
	AnswerWithin float64 `json:"answer_within_seconds"`
	// Priority orders classes: lower values are served first.
	Priority int `json:"priority"`
}

// Config is a simulation.
type Config struct {
	// Interval is the length of one interval in seconds.
	Interval float64
	// Staff holds the agents on duty in each interval of the cycle; the
	// cycle repeats for as long as the simulation runs.
	Staff []int
	// Classes are the queues.
	Classes []Class
	// WarmUp is simulated before counting starts, in seconds; Horizon is
	// the counted window. With replayed Times, WarmUp is ignored and the
	// window is [0, Horizon).
	WarmUp, Horizon float64
	// Replications is the number of independent runs (at least 2 for a
	// confidence interval).
	Replications int
	// Seed selects the random streams.
	Seed uint64
}

// Stat is an estimate with its 95 % confidence interval across
// replications.
type Stat struct {
	Mean float64 `json:"mean"`
	Low  float64 `json:"ci95_low"`
	High float64 `json:"ci95_high"`
}

// Contains reports whether v lies within the confidence interval.
func (s Stat) Contains(v float64) bool { return v >= s.Low && v <= s.High }

// ClassResult is what one class achieved.
type ClassResult struct {
	Name string `json:"name"`
	// Arrivals counts arrivals in the counted windows of all replications.
	Arrivals int64 `json:"arrivals"`
	// PWait is the share of arrivals that found no agent free.
	PWait Stat `json:"p_wait"`
	// ServiceLevel is P(answered within AnswerWithin): the share of
	// arrivals that started service within the threshold.
	ServiceLevel Stat `json:"service_level"`
	// ASA is the mean wait of the arrivals answered, in seconds.
	ASA Stat `json:"asa_seconds"`
	// PAbandon is the share of arrivals that abandoned.
	PAbandon Stat `json:"p_abandon"`
	// QueueLength is the time-average number waiting (Little's law: total
	// time waited ÷ window).
	QueueLength Stat `json:"mean_queue_length"`
}

// Result is the outcome of a simulation.
type Result struct {
	Replications int           `json:"replications"`
	Arrivals     int64         `json:"arrivals"`
	Classes      []ClassResult `json:"classes"`
	// Occupancy is the share of on-duty agent time spent handling work.
	Occupancy Stat `json:"occupancy"`
	// QueueLength is the time-average number waiting over all classes.
	QueueLength Stat `json:"mean_queue_length"`
	// IntervalServiceLevel is, per interval of the cycle, the share of all
	// arrivals in that interval (all replications, all classes) answered
	// within their threshold; NaN-free: −1 where nothing arrived.
	IntervalServiceLevel []float64 `json:"interval_service_level"`
}

func (c *Config) check() error {
	if !(c.Interval > 0) || len(c.Staff) == 0 {
		return errors.New("simulation needs an interval length and staffing for each interval")
	}
	for i, s := range c.Staff {
		if s < 0 {
			return fmt.Errorf("interval %d: negative staffing %d", i, s)
		}
	}
	if len(c.Classes) == 0 {
		return errors.New("simulation needs at least one class of work")
	}
	if !(c.Horizon > 0) || !(c.WarmUp >= 0) || math.IsInf(c.Horizon+c.WarmUp, 0) {
		return fmt.Errorf("simulation window: warm-up %v, horizon %v seconds", c.WarmUp, c.Horizon)
	}
	if c.Replications < 1 {
		return fmt.Errorf("replications must be ≥ 1, got %d", c.Replications)
	}
	staffed := false
	for _, s := range c.Staff {
		staffed = staffed || s > 0
	}
	for i, cl := range c.Classes {
		if err := cl.Service.check(); err != nil {
			return fmt.Errorf("class %q: %w", cl.Name, err)
		}
		if cl.Times == nil && len(cl.Rates) != len(c.Staff) {
			return fmt.Errorf("class %q: %d arrival rates for %d intervals", cl.Name, len(cl.Rates), len(c.Staff))
		}
		for _, r := range cl.Rates {
			if !(r >= 0) || math.IsInf(r, 0) {
				return fmt.Errorf("class %q: arrival rate %v", cl.Name, r)
			}
		}
		for _, ts := range cl.Times {
			if !sort.Float64sAreSorted(ts) {
				return fmt.Errorf("class %q: arrival times are not sorted", cl.Name)
			}
		}
		if cl.Patience < 0 || cl.AnswerWithin < 0 {
			return fmt.Errorf("class %q: negative patience or answer-within", cl.Name)
		}
		busy := len(cl.Times) > 0
		for _, r := range cl.Rates {
			busy = busy || r > 0
		}
		if !staffed && cl.Patience == 0 && busy {
			return fmt.Errorf("class %q: nobody is ever on duty and arrivals never abandon", c.Classes[i].Name)
		}
	}
	return nil
}

// Run simulates cfg.
func Run(cfg Config) (Result, error) {
	if err := cfg.check(); err != nil {
		return Result{}, err
	}
	nc := len(cfg.Classes)
	reps := make([]repStats, cfg.Replications)
	nInt := len(cfg.Staff)
	intArr := make([]int64, nInt)
	intOK := make([]int64, nInt)
	// Replications are independent (each its own random stream and
	// statistics, cfg only read), so they run on every core; the results
	// are combined in replication order, as if run one after another.
	next := make(chan int, len(reps))
	for r := range reps {
		reps[r] = newRepStats(nc, nInt)
		next <- r
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(reps)) {
		wg.Go(func() {
			for r := range next {
				newRun(&cfg, r, &reps[r]).run()
			}
		})
	}
	wg.Wait()
	for r := range reps {
		for i := range intArr {
			intArr[i] += reps[r].intArr[i]
			intOK[i] += reps[r].intOK[i]
		}
	}
	res := Result{Replications: cfg.Replications, Classes: make([]ClassResult, nc)}
	sum := func(f func(*repStats) float64) Stat {
		v := make([]float64, len(reps))
		for i := range reps {
			v[i] = f(&reps[i])
		}
		return estimate(v, math.Inf(1))
	}
	share := func(f func(*repStats) float64) Stat {
		v := make([]float64, len(reps))
		for i := range reps {
			v[i] = f(&reps[i])
		}
		return estimate(v, 1)
	}
	for c := range cfg.Classes {
		cr := ClassResult{Name: cfg.Classes[c].Name}
		for i := range reps {
			cr.Arrivals += reps[i].arrivals[c]
		}
		cr.PWait = share(func(r *repStats) float64 {
			return ratio(float64(r.arrivals[c]-r.immediate[c]), float64(r.arrivals[c]), 0)
		})
		cr.ServiceLevel = share(func(r *repStats) float64 { return ratio(float64(r.within[c]), float64(r.arrivals[c]), 1) })
		cr.ASA = sum(func(r *repStats) float64 { return ratio(r.waitAnswered[c], float64(r.answered[c]), 0) })
		cr.PAbandon = share(func(r *repStats) float64 { return ratio(float64(r.abandoned[c]), float64(r.arrivals[c]), 0) })
		cr.QueueLength = sum(func(r *repStats) float64 { return r.waitAll[c] / cfg.Horizon })
		res.Arrivals += cr.Arrivals
		res.Classes[c] = cr
	}
	res.Occupancy = share(func(r *repStats) float64 { return ratio(r.busy, r.present, 0) })
	res.QueueLength = sum(func(r *repStats) float64 {
		var w float64
		for _, v := range r.waitAll {
			w += v
		}
		return w / cfg.Horizon
	})
	res.IntervalServiceLevel = make([]float64, nInt)
	for i := range intArr {
		res.IntervalServiceLevel[i] = ratio(float64(intOK[i]), float64(intArr[i]), -1)
	}
	return res, nil
}

func ratio(a, b, empty float64) float64 {
	if b == 0 {
		return empty
	}
	return a / b
}

// estimate returns the mean of per-replication values and its 95 %
// Student t confidence interval (a zero-width interval for one value),
// clipped to [0, top]: every measure here is non-negative, and shares are
// at most 1.
func estimate(v []float64, top float64) Stat {
	n := float64(len(v))
	if len(v) < 2 {
		m := stat.Mean(v, nil)
		return Stat{Mean: m, Low: m, High: m}
	}
	m, sd := stat.MeanStdDev(v, nil)
	se := stat.StdErr(sd, n)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	return Stat{Mean: m, Low: math.Max(0, m-t*se), High: math.Min(top, m+t*se)}
}

// repStats accumulates one replication.
type repStats struct {
	arrivals, answered, within, abandoned, immediate []int64
	waitAnswered, waitAll                            []float64
	busy, present                                    float64 // agent-seconds in the window
	intArr, intOK                                    []int64
}

func newRepStats(nc, nInt int) repStats {
	return repStats{
		arrivals: make([]int64, nc), answered: make([]int64, nc), within: make([]int64, nc), abandoned: make([]int64, nc),
		immediate:    make([]int64, nc),
		waitAnswered: make([]float64, nc), waitAll: make([]float64, nc), intArr: make([]int64, nInt), intOK: make([]int64, nInt),
	}
}

// customer is an arrival waiting in a queue.
type customer struct {
	arrive   float64
	deadline float64 // abandons at this time; +Inf when patient
	counted  bool    // arrived in the counted window
	interval int32
}

// fifo is a growable ring buffer of customers.
type fifo struct {
	buf        []customer
	head, size int
}

func (q *fifo) push(c customer) {
	if q.size == len(q.buf) {
		nb := make([]customer, max(16, 2*len(q.buf)))
		for i := 0; i < q.size; i++ {
			nb[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = c
	q.size++
}

func (q *fifo) front() *customer { return &q.buf[q.head] }

func (q *fifo) pop() {
	q.head = (q.head + 1) % len(q.buf)
	q.size--
}

// completions is a binary min-heap of the times busy agents finish.
type completions []float64

func (h completions) Len() int { return len(h) }

func (h *completions) push(v float64) {
	*h = append(*h, v)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p] <= v {
			break
		}
		a[i] = a[p]
		i = p
	}
	a[i] = v
}

func (h *completions) pop() {
	a := *h
	n := len(a) - 1
	v := a[n]
	a = a[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && a[r] < a[l] {
			l = r
		}
		if v <= a[l] {
			break
		}
		a[i] = a[l]
		i = l
	}
	if n > 0 {
		a[i] = v
	}
	*h = a
}

// run is the state of one replication.
type run struct {
	cfg      *Config
	st       *repStats
	rng      *rand.Rand
	svc      []sampler
	byPrio   []int // class indices, highest priority first
	queues   []fifo
	waiting  int
	busy     completions
	idle     int
	target   int // agents that should be on duty now
	now      float64
	winStart float64
	winEnd   float64
	// arrival generation
	replay   []int       // next index into each class's times
	times    [][]float64 // each class's arrival times for this replication
	cumRates [][]float64
	nextArr  float64
	nextCls  int
	genInt   int // interval the Poisson generator is in (absolute count)
	genEnd   float64
	lastAcc  float64 // time up to which busy/present are accumulated
	finished bool    // no more arrivals
}

func newRun(cfg *Config, rep int, st *repStats) *run {
	s := &run{cfg: cfg, st: st, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(rep)+1))}
	for _, c := range cfg.Classes {
		s.svc = append(s.svc, newSampler(c.Service))
	}
	s.byPrio = make([]int, len(cfg.Classes))
	for i := range s.byPrio {
		s.byPrio[i] = i
	}
	sort.SliceStable(s.byPrio, func(a, b int) bool { return cfg.Classes[s.byPrio[a]].Priority < cfg.Classes[s.byPrio[b]].Priority })
	s.queues = make([]fifo, len(cfg.Classes))
	replay := false
	for _, c := range cfg.Classes {
		replay = replay || c.Times != nil
	}
	if replay {
		s.replay = make([]int, len(cfg.Classes))
		s.times = make([][]float64, len(cfg.Classes))
		for c, cl := range cfg.Classes {
			if len(cl.Times) > 0 {
				s.times[c] = cl.Times[rep%len(cl.Times)]
			}
		}
		s.winStart, s.winEnd = 0, cfg.Horizon
	} else {
		s.winStart, s.winEnd = cfg.WarmUp, cfg.WarmUp+cfg.Horizon
		s.cumRates = make([][]float64, len(cfg.Staff))
		for i := range cfg.Staff {
			cum := make([]float64, len(cfg.Classes))
			var tot float64
			for c, cl := range cfg.Classes {
				tot += cl.Rates[i]
				cum[c] = tot
			}
			s.cumRates[i] = cum
		}
	}
	return s
}

func (s *run) intervalAt(t float64) int {
	return int(math.Floor(t/s.cfg.Interval)) % len(s.cfg.Staff)
}

// advanceArrival sets nextArr and nextCls to the next arrival, or +Inf
// when arrivals have ended (at the end of the window).
func (s *run) advanceArrival() {
	if s.replay != nil {
		best, cls := math.Inf(1), -1
		for c, ts := range s.times {
			if i := s.replay[c]; i < len(ts) && ts[i] < best {
				best, cls = ts[i], c
			}
		}
		if cls >= 0 && best < s.winEnd {
			s.replay[cls]++
			s.nextArr, s.nextCls = best, cls
			return
		}
		s.nextArr, s.finished = math.Inf(1), true
		return
	}
	t := s.nextArr
	for {
		cum := s.cumRates[s.genInt%len(s.cfg.Staff)]
		total := cum[len(cum)-1]
		if total > 0 {
			t += s.rng.ExpFloat64() / total
			if t < s.genEnd {
				u := s.rng.Float64() * total
				c := 0
				for c < len(cum)-1 && u >= cum[c] {
					c++
				}
				if t >= s.winEnd {
					break
				}
				s.nextArr, s.nextCls = t, c
				return
			}
		}
		// Memoryless: restart at the next interval boundary with its rate.
		t = s.genEnd
		s.genInt++
		s.genEnd = float64(s.genInt+1) * s.cfg.Interval
		if t >= s.winEnd {
			break
		}
	}
	s.nextArr, s.finished = math.Inf(1), true
}

// accumulate adds agent time up to t (clamped to the window).
func (s *run) accumulate(t float64) {
	a, b := max(s.lastAcc, s.winStart), min(t, s.winEnd)
	if b > a {
		n := float64(s.busy.Len())
		s.st.busy += n * (b - a)
		s.st.present += (n + float64(s.idle)) * (b - a)
	}
	s.lastAcc = t
}

func (s *run) run() {
	cfg := s.cfg
	s.genEnd = cfg.Interval
	s.nextArr = 0
	s.advanceArrival()
	s.target = cfg.Staff[0]
	s.idle = s.target
	nextShift := cfg.Interval
	shiftCount := 1
	// After the window closes, agents keep working until every counted
	// arrival has been answered or has abandoned; a full cycle without
	// anyone on duty and no patience is ruled out by check.
	for {
		tc := math.Inf(1)
		if s.busy.Len() > 0 {
			tc = s.busy[0]
		}
		if s.finished && s.waiting == 0 && s.busy.Len() == 0 {
			s.accumulate(s.winEnd)
			return
		}
		switch {
		case s.nextArr <= tc && s.nextArr <= nextShift:
			s.accumulate(s.nextArr)
			s.now = s.nextArr
			s.arrive(s.nextCls)
			s.advanceArrival()
		case tc <= nextShift:
			s.accumulate(tc)
			s.now = tc
			s.busy.pop()
			// An agent whose shift has ended leaves once they finish.
			if s.busy.Len()+s.idle < s.target {
				s.idle++
			}
			s.dispatch()
		default:
			s.accumulate(nextShift)
			s.now = nextShift
			s.target = cfg.Staff[shiftCount%len(cfg.Staff)]
			shiftCount++
			nextShift = float64(shiftCount) * cfg.Interval
			present := s.busy.Len() + s.idle
			if s.target > present {
				s.idle += s.target - present
			} else {
				s.idle = max(0, s.idle-(present-s.target))
			}
			s.dispatch()
		}
	}
}

func (s *run) arrive(c int) {
	cl := &s.cfg.Classes[c]
	cu := customer{arrive: s.now, deadline: math.Inf(1), counted: s.now >= s.winStart && s.now < s.winEnd}
	if cl.Patience > 0 {
		cu.deadline = s.now + s.rng.ExpFloat64()*cl.Patience
	}
	cu.interval = int32(s.intervalAt(s.now))
	if cu.counted {
		s.st.arrivals[c]++
		s.st.intArr[cu.interval]++
	}
	s.queues[c].push(cu)
	s.waiting++
	s.dispatch()
}

// dispatch hands waiting work to idle agents, highest priority first;
// arrivals whose patience ran out are removed as abandoned on the way.
func (s *run) dispatch() {
	for s.waiting > 0 {
		c, q := -1, (*fifo)(nil)
		for _, k := range s.byPrio {
			qq := &s.queues[k]
			for qq.size > 0 && qq.front().deadline <= s.now {
				s.abandon(k, qq.front())
				qq.pop()
				s.waiting--
			}
			if qq.size > 0 && c < 0 {
				c, q = k, qq
			}
		}
		if c < 0 || s.idle == 0 {
			return
		}
		cu := q.front()
		wait := s.now - cu.arrive
		if cu.counted {
			s.st.answered[c]++
			s.st.waitAnswered[c] += wait
			s.st.waitAll[c] += wait
			if wait == 0 {
				s.st.immediate[c]++
			}
			if wait <= s.cfg.Classes[c].AnswerWithin {
				s.st.within[c]++
				s.st.intOK[cu.interval]++
			}
		}
		q.pop()
		s.waiting--
		s.idle--
		s.busy.push(s.now + s.svc[c].draw(s.rng))
	}
}

func (s *run) abandon(c int, cu *customer) {
	if cu.counted {
		s.st.abandoned[c]++
		s.st.waitAll[c] += cu.deadline - cu.arrive
	}
}
