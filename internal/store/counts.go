package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Counters kept in the write transactions (migration 0025): the row count of
// every data table, the alerts of each source, the alerts by quarter hour and
// severity, and the data version. Ingest counts the alerts, cases and case
// events it inserts here, in Go; triggers count every other insert, every
// delete and the alert changes that move an arrival.

// arrivalKey is a UTC quarter hour (Unix microseconds ÷ QuarterHour) and a
// severity.
type arrivalKey struct{ quarter, severity int64 }

// counts is what one write transaction adds to the kept counters.
type counts struct {
	rows     map[string]int64
	sources  map[string]int64
	arrivals map[arrivalKey]int64
}

func (c *counts) addRows(table string, n int64) {
	if c.rows == nil {
		c.rows = map[string]int64{}
	}
	c.rows[table] += n
}

// addAlert counts one inserted alert: its table, its source and, when it
// has a creation time, its arrival.
func (c *counts) addAlert(source string, created time.Time, severity int64) {
	c.addRows("alerts", 1)
	if c.sources == nil {
		c.sources = map[string]int64{}
	}
	c.sources[source]++
	if created.IsZero() {
		return
	}
	if c.arrivals == nil {
		c.arrivals = map[arrivalKey]int64{}
	}
	c.arrivals[arrivalKey{created.UnixMicro() / quarterMicros, severity}]++
}

// arrivalRowsPerStatement is the most arrival counts one statement adds
// (a power of two, as chunkSizes needs).
const arrivalRowsPerStatement = 128

// flushCounts adds the transaction's counts to the kept counters, key by key
// in order (so PostgreSQL writers lock the counter rows in one order), and
// bumps the data version. It runs last in every write that changes data.
func (a *applier) flushCounts() error {
	c := &a.counts
	for _, t := range slices.Sorted(maps.Keys(c.rows)) {
		if n := c.rows[t]; n != 0 {
			if _, err := a.exec(`UPDATE table_rows SET n = n + ? WHERE name = ?`, n, t); err != nil {
				return fmt.Errorf("counting %s: %w", t, err)
			}
		}
	}
	for _, src := range slices.Sorted(maps.Keys(c.sources)) {
		if n := c.sources[src]; n != 0 {
			if _, err := a.exec(`INSERT INTO alert_source_rows (source, n) VALUES (?, ?)
				ON CONFLICT (source) DO UPDATE SET n = alert_source_rows.n + excluded.n`, src, n); err != nil {
				return fmt.Errorf("counting alerts of %s: %w", src, err)
			}
		}
	}
	keys := make([]arrivalKey, 0, len(c.arrivals))
	for k, n := range c.arrivals {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y arrivalKey) int {
		return cmp.Or(cmp.Compare(x.quarter, y.quarter), cmp.Compare(x.severity, y.severity))
	})
	// Many rows a statement: a batch of a day's alerts spans up to 96
	// quarter hours of each severity.
	for _, n := range chunkSizes(len(keys), arrivalRowsPerStatement) {
		args := make([]any, 0, 3*n)
		for _, k := range keys[:n] {
			args = append(args, k.quarter, k.severity, c.arrivals[k])
		}
		keys = keys[n:]
		if _, err := a.exec(multiRowSQL(`INSERT INTO alert_arrivals (quarter, severity, n) VALUES `, `(?, ?, ?)`, n,
			` ON CONFLICT (quarter, severity) DO UPDATE SET n = alert_arrivals.n + excluded.n`), args...); err != nil {
			return fmt.Errorf("counting alert arrivals: %w", err)
		}
	}
	a.counts = counts{}
	return bumpDataVersion(a.ctx, a.tx)
}

// bumpDataVersion marks that a write transaction changed data.
func bumpDataVersion(ctx context.Context, c dbConn) error {
	if _, err := c.ExecContext(ctx, `UPDATE data_version SET version = version + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("bumping the data version: %w", err)
	}
	return nil
}

// DataVersion is a cheap marker of the data's state: a counter every write
// transaction that changes data bumps before it commits (the caches kept
// beside the data, rollup parts and case facts, do not). Servers read it
// before answering from what they keep, and replicas sharing one PostgreSQL
// poll it to push live updates for each other's writes.
func (s *Store) DataVersion(ctx context.Context) (string, error) {
	v, err := s.DataVersionNumber(ctx)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(v, 10), nil
}

// DataVersionNumber is DataVersion as a number: it only grows.
func (s *Store) DataVersionNumber(ctx context.Context) (int64, error) {
	var v int64
	if err := s.r.QueryRowContext(ctx, `SELECT version FROM data_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading data version: %w", err)
	}
	return v, nil
}

// Counts returns the number of rows in each data table, from the counters
// kept in the write transactions.
func (s *Store) Counts(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(Tables))
	for _, t := range Tables {
		out[t] = 0
	}
	rows, err := s.r.QueryContext(ctx, `SELECT name, n FROM table_rows`)
	if err != nil {
		return nil, fmt.Errorf("reading table counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("reading table counts: %w", err)
		}
		if _, ok := out[name]; ok {
			out[name] = n
		}
	}
	return out, rows.Err()
}

