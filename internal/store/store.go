// Package store keeps Watchfloor's data: alerts, cases and their append-only
// event log, analysts, rules, SLA policies and posture findings. One Store
// type serves two engines: embedded SQLite (the default, one writer and a
// pool of readers over a WAL database) and PostgreSQL, which several
// Watchfloor processes may share. Both run the same SQL wherever the two
// dialects agree; migrations are embedded and versioned per engine.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/watchfloor/watchfloor/internal/model"
)

//go:embed migrations
var migrations embed.FS

// Engine names a storage engine.
type Engine string

// The engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Store is the data store. It is safe for concurrent use.
type Store struct {
	engine Engine
	path   string // the SQLite file
	// SQLite writes go through one connection held for the store's life,
	// with its prepared statements cached: parsing a multi-row insert costs
	// as much as running it.
	wmu    sync.Mutex
	wconn  *sql.Conn
	wstmts map[string]*sql.Stmt
	w      *sql.DB // the single writer (SQLite) or the pool (PostgreSQL)
	r      *sql.DB // readers
	// Statuses maps status events onto stages when ingest derives the stage
	// event a status change implies.
	Statuses model.StatusMap
	// copyMiss is set when a COPY of alerts straight into the table met a
	// stored key, so the next runs stage theirs (PostgreSQL).
	copyMiss atomic.Bool
	// migrateTo, when set, stops migrations after that version (tests of
	// upgrades from an older schema).
	migrateTo int
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens (creating and migrating when needed) the store named by dsn:
// a postgres:// URL or a SQLite file path.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if IsPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

// DefaultPath is the SQLite file used when no database is named: in the
// user's data directory ($XDG_DATA_HOME or ~/.local/share).
func DefaultPath() string {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "watchfloor.db"
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "watchfloor", "watchfloor.db")
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating database folder: %w", err)
		}
	}
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-16384)&_pragma=wal_autocheckpoint(16384)"
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetMaxIdleConns(1)
	s := &Store{engine: SQLite, path: path, w: w, Statuses: model.DefaultStatusMap}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if s.wconn, err = w.Conn(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("opening the writer connection: %w", err)
	}
	s.wstmts = map[string]*sql.Stmt{}
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("opening %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	s.r = r
	if err := s.buildPendingAlertRollups(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.buildPendingHandleTimes(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	s := &Store{engine: Postgres, w: db, r: db, Statuses: model.DefaultStatusMap}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.buildPendingAlertRollups(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.buildPendingHandleTimes(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Engine reports which engine the store runs on.
func (s *Store) Engine() Engine { return s.engine }

// Close closes the store.
func (s *Store) Close() error {
	var err error
	if s.wconn != nil {
		s.wmu.Lock()
		for _, st := range s.wstmts {
			st.Close()
		}
		err = s.wconn.Close()
		s.wmu.Unlock()
	}
	err = errors.Join(err, s.w.Close())
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.r.PingContext(ctx) }

// rebind turns the ? placeholders of shared SQL into PostgreSQL's $n.
func (s *Store) rebind(q string) string {
	if s.engine != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// migrate applies the embedded migrations not yet applied. On PostgreSQL an
// advisory lock keeps concurrent starts of several processes apart.
func (s *Store) migrate(ctx context.Context) error {
	dir := "migrations/" + string(s.engine)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return fmt.Errorf("reading migrations: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })

	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	defer conn.Close()
	if s.engine == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7242001)`); err != nil {
			return fmt.Errorf("taking the migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7242001)`)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	// Applied versions as a set, not a maximum: a migration merged after a
	// higher-numbered one still runs on stores that already have the latter.
	applied, err := appliedMigrations(ctx, conn)
	if err != nil {
		return err
	}
	for _, e := range entries {
		v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		if applied[v] || (s.migrateTo > 0 && v > s.migrateTo) {
			continue
		}
		body, err := migrations.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("applying migration %s: %w", e.Name(), err)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), v, time.Now().UnixMicro()); err != nil {
			tx.Rollback()
			return fmt.Errorf("recording migration %s: %w", e.Name(), err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("committing migration %s: %w", e.Name(), err)
		}
	}
	return nil
}

// appliedMigrations reads the versions recorded in schema_migrations.
func appliedMigrations(ctx context.Context, conn *sql.Conn) (map[int]bool, error) {
	rows, err := conn.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("reading applied migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("reading applied migrations: %w", err)
		}
		applied[v] = true
	}
	return applied, rows.Err()
}

// SchemaVersion returns the newest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}

// String names the engine and, for SQLite, the file (a PostgreSQL URL is not
// shown: it may carry a password).
func (e Engine) Describe(dsn string) string {
	if e == SQLite {
		return "sqlite " + dsn
	}
	return "postgres"
}

// OpenReadOnly opens an existing SQLite store for reading only, without
// migrating it (for monitors and tests watching another process's store).
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	r, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &Store{engine: SQLite, path: path, w: r, r: r, Statuses: model.DefaultStatusMap}, nil
}

// chunkSizes splits n rows into multi-row statements of power-of-two sizes
// up to max (a power of two), so a handful of distinct statements serve
// every batch and SQLite's statement cache stays small.
func chunkSizes(n, max int) []int {
	var out []int
	for ; n >= max; n -= max {
		out = append(out, max)
	}
	for size := max / 2; size > 0; size /= 2 {
		if n >= size {
			out = append(out, size)
			n -= size
		}
	}
	return out
}

// multiRowSQL repeats row, a parenthesised list of ? bind parameters, n
// times between head and tail: one multi-row statement.
func multiRowSQL(head, row string, n int, tail string) string {
	var q strings.Builder
	q.Grow(len(head) + n*(len(row)+2) + len(tail))
	q.WriteString(head)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(row)
	}
	q.WriteString(tail)
	return q.String()
}
