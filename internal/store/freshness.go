package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// NewestRecord is when the newest alert or case created at or before
// notAfter was created (zero when there is none): how fresh the data is,
// without the records dated in the future.
func (s *Store) NewestRecord(ctx context.Context, notAfter time.Time) (time.Time, error) {
	var a, c sql.NullInt64
	lim := notAfter.UnixMicro()
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT MAX(created_at) FROM alerts WHERE created_at <= ?`), lim).Scan(&a); err != nil {
		return time.Time{}, fmt.Errorf("reading the newest alert: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT MAX(created_at) FROM cases WHERE created_at <= ?`), lim).Scan(&c); err != nil {
		return time.Time{}, fmt.Errorf("reading the newest case: %w", err)
	}
	return fromMicros(sql.NullInt64{Int64: max(a.Int64, c.Int64), Valid: a.Valid || c.Valid}), nil
}

// FutureDated counts records dated after an instant.
type FutureDated struct {
	Alerts int64     `json:"alerts"`
	Cases  int64     `json:"cases"`
	Newest time.Time `json:"newest,omitzero"`
}

// FutureRecords counts the alerts and cases created after after (records
// dated ahead of the clock) and finds the latest of them.
func (s *Store) FutureRecords(ctx context.Context, after time.Time) (FutureDated, error) {
	var f FutureDated
	var a, c sql.NullInt64
	lim := after.UnixMicro()
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*), MAX(created_at) FROM alerts WHERE created_at > ?`), lim).Scan(&f.Alerts, &a); err != nil {
		return f, fmt.Errorf("counting future-dated alerts: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*), MAX(created_at) FROM cases WHERE created_at > ?`), lim).Scan(&f.Cases, &c); err != nil {
		return f, fmt.Errorf("counting future-dated cases: %w", err)
	}
	f.Newest = fromMicros(sql.NullInt64{Int64: max(a.Int64, c.Int64), Valid: a.Valid || c.Valid})
	return f, nil
}

// HasData reports whether the store holds any alert or case.
func (s *Store) HasData(ctx context.Context) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM alerts LIMIT 1) a) + (SELECT COUNT(*) FROM (SELECT 1 FROM cases LIMIT 1) c)`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("reading whether the store holds data: %w", err)
	}
	return n > 0, nil
}
