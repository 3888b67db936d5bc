// Package demotest stores the demo SOC for tests: its records ingested
// through the ingest pipeline, its runbook folders synced.
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

// Ingest stores the demo of cfg in st, with its runbooks. edit, when not
// nil, may change each record before it is stored.
func Ingest(t testing.TB, st *store.Store, cfg demo.Config, edit func(*record.Record)) {
	t.Helper()
	ctx := context.Background()
	f := ingest.Format{Name: "demo", Parser: record.ParserFunc(func(ctx context.Context, _ io.Reader, _ string, emit record.Emit) error {
		return demo.Generate(ctx, cfg, func(r record.Record) error {
			if edit != nil {
				edit(&r)
			}
			return emit(r)
		})
	})}
	if _, err := ingest.RunFormat(ctx, st, f, nil, "demo", ingest.Options{BatchSize: 5000}); err != nil {
		t.Fatalf("storing the demo: %v", err)
	}
	for _, s := range demo.Runbooks(cfg) {
		if _, err := runbook.Sync(ctx, st, s.FS, "", demo.RunbookSource, s.At); err != nil {
			t.Fatalf("syncing the demo runbooks: %v", err)
		}
	}
}
