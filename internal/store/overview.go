package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Overview is what the store holds, in brief.
type Overview struct {
	Counts         map[string]int64
	FirstAlert     time.Time
	LastAlert      time.Time
	AlertsBySource map[string]int64
	// OpenCases counts cases not resolved or closed by stage and priority.
	OpenCases map[model.Stage]map[model.Priority]int64
}

// Overview summarises the store's contents: row counts and alerts by
// source from the counters kept in the write transactions, the alert time
// range from the ends of the created_at index.
func (s *Store) Overview(ctx context.Context) (Overview, error) {
	var o Overview
	var err error
	if o.Counts, err = s.Counts(ctx); err != nil {
		return o, err
	}
	var lo, hi sql.NullInt64
	// Two subqueries, so each is answered from the created_at index's ends:
	// MIN and MAX in one select scan the whole table (1.5 s on 3.6 M rows).
	if err := s.r.QueryRowContext(ctx, `SELECT (SELECT MIN(created_at) FROM alerts), (SELECT MAX(created_at) FROM alerts)`).Scan(&lo, &hi); err != nil {
		return o, fmt.Errorf("reading alert time range: %w", err)
	}
	o.FirstAlert, o.LastAlert = fromMicros(lo), fromMicros(hi)
	if o.AlertsBySource, err = s.AlertsBySource(ctx); err != nil {
		return o, err
	}
	o.OpenCases = map[model.Stage]map[model.Priority]int64{}
	rows, err := s.r.QueryContext(ctx, `SELECT stage, priority, COUNT(*) FROM cases
		WHERE stage NOT IN ('resolved', 'closed') GROUP BY stage, priority`)
	if err != nil {
		return o, fmt.Errorf("counting open cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var p int
		var n int64
		if err := rows.Scan(&st, &p, &n); err != nil {
			return o, fmt.Errorf("counting open cases: %w", err)
		}
		m := o.OpenCases[model.Stage(st)]
		if m == nil {
			m = map[model.Priority]int64{}
			o.OpenCases[model.Stage(st)] = m
		}
		m[model.Priority(p)] = n
	}
	return o, rows.Err()
}
