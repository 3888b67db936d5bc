package sla

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// benchCases makes n short, realistic case logs (4–9 events): most cases are
// acknowledged and resolved, some wait on the user, some are reopened, some
// change priority and some are still open.
func benchCases(n int) (created []time.Time, logs [][]model.CaseEvent) {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for i := range n {
		c := base.Add(time.Duration(r.Int64N(int64(80 * 24 * h)))).Truncate(time.Second)
		at := c
		var id int64
		add := func(d time.Duration, kind model.EventKind, old, nw string) {
			at = at.Add(d)
			id++
			logs[i] = append(logs[i], model.CaseEvent{ID: id, At: at, Kind: kind, Old: old, New: nw, Source: "bench"})
		}
		logs = append(logs, nil)
		created = append(created, c)
		add(0, model.EventPriority, "", "P"+strconv.Itoa(1+r.IntN(4)))
		add(time.Duration(r.Int64N(int64(2*h))), model.EventAssignee, "", "analyst"+strconv.Itoa(r.IntN(40)))
		add(time.Duration(r.Int64N(int64(30*m))), model.EventStage, "new", "triage")
		if r.IntN(5) == 0 {
			add(time.Duration(r.Int64N(int64(h))), model.EventPriority, "P3", "P1")
		}
		add(time.Duration(r.Int64N(int64(4*h))), model.EventStage, "triage", "investigating")
		if r.IntN(4) == 0 {
			add(time.Duration(r.Int64N(int64(2*h))), model.EventStatus, "In Progress", "Awaiting User Info")
			add(time.Duration(r.Int64N(int64(24*h))), model.EventStatus, "Awaiting User Info", "In Progress")
		}
		if r.IntN(10) == 0 {
			continue // still open
		}
		add(time.Duration(r.Int64N(int64(48*h))), model.EventStage, "investigating", "resolved")
		if r.IntN(20) == 0 {
			add(time.Duration(r.Int64N(int64(24*h))), model.EventStage, "resolved", "investigating")
			add(time.Duration(r.Int64N(int64(24*h))), model.EventStage, "investigating", "closed")
		}
	}
	return created, logs
}

// BenchmarkEvaluateMillion computes the acknowledge and both resolve clocks
// of 1,000,000 cases per iteration (cycling through 16,384 distinct logs)
// and reports ns/case, under a 24×7 policy and under a business-hours
// policy with holidays, each with three versions.
//
//	go test -run '^$' -bench EvaluateMillion ./internal/sla/
func BenchmarkEvaluateMillion(b *testing.B) {
	const cases = 1_000_000
	created, logs := benchCases(1 << 14)
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	versions := func(cal *model.BusinessHours) []model.SLAPolicy {
		var out []model.SLAPolicy
		for v, from := range []string{"2025-01-01", "2026-02-01", "2026-03-01"} {
			at, _ := time.Parse(time.DateOnly, from)
			p := std
			p.Version, p.EffectiveFrom, p.Calendar = v+1, at, cal
			out = append(out, p)
		}
		return out
	}
	for _, bc := range []struct {
		name string
		cal  *model.BusinessHours
	}{{"24x7", nil}, {"business-hours", berlinOffice}} {
		b.Run(bc.name, func(b *testing.B) {
			ev := Evaluator{Policies: mustPolicies(b, versions(bc.cal)...)}
			var met int
			b.ReportAllocs()
			for b.Loop() {
				for i := range cases {
					j := i & (1<<14 - 1)
					res := ev.Evaluate(created[j], logs[j], now)
					if res.Resolve.Status == StatusMet {
						met++
					}
				}
			}
			if met == 0 {
				b.Fatal("no clock met its target")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/cases, "ns/case")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkWorkingTime measures a span inside a week and a span of a year
// on a business calendar with holidays.
func BenchmarkWorkingTime(b *testing.B) {
	c := mustCal(b, berlinOffice)
	from := time.Date(2026, 3, 6, 14, 0, 0, 0, time.UTC)
	for _, span := range []time.Duration{70 * h, 365 * 24 * h} {
		b.Run(span.String(), func(b *testing.B) {
			to := from.Add(span)
			for b.Loop() {
				c.WorkingTime(from, to)
			}
		})
	}
}

// BenchmarkAddWorking measures deadlines of 8 business hours and of a
// business year.
func BenchmarkAddWorking(b *testing.B) {
	c := mustCal(b, berlinOffice)
	from := time.Date(2026, 3, 6, 14, 0, 0, 0, time.UTC)
	for _, d := range []time.Duration{8 * h, 2048 * h} {
		b.Run(d.String(), func(b *testing.B) {
			for b.Loop() {
				c.AddWorking(from, d)
			}
		})
	}
}
