package demo

import (
	"context"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/cputime"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// benchGenerate runs the simulation b.N times, discarding the records, and
// reports alerts per run, ns and CPU ns per alert. CPU time is reported
// beside wall time because benchmarks often share the machine.
func benchGenerate(b *testing.B, cfg Config) {
	b.ReportAllocs()
	var alerts int
	cpu0 := cputime.Used()
	for b.Loop() {
		alerts = 0
		err := Generate(context.Background(), cfg, func(r record.Record) error {
			if r.Alert != nil {
				alerts++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu := cputime.Used() - cpu0
	b.ReportMetric(float64(alerts), "alerts/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(alerts), "ns/alert")
	if cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(alerts), "cpu-ns/alert")
	}
}

// BenchmarkGenerate90Days is the default demo: 90 days of a 14-analyst SOC
// at 4,000 alerts a day (about 360,000 alerts and 2,500 cases).
func BenchmarkGenerate90Days(b *testing.B) {
	benchGenerate(b, Config{End: testEnd})
}

// BenchmarkAlertThroughput measures alerts per second on one million
// alerts (9 days at 111,112 a day, staffed with 400 analysts).
func BenchmarkAlertThroughput(b *testing.B) {
	benchGenerate(b, Config{Days: 9, AlertsPerDay: 111_112, Analysts: 400, End: testEnd})
}

// BenchmarkGenerate10MAlerts is the large demo: 90 days at 111,112 alerts a
// day, ten million alerts. Run it once:
//
//	go test -run '^$' -bench Generate10M -benchtime 1x ./internal/demo
func BenchmarkGenerate10MAlerts(b *testing.B) {
	benchGenerate(b, Config{Days: 90, AlertsPerDay: 111_112, Analysts: 400, End: testEnd})
}

// BenchmarkLiveStart is `serve --demo` on an empty store: the live demo's
// 90 days of history simulated and stored up to the start (alerts stored
// in their state at the start), then a restart that finds it stored and
// stores nothing new. Run it once:
//
//	go test -run '^$' -bench LiveStart -benchtime 1x ./internal/demo
func BenchmarkLiveStart(b *testing.B) {
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		st := storetest.Open(b, storetest.SQLitePath(b))
		for _, phase := range []string{"first start", "restart"} {
			clock := &fakeClock{t: start}
			l := &Live{Store: st, Now: clock.now, Sleep: clock.sleep, Until: start}
			cpu0, t0 := cputime.Used(), time.Now()
			if err := l.Run(context.Background(), nil); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: %s wall, %s CPU", phase, time.Since(t0).Round(time.Millisecond), (cputime.Used() - cpu0).Round(time.Millisecond))
		}
		counts, err := st.Counts(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(counts["alerts"]), "alerts")
	}
}
