package store

import (
	"context"
	"database/sql"
	"time"
)

// MarkAlertRollupsPending puts s in the state of a store migrated from before
// alert rollups were kept: none kept, their build from the rows pending.
func MarkAlertRollupsPending(ctx context.Context, s *Store) error {
	_, err := s.write(ctx, func(a *applier) error {
		if _, err := a.exec(`DELETE FROM alert_rollups`); err != nil {
			return err
		}
		_, err := a.exec(`INSERT INTO alert_rollups_rebuild (pending) VALUES (1)`)
		return err
	})
	return err
}

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

// WorkloadRuleVolumesScan is WorkloadRuleVolumes from the alert rows alone.
func WorkloadRuleVolumesScan(ctx context.Context, s *Store, since, until time.Time) ([]RuleVolume, error) {
	return s.workloadRuleVolumesScan(ctx, since, until)
}
