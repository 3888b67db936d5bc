package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
)

// Exists reports whether dsn names an existing Watchfloor store, without
// creating anything: for SQLite, whether the file is there; for
// PostgreSQL, whether the database holds Watchfloor's tables. Commands that
// only read use it, so a mistyped --db is an error rather than a new,
// empty store.
func Exists(ctx context.Context, dsn string) (bool, error) {
	if !IsPostgres(dsn) {
		_, err := os.Stat(dsn)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("looking for the store at %s: %w", dsn, err)
		}
		return true, nil
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return false, fmt.Errorf("opening PostgreSQL: %w", err)
	}
	defer db.Close()
	var ok bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&ok); err != nil {
		return false, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	return ok, nil
}

// Redact names a store for messages: a SQLite path as given, a PostgreSQL
// URL without its password.
func Redact(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}
