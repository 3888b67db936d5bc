package erlang

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// aht180 is the textbook example: 10 erlangs of 180-second calls.
var aht180 = Queue{ArrivalRate: 10.0 / 180, AHT: 180}

func eval(t *testing.T, q Queue, n int, within float64) Result {
	t.Helper()
	r, err := Evaluate(q, n, within)
	if err != nil {
		t.Fatalf("Evaluate(%+v, %d, %v): %v", q, n, within, err)
	}
	return r
}

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.12g, want %.12g ± %g (off by %.3g)", name, got, want, tol, got-want)
	}
}

// TestPublishedErlangC checks every published value the issue lists, each
// to half a unit of its last published digit.
func TestPublishedErlangC(t *testing.T) {
	// A = 10 erlangs, N = 11: P(wait) = 0.6821182047.
	near(t, "P(wait) A=10 N=11", eval(t, aht180, 11, 20).PWait, 0.6821182047, 5e-11)
	near(t, "C(11, 10)", C(11, 10), 0.6821182047, 5e-11)

	// A = 10, N = 14: P(wait) = 0.1741319336, SL(20 s, AHT 180 s) =
	// 0.8883500192, ASA = 7.835937 s.
	r := eval(t, aht180, 14, 20)
	near(t, "P(wait) A=10 N=14", r.PWait, 0.1741319336, 5e-11)
	near(t, "SL(20s) A=10 N=14", r.ServiceLevel, 0.8883500192, 5e-11)
	near(t, "ASA A=10 N=14", r.ASA, 7.835937, 5e-7)

	// A = 10, N = 13: SL(20 s) = 0.7955948, so 14 is the minimum for 80 %
	// answered within 20 s.
	near(t, "SL(20s) A=10 N=13", eval(t, aht180, 13, 20).ServiceLevel, 0.7955948, 5e-8)
	req, err := Required(aht180, Target{AnswerWithin: 20, ServiceLevel: 0.8})
	if err != nil {
		t.Fatal(err)
	}
	if req.Agents != 14 {
		t.Errorf("agents required for 80%% in 20 s at A=10: %d, want 14", req.Agents)
	}

	// N = 3, A = 2: P(wait) = 4/9 exactly; N = 2, A = 1.5: 9/14.
	near(t, "C(3, 2)", C(3, 2), 4.0/9, 4e-16)
	near(t, "C(2, 1.5)", C(2, 1.5), 9.0/14, 4e-16)

	// λ = 9, μ = 5: N = 2 gives Lq = 7.674, N = 4 gives Lq = 0.105.
	q := Queue{ArrivalRate: 9, AHT: 1.0 / 5}
	near(t, "Lq λ=9 μ=5 N=2", eval(t, q, 2, 0).QueueLength, 7.674, 5e-4)
	near(t, "Lq λ=9 μ=5 N=4", eval(t, q, 4, 0).QueueLength, 0.105, 5e-4)

	// Erlang B: 15 lines at 1 % blocking carry 8.108 erlangs.
	a, err := OfferedLoad(15, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "offered load for B(15)=1%", a, 8.108, 5e-4)
	near(t, "B(15, OfferedLoad)", B(15, a), 0.01, 1e-12)
}

// TestErlangBSmall checks B against its closed form for a few small cases.
func TestErlangBSmall(t *testing.T) {
	for _, c := range []struct {
		n    int
		a    float64
		want float64
	}{
		{0, 3, 1},
		{1, 1, 0.5},        // a/(1+a)
		{2, 1, 0.2},        // (1/2)/(1+1+1/2)
		{2, 2, 0.4},        // 2/(1+2+2)
		{3, 2, 4.0 / 19},   // (8/6)/(1+2+2+8/6)
		{4, 3, 27.0 / 131}, // (81/24)/(1+3+9/2+27/6+81/24)
		{5, 0, 0},          // no traffic, no blocking
		{1, 1e-9, 1e-9 / (1 + 1e-9)},
	} {
		if got := B(c.n, c.a); math.Abs(got-c.want) > 1e-15*math.Max(1, c.want) {
			t.Errorf("B(%d, %v) = %.17g, want %.17g", c.n, c.a, got, c.want)
		}
	}
}

