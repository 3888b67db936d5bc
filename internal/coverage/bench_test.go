package coverage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/shareddata"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Benchmarks (figures in docs/benchmarks.md):
//
//	go test -run '^$' -bench 'Sigma|Coverage|Layer' -benchtime 5x ./internal/coverage

// BenchmarkReadSigma parses the shared Sigma folder (3,107 rules).
func BenchmarkReadSigma(b *testing.B) {
	cat := catalog(b)
	fsys := os.DirFS(shareddata.Path(b, "sigma", "rules"))
	for b.Loop() {
		l, err := coverage.Read(context.Background(), cat, fsys, coverage.FormatSigma)
		if err != nil || len(l.Rules) < 3000 {
			b.Fatal(err, len(l.Rules))
		}
	}
}

// BenchmarkImportSigma parses the Sigma folder and stores it in a new
// SQLite store.
func BenchmarkImportSigma(b *testing.B) {
	fsys := os.DirFS(shareddata.Path(b, "sigma", "rules"))
	ctx := context.Background()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		st, err := store.Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("import-%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := coverage.NewService(st, nil).Import(ctx, fsys, "sigma", coverage.FormatSigma)
		if err != nil || res.Added < 3000 {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}

var coverageBenchEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// coverageStore opens a SQLite store with the Sigma and Splunk folders
// imported and 1 million alerts over the 90 days before coverageBenchEnd,
// raised by 400 rules: 300 named by imported Sigma rule ids, 100 by ids no
// rule knows. It is kept in $WATCHFLOOR_BENCH_DIR (default the system's
// temporary folder) and reused.
func coverageStore(b *testing.B) *store.Store {
	b.Helper()
	sigma := shareddata.Path(b, "sigma", "rules")
	splunk := shareddata.Path(b, "splunk-security-content", "detections")
	dir := os.Getenv("WATCHFLOOR_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "watchfloor-bench-coverage-1Malerts.db")
	ctx := context.Background()
	if _, err := os.Stat(path + ".done"); err == nil {
		st, err := store.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	os.Remove(path)
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	svc := coverage.NewService(st, nil)
	if _, err := svc.Import(ctx, os.DirFS(sigma), "sigma", coverage.FormatSigma); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Import(ctx, os.DirFS(splunk), "splunk", coverage.FormatSplunk); err != nil {
		b.Fatal(err)
	}
	imported, err := st.ImportedRules(ctx)
	if err != nil {
		b.Fatal(err)
	}
	x := uint64(88172645463325252)
	rnd := func(n int) int { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return int(x % uint64(n)) }
	dispositions := []model.Disposition{model.DispositionFalsePositive, model.DispositionFalsePositive, model.DispositionBenignPositive,
		model.DispositionTruePositive, ""}
	const n = 1_000_000
	span := 90 * 24 * time.Hour
	var batch store.Batch
	for i := range n {
		created := coverageBenchEnd.Add(-span + time.Duration(int64(span)/n*int64(i)))
		r := rnd(400)
		id, name := fmt.Sprintf("unknown-%03d", r), "Unknown rule"
		var techs []string
		if r < 300 {
			ru := imported[r*len(imported)/300]
			id, name, techs = ru.ExternalID, ru.Name, ru.Techniques
		}
		batch.Alerts = append(batch.Alerts, model.Alert{Source: "bench", ExternalID: fmt.Sprintf("A%09d", i), Title: name,
			Severity: model.Severity(1 + rnd(5)), Disposition: dispositions[rnd(len(dispositions))], RuleID: id, RuleName: name,
			CreatedAt: created, Techniques: techs})
		if len(batch.Alerts) == 20000 {
			if _, err := st.Apply(ctx, &batch); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	if _, err := st.Apply(ctx, &batch); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path+".done", nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkCoverage1MAlerts computes coverage over the 90 days of the
// 1-million-alert fixture (4,720 imported rules): with a warm KPI engine
// (rollups cached, as in a server), with a fresh engine each time (stored
// day parts, as in a CLI run), and the fired query for imported rules.
func BenchmarkCoverage1MAlerts(b *testing.B) {
	st := coverageStore(b)
	defer st.Close()
	ctx := context.Background()
	now := func() time.Time { return coverageBenchEnd }
	q := coverage.Query{WindowQuery: metrics.WindowQuery{From: "2026-08-03", To: "2026-10-31"}}
	warm := coverage.NewService(st, metrics.NewService(st, now))
	if _, err := warm.Report(ctx, q); err != nil {
		b.Fatal(err)
	}
	b.Run("warm", func(b *testing.B) {
		for b.Loop() {
			rep, err := warm.Report(ctx, q)
			if err != nil || rep.Alerts != 1_000_000 {
				b.Fatal(err, rep.Alerts)
			}
		}
	})
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			rep, err := coverage.NewService(st, metrics.NewService(st, now)).Report(ctx, q)
			if err != nil || rep.Alerts != 1_000_000 {
				b.Fatal(err)
			}
		}
	})
	b.Run("fired-rollups", func(b *testing.B) {
		for b.Loop() {
			f, _, err := warm.FiredIn(ctx, q.WindowQuery)
			if err != nil || len(f) < 4000 {
				b.Fatal(err)
			}
		}
	})
	b.Run("fired-scan", func(b *testing.B) {
		for b.Loop() {
			f, err := coverage.Fired(ctx, st, coverageBenchEnd.Add(-90*24*time.Hour), coverageBenchEnd)
			if err != nil || len(f) < 4000 {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLayer exports the coverage of the Sigma and Splunk content as
// a Navigator layer (JSON included).
func BenchmarkLayer(b *testing.B) {
	cat := catalog(b)
	var imported []store.ImportedRule
	for _, c := range []struct{ dir, format string }{{"sigma/rules", "sigma"}, {"splunk-security-content/detections", "splunk"}} {
		l, err := coverage.Read(context.Background(), cat, os.DirFS(shareddata.Path(b, filepath.FromSlash(c.dir))), c.format)
		if err != nil {
			b.Fatal(err)
		}
		imported = append(imported, l.Rules...)
	}
	rep := coverage.Compute(coverage.Input{Catalog: cat, Imported: imported})
	for b.Loop() {
		data, err := json.Marshal(coverage.LayerOf(rep, "bench"))
		if err != nil || len(data) == 0 {
			b.Fatal(err)
		}
	}
}
