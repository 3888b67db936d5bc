package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing/handle"
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

// WorkloadHandleTimesReplay is WorkloadHandleTimes from the case logs
// alone, Segments included.
func WorkloadHandleTimesReplay(ctx context.Context, s *Store, since, until time.Time, pause []string, gap time.Duration) ([]handle.Time, error) {
	return s.replayHandleTimes(ctx, since, until, pause, gap)
}

// DayHandleTimesReplay is DayHandleTimes from the case logs alone.
func DayHandleTimesReplay(ctx context.Context, s *Store, day int64, pause []string, gap time.Duration) (map[int64]time.Duration, error) {
	hts, err := s.handleTimes(ctx, `SELECT e.case_id, e.at, e.actor, e.kind, e.new FROM case_events e
		WHERE e.case_id IN (SELECT case_id FROM case_facts WHERE day = ? AND resolve_at IS NOT NULL)
		ORDER BY e.case_id, e.at, e.id`, []any{day}, pause, gap)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]time.Duration, len(hts))
	for _, ht := range hts {
		out[ht.CaseID] = ht.Active
	}
	return out, nil
}

// KeptHandle is a case's kept handle time as stored: the gap and pause key
// it was measured with, and the handle time (CaseID 0 when it has none).
type KeptHandle struct {
	Day   int64
	Gap   int64
	Pause string
	Time  handle.Time
}

// KeptHandleTimes returns every case's kept handle time, by case id; cases
// never measured are left out.
func KeptHandleTimes(ctx context.Context, s *Store) (map[int64]KeptHandle, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT case_id, day, `+handleColumns+` FROM case_facts`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]KeptHandle{}
	for rows.Next() {
		var id, day int64
		k, measured, err := scanKeptHandle(rows, &id, &day)
		if err != nil {
			return nil, err
		}
		if !measured {
			continue
		}
		kh := KeptHandle{Day: day, Gap: k.gap, Pause: k.pause}
		if k.ok {
			kh.Time = k.ht
			kh.Time.CaseID = id
		}
		out[id] = kh
	}
	return out, rows.Err()
}

// MarkHandleTimesPending puts s in the state of a store migrated from
// before handle times were kept: none measured, their measurement pending.
func MarkHandleTimesPending(ctx context.Context, s *Store) error {
	_, err := s.write(ctx, func(a *applier) error {
		if _, err := a.exec(`UPDATE case_facts SET ht_gap = NULL, ht_pause = '', ht_created = NULL, ht_start = NULL, ht_end = NULL,
			ht_active = 0, ht_paused = 0, ht_priority = 0, ht_arrival = 0`); err != nil {
			return err
		}
		_, err := a.exec(`INSERT INTO handle_times_rebuild (pending) VALUES (1)`)
		return err
	})
	return err
}

// WorkloadCaseArrivalsScan is WorkloadCaseArrivals from the cases and
// their logs alone.
func WorkloadCaseArrivalsScan(ctx context.Context, s *Store, since, until time.Time) ([]ArrivalBucket, error) {
	return s.workloadCaseArrivalsScan(ctx, since, until)
}

// HandleSummaryRows is WorkloadHandleSummary counted from the rows alone,
// without the kept hours.
func HandleSummaryRows(ctx context.Context, s *Store, since, until time.Time, pause []string, gap time.Duration,
	ackWithin map[model.Priority]time.Duration) (HandleSummary, error) {
	q := summaryQuery{gap: gap, pause: pause, key: handle.PauseKey(pause), ackWithin: ackWithin, limits: map[model.Priority]int64{}}
	for p, d := range ackWithin {
		q.limits[p] = floorDiv(int64(d), int64(time.Microsecond))
	}
	b := newSummaryBuilder()
	if err := s.summariseRows(ctx, b, q, since.UnixMicro(), until.UnixMicro()); err != nil {
		return HandleSummary{}, err
	}
	return b.summary(), nil
}

// HandleHours counts the kept handle-time hours, and those built for their
// current version.
func HandleHours(ctx context.Context, s *Store) (total, built int, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN built_version = version THEN 1 ELSE 0 END), 0)
		FROM handle_hours`).Scan(&total, &built)
	return total, built, err
}