// logPoissonB computes B(n, a) independently, as the Poisson probability of
// n over that of at most n, summing in logarithms from the top term down.
func logPoissonB(n int, a float64) float64 {
	lp := func(k int) float64 {
		lg, _ := math.Lgamma(float64(k) + 1)
		return float64(k)*math.Log(a) - a - lg
	}
	top := lp(n)
	sum := 0.0
	for k := n; k >= 0; k-- {
		d := lp(k) - top
		if d < -745 && k < int(a) {
			break
		}
		sum += math.Exp(d)
	}
	return -math.Log(sum) // ln(pmf(n)/cdf(n)) with pmf(n) factored out
}

// TestLargeSystems runs 10,000 and more agents: no overflow, no NaN, values
// in range, agreeing with an independent log-space computation and with
// the square-root staffing intuition (occupancy close to 1 at scale).
func TestLargeSystems(t *testing.T) {
	for _, c := range []struct {
		n int
		a float64
	}{{10000, 9900}, {10000, 9990}, {10000, 5000}, {20000, 19800}, {50000, 49500}, {10000, 1}} {
		b := B(c.n, c.a)
		ref := math.Exp(logPoissonB(c.n, c.a))
		if math.IsNaN(b) || math.Abs(b-ref) > 1e-10*ref && math.Abs(b-ref) > 1e-300 {
			t.Errorf("B(%d, %v) = %g, independent value %g", c.n, c.a, b, ref)
		}
		li := logInvB(c.n, c.a)
		if want := -logPoissonB(c.n, c.a); math.Abs(li-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("ln 1/B(%d, %v) = %.15g, independent value %.15g", c.n, c.a, li, want)
		}
		q := Queue{ArrivalRate: c.a / 300, AHT: 300}
		for _, patience := range []float64{0, 600} {
			q.Patience = patience
			r := eval(t, q, c.n, 20)
			for name, v := range map[string]float64{"p_wait": r.PWait, "sl": r.ServiceLevel, "asa": r.ASA,
				"occupancy": r.Occupancy, "queue": r.QueueLength, "abandon": r.PAbandon} {
				if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					t.Errorf("n=%d a=%v patience=%v: %s = %v", c.n, c.a, patience, name, v)
				}
			}
			if r.PWait > 1 || r.ServiceLevel > 1 || r.Occupancy > 1 {
				t.Errorf("n=%d a=%v patience=%v: probability above 1: %+v", c.n, c.a, patience, r)
			}
		}
	}
	// 10,000 agents at 99 % load: C is far from 0 and 1 and the wait is
	// short, as square-root staffing predicts (β = 100/√9900 ≈ 1.005).
	r := eval(t, Queue{ArrivalRate: 9900.0 / 300, AHT: 300}, 10000, 20)
	if r.PWait < 0.1 || r.PWait > 0.3 {
		t.Errorf("P(wait) at n=10000, a=9900 = %v, want the Halfin–Whitt value near 0.2", r.PWait)
	}
	// Halfin–Whitt: P(wait) → [1 + β Φ(β)/φ(β)]⁻¹.
	beta := 100 / math.Sqrt(9900)
	phi := math.Exp(-beta*beta/2) / math.Sqrt(2*math.Pi)
	Phi := 0.5 * math.Erfc(-beta/math.Sqrt2)
	near(t, "P(wait) vs Halfin–Whitt", r.PWait, 1/(1+beta*Phi/phi), 0.01)

	req, err := Required(Queue{ArrivalRate: 12000.0 / 300, AHT: 300}, Target{AnswerWithin: 20, ServiceLevel: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	prev := eval(t, Queue{ArrivalRate: 12000.0 / 300, AHT: 300}, req.Agents-1, 20)
	if req.ServiceLevel < 0.9 || prev.ServiceLevel >= 0.9 || req.Agents < 12001 || req.Agents > 12200 {
		t.Errorf("required for 12,000 erlangs: %d (SL %v, one fewer %v)", req.Agents, req.ServiceLevel, prev.ServiceLevel)
	}
}

// refA is an independent Erlang A reference from the birth–death chain:
// stationary probabilities by the detailed-balance recursion (in
// logarithms), then, for an arrival finding j others waiting, the chain of
// its own position: it moves up at rate nμ + jθ (a service ends or one ahead
// abandons) and leaves at rate θ. P(answered within t) integrates that
// chain's forward equations with RK4.
type refAResult struct {
	pWait, pAbandon, sl, asa, lq float64
}

func refA(n int, lambda, mu, theta, t float64) refAResult {
	const K = 4000 // queue positions kept; the tail beyond is negligible here
	logp := make([]float64, n+K+1)
	for k := 1; k < len(logp); k++ {
		death := float64(min(k, n)) * mu
		if k > n {
			death += float64(k-n) * theta
		}
		logp[k] = logp[k-1] + math.Log(lambda/death)
	}
	top := logp[0]
	for _, v := range logp {
		top = math.Max(top, v)
	}
	p := make([]float64, len(logp))
	var z float64
	for k, v := range logp {
		p[k] = math.Exp(v - top)
		z += p[k]
	}
	var res refAResult
	rate := func(j int) float64 { return float64(n)*mu + float64(j)*theta }
	pServed, mServed := 1.0, 0.0 // for j = −1
	var answered, waitAnswered float64
	for k := range p {
		p[k] /= z
		if k < n {
			answered += p[k]
			continue
		}
		j := k - n
		res.pWait += p[k]
		res.lq += float64(j) * p[k]
		a := rate(j)
		// E[T·1{served}] and P(served) through the stages j, j−1, …, 0.
		mServed = a / (a + theta) * (pServed/(a+theta) + mServed)
		pServed *= a / (a + theta)
		answered += p[k] * pServed
		waitAnswered += p[k] * mServed
	}
	res.pAbandon = 1 - answered
	res.asa = waitAnswered / answered

	// P(answered within t): q[j](u) = P(in service by u | j ahead at 0).
	J := 0
	for J < K && p[n+J] > 1e-18 {
		J++
	}
	q := make([]float64, J)
	deriv := func(q, d []float64) {
		for j := range q {
			prev := 1.0
			if j > 0 {
				prev = q[j-1]
			}
			a := rate(j)
			d[j] = a*prev - (a+theta)*q[j]
		}
	}
	steps := 20000
	h := t / float64(steps)
	k1, k2, k3, k4, tmp := make([]float64, J), make([]float64, J), make([]float64, J), make([]float64, J), make([]float64, J)
	for s := 0; s < steps; s++ {
		deriv(q, k1)
		for j := range q {
			tmp[j] = q[j] + h/2*k1[j]
		}
		deriv(tmp, k2)
		for j := range q {
			tmp[j] = q[j] + h/2*k2[j]
		}
		deriv(tmp, k3)
		for j := range q {
			tmp[j] = q[j] + h*k3[j]
		}
		deriv(tmp, k4)
		for j := range q {
			q[j] += h / 6 * (k1[j] + 2*k2[j] + 2*k3[j] + k4[j])
		}
	}
	for k := 0; k < n; k++ {
		res.sl += p[k]
	}
	for j := 0; j < J; j++ {
		res.sl += p[n+j] * q[j]
	}
	return res
}

// TestErlangAAgainstBirthDeath compares the closed forms with the
// independent birth–death reference across loads below, at and above
// capacity (Erlang A is stable there too).
func TestErlangAAgainstBirthDeath(t *testing.T) {
	for _, c := range []struct {
		n                 int
		traffic, aht, pat float64
		within            float64
	}{
		{14, 10, 180, 120, 20},
		{14, 10, 180, 600, 60},
		{5, 4.5, 300, 300, 30},
		{10, 12, 240, 180, 20},  // overloaded: abandonment keeps it stable
		{3, 6, 600, 60, 10},     // heavily overloaded, impatient
		{50, 48, 200, 1000, 15}, // near critical
		{1, 0.5, 100, 50, 25},
		{20, 15, 60, 6000, 5}, // very patient
	} {
		q := Queue{ArrivalRate: c.traffic / c.aht, AHT: c.aht, Patience: c.pat}
		r := eval(t, q, c.n, c.within)
		ref := refA(c.n, q.ArrivalRate, 1/c.aht, 1/c.pat, c.within)
		name := func(s string) string {
			return s + " (n=" + itoa(c.n) + " A=" + ftoa(c.traffic) + " patience=" + ftoa(c.pat) + ")"
		}
		near(t, name("P(wait)"), r.PWait, ref.pWait, 1e-10)
		near(t, name("P(abandon)"), r.PAbandon, ref.pAbandon, 1e-10)
		near(t, name("P(abandon) = θ·Lq/λ"), r.PAbandon, ref.lq/c.pat/q.ArrivalRate, 1e-10)
		near(t, name("queue length"), r.QueueLength, ref.lq, 1e-8*math.Max(1, ref.lq))
		near(t, name("SL"), r.ServiceLevel, ref.sl, 1e-9)
		near(t, name("ASA of answered"), r.ASA, ref.asa, 1e-8*math.Max(1, ref.asa))
		if r.Model != ModelA || !r.Stable {
			t.Errorf("%s: model %q stable %v", name("model"), r.Model, r.Stable)
		}
	}
}

func itoa(n int) string     { return ftoa(float64(n)) }
func ftoa(v float64) string { return strings.TrimRight(strings.TrimRight(formatSeconds(v), "s"), ".") }

// TestErlangALimits: infinite patience is Erlang C; zero patience is the
// loss system, where those who would wait leave at once (Erlang B).
func TestErlangALimits(t *testing.T) {
	for _, n := range []int{11, 14, 20} {
		c := eval(t, aht180, n, 20)
		q := aht180
		q.Patience = 1e9 * q.AHT
		a := eval(t, q, n, 20)
		near(t, "P(wait), patience→∞ vs Erlang C", a.PWait, c.PWait, 1e-8)
		near(t, "SL, patience→∞ vs Erlang C", a.ServiceLevel, c.ServiceLevel, 1e-8)
		near(t, "ASA, patience→∞ vs Erlang C", a.ASA, c.ASA, 1e-6*c.ASA)
		near(t, "queue, patience→∞ vs Erlang C", a.QueueLength, c.QueueLength, 1e-6*c.QueueLength)
		near(t, "P(abandon), patience→∞", a.PAbandon, 0, 1e-8)

		q.Patience = 1e-7 * q.AHT
		z := eval(t, q, n, 20)
		near(t, "P(wait), patience→0 vs Erlang B", z.PWait, B(n, 10), 1e-6)
		near(t, "P(abandon), patience→0 vs Erlang B", z.PAbandon, B(n, 10), 1e-6)
		near(t, "SL, patience→0", z.ServiceLevel, 1-B(n, 10), 1e-6)
	}
	// No agents: everyone abandons.
	q := aht180
	q.Patience = 60
	r := eval(t, q, 0, 20)
	if r.PAbandon != 1 || r.ServiceLevel != 0 {
		t.Errorf("Erlang A with no agents: %+v", r)
	}
}

// TestMonotone: more agents never lower the service level nor raise the
// wait, abandonment or occupancy.
func TestMonotone(t *testing.T) {
	for _, pat := range []float64{0, 90, 900} {
		q := Queue{ArrivalRate: 25.0 / 240, AHT: 240, Patience: pat}
		prev := eval(t, q, 0, 30)
		for n := 1; n < 60; n++ {
			r := eval(t, q, n, 30)
			if r.ServiceLevel < prev.ServiceLevel-1e-12 || r.Stable && prev.Stable && prev.Agents > 0 && (r.ASA > prev.ASA+1e-9 ||
				r.PAbandon > prev.PAbandon+1e-12 || r.PWait > prev.PWait+1e-12) {
				t.Errorf("patience %v: n=%d %+v worse than n=%d %+v", pat, n, r, n-1, prev)
			}
			prev = r
		}
	}
}

func TestRequired(t *testing.T) {
	for _, c := range []struct {
		name string
		q    Queue
		tgt  Target
		want int
	}{
		{"textbook 80/20", aht180, Target{AnswerWithin: 20, ServiceLevel: 0.8}, 14},
		{"90/20", aht180, Target{AnswerWithin: 20, ServiceLevel: 0.9}, 15}, // SL(14)=0.888 < 0.9
		{"occupancy cap 0.7", aht180, Target{AnswerWithin: 20, ServiceLevel: 0.5, MaxOccupancy: 0.7}, 15},
		{"occupancy cap exact", Queue{ArrivalRate: 8.0 / 180, AHT: 180}, Target{AnswerWithin: 1e6, ServiceLevel: 0.01, MaxOccupancy: 0.8}, 10},
		{"ASA ≤ 8 s", aht180, Target{AnswerWithin: 20, ServiceLevel: 0.5, MaxASA: 8}, 14},
		{"ASA ≤ 7.8 s", aht180, Target{AnswerWithin: 20, ServiceLevel: 0.5, MaxASA: 7.8}, 15},
		{"no traffic", Queue{AHT: 180}, Target{AnswerWithin: 20, ServiceLevel: 0.8}, 0},
	} {
		r, err := Required(c.q, c.tgt)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if r.Agents != c.want {
			t.Errorf("%s: %d agents, want %d (%+v)", c.name, r.Agents, c.want, r)
		}
		if c.want > 0 {
			prev := eval(t, c.q, c.want-1, c.tgt.AnswerWithin)
			if c.tgt.Meets(prev) {
				t.Errorf("%s: %d agents already meet the target: %+v", c.name, c.want-1, prev)
			}
		}
	}
	// Erlang A: abandonment can make fewer agents than the load suffice,
	// and the answer is the smallest n that meets the target.
	q := Queue{ArrivalRate: 20.0 / 300, AHT: 300, Patience: 60}
	tgt := Target{AnswerWithin: 30, ServiceLevel: 0.5}
	r, err := Required(q, tgt)
	if err != nil {
		t.Fatal(err)
	}
	if !tgt.Meets(r) || tgt.Meets(eval(t, q, r.Agents-1, 30)) {
		t.Errorf("Erlang A required %d is not the least meeting %+v", r.Agents, tgt)
	}
	if r.Agents >= 20 {
		t.Errorf("Erlang A with impatient arrivals needs %d agents for SL 50%%; abandonment should allow fewer than the 20 erlangs", r.Agents)
	}

	for _, bad := range []Target{{AnswerWithin: 20, ServiceLevel: 1}, {AnswerWithin: 20}, {AnswerWithin: -1, ServiceLevel: 0.8},
		{AnswerWithin: 20, ServiceLevel: 0.8, MaxOccupancy: 1.5}} {
		if _, err := Required(aht180, bad); err == nil {
			t.Errorf("Required accepted target %+v", bad)
		}
	}
	for _, bad := range []Queue{{ArrivalRate: 1}, {ArrivalRate: -1, AHT: 1}, {ArrivalRate: math.NaN(), AHT: 1}, {ArrivalRate: 1, AHT: 1, Patience: -1}} {
		if _, err := Evaluate(bad, 3, 20); err == nil {
			t.Errorf("Evaluate accepted queue %+v", bad)
		}
	}
}

func TestUnstableAndJSON(t *testing.T) {
	r := eval(t, aht180, 10, 20)
	if r.Stable || r.PWait != 1 || r.ServiceLevel != 0 || !math.IsInf(r.ASA, 1) {
		t.Errorf("A=10 on 10 agents: %+v", r)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if v, ok := m["asa_seconds"]; !ok || v != nil {
		t.Errorf("unstable asa_seconds encoded as %v (present %v), want null", v, ok)
	}
	if m["p_wait"] != 1.0 || m["stable"] != false || m["model"] != ModelC {
		t.Errorf("JSON = %s", b)
	}
	if !strings.Contains(m["service_level_definition"].(string), "P(answered within 20s)") {
		t.Errorf("definition = %q", m["service_level_definition"])
	}
	b, _ = json.Marshal(eval(t, aht180, 14, 20))
	if !strings.Contains(string(b), `"asa_seconds":7.83593`) || !strings.Contains(string(b), `"p_wait":0.17413193`) {
		t.Errorf("stable JSON = %s", b)
	}
}

func TestOfferedLoadErrors(t *testing.T) {
	for _, c := range []struct {
		n int
		p float64
	}{{0, 0.01}, {5, 0}, {5, 1}, {5, math.NaN()}} {
		if _, err := OfferedLoad(c.n, c.p); err == nil {
			t.Errorf("OfferedLoad(%d, %v) gave no error", c.n, c.p)
		}
	}
	// A few more table values of Erlang B (offered erlangs at 1 % and 2 %).
	for _, c := range []struct {
		n    int
		p, a float64
	}{{1, 0.01, 0.0101}, {10, 0.01, 4.461}, {10, 0.02, 5.084}, {50, 0.01, 37.90}, {100, 0.01, 84.06}} {
		a, err := OfferedLoad(c.n, c.p)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "Erlang B table", a, c.a, 5e-3)
	}
}
