package ingest_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/watchfloor/watchfloor/internal/ingest/native"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// The anchors of the ingest benchmarks: the same alerts as
// BenchmarkIngestAlertsSQLite and BenchmarkIngestAlertsPostgres, decoded
// before the timer starts and written into the alerts table of a fresh
// store by the plainest program that can: a prepared single-row insert
// (SQLite) and one COPY (PostgreSQL). No rollups, no change detection, no
// rejects. Run them in the same invocation as the ingest benchmarks, e.g.
//
//	go test -run '^$' -bench 'IngestAlertsSQLite|InsertAlertsSQLiteAnchor' -benchtime 3x ./internal/ingest

var anchorColumns = []string{"source", "external_id", "title", "description", "severity", "status", "disposition",
	"rule_id", "rule_name", "case_ext_id", "case_id", "occurred_at", "created_at", "ingested_at", "entities",
	"techniques", "raw"}

// anchorRows decodes the benchmark's alerts and turns each into the values
// the store writes for it.
func anchorRows(b *testing.B, data []byte) [][]any {
	var rows [][]any
	err := native.Parser{}.Parse(context.Background(), bytes.NewReader(data), "alerts", func(r record.Record) error {
		if r.Err != nil {
			return r.Err
		}
		rows = append(rows, alertValues(r.Alert))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return rows
}

func alertValues(al *model.Alert) []any {
	jsonText := func(v any, n int) string {
		if n == 0 {
			return ""
		}
		t, _ := json.Marshal(v)
		return string(t)
	}
	micros := func(al *model.Alert, created bool) any {
		t := al.OccurredAt
		if created {
			t = al.CreatedAt
		}
		if t.IsZero() {
			return nil
		}
		return t.UnixMicro()
	}
	return []any{al.Source, al.ExternalID, al.Title, al.Description, int64(al.Severity), al.Status,
		string(al.Disposition), al.RuleID, al.RuleName, al.CaseExternalID, nil, micros(al, false), micros(al, true),
		al.CreatedAt.UnixMicro(), jsonText(al.Entities, len(al.Entities)), jsonText(al.Techniques, len(al.Techniques)),
		string(al.Raw)}
}

// BenchmarkInsertAlertsSQLiteAnchor inserts the rows of
// BenchmarkIngestAlertsSQLite with one prepared single-row INSERT, in
// transactions of benchBatch rows, into a fresh store's alerts table.
func BenchmarkInsertAlertsSQLiteAnchor(b *testing.B) {
	const n = 100000
	rows := anchorRows(b, writeAlerts(b, n))
	m := newCPUMeter(b, "")
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "b.db")
		openStore(b, path).Close()
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-16384)")
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		m.start(b)
		b.StartTimer()
		ctx := context.Background()
		for start := 0; start < len(rows); start += benchBatch {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			st, err := tx.PrepareContext(ctx, `INSERT INTO alerts (source, external_id, title, description, severity, status,
				disposition, rule_id, rule_name, case_ext_id, case_id, occurred_at, created_at, ingested_at, entities,
				techniques, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range rows[start:min(start+benchBatch, len(rows))] {
				if _, err := st.ExecContext(ctx, r...); err != nil {
					b.Fatal(err)
				}
			}
			st.Close()
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		m.stop(b)
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "alerts/s")
	m.report(b)
}

// BenchmarkCopyAlertsPostgres copies the rows of
// BenchmarkIngestAlertsPostgres into a fresh schema's alerts table with
// one COPY in one transaction.
func BenchmarkCopyAlertsPostgres(b *testing.B) {
	const n = 100000
	rows := anchorRows(b, writeAlerts(b, n))
	ctx := context.Background()
	m := newCPUMeter(b, os.Getenv(storetest.PostgresEnv))
	for b.Loop() {
		b.StopTimer()
		dsn := m.withApp(storetest.PostgresDSN(b))
		openStore(b, dsn).Close()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		m.start(b)
		b.StartTimer()
		tx, err := conn.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if got, err := tx.CopyFrom(ctx, pgx.Identifier{"alerts"}, anchorColumns, pgx.CopyFromRows(rows)); err != nil || got != n {
			b.Fatalf("copied %d of %d: %v", got, n, err)
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		m.stop(b)
		conn.Close(ctx)
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "alerts/s")
	m.report(b)
}

// cpuMeter measures the CPU time of this process and of the PostgreSQL
// backends serving one application name, between start and stop: on a
// shared machine the CPU a write costs is steadier than its wall time.
type cpuMeter struct {
	app              string
	self, server     time.Duration
	selfAt           time.Duration
	serverAt         map[int]time.Duration
	db               *sql.DB
	haveServerFigure bool
}

// withApp names the connections of dsn so that the meter finds their
// backends.
func (m *cpuMeter) withApp(dsn string) string {
	if m.db == nil {
		return dsn // a SQLite file
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "application_name=" + m.app
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU reads the CPU time of the live backends named m.app.
func (m *cpuMeter) backendCPU(b *testing.B) map[int]time.Duration {
	if m.db == nil {
		return nil
	}
	rows, err := m.db.Query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, m.app)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // not on this machine
		}
		// Fields after the command's closing parenthesis: utime and stime
		// are the 12th and 13th, in clock ticks (100 a second on Linux).
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(ut+st) * 10 * time.Millisecond
		m.haveServerFigure = true
	}
	return out
}

func (m *cpuMeter) start(b *testing.B) {
	m.selfAt = processCPU()
	m.serverAt = m.backendCPU(b)
}

func (m *cpuMeter) stop(b *testing.B) {
	m.self += processCPU() - m.selfAt
	for pid, t := range m.backendCPU(b) {
		m.server += t - m.serverAt[pid]
	}
}

// report adds the CPU seconds per operation to the benchmark's figures.
func (m *cpuMeter) report(b *testing.B) {
	b.ReportMetric(m.self.Seconds()/float64(b.N), "cpu-s/op")
	if m.haveServerFigure {
		b.ReportMetric(m.server.Seconds()/float64(b.N), "server-cpu-s/op")
	}
	if m.db != nil {
		m.db.Close()
	}
}

// newCPUMeter meters this process and, when base (a PostgreSQL DSN) is
// set, the backends of connections named by withApp.
func newCPUMeter(b *testing.B, base string) *cpuMeter {
	m := &cpuMeter{app: fmt.Sprintf("wfbench_%d_%d", os.Getpid(), time.Now().UnixNano())}
	if base != "" {
		db, err := sql.Open("pgx", base)
		if err != nil {
			b.Fatal(err)
		}
		m.db = db
	}
	return m
}

// benchApply stores the benchmark's alerts, decoded before the timer
// starts, with Store.Apply in batches of benchBatch: ingest without its
// NDJSON decoding, to set beside the anchors.
func benchApply(b *testing.B, dsn func() string, pgBase string) {
	const n = 100000
	var alerts []model.Alert
	err := native.Parser{}.Parse(context.Background(), bytes.NewReader(writeAlerts(b, n)), "alerts", func(r record.Record) error {
		alerts = append(alerts, *r.Alert)
		return r.Err
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	m := newCPUMeter(b, pgBase)
	for b.Loop() {
		b.StopTimer()
		st := openStore(b, m.withApp(dsn()))
		m.start(b)
		b.StartTimer()
		for start := 0; start < n; start += benchBatch {
			if _, err := st.Apply(ctx, &store.Batch{Alerts: alerts[start:min(start+benchBatch, n)]}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := st.RefreshFacts(ctx); err != nil {
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

// BenchmarkApplyAlertsSQLite is BenchmarkIngestAlertsSQLite without the
// decoding.
func BenchmarkApplyAlertsSQLite(b *testing.B) {
	benchApply(b, func() string { return filepath.Join(b.TempDir(), "b.db") }, "")
}

// BenchmarkApplyAlertsPostgres is BenchmarkIngestAlertsPostgres without
// the decoding.
func BenchmarkApplyAlertsPostgres(b *testing.B) {
	benchApply(b, func() string { return storetest.PostgresDSN(b) }, os.Getenv(storetest.PostgresEnv))
}
