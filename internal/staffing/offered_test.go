package staffing

import (
	"math"
	"testing"
)

func TestOfferedRates(t *testing.T) {
	week := func(f func(h int) float64) []float64 {
		v := make([]float64, HoursPerWeek)
		for h := range v {
			v[h] = f(h)
		}
		return v
	}
	sum := func(v []float64) (s float64) {
		for _, x := range v {
			s += x
		}
		return
	}
	// Constant arrivals: the offered load is λs every hour.
	for _, got := range offeredRates(week(func(int) float64 { return 7 }), 2400) {
		if math.Abs(got-7) > 1e-9 {
			t.Fatalf("constant arrivals: %v, want 7", got)
		}
	}
	// One arrival an hour on Monday 00:00–01:00 only, one-hour items. By
	// hand (e = e^-1): the load during hour 0 averages 1 − (1 − e) = e;
	// at 01:00 it is 1 − e and decays, so hour 1 averages (1 − e)², hour 2
	// (1 − e)²·e. The week's arrivals are kept: the rates sum to 1.
	e := math.Exp(-1)
	pulse := offeredRates(week(func(h int) float64 {
		if h == 0 {
			return 1
		}
		return 0
	}), 3600)
	for h, want := range []float64{e, (1 - e) * (1 - e), (1 - e) * (1 - e) * e} {
		if math.Abs(pulse[h]-want) > 1e-12 {
			t.Errorf("pulse hour %d: %v, want %v", h, pulse[h], want)
		}
	}
	if math.Abs(sum(pulse)-1) > 1e-12 || pulse[HoursPerWeek-1] < 0 {
		t.Errorf("pulse: week sums to %v, want 1", sum(pulse))
	}
	// A day-night rhythm: the week is kept, the peak is lowered and comes
	// later with 47-minute items, and 4-minute items follow the hour's
	// own rate within 3 %.
	rhythm := week(func(h int) float64 { return 3 + 2*math.Sin(float64(h%24)/24*2*math.Pi) })
	long, short := offeredRates(rhythm, 2820), offeredRates(rhythm, 240)
	if math.Abs(sum(long)-sum(rhythm)) > 1e-9 || math.Abs(sum(short)-sum(rhythm)) > 1e-9 {
		t.Errorf("week not kept: %v %v, want %v", sum(long), sum(short), sum(rhythm))
	}
	peak := func(v []float64) (int, float64) {
		best := 0
		for h := 0; h < 24; h++ {
			if v[h] > v[best] {
				best = h
			}
		}
		return best, v[best]
	}
	hr, pr := peak(rhythm)
	hl, pl := peak(long)
	if !(pl < pr && hl > hr) {
		t.Errorf("long items: peak %v at %d, arrivals' peak %v at %d", pl, hl, pr, hr)
	}
	for h := range rhythm {
		if math.Abs(short[h]-rhythm[h]) > 0.03*rhythm[h] {
			t.Errorf("short items, hour %d: %v against %v", h, short[h], rhythm[h])
		}
	}
}
