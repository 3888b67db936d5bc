package staffing

import (
	"math"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/cputime"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing/schedule"
)

// benchWeek is a week of five queues (P1–P5 alert triage) with a
// business-day and weekly rhythm: about 28,000 items a week.
func benchWeek() *Workload {
	w := &Workload{TimeZone: "UTC", loc: time.UTC}
	weekly := []float64{300, 1500, 9000, 13000, 4000}
	aht := []float64{1200, 600, 300, 240, 120}
	within := []float64{900, 1800, 4 * 3600, 24 * 3600, 72 * 3600}
	shape := make([]float64, HoursPerWeek)
	var sum float64
	for h := range shape {
		d, hr := h/24, h%24
		v := 0.6 + 0.8*math.Max(0, math.Sin(float64(hr-6)/12*math.Pi))
		if d >= 5 {
			v *= 0.6
		}
		shape[h] = v
		sum += v
	}
	for i := range weekly {
		q := Queue{Name: "alerts P" + string(rune('1'+i)), Kind: Alerts, Priority: model.Priority(i + 1), ArrivalsPerHour: make([]float64, HoursPerWeek),
			HandleSeconds: aht[i], Concurrency: 1, EffortSeconds: aht[i], AnswerWithinSeconds: within[i],
			TargetServiceLevel: 0.9, Sources: map[string]Source{}, histScale: 1, baseScale: 1}
		for h := range shape {
			q.ArrivalsPerHour[h] = weekly[i] * shape[h] / sum
		}
		q.WeeklyArrivals = weekly[i]
		w.Queues = append(w.Queues, q)
	}
	return w
}

// benchPlan sizes 168 hours × 5 queues with Erlang C and schedules the
// result, reporting CPU time beside wall time (the machine may be shared).
func benchPlan(b *testing.B, templates []ShiftTemplate) {
	w := benchWeek()
	cfg := Config{Templates: templates}
	var p *Plan
	cpu0 := cputime.Used()
	for b.Loop() {
		var err error
		if p, err = Build(w, cfg, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := cputime.Used() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	}
	b.ReportMetric(p.FTE, "FTE")
	b.ReportMetric(float64(p.Schedule.Nodes), "nodes")
	if !p.Schedule.Optimal {
		b.ReportMetric(100*(p.Schedule.Cost-p.Schedule.LowerBound)/p.Schedule.LowerBound, "gap-%")
	}
}

// BenchmarkWeekSizedAndScheduled: single 8/10/12-hour shifts at any hour
// (the default templates).
//
//	go test -run '^$' -bench WeekSized ./internal/staffing
func BenchmarkWeekSizedAndScheduled(b *testing.B) { benchPlan(b, nil) }

// BenchmarkWeekSizedAndScheduledTours: weekly tours (five 8 h, four 10 h or
// three 12 h days at any hour), which need rounding and branch and bound.
func BenchmarkWeekSizedAndScheduledTours(b *testing.B) {
	var tpl []ShiftTemplate
	for _, t := range schedule.TourTemplates() {
		tpl = append(tpl, ShiftTemplate{Name: t.Name, Length: Duration(t.Length), WorkDays: t.WorkDays})
	}
	benchPlan(b, tpl)
}
