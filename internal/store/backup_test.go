package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// ingestBatch is batch number i of the concurrent-ingest tests: one case
// with two alerts, made in one transaction, so a consistent copy holds
// whole batches only.
func ingestBatch(i int) *store.Batch {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	cid := fmt.Sprintf("c%05d", i)
	return &store.Batch{
		Cases: []model.Case{{Source: "soar", ExternalID: cid, Title: "case " + cid, Priority: model.P2, Status: "new",
			CreatedAt: at, UpdatedAt: at, AlertExternalIDs: []string{cid + "-a", cid + "-b"}}},
		Alerts: []model.Alert{
			{Source: "soar", ExternalID: cid + "-a", Title: "alert a", CaseExternalID: cid, CreatedAt: at, Raw: []byte(`{"n":1}`)},
			{Source: "soar", ExternalID: cid + "-b", Title: "alert b", CaseExternalID: cid, CreatedAt: at, Raw: []byte(`{"n":2}`)},
		},
	}
}

// countUpTo counts a table's rows with an id at most max: the source's
// rows as of the moment a copy holding ids up to max was taken, since ids
// only grow.
func countUpTo(t *testing.T, db *sql.DB, table string, max int64) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(`SELECT COUNT(*) FROM `+table+` WHERE id <= ?`, max).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func maxID(t *testing.T, path, table string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n sql.NullInt64
	if err := db.QueryRow(`SELECT MAX(id) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n.Int64
}

// TestBackupDuringIngest takes backups while another store handle (as
// ingest in another process would) keeps writing batches, then checks each
// backup: it passes the integrity check, holds whole batches only, and its
// counts equal the source's rows up to the backup's newest ids; restored,
// it has the same counts.
func TestBackupDuringIngest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "live.db")
	src := storetest.Open(t, path)
	writer := storetest.Open(t, path) // the concurrent ingest
	if _, err := writer.Apply(ctx, ingestBatch(0)); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written int
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := writer.Apply(ctx, ingestBatch(i)); err != nil {
				werr = err
				return
			}
			written = i
		}
	}()
	var backups []store.BackupInfo
	for i := range 3 {
		info, err := src.Backup(ctx, filepath.Join(dir, fmt.Sprintf("backup-%d.db", i)))
		if err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		backups = append(backups, info)
	}
	close(stop)
	wg.Wait()
	if werr != nil {
		t.Fatalf("concurrent ingest: %v", werr)
	}
	t.Logf("%d batches written during 3 backups", written)

	srcDB, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer srcDB.Close()
	for i, b := range backups {
		cases, alerts := b.Counts["cases"], b.Counts["alerts"]
		if cases == 0 || alerts != 2*cases {
			t.Errorf("backup %d holds %d cases and %d alerts: not whole batches of one case and two alerts", i, cases, alerts)
		}
		for _, table := range []string{"cases", "alerts", "case_events"} {
			max := maxID(t, b.Path, table)
			if got, want := b.Counts[table], countUpTo(t, srcDB, table, max); got != want {
				t.Errorf("backup %d: %d %s, the source had %d up to id %d", i, got, table, want, max)
			}
		}
		// Restore into a fresh store: the same counts, a sound store.
		dst := filepath.Join(dir, fmt.Sprintf("restored-%d.db", i))
		if _, err := store.Restore(ctx, b.Path, dst, false); err != nil {
			t.Fatalf("restore %d: %v", i, err)
		}
		r := storetest.Open(t, dst)
		got := counts(t, r)
		for table, want := range b.Counts {
			if got[table] != want {
				t.Errorf("restored %d: %d %s, backup has %d", i, got[table], table, want)
			}
		}
		d, err := r.Diagnose(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !d.OK() {
			t.Errorf("restored %d: doctor finds problems: %+v", i, d.Checks)
		}
	}
}

// TestBackupRefusesCorruption: a backup file with damaged pages, a
// truncated one and a file that is no database are refused by VerifyBackup
// and by Restore, which leaves the target untouched.
func TestBackupRefusesCorruption(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := storetest.Open(t, filepath.Join(dir, "src.db"))
	for i := range 200 {
		apply(t, src, ingestBatch(i))
	}
	good := filepath.Join(dir, "good.db")
	info, err := src.Backup(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if info.Counts["cases"] != 200 || info.Counts["alerts"] != 400 {
		t.Fatalf("backup counts %v, want 200 cases and 400 alerts", info.Counts)
	}
	if _, err := src.Backup(ctx, good); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second backup onto %s: %v, want a refusal to overwrite", good, err)
	}
	body, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	damaged := append([]byte(nil), body...)
	// Overwrite the middle pages (not the header) with garbage.
	for i := len(damaged) / 3; i < len(damaged)/3+8192 && i < len(damaged); i++ {
		damaged[i] = byte(i * 7)
	}
	tests := []struct {
		name string
		body []byte
	}{
		{"damaged pages", damaged},
		{"truncated", body[:len(body)/2]},
		{"not a database", []byte("this is not a SQLite file, it only has a .db name\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "bad.db")
			if err := os.WriteFile(f, tc.body, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := store.VerifyBackup(ctx, f); err == nil {
				t.Fatal("VerifyBackup accepted it")
			}
			dst := filepath.Join(t.TempDir(), "target.db")
			if _, err := store.Restore(ctx, f, dst, true); err == nil || !strings.Contains(err.Error(), "refusing to restore") {
				t.Fatalf("Restore: %v, want a refusal", err)
			}
			if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the refused restore created %s", dst)
			}
		})
	}
}

// TestRestoreRefusesNonEmpty: restoring over a store with data needs
// force; an empty (freshly migrated) store takes a restore without it.
func TestRestoreRefusesNonEmpty(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := storetest.Open(t, filepath.Join(dir, "src.db"))
	apply(t, src, ingestBatch(1))
	bk := filepath.Join(dir, "b.db")
	if _, err := src.Backup(ctx, bk); err != nil {
		t.Fatal(err)
	}

	full := filepath.Join(dir, "full.db")
	other := storetest.Open(t, full)
	apply(t, other, ingestBatch(7))
	apply(t, other, ingestBatch(8))
	other.Close()
	if _, err := store.Restore(ctx, bk, full, false); !errors.Is(err, store.ErrNotEmpty) {
		t.Fatalf("restore over a store with data: %v, want ErrNotEmpty", err)
	}
	if _, err := store.Restore(ctx, bk, full, true); err != nil {
		t.Fatalf("forced restore: %v", err)
	}
	r := storetest.Open(t, full)
	if c := counts(t, r); c["cases"] != 1 || c["alerts"] != 2 {
		t.Errorf("after the forced restore: %d cases, %d alerts, want the backup's 1 and 2", c["cases"], c["alerts"])
	}

	empty := filepath.Join(dir, "empty.db")
	storetest.Open(t, empty).Close()
	if _, err := store.Restore(ctx, bk, empty, false); err != nil {
		t.Fatalf("restore into an empty store: %v", err)
	}
	if _, err := store.Restore(ctx, bk, bk, true); err == nil {
		t.Error("restoring a file onto itself was accepted")
	}
}

// TestBackupPostgres: backup and restore name pg_dump for PostgreSQL.
func TestBackupPostgres(t *testing.T) {
	s := storetest.Open(t, storetest.PostgresDSN(t))
	if _, err := s.Backup(context.Background(), filepath.Join(t.TempDir(), "x.db")); !errors.Is(err, store.ErrBackupEngine) {
		t.Errorf("Backup on PostgreSQL: %v, want ErrBackupEngine", err)
	}
}
