package maintain

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

type auditLog []store.AuditEntry

func (l *auditLog) Audit(_ context.Context, e store.AuditEntry) error {
	*l = append(*l, e)
	return nil
}

func TestBackupName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
		at   string
	}{
		{"watchfloor-20261206T162400Z.db", true, "2026-12-06T16:24:00Z"},
		{"watchfloor-20261206T162400Z.db.partial", false, ""},
		{"watchfloor-latest.db", false, ""},
		{"notes.txt", false, ""},
		{"watchfloor-20261306T162400Z.db", false, ""}, // month 13
	}
	for _, tc := range tests {
		at, ok := backupTime(tc.name)
		if ok != tc.ok || (ok && at.Format(time.RFC3339) != tc.at) {
			t.Errorf("backupTime(%q) = %v, %v; want %v %s", tc.name, at, ok, tc.ok, tc.at)
		}
	}
	if got := BackupName(time.Date(2026, 12, 6, 17, 24, 0, 0, time.FixedZone("CET", 3600))); got != "watchfloor-20261206T162400Z.db" {
		t.Errorf("BackupName = %s", got)
	}
}

// TestBackupsRotate takes five backups a day apart with Keep 3: the three
// newest stay, files that are not scheduled backups are never touched, and
// each backup is audited.
func TestBackupsRotate(t *testing.T) {
	dir := t.TempDir()
	st := storetest.Open(t, storetest.SQLitePath(t))
	other := filepath.Join(dir, "manual.db")
	os.WriteFile(other, []byte("kept"), 0o600)
	now := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	var log auditLog
	b := &Backups{Store: st, Dir: dir, Every: 24 * time.Hour, Keep: 3, Audit: &log,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}
	for range 5 {
		if _, err := b.Once(context.Background()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(24 * time.Hour)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"manual.db", "watchfloor-20261203T020000Z.db", "watchfloor-20261204T020000Z.db", "watchfloor-20261205T020000Z.db"}
	if !slices.Equal(names, want) {
		t.Errorf("folder holds %v, want %v", names, want)
	}
	if len(log) != 5 || log[4].Action != "scheduled backup" || log[4].Detail == "" {
		t.Errorf("audit log %+v", log)
	}
	newest, err := b.newest()
	if err != nil || !newest.Equal(time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("newest %v %v", newest, err)
	}
}
