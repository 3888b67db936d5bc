package maintain

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/cputime"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// benchSize reads a size from the environment, with a default small
// enough for a quick run.
func benchSize(b *testing.B, env string, def int) int {
	if v := os.Getenv(env); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("%s: %v", env, err)
		}
		return n
	}
	return def
}

// fillCases stores n cases of 5 events (assignment, triage, investigation,
// resolution, closure), each with two alerts carrying a 400-byte raw
// payload, over the 120 days before end, in batches of 2,000 cases.
func fillCases(b *testing.B, st *store.Store, n int, end time.Time) {
	ctx := context.Background()
	span := 120 * 24 * time.Hour
	raw := make([]byte, 0, 400)
	for lo := 0; lo < n; lo += 2000 {
		var batch store.Batch
		for i := lo; i < min(n, lo+2000); i++ {
			id := fmt.Sprintf("C%08d", i)
			created := end.Add(-span + time.Duration(int64(span)/int64(n)*int64(i)))
			batch.Cases = append(batch.Cases, model.Case{Source: "bench", ExternalID: id, Title: "case " + id, Priority: model.Priority(1 + i%4),
				Status: "new", CreatedAt: created, UpdatedAt: created, Assignee: fmt.Sprintf("a%02d", i%40)})
			for j, k := range []struct {
				kind model.EventKind
				v    string
			}{{model.EventAssignee, fmt.Sprintf("a%02d", i%40)}, {model.EventStage, "triage"}, {model.EventStage, "investigating"},
				{model.EventStage, "resolved"}, {model.EventStage, "closed"}} {
				batch.Events = append(batch.Events, model.CaseEvent{CaseSource: "bench", CaseExternalID: id, ExternalID: fmt.Sprintf("%s/%d", id, j),
					At: created.Add(time.Duration(j+1) * 7 * time.Minute), Source: "bench", Kind: k.kind, New: k.v})
			}
			for j := range 2 {
				raw = fmt.Appendf(raw[:0], `{"class_uid":2004,"finding_info":{"uid":"%s-%d","title":"Suspicious process tree on host-%04d"},"device":{"hostname":"host-%04d","ip":"10.%d.%d.%d"},"actor":{"user":{"name":"user%05d"}},"metadata":{"product":{"name":"EDR","vendor_name":"Example"},"version":"1.1.0"},"severity_id":3,"time":%d}`,
					id, j, i%5000, i%5000, i%250, j, i%200, i%20000, created.UnixMilli())
				batch.Alerts = append(batch.Alerts, model.Alert{Source: "bench", ExternalID: fmt.Sprintf("%s-%d", id, j), Title: "Suspicious process tree",
					RuleID: fmt.Sprintf("r%02d", i%60), RuleName: "rule", Severity: model.SeverityMedium, CaseExternalID: id,
					CreatedAt: created.Add(-time.Duration(j) * time.Minute), Raw: append([]byte(nil), raw...)})
			}
		}
		if _, err := st.Apply(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
}

// fillAlerts stores n alerts without cases, each with a 400-byte raw
// payload, over the 400 days before end, in batches of 10,000.
func fillAlerts(b *testing.B, st *store.Store, n int, end time.Time) {
	ctx := context.Background()
	span := 400 * 24 * time.Hour
	for lo := 0; lo < n; lo += 10000 {
		var batch store.Batch
		for i := lo; i < min(n, lo+10000); i++ {
			created := end.Add(-span + time.Duration(int64(span)/int64(n)*int64(i)))
			raw := fmt.Appendf(nil, `{"class_uid":2004,"finding_info":{"uid":"A%09d","title":"Port scan from 10.1.%d.%d"},"device":{"hostname":"host-%04d"},"metadata":{"product":{"name":"IDS","vendor_name":"Example"},"version":"1.1.0"},"severity_id":2,"padding":"%0200d","time":%d}`,
				i, i%250, i%200, i%5000, i, created.UnixMilli())
			batch.Alerts = append(batch.Alerts, model.Alert{Source: "bench", ExternalID: fmt.Sprintf("A%09d", i), Title: "Port scan",
				RuleID: fmt.Sprintf("r%02d", i%60), RuleName: "rule", Severity: model.SeverityLow, Disposition: model.DispositionFalsePositive,
				CreatedAt: created, Raw: raw})
		}
		if _, err := st.Apply(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBackup takes a verified backup (VACUUM INTO, integrity check,
// counts) of a store of WATCHFLOOR_BENCH_CASES cases (default 20,000),
// each with 5 events and 2 alerts with raw payloads.
//
//	WATCHFLOOR_BENCH_CASES=1000000 go test -run '^$' -bench Backup -benchtime 1x -timeout 2h ./internal/maintain
func BenchmarkBackup(b *testing.B) {
	n := benchSize(b, "WATCHFLOOR_BENCH_CASES", 20000)
	dir := b.TempDir()
	st := storetest.Open(b, filepath.Join(dir, "src.db"))
	start := time.Now()
	fillCases(b, st, n, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	b.Logf("filled %d cases in %s", n, time.Since(start).Round(time.Second))
	var bytes int64
	i := 0
	cpu := cputime.Used()
	for b.Loop() {
		info, err := st.Backup(context.Background(), filepath.Join(dir, fmt.Sprintf("b%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		bytes = info.Bytes
		os.Remove(info.Path)
		i++
	}
	b.ReportMetric(float64(bytes)/(1<<20), "MiB")
	b.ReportMetric(float64(bytes)/(1<<20)/(b.Elapsed().Seconds()/float64(i)), "MiB/s")
	b.ReportMetric((cputime.Used()-cpu).Seconds()/float64(i), "cpu-s/op")
}

// BenchmarkRetention applies retention (raw payloads after 30 days,
// alerts after 90) once to a store of WATCHFLOOR_BENCH_ALERTS alerts
// (default 100,000) over 400 days.
//
//	WATCHFLOOR_BENCH_ALERTS=10000000 go test -run '^$' -bench Retention -benchtime 1x -timeout 3h ./internal/maintain
func BenchmarkRetention(b *testing.B) {
	n := benchSize(b, "WATCHFLOOR_BENCH_ALERTS", 100000)
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		b.StopTimer()
		st := storetest.Open(b, storetest.SQLitePath(b))
		start := time.Now()
		fillAlerts(b, st, n, end)
		b.Logf("filled %d alerts in %s", n, time.Since(start).Round(time.Second))
		clock := func() time.Time { return end }
		r := &Retention{Store: st, Now: clock,
			Policy: Policy{RawPayloads: 30 * 24 * time.Hour, Alerts: 90 * 24 * time.Hour}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		cpu := cputime.Used()
		b.StartTimer()
		t0 := time.Now()
		rep, err := r.Apply(context.Background(), false)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		b.StopTimer()
		b.Logf("%s in %s (%.1f CPU s)", rep.Summary(), took.Round(time.Millisecond), (cputime.Used() - cpu).Seconds())
		b.ReportMetric(float64(rep.Alerts.Alerts)/took.Seconds(), "alerts-removed/s")
		st.Close()
		b.StartTimer()
	}
}
