package store

import (
	"context"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// RawStat is a KPI computed straight from the raw case rows.
type RawStat struct {
	Count  int64
	Mean   float64 // seconds
	Median float64 // seconds, lower middle value
}

// RawMTTR computes MTTR (created → first resolution) per priority for the
// cases created in [from, to), tests excluded, with one plain SQL query
// over the cases table. It is the reference the rollup engine is checked
// and benchmarked against.
func (s *Store) RawMTTR(ctx context.Context, from, to time.Time) (map[model.Priority]RawStat, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`
		WITH d AS (
			SELECT priority, (resolved_at - created_at) / 1000000.0 AS secs
			FROM cases
			WHERE created_at >= ? AND created_at < ? AND resolved_at IS NOT NULL AND disposition <> 'test'
		), r AS (
			SELECT priority, secs,
				ROW_NUMBER() OVER (PARTITION BY priority ORDER BY secs) AS rn,
				COUNT(*) OVER (PARTITION BY priority) AS n,
				AVG(secs) OVER (PARTITION BY priority) AS mean
			FROM d
		)
		SELECT priority, n, mean, secs FROM r WHERE rn = (n + 1) / 2`), from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("computing raw MTTR: %w", err)
	}
	defer rows.Close()
	out := map[model.Priority]RawStat{}
	for rows.Next() {
		var p int
		var st RawStat
		if err := rows.Scan(&p, &st.Count, &st.Mean, &st.Median); err != nil {
			return nil, fmt.Errorf("computing raw MTTR: %w", err)
		}
		out[model.Priority(p)] = st
	}
	return out, rows.Err()
}

// RawQueue counts open cases by priority and stage, and the alerts created
// in the hour before now, with plain SQL over the raw rows: the reference
// for the dashboard's queue and inflow.
func (s *Store) RawQueue(ctx context.Context, now time.Time) (map[[2]string]int64, int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT priority, stage, COUNT(*) FROM cases
		WHERE stage NOT IN ('resolved', 'closed') GROUP BY priority, stage`)
	if err != nil {
		return nil, 0, fmt.Errorf("counting raw queue: %w", err)
	}
	defer rows.Close()
	out := map[[2]string]int64{}
	for rows.Next() {
		var p int
		var stage string
		var n int64
		if err := rows.Scan(&p, &stage, &n); err != nil {
			return nil, 0, fmt.Errorf("counting raw queue: %w", err)
		}
		out[[2]string{model.Priority(p).String(), stage}] = n
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	inflow, err := s.CountAlerts(ctx, now.Add(-time.Hour), now)
	return out, inflow, err
}
