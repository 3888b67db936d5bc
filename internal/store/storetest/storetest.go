// Package storetest gives tests a fresh database on each engine: a SQLite
// file in a temporary folder, and a PostgreSQL schema of its own on the
// server named by WATCHFLOOR_TEST_POSTGRES (the test skips, saying so, when
// that variable is unset).
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/watchfloor/watchfloor/internal/store"
)

// PostgresEnv names the variable that points tests at a PostgreSQL server.
const PostgresEnv = "WATCHFLOOR_TEST_POSTGRES"

var seq atomic.Int64

// PostgresDSN returns a DSN for a new, empty schema on the test server,
// dropped when the test ends, or skips the test when no server is named.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set; skipping the PostgreSQL run (e.g. %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", PostgresEnv, PostgresEnv)
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("opening %s: %v", PostgresEnv, err)
	}
	defer db.Close()
	schema := fmt.Sprintf("wf_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano(), seq.Add(1))
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("creating test schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// SQLitePath returns a path for a new SQLite database in a temporary folder.
func SQLitePath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "watchfloor.db")
}

// Open opens a store on dsn and closes it when the test ends.
func Open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Engines runs test once per engine as a subtest, with a function that
// opens (another connection to) that subtest's database.
func Engines(t *testing.T, test func(t *testing.T, open func() *store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		path := SQLitePath(t)
		test(t, func() *store.Store { return Open(t, path) })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := PostgresDSN(t)
		test(t, func() *store.Store { return Open(t, dsn) })
	})
}