// CountRows counts the rows of each data table and the alerts of each source
// from the tables themselves: the oracle the kept counters are tested
// against, and what RecountRows stores.
func (s *Store) CountRows(ctx context.Context) (tables, sources map[string]int64, err error) {
	return countRows(ctx, s.r)
}

func countRows(ctx context.Context, q dbConn) (tables, sources map[string]int64, err error) {
	tables = make(map[string]int64, len(Tables))
	for _, t := range Tables {
		var n int64
		// Table names come from the fixed list, never from input.
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return nil, nil, fmt.Errorf("counting %s: %w", t, err)
		}
		tables[t] = n
	}
	sources = map[string]int64{}
	rows, err := q.QueryContext(ctx, `SELECT source, COUNT(*) FROM alerts GROUP BY source`)
	if err != nil {
		return nil, nil, fmt.Errorf("counting alerts by source: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var src string
		var n int64
		if err := rows.Scan(&src, &n); err != nil {
			return nil, nil, fmt.Errorf("counting alerts by source: %w", err)
		}
		sources[src] = n
	}
	return tables, sources, rows.Err()
}

// AlertsBySource returns the alerts of each source from the kept counters
// (sources whose alerts were all removed are left out).
func (s *Store) AlertsBySource(ctx context.Context) (map[string]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT source, n FROM alert_source_rows WHERE n <> 0`)
	if err != nil {
		return nil, fmt.Errorf("reading alerts by source: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var src string
		var n int64
		if err := rows.Scan(&src, &n); err != nil {
			return nil, fmt.Errorf("reading alerts by source: %w", err)
		}
		out[src] = n
	}
	return out, rows.Err()
}

// recountRows stores the counters and the alert and case arrivals again
// from the rows, and drops the kept handle-time hours (rebuilt from the
// rows when next read): the repair path of `rollups rebuild`.
func (a *applier) recountRows() error {
	tables, sources, err := countRows(a.ctx, a.tx)
	if err != nil {
		return err
	}
	if _, err := a.exec(`DELETE FROM table_rows`); err != nil {
		return fmt.Errorf("clearing table counts: %w", err)
	}
	for _, t := range Tables {
		if _, err := a.exec(`INSERT INTO table_rows (name, n) VALUES (?, ?)`, t, tables[t]); err != nil {
			return fmt.Errorf("storing table counts: %w", err)
		}
	}
	if _, err := a.exec(`DELETE FROM alert_source_rows`); err != nil {
		return fmt.Errorf("clearing alerts by source: %w", err)
	}
	for _, src := range slices.Sorted(maps.Keys(sources)) {
		if _, err := a.exec(`INSERT INTO alert_source_rows (source, n) VALUES (?, ?)`, src, sources[src]); err != nil {
			return fmt.Errorf("storing alerts by source: %w", err)
		}
	}
	if _, err := a.exec(`DELETE FROM alert_arrivals`); err != nil {
		return fmt.Errorf("clearing alert arrivals: %w", err)
	}
	if _, err := a.exec(`INSERT INTO alert_arrivals (quarter, severity, n)
		SELECT created_at / ?, severity, COUNT(*) FROM alerts WHERE created_at IS NOT NULL GROUP BY 1, 2`, quarterMicros); err != nil {
		return fmt.Errorf("storing alert arrivals: %w", err)
	}
	if _, err := a.exec(`DELETE FROM case_arrivals`); err != nil {
		return fmt.Errorf("clearing case arrivals: %w", err)
	}
	if _, err := a.exec(`INSERT INTO case_arrivals (quarter, priority, n)
		SELECT arr_at / ?, arr_priority, COUNT(*) FROM case_facts WHERE arr_at IS NOT NULL GROUP BY 1, 2`, quarterMicros); err != nil {
		return fmt.Errorf("storing case arrivals: %w", err)
	}
	if _, err := a.exec(`INSERT INTO handle_hours (hour) SELECT DISTINCT resolved_at / ? FROM cases WHERE resolved_at IS NOT NULL
		ON CONFLICT (hour) DO NOTHING`, hourMicros); err != nil {
		return fmt.Errorf("marking the handle-time hours: %w", err)
	}
	if _, err := a.exec(`UPDATE handle_hours SET built_version = -1, data = NULL`); err != nil {
		return fmt.Errorf("dropping the kept handle-time hours: %w", err)
	}
	return nil
}

// keptArrivals adds the kept alert arrivals of the quarter hours from … to
// (exclusive) to out.
func (s *Store) keptArrivals(ctx context.Context, from, to int64, out []ArrivalBucket) ([]ArrivalBucket, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT quarter, severity, n FROM alert_arrivals
		WHERE quarter >= ? AND quarter < ? AND n <> 0`), from, to)
	if err != nil {
		return nil, fmt.Errorf("reading alert arrivals: %w", err)
	}
	defer rows.Close()
	var q, sev, n int64
	for rows.Next() {
		if err := rows.Scan(&q, &sev, &n); err != nil {
			return nil, fmt.Errorf("reading alert arrivals: %w", err)
		}
		out = append(out, ArrivalBucket{Start: time.UnixMicro(q * quarterMicros).UTC(), Priority: model.Severity(sev).Priority(), Count: n})
	}
	return out, rows.Err()
}
