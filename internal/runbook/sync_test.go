package runbook_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"testing/fstest"
	"time"

	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/shareddata"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func actions(r runbook.SyncResult) map[string]string {
	out := map[string]string{}
	for _, c := range r.Changes {
		out[c.ID] = c.Action + " v" + strconv.Itoa(c.Version)
	}
	return out
}

func TestSyncVersions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
		fsys := fstest.MapFS{
			"a.md":      {Data: []byte("---\ntitle: A\ntype: runbook\n---\n1. One\n")},
			"b.md":      {Data: []byte("---\ntitle: B\ntype: irp\n---\n1. One\n2. Two\n")},
			"broken.md": {Data: []byte("---\ntitle: [\n---\n")},
		}
		r1, err := runbook.Sync(ctx, st, fsys, "", "bank", t0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := actions(r1), map[string]string{"a": "added v1", "b": "added v1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("first sync %v, want %v", got, want)
		}
		if len(r1.Problems) != 1 || r1.Problems[0].Path != "broken.md" || r1.Files != 3 {
			t.Errorf("first sync problems %v of %d files", r1.Problems, r1.Files)
		}

		// Unchanged: no version.
		r2, err := runbook.Sync(ctx, st, fsys, "", "bank", t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := actions(r2), map[string]string{"a": "unchanged v1", "b": "unchanged v1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("re-sync %v, want %v", got, want)
		}
		// b changes, a goes away.
		fsys["b.md"] = &fstest.MapFile{Data: []byte("---\ntitle: B\ntype: irp\n---\n1. One\n2. Two\n3. Three\n")}
		delete(fsys, "a.md")
		r3, err := runbook.Sync(ctx, st, fsys, "", "bank", t0.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := actions(r3), map[string]string{"a": "removed v1", "b": "updated v2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("sync after edits %v, want %v", got, want)
		}
		// A runbook of another source is left alone; a comes back unchanged.
		other := fstest.MapFS{"c.md": {Data: []byte("---\ntitle: C\ntype: runbook\n---\n")}}
		if _, err := runbook.Sync(ctx, st, other, "", "elsewhere", t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		fsys["a.md"] = &fstest.MapFile{Data: []byte("---\ntitle: A\ntype: runbook\n---\n1. One\n")}
		r4, err := runbook.Sync(ctx, st, fsys, "", "bank", t0.Add(4*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := actions(r4), map[string]string{"a": "restored v1", "b": "unchanged v2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("sync restoring a %v, want %v", got, want)
		}

		entries, err := st.RunbookEntries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		reg := runbook.NewRegistry(entries)
		b := reg.Get("b")
		if len(entries) != 3 || b == nil || len(b.Versions) != 2 || len(b.Current().Doc.Steps()) != 3 || len(b.Versions[0].Doc.Steps()) != 2 {
			t.Fatalf("registry %+v", entries)
		}
		if v, _ := b.At(t0.Add(90 * time.Minute)); v.Version != 1 {
			t.Errorf("version in force before the edit: %d", v.Version)
		}
		if v, before := b.At(t0.Add(-time.Hour)); v.Version != 1 || !before {
			t.Errorf("version before the first sync: %d, %v", v.Version, before)
		}
		if a := reg.Get("a"); !a.RemovedAt.IsZero() || len(a.Versions) != 1 {
			t.Errorf("a after restore: %+v", a)
		}
		if c := reg.Get("c"); c == nil || c.Source != "elsewhere" || !c.RemovedAt.IsZero() {
			t.Errorf("c: %+v", c)
		}
		syncs, err := st.RunbookSyncs(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(syncs) != 5 || syncs[0].ID <= syncs[1].ID || len(syncs[4].Problems) != 1 || syncs[4].Problems[0].Line != 2 {
			t.Errorf("sync records %+v", syncs)
		}
	})
}

// The bank syncs once, and a second sync stores no version.
func TestSyncBankTwice(t *testing.T) {
	dir := shareddata.Path(t, "ai-runbooks", "rules_bank", "run_books")
	abs, _ := filepath.Abs(dir)
	st := storetest.Open(t, storetest.SQLitePath(t))
	ctx := context.Background()
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	r1, err := runbook.Sync(ctx, st, os.DirFS(dir), filepath.ToSlash(abs), abs, at)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := runbook.Sync(ctx, st, os.DirFS(dir), filepath.ToSlash(abs), abs, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r1.Count(runbook.Added) != 50 || r2.Count(runbook.Unchanged) != 50 || len(r2.Changes) != 50 || len(r2.Broken) != 32 {
		t.Errorf("first sync added %d, second kept %d unchanged of %d, %d broken links", r1.Count(runbook.Added),
			r2.Count(runbook.Unchanged), len(r2.Changes), len(r2.Broken))
	}
	entries, err := st.RunbookEntries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if len(e.Versions) != 1 {
			t.Errorf("%s has %d versions after an unchanged re-sync", e.ID, len(e.Versions))
		}
	}
}
