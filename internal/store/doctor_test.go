package store_test

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// rawDB opens the database behind a store's DSN directly, to put it in the
// states doctor must recognise.
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver := "sqlite"
	if store.IsPostgres(dsn) {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func checkState(d *store.Diagnosis, name string) string {
	for _, c := range d.Checks {
		if c.Name == name {
			return c.State
		}
	}
	return ""
}

// TestDiagnose: a freshly migrated store is healthy; a store missing a
// migration reports it pending (a warning, applied by the next write); a
// store with a migration this build lacks fails; a future-dated alert is
// a clock warning.
func TestDiagnose(t *testing.T) {
	for _, eng := range []string{"sqlite", "postgres"} {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.SQLitePath(t)
			if eng == "postgres" {
				dsn = storetest.PostgresDSN(t)
			}
			s := storetest.Open(t, dsn)
			apply(t, s, ingestBatch(1))
			s.Close()
			all, err := store.Migrations(store.Engine(eng))
			if err != nil {
				t.Fatal(err)
			}
			diagnose := func() *store.Diagnosis {
				t.Helper()
				st, err := store.OpenInspect(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				d, err := st.Diagnose(ctx, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
				if err != nil {
					t.Fatal(err)
				}
				return d
			}
			d := diagnose()
			if !d.OK() || len(d.Pending) != 0 || !slices.Equal(d.Applied, all) || d.Counts["cases"] != 1 || d.Counts["alerts"] != 2 {
				t.Fatalf("fresh store: ok %v pending %v applied %v counts %v checks %+v", d.OK(), d.Pending, d.Applied, d.Counts, d.Checks)
			}
			if d.SchemaVersion != all[len(all)-1] {
				t.Errorf("schema version %d, want %d", d.SchemaVersion, all[len(all)-1])
			}
			db := rawDB(t, dsn)
			last := all[len(all)-1]
			if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = ` + itoa(last)); err != nil {
				t.Fatal(err)
			}
			d = diagnose()
			if !d.OK() || checkState(d, "migrations") != store.CheckWarn || !slices.Equal(d.Pending, []int{last}) {
				t.Errorf("one pending: ok %v pending %v checks %+v", d.OK(), d.Pending, d.Checks)
			}
			if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (` + itoa(last) + `, 0), (9999, 0)`); err != nil {
				t.Fatal(err)
			}
			d = diagnose()
			if d.OK() || checkState(d, "migrations") != store.CheckFail || !slices.Equal(d.Unknown, []int{9999}) {
				t.Errorf("unknown migration: ok %v unknown %v checks %+v", d.OK(), d.Unknown, d.Checks)
			}
			for _, c := range d.Checks {
				if c.Name == "migrations" && !strings.Contains(c.Detail, "newer release") {
					t.Errorf("detail %q does not name the cause", c.Detail)
				}
			}
			if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = 9999`); err != nil {
				t.Fatal(err)
			}
			// The ingested batch is dated 2026-11-01; judged from October it
			// lies in the future.
			st, _ := store.OpenInspect(ctx, dsn)
			defer st.Close()
			d, err = st.Diagnose(ctx, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			if !d.OK() || checkState(d, "clock") != store.CheckWarn {
				t.Errorf("future-dated: checks %+v", d.Checks)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
