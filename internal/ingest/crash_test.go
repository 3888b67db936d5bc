package ingest_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

const crashAlerts = 60000

// crashAfter is how many batches the child commits before it says it is
// about to write the next one.
const crashAfter = 10

// TestCrashChild is the ingest process that TestCrashSafety kills; it does
// nothing unless started by that test. Before it writes batch crashAfter+1
// it tells the parent, over the pipe it inherits as file descriptor 3, how
// many alerts are committed and how many there will be once that batch is,
// then writes it: the parent's SIGKILL lands during that write or just
// before or after it, and either count is then a consistent store.
func TestCrashChild(t *testing.T) {
	db, in := os.Getenv("WATCHFLOOR_CRASH_DB"), os.Getenv("WATCHFLOOR_CRASH_INPUT")
	if db == "" || in == "" {
		t.Skip("only runs as the child of TestCrashSafety")
	}
	w := &signallingWriter{st: openStore(t, db), after: crashAfter, ready: os.NewFile(3, "ready")}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := ingest.Run(context.Background(), w, f, filepath.Base(in), ingest.Options{BatchSize: 500}); err != nil {
		t.Fatal(err)
	}
	t.Fatal("the ingest ended without being killed")
}

// signallingWriter stores batches and, before batch after+1, writes the
// committed and the expected alert counts to ready; after that batch it
// waits for the kill.
type signallingWriter struct {
	st        *store.Store
	after, n  int
	committed int
	ready     *os.File
}

func (w *signallingWriter) Apply(ctx context.Context, b *store.Batch) (store.Result, error) {
	if w.n == w.after {
		if _, err := fmt.Fprintf(w.ready, "%d %d\n", w.committed, w.committed+len(b.Alerts)); err != nil {
			return store.Result{}, err
		}
	}
	res, err := w.st.Apply(ctx, b)
	w.n++
	w.committed += res.Inserted[store.KindAlert]
	if w.n == w.after+1 {
		// The kill is on its way: write nothing more, so that a parent
		// slowed by a loaded machine still finds one of the two counts.
		select {}
	}
	return res, err
}

func (w *signallingWriter) RefreshFacts(ctx context.Context) (int, error) {
	return w.st.RefreshFacts(ctx)
}

func ingestPath(t testing.TB, db, in string) ingest.Summary {
	t.Helper()
	st := openStore(t, db)
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, err := ingest.Run(context.Background(), st, f, filepath.Base(in), ingest.Options{BatchSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestCrashSafety kills an ingest with SIGKILL part-way through a file,
// reopens the store, checks its integrity, and re-runs the ingest: the
// result must be exactly what one clean run stores. On PostgreSQL the kill
// lands in a batch's COPY or its commit.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		crashSafety(t, filepath.Join(dir, "crash.db"), filepath.Join(dir, "clean.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		crashSafety(t, storetest.PostgresDSN(t), storetest.PostgresDSN(t))
	})
}

func crashSafety(t *testing.T, db, clean string) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	writeSample(t, f, crashAlerts)
	f.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WATCHFLOOR_CRASH_DB="+db, "WATCHFLOOR_CRASH_INPUT="+in)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.ExtraFiles = []*os.File{pw}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close() // the child holds the write end; its exit ends the read
	// The child says when it is about to write its next batch; the kill
	// follows at once. No polling, no timing.
	var before, after int64
	_, scanErr := fmt.Fscan(pr, &before, &after)
	pr.Close()
	if scanErr != nil {
		cmd.Wait()
		t.Fatalf("the child never said it was ready (%v):\n%s", scanErr, out.String())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	t.Logf("killed the child while it wrote batch %d: %d alerts committed, %d once the batch is", crashAfter+1, before, after)
	ctx := context.Background()

	st := openStore(t, db)
	if err := st.Check(ctx); err != nil {
		t.Fatalf("store after crash: %v", err)
	}
	partial, _ := st.Counts(ctx)
	if partial["alerts"] != before && partial["alerts"] != after {
		t.Fatalf("after the crash the store holds %d alerts; want %d (batch %d lost whole) or %d (committed whole)",
			partial["alerts"], before, crashAfter+1, after)
	}
	st.Close()

	ingestPath(t, db, in)
	st = openStore(t, db)
	got, _ := st.Counts(ctx)
	for table, want := range map[string]int64{"alerts": crashAlerts, "cases": crashAlerts / 10, "case_events": crashAlerts / 10 * 6, "alert_events": 0} {
		if got[table] != want {
			t.Errorf("after the re-run %s holds %d rows, want %d", table, got[table], want)
		}
	}
	if err := st.Check(ctx); err != nil {
		t.Fatal(err)
	}
	// The same as one uninterrupted run.
	ingestPath(t, clean, in)
	cs := openStore(t, clean)
	if st.Engine() == store.Postgres {
		// Identity values a killed transaction drew are not given back,
		// so ids differ from a clean run's: compare by key instead.
		for _, q := range pgByKey {
			if a, b := pgRows(t, db, q), pgRows(t, clean, q); !slices.Equal(a, b) {
				t.Fatalf("after the crash and re-run, %s\ndiffers from a clean run (%d and %d rows)", q, len(a), len(b))
			}
		}
		return
	}
	fpCrash, err := st.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fpClean, _ := cs.Fingerprint(ctx)
	if fpCrash != fpClean {
		t.Fatal("store after crash and re-run differs from a clean run")
	}
}

// pgByKey reads the alerts, cases and case events of a PostgreSQL store
// by their keys, without ids, links as keys and without ingestion times,
// and the rollups kept at ingest.
var pgByKey = []string{
	`SELECT (to_jsonb(a) - 'id' - 'case_id' - 'ingested_at') || jsonb_build_object('case', c.external_id)
		FROM alerts a LEFT JOIN cases c ON c.id = a.case_id`,
	`SELECT to_jsonb(c) - 'id' - 'ingested_at' FROM cases c`,
	`SELECT (to_jsonb(e) - 'id' - 'case_id' - 'ingested_at') || jsonb_build_object('case', c.source || '/' || c.external_id)
		FROM case_events e JOIN cases c ON c.id = e.case_id`,
	`SELECT to_jsonb(r) FROM alert_rollups r`,
	// The re-run sends the committed alerts again: counted as resent.
	`SELECT to_jsonb(h) - 'resent' FROM source_hours h`,
}

// pgRows returns what q selects from the store at dsn, as sorted text.
func pgRows(t *testing.T, dsn, q string) []string {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT x::text FROM (` + q + `) AS q(x) ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
