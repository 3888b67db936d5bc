package training_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/cputime"
	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/training"
)

// benchEnd ends the benchmark demo.
var benchEnd = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// demoStore is the default 90-day demo SOC with its runbooks and dated
// certifications, stored once in $WATCHFLOOR_BENCH_DIR (default the
// temporary folder) and reused.
func demoStore(b *testing.B) *store.Store {
	b.Helper()
	dir := os.Getenv("WATCHFLOOR_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "watchfloor-bench-runbooks-demo.db")
	_, statErr := os.Stat(path)
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if statErr == nil {
		return st
	}
	cfg := demo.Config{End: benchEnd}.WithDefaults()
	demotest.Ingest(b, st, cfg, nil)
	analysts, err := st.Analysts(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var certs []store.Certification
	for _, c := range demo.Certifications(cfg, analysts) {
		certs = append(certs, store.Certification{Analyst: c.Analyst, Name: c.Name, Issued: c.Issued, Expires: c.Expires})
	}
	if _, err := st.SaveCertifications(ctx, certs); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkRunbookMetricsDemo measures the runbook program over the
// demo's 90 days (derivation of every run from the case logs, the with
// and without comparison, coverage and the improvement list).
func BenchmarkRunbookMetricsDemo(b *testing.B) {
	st := demoStore(b)
	ctx := context.Background()
	from := benchEnd.Truncate(24*time.Hour).AddDate(0, 0, -89)
	to := from.AddDate(0, 0, 90)
	w := metrics.Window{From: from, To: to}
	var runs int
	cpu0 := cputime.Used()
	for b.Loop() {
		// A fresh engine, as the command line has: the rules' alert counts
		// come from the day parts metrics stored.
		rules, err := (&metrics.Engine{Store: st}).Rules(ctx, w)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := runbook.Measure(ctx, st, "90 days", from, to, benchEnd, rules.RuleVolumes())
		if err != nil {
			b.Fatal(err)
		}
		runs = rep.Runs
	}
	b.ReportMetric(float64((cputime.Used()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(runs), "runs/op")
}

// BenchmarkAssessTeamDemo assesses the demo team's skills against the
// demo runbooks with certification tracking.
func BenchmarkAssessTeamDemo(b *testing.B) {
	st := demoStore(b)
	ctx := context.Background()
	cpu0 := cputime.Used()
	for b.Loop() {
		as, err := training.Assess(ctx, st, training.Options{At: benchEnd, Certifications: true})
		if err != nil || as.Program.Analysts != 14 {
			b.Fatalf("%v, %+v", err, as.Program)
		}
	}
	b.ReportMetric(float64((cputime.Used()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}
