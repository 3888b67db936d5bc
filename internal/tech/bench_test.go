package tech_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/cputime"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
	"github.com/watchfloor/watchfloor/internal/tech"
)

// Scale of the benchmark fixture: 10 sources of 50 rules each over 90 days
// of hourly rollups, 10 million alerts in all.
const (
	benchSources = 10
	benchRules   = 50
	benchDays    = 90
	benchAlerts  = 10_000_000
)

var benchEnd = time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC)

// healthFixture stores the hourly rollups of 10 million alerts (what
// ingest would have kept for them) with a day/night and weekday/weekend
// rhythm, rules weighted 1/k, and returns the hour rows written.
func healthFixture(b *testing.B, st *store.Store) (rows int) {
	ctx := context.Background()
	startHour := benchEnd.Unix()/3600 - benchDays*24
	weights := make([]float64, benchRules)
	var wsum float64
	for k := range weights {
		weights[k] = 1 / float64(k+1)
		wsum += weights[k]
	}
	rhythm := func(h int64) float64 {
		t := time.Unix(h*3600, 0).UTC()
		f := 0.5 + 0.5*math.Sin(float64(t.Hour()-6)*math.Pi/12)
		if t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
			f *= 0.5
		}
		return 0.3 + f
	}
	var rsum float64
	for h := startHour; h < startHour+benchDays*24; h++ {
		rsum += rhythm(h)
	}
	perHour := float64(benchAlerts) / benchSources / rsum
	var hours []store.SourceHour
	var rules []store.SourceRuleHour
	var pairs []store.SourceRule
	total := int64(0)
	for s := range benchSources {
		src := fmt.Sprintf("source-%02d", s)
		for k := range benchRules {
			pairs = append(pairs, store.SourceRule{Source: src, RuleID: fmt.Sprintf("R-%03d", k),
				First: time.Unix(startHour*3600, 0), Last: benchEnd.Add(-time.Minute)})
		}
		for h := startHour; h < startHour+benchDays*24; h++ {
			n := int64(math.Round(perHour * rhythm(h)))
			var sh = store.SourceHour{Source: src, Hour: h, Alerts: n, Duplicates: n / 50, LastAt: time.Unix(h*3600+3599, 0)}
			sh.Lag[2], sh.Lag[3] = n/2, n-n/2
			hours = append(hours, sh)
			total += n
			for k := range benchRules {
				if c := int64(math.Round(float64(n) * weights[k] / wsum)); c > 0 {
					rules = append(rules, store.SourceRuleHour{Source: src, RuleID: fmt.Sprintf("R-%03d", k), Hour: h, Alerts: c})
				}
			}
		}
	}
	if err := st.AddHealthRollups(ctx, hours, rules, pairs); err != nil {
		b.Fatal(err)
	}
	b.Logf("fixture: %d alerts in %d source hours and %d rule hours", total, len(hours), len(rules))
	return len(hours) + len(rules)
}

// BenchmarkHealth10M judges 10 sources and 500 rules over the rollups of
// 10 million alerts: "cold" is a new Service (it reads the 8 weeks of
// rollups), "warm" a server's Service within the hour (it re-reads the
// last day only).
//
//	go test -run '^$' -bench Health10M -benchtime 20x ./internal/tech
func BenchmarkHealth10M(b *testing.B) {
	engines := map[string]func(testing.TB) string{"sqlite": storetest.SQLitePath, "postgres": storetest.PostgresDSN}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			st := storetest.Open(b, engines[name](b))
			healthFixture(b, st)
			ctx := context.Background()
			q := tech.HealthQuery{At: benchEnd.Add(-30 * time.Minute)}
			check := func(rep *tech.HealthReport) {
				if len(rep.Sources) != benchSources || len(rep.Rules) != benchSources*benchRules {
					b.Fatalf("judged %d sources and %d rules", len(rep.Sources), len(rep.Rules))
				}
			}
			b.Run("cold", func(b *testing.B) {
				cpu := cputime.Used()
				defer func() { reportCPU(b, cpu) }()
				for b.Loop() {
					rep, err := (&tech.Service{Store: st}).Health(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					check(rep)
				}
			})
			b.Run("warm", func(b *testing.B) {
				svc := &tech.Service{Store: st}
				if _, err := svc.Health(ctx, q); err != nil {
					b.Fatal(err)
				}
				cpu := cputime.Used()
				defer func() { reportCPU(b, cpu) }()
				for b.Loop() {
					rep, err := svc.Health(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					check(rep)
				}
			})
		})
	}
}

// reportCPU reports the process's CPU time per operation since cpu: on a
// shared machine it moves less than wall-clock time.
func reportCPU(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(cputime.Used()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}
