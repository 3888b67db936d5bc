package sim

import (
	"math"
	"testing"

	"github.com/watchfloor/watchfloor/internal/cputime"
)

// weekConfig is a SOC-like week: five queues (P1–P5) with a business-day
// and weekly rhythm, about 100,000 arrivals a week, handled by one pool
// staffed hour by hour by the square-root rule.
func weekConfig(reps int) Config {
	share := []float64{0.02, 0.08, 0.3, 0.4, 0.2}
	aht := []float64{1800, 900, 420, 240, 120}
	cfg := Config{Interval: 3600, Staff: make([]int, 168), WarmUp: 86400, Horizon: 7 * 86400, Replications: reps, Seed: 1}
	total := make([]float64, 168)
	var sum float64
	for i := range total {
		d, h := i/24, i%24
		v := 0.6 + 0.8*math.Max(0, math.Sin(float64(h-6)/12*math.Pi))
		if d >= 5 {
			v *= 0.6
		}
		total[i] = v
		sum += v * 3600
	}
	for i := range total {
		total[i] *= 100000 / sum
	}
	for c := range share {
		cl := Class{Name: "P" + string(rune('1'+c)), Rates: make([]float64, 168), Service: Dist{Kind: Lognormal, Mean: aht[c], CV: 1},
			AnswerWithin: 300, Priority: c + 1}
		for i := range total {
			cl.Rates[i] = total[i] * share[c]
		}
		cfg.Classes = append(cfg.Classes, cl)
	}
	for i := range cfg.Staff {
		var load float64
		for c := range share {
			load += cfg.Classes[c].Rates[i] * aht[c]
		}
		cfg.Staff[i] = int(math.Ceil(load + 2*math.Sqrt(load)))
	}
	return cfg
}

// BenchmarkMillionAlerts simulates ten independent weeks of about 100,000
// alerts each (plus a day of warm-up each): a million counted alerts per
// operation.
//
//	go test -run '^$' -bench MillionAlerts ./internal/staffing/sim
func BenchmarkMillionAlerts(b *testing.B) {
	cfg := weekConfig(10)
	var arrivals int64
	cpu0 := cputime.Used()
	for b.Loop() {
		res, err := Run(cfg)
		if err != nil {
			b.Fatal(err)
		}
		arrivals = res.Arrivals
	}
	b.ReportMetric(float64(arrivals), "alerts/op")
	if cpu := cputime.Used() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	}
}
