package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/ingest/native"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// BenchmarkIngestSample ingests the mixed sample (alerts, with a case and
// three events for every tenth alert) into a fresh SQLite store.
func BenchmarkIngestSample(b *testing.B) {
	var buf bytes.Buffer
	writeSample(b, &buf, 20000)
	b.SetBytes(int64(buf.Len()))
	for i := 0; b.Loop(); i++ {
		st := openStore(b, filepath.Join(b.TempDir(), "b.db"))
		if _, err := ingest.Run(context.Background(), st, bytes.NewReader(buf.Bytes()), "sample", ingest.Options{}); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
	b.ReportMetric(float64(20000*b.N)/b.Elapsed().Seconds(), "alerts/s")
}

// writeAlerts writes n alerts as native NDJSON.
func writeAlerts(b testing.TB, n int) []byte {
	var buf bytes.Buffer
	nw := native.NewWriter(&buf)
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		at := base.Add(time.Duration(i) * 100 * time.Millisecond)
		if err := nw.Write(record.Record{Alert: &model.Alert{Source: "edr", ExternalID: fmt.Sprintf("A%09d", i),
			Title: "Suspicious PowerShell download cradle", Severity: model.Severity(1 + i%5), Status: "new",
			RuleID: fmt.Sprintf("R%03d", i%90), RuleName: "PowerShell download cradle", CreatedAt: at,
			OccurredAt: at.Add(-90 * time.Second), Entities: []model.Entity{{Type: "host", Value: fmt.Sprintf("ws-%04d", i%3000)},
				{Type: "user", Value: fmt.Sprintf("user%03d", i%700)}}, Techniques: []string{"T1059.001"}}}); err != nil {
			b.Fatal(err)
		}
	}
	return buf.Bytes()
}

// BenchmarkIngestAlertsSQLite is the NDJSON alert ingest figure in
// docs/benchmarks.md: native alerts into a fresh SQLite store.
func BenchmarkIngestAlertsSQLite(b *testing.B) {
	const n = 100000
	data := writeAlerts(b, n)
	b.SetBytes(int64(len(data)))
	m := newCPUMeter(b, "")
	for b.Loop() {
		b.StopTimer()
		st := openStore(b, filepath.Join(b.TempDir(), "b.db"))
		m.start(b)
		b.StartTimer()
		if _, err := ingest.Run(context.Background(), st, bytes.NewReader(data), "alerts", ingest.Options{BatchSize: benchBatch}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		m.stop(b)
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "alerts/s")
	m.report(b)
}

// BenchmarkParseAlerts is the decoding half of the ingest figure: native
// NDJSON alerts parsed into records, nothing stored.
func BenchmarkParseAlerts(b *testing.B) {
	const n = 100000
	data := writeAlerts(b, n)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		err := native.Parser{}.Parse(context.Background(), bytes.NewReader(data), "alerts", func(r record.Record) error {
			if r.Err != nil {
				return r.Err
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "alerts/s")
}

var benchBatch = 5000

// BenchmarkIngestAlertsPostgres is the same ingest into a fresh PostgreSQL
// schema on the server named by WATCHFLOOR_TEST_POSTGRES.
func BenchmarkIngestAlertsPostgres(b *testing.B) {
	const n = 100000
	data := writeAlerts(b, n)
	b.SetBytes(int64(len(data)))
	m := newCPUMeter(b, os.Getenv(storetest.PostgresEnv))
	for b.Loop() {
		b.StopTimer()
		st := openStore(b, m.withApp(storetest.PostgresDSN(b)))
		m.start(b)
		b.StartTimer()
		if _, err := ingest.Run(context.Background(), st, bytes.NewReader(data), "alerts", ingest.Options{BatchSize: benchBatch}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		m.stop(b)
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "alerts/s")
	m.report(b)
}
