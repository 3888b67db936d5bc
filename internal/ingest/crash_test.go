package ingest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/store"
)

const crashAlerts = 60000

// TestCrashChild is the ingest process that TestCrashSafety kills; it does
// nothing unless started by that test.
func TestCrashChild(t *testing.T) {
	db, in := os.Getenv("WATCHFLOOR_CRASH_DB"), os.Getenv("WATCHFLOOR_CRASH_INPUT")
	if db == "" || in == "" {
		t.Skip("only runs as the child of TestCrashSafety")
	}
	ingestPath(t, db, in)
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
// result must be exactly what one clean run stores.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	writeSample(t, f, crashAlerts)
	f.Close()
	db := filepath.Join(dir, "crash.db")

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WATCHFLOOR_CRASH_DB="+db, "WATCHFLOOR_CRASH_INPUT="+in)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// Kill once some batches have committed and before the last one.
	ctx := context.Background()
	var seen int64
	killed := false
	for !killed {
		select {
		case err := <-done:
			t.Fatalf("child finished before it could be killed (err %v, %d alerts seen); make the input larger", err, seen)
		case <-time.After(5 * time.Millisecond):
		}
		if _, err := os.Stat(db); err != nil {
			continue
		}
		st, err := store.OpenReadOnly(ctx, db)
		if err != nil {
			continue
		}
		c, err := st.Counts(ctx)
		st.Close()
		if err != nil {
			continue
		}
		seen = c["alerts"]
		if seen > 0 && seen < crashAlerts/2 {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	<-done
	t.Logf("killed the child after it had committed %d of %d alerts", seen, crashAlerts)

	st := openStore(t, db)
	if err := st.Check(ctx); err != nil {
		t.Fatalf("store after crash: %v", err)
	}
	partial, _ := st.Counts(ctx)
	if partial["alerts"] < seen || partial["alerts"] >= crashAlerts {
		t.Fatalf("after the crash the store holds %d alerts; expected at least %d and fewer than %d", partial["alerts"], seen, crashAlerts)
	}
	st.Close()

	ingestPath(t, db, in)
	st = openStore(t, db)
	got, _ := st.Counts(ctx)
	if got["alerts"] != crashAlerts || got["cases"] != crashAlerts/10 || got["case_events"] != crashAlerts/10*6 || got["alert_events"] != 0 {
		t.Fatalf("after re-run: %v", got)
	}
	if err := st.Check(ctx); err != nil {
		t.Fatal(err)
	}
	// The same as one uninterrupted run.
	clean := filepath.Join(dir, "clean.db")
	ingestPath(t, clean, in)
	cs := openStore(t, clean)
	fpCrash, err := st.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fpClean, _ := cs.Fingerprint(ctx)
	if fpCrash != fpClean {
		t.Fatal("store after crash and re-run differs from a clean run")
	}
}
