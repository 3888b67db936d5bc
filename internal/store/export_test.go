package store

import (
	"context"
	"database/sql"
)

// MigrateTo creates the schema of an older release on dsn: the embedded
// migrations up to version, and no further.
func MigrateTo(ctx context.Context, dsn string, version int) error {
	driver := "sqlite"
	if IsPostgres(dsn) {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	s := &Store{engine: SQLite, w: db, r: db, migrateTo: version}
	if IsPostgres(dsn) {
		s.engine = Postgres
	}
	return s.migrate(ctx)
}
