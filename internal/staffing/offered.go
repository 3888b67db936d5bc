package staffing

import "math"

// offeredRates returns, for each hour of the week, the arrival rate per
// hour that the queue's Erlang formulas are given: the load actually on
// the floor in that hour (the offered load, m), divided by the effort per
// item. When items take a good part of an hour or more, work that arrived
// in earlier hours is still being handled and work arriving now is only
// partly done by the hour's end, so the hour's own arrivals × effort
// overstates the load after a quiet hour and understates it after a busy
// one. This is the modified-offered-load approximation for queues with
// time-varying arrivals (Jennings, Mandelbaum, Massey and Whitt, 1996).
//
// With exponential effort of mean s and arrivals at the constant rate λ
// within an hour, the offered load follows m' = λ − m/s, so over an hour of
// length T starting at m₀:
//
//	m(T) = λs + (m₀ − λs)·e^(−T/s)
//	mean over the hour = λs + (m₀ − λs)·(s/T)·(1 − e^(−T/s))
//
// The week repeats, so m₀ of Monday 00:00 is the fixed point of one week
// of these steps (the steps are affine in m₀: m₁₆₈ = a·m₀ + b). The rates
// keep the week's arrivals: the mean load over the week is the mean of λs.
// Short items (a few minutes) give back the hour's own rate.
func offeredRates(arrivalsPerHour []float64, effortSeconds float64) []float64 {
	n := len(arrivalsPerHour)
	out := make([]float64, n)
	if effortSeconds <= 0 || n == 0 {
		copy(out, arrivalsPerHour)
		return out
	}
	s := effortSeconds / 3600 // hours
	decay := math.Exp(-1 / s)
	// One week from m₀ = 0 gives b; a is decay^n.
	var m float64
	for _, lam := range arrivalsPerHour {
		m = lam*s + (m-lam*s)*decay
	}
	a := math.Pow(decay, float64(n))
	m = m / (1 - a) // the periodic m₀ (a < 1 for any positive effort)
	frac := s * (1 - decay)
	for h, lam := range arrivalsPerHour {
		mean := lam*s + (m-lam*s)*frac
		out[h] = math.Max(0, mean/s)
		m = lam*s + (m-lam*s)*decay
	}
	return out
}
