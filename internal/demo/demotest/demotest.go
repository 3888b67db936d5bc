// Package demotest stores the demo SOC for tests: its records ingested
// through the ingest pipeline, and its runbook folders synced.
package demotest

import (
	"context"
	"io"
	"testing"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Records stores the demo records of cfg in st, in ingest's default
// batches, and returns ingest's summary. edit, when not nil, may change
// each record before it is stored.
func Records(t testing.TB, st *store.Store, cfg demo.Config, edit func(*record.Record)) ingest.Summary {
	t.Helper()
	f := ingest.Format{Name: "demo", Parser: record.ParserFunc(func(ctx context.Context, _ io.Reader, _ string, emit record.Emit) error {
		if edit == nil {
			return demo.Generate(ctx, cfg, emit)
		}
		return demo.Generate(ctx, cfg, func(r record.Record) error {
			edit(&r)
			return emit(r)
		})
	})}
	sum, err := ingest.RunFormat(context.Background(), st, f, nil, "demo", ingest.Options{})
	if err != nil {
		t.Fatalf("storing the demo: %v", err)
	}
	return sum
}

// Ingest stores the demo of cfg in st as [Records] does, then syncs its
// runbook folders.
func Ingest(t testing.TB, st *store.Store, cfg demo.Config, edit func(*record.Record)) {
	t.Helper()
	Records(t, st, cfg, edit)
	for _, s := range demo.Runbooks(cfg) {
		if _, err := runbook.Sync(context.Background(), st, s.FS, "", demo.RunbookSource, s.At); err != nil {
			t.Fatalf("syncing the demo runbooks: %v", err)
		}
	}
}
