package runbook_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/cputime"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/shareddata"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// BenchmarkLoadBank parses the AI-runbooks bank (50 files) and resolves its
// links, without a store.
func BenchmarkLoadBank(b *testing.B) {
	dir := shareddata.Path(b, "ai-runbooks", "rules_bank", "run_books")
	fsys := os.DirFS(dir)
	cpu0 := cputime.Used()
	for b.Loop() {
		f, err := runbook.Load(fsys, dir)
		if err != nil || len(f.Docs) != 50 {
			b.Fatalf("%v, %d runbooks", err, len(f.Docs))
		}
	}
	b.ReportMetric(float64((cputime.Used()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkSyncBank syncs the bank into a fresh SQLite store (50 runbooks
// added) and then again unchanged (no version written).
func BenchmarkSyncBank(b *testing.B) {
	dir := shareddata.Path(b, "ai-runbooks", "rules_bank", "run_books")
	abs, _ := filepath.Abs(dir)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	b.Run("first", func(b *testing.B) {
		cpu0 := cputime.Used()
		for b.Loop() {
			b.StopTimer()
			st := storetest.Open(b, storetest.SQLitePath(b))
			b.StartTimer()
			r, err := runbook.Sync(ctx, st, os.DirFS(dir), filepath.ToSlash(abs), "bank", at)
			if err != nil || r.Count(runbook.Added) != 50 {
				b.Fatalf("%v, %d added", err, r.Count(runbook.Added))
			}
		}
		b.ReportMetric(float64((cputime.Used()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
	b.Run("unchanged", func(b *testing.B) {
		st := storetest.Open(b, storetest.SQLitePath(b))
		if _, err := runbook.Sync(ctx, st, os.DirFS(dir), filepath.ToSlash(abs), "bank", at); err != nil {
			b.Fatal(err)
		}
		cpu0 := cputime.Used()
		for b.Loop() {
			r, err := runbook.Sync(ctx, st, os.DirFS(dir), filepath.ToSlash(abs), "bank", at)
			if err != nil || r.Count(runbook.Unchanged) != 50 {
				b.Fatalf("%v, %d unchanged", err, r.Count(runbook.Unchanged))
			}
		}
		b.ReportMetric(float64((cputime.Used()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
}
