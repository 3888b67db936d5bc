package metrics_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// benchEnd is the end of the scale fixtures' 90 days.
var benchEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// benchStore opens a SQLite store holding nCases cases (each with its
// alert and a full lifecycle; one in a hundred still open) and nAlerts
// alerts spread over the 90 days before benchEnd. Building takes minutes,
// so the file is kept in $WATCHFLOOR_BENCH_DIR (default the system's
// temporary folder) and reused by later runs.
func benchStore(b *testing.B, nCases, nAlerts int) *store.Store {
	b.Helper()
	dir := os.Getenv("WATCHFLOOR_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("watchfloor-bench-%dcases-%dalerts.db", nCases, nAlerts))
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
	start := time.Now()
	span := 90 * 24 * time.Hour
	pol := model.SLAPolicy{Name: "bench", Version: 1, EffectiveFrom: benchEnd.Add(-2 * span), Targets: map[model.Priority]model.SLATarget{
		model.P1: {Acknowledge: 15 * time.Minute, Resolve: 4 * time.Hour}, model.P2: {Acknowledge: 30 * time.Minute, Resolve: 8 * time.Hour},
		model.P3: {Acknowledge: 2 * time.Hour, Resolve: 24 * time.Hour}, model.P4: {Acknowledge: 8 * time.Hour, Resolve: 72 * time.Hour},
		model.P5: {Acknowledge: 24 * time.Hour, Resolve: 168 * time.Hour}}}
	if _, err := st.Apply(ctx, &store.Batch{SLA: []model.SLAPolicy{pol}}); err != nil {
		b.Fatal(err)
	}
	var batch store.Batch
	flush := func() {
		if _, err := st.Apply(ctx, &batch); err != nil {
			b.Fatal(err)
		}
		batch.Reset()
	}
	// Deterministic pseudo-random numbers (xorshift), no allocation.
	x := uint64(88172645463325252)
	rnd := func(n int) int { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return int(x % uint64(n)) }
	dispositions := []model.Disposition{model.DispositionFalsePositive, model.DispositionFalsePositive, model.DispositionFalsePositive,
		model.DispositionBenignPositive, model.DispositionTruePositive, ""}
	for i := range nAlerts {
		created := benchEnd.Add(-span + time.Duration(int64(span)/int64(nAlerts)*int64(i)))
		al := model.Alert{Source: "bench", ExternalID: fmt.Sprintf("A%09d", i), Title: "Suspicious PowerShell download cradle",
			Severity: model.Severity(1 + rnd(5)), Status: "closed", Disposition: dispositions[rnd(len(dispositions))],
			RuleID: fmt.Sprintf("R-%03d", rnd(200)), RuleName: "rule", CreatedAt: created, OccurredAt: created.Add(-time.Duration(30+rnd(3600)) * time.Second),
			Entities: []model.Entity{{Type: "host", Value: fmt.Sprintf("ws-%04d", rnd(5000))}}}
		if i%(nAlerts/nCases) == 0 && i/(nAlerts/nCases) < nCases {
			al.CaseExternalID = fmt.Sprintf("C%08d", i/(nAlerts/nCases))
		}
		batch.Alerts = append(batch.Alerts, al)
		if len(batch.Alerts) == 20000 {
			flush()
		}
	}
	flush()
	for i := range nCases {
		created := benchEnd.Add(-span + time.Duration(int64(span)/int64(nCases)*int64(i)))
		id := fmt.Sprintf("C%08d", i)
		batch.Cases = append(batch.Cases, model.Case{Source: "bench", ExternalID: id, Title: "case " + id,
			Priority: model.Priority(1 + rnd(5)), Stage: model.StageNew, Team: "Tier 1", CreatedAt: created, UpdatedAt: created})
		ev := func(n int, after time.Duration, kind model.EventKind, v string) {
			batch.Events = append(batch.Events, model.CaseEvent{CaseSource: "bench", CaseExternalID: id, ExternalID: fmt.Sprintf("%s/%d", id, n),
				At: created.Add(after), Source: "bench", Kind: kind, New: v})
		}
		ack := time.Duration(60+rnd(7200)) * time.Second
		ev(1, ack, model.EventAssignee, fmt.Sprintf("analyst%02d", rnd(40)))
		ev(2, ack, model.EventStage, "triage")
		ev(3, ack+time.Duration(rnd(3600))*time.Second, model.EventStage, "investigating")
		if i%100 != 0 || created.Before(benchEnd.Add(-7*24*time.Hour)) {
			res := ack + time.Duration(1800+rnd(48*3600))*time.Second
			ev(4, res, model.EventStage, "resolved")
			ev(5, res+time.Hour, model.EventStage, "closed")
		}
		if len(batch.Cases) == 5000 {
			flush()
		}
	}
	flush()
	if _, err := st.RefreshFacts(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s in %s", path, time.Since(start).Round(time.Second))
	if err := os.WriteFile(path+".done", nil, 0o600); err != nil {
		b.Fatal(err)
	}
	return st
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[(len(ds)-1)/2]
}

// benchKPIs runs the dashboard and the 90-day performance report, and the
// plain-SQL equivalent over the raw rows, reporting medians.
func benchKPIs(b *testing.B, nCases, nAlerts int) {
	st := benchStore(b, nCases, nAlerts)
	defer st.Close()
	ctx := context.Background()
	eng := &metrics.Engine{Store: st}
	w := metrics.WindowEnding(benchEnd.Add(-time.Second), 90, time.UTC)
	now := benchEnd
	// The first report builds the day rollups; time it apart.
	t0 := time.Now()
	if _, err := eng.Performance(ctx, metrics.Request{Window: w, GroupBy: metrics.ByPriority}); err != nil {
		b.Fatal(err)
	}
	cold := time.Since(t0)
	var dash, perf, rawPerf, rawDash []time.Duration
	for b.Loop() {
		t := time.Now()
		if _, err := metrics.BuildDashboard(ctx, st, now); err != nil {
			b.Fatal(err)
		}
		dash = append(dash, time.Since(t))
		t = time.Now()
		if _, err := eng.Performance(ctx, metrics.Request{Window: w, GroupBy: metrics.ByPriority}); err != nil {
			b.Fatal(err)
		}
		perf = append(perf, time.Since(t))
		t = time.Now()
		if _, err := st.RawMTTR(ctx, w.From, w.To); err != nil {
			b.Fatal(err)
		}
		rawPerf = append(rawPerf, time.Since(t))
		t = time.Now()
		if _, _, err := st.RawQueue(ctx, now); err != nil {
			b.Fatal(err)
		}
		rawDash = append(rawDash, time.Since(t))
	}
	b.ReportMetric(float64(median(dash).Microseconds())/1000, "dashboard-ms")
	b.ReportMetric(float64(median(perf).Microseconds())/1000, "metrics90d-ms")
	b.ReportMetric(float64(cold.Microseconds())/1000, "metrics90d-cold-ms")
	b.ReportMetric(float64(median(rawPerf).Microseconds())/1000, "raw-sql-metrics-ms")
	b.ReportMetric(float64(median(rawDash).Microseconds())/1000, "raw-sql-dashboard-ms")
}

// BenchmarkKPIs1MCases1MAlerts: 1 million cases and 1 million alerts.
func BenchmarkKPIs1MCases1MAlerts(b *testing.B) { benchKPIs(b, 1_000_000, 1_000_000) }

// BenchmarkKPIs1MCases10MAlerts: 1 million cases and 10 million alerts.
func BenchmarkKPIs1MCases10MAlerts(b *testing.B) { benchKPIs(b, 1_000_000, 10_000_000) }
