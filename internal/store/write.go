package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/watchfloor/watchfloor/internal/sla"
	"github.com/watchfloor/watchfloor/internal/staffing/handle"
)

// Every write goes through Store.write: one transaction (retried on
// PostgreSQL when another writer's locks made it fail) in which an applier
// runs the steps of a batch, a facts refresh or a setting change.

// dbConn is what a write goes through: a transaction on PostgreSQL, SQLite's
// writer connection with its statement cache inside BEGIN ... COMMIT.
type dbConn interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// applier runs the steps of one write transaction and counts what they
// changed in res.
type applier struct {
	s  *Store
	tx dbConn
	// pg is the connection of a PostgreSQL write's transaction, for what
	// database/sql cannot send (COPY).
	pg *sql.Conn
	// staged is set once a run of alerts went through alerts_in in this
	// transaction (PostgreSQL).
	staged  bool
	ctx     context.Context
	now     time.Time
	res     *Result
	caseIDs map[caseKey]int64
	// touched cases whose projection must be recomputed from the full log.
	replay map[int64]bool
	// touched cases whose KPI facts must be recomputed, and the quarter hours
	// of alerts written, whose days' rollups are now stale.
	touched   map[int64]bool
	alertDays map[int64]bool
	// rollups is the batch's change to the kept alert rollups.
	rollups AlertRollupSet
	// what the batch adds to the source health rollups
	health *healthDelta
	// what the transaction adds to the kept row counters (counts.go)
	counts counts
	// derived marks a write of what is kept beside the data (rollup parts,
	// case facts): it leaves the data version as it is.
	derived bool
	// KPI context, loaded on first need: time zone and SLA policies.
	kpiLoaded bool
	tz        *time.Location
	eval      sla.Evaluator
	// handle time collectors by pause statuses (handle.PauseKey)
	handles map[string]*handle.Collector
}

func (a *applier) exec(q string, args ...any) (sql.Result, error) {
	return a.tx.ExecContext(a.ctx, a.s.rebind(q), args...)
}

func (a *applier) query(q string, args ...any) (*sql.Rows, error) {
	return a.tx.QueryContext(a.ctx, a.s.rebind(q), args...)
}

func (a *applier) queryRow(q string, args ...any) *sql.Row {
	return a.tx.QueryRowContext(a.ctx, a.s.rebind(q), args...)
}

func (a *applier) reject(k Kind, i int, format string, args ...any) {
	a.res.Rejects = append(a.res.Rejects, Reject{Kind: k, Index: i, Err: fmt.Errorf(format, args...)})
}

// write runs fn in a write transaction and returns what it counted. On
// PostgreSQL, a transaction that another writer's locks made fail (deadlock
// or serialization failure) is run again, up to five times: writers lock
// cases in the order their batches name them, so two processes can meet
// in opposite orders.
func (s *Store) write(ctx context.Context, fn func(a *applier) error) (Result, error) {
	return s.writeTx(ctx, false, fn)
}

// writeDerived is write for what is kept beside the data and computed from
// it (rollup parts, case facts): the data version stays, so servers keep
// what they computed from the same data.
func (s *Store) writeDerived(ctx context.Context, fn func(a *applier) error) (Result, error) {
	return s.writeTx(ctx, true, fn)
}

func (s *Store) writeTx(ctx context.Context, derived bool, fn func(a *applier) error) (Result, error) {
	for attempt := 1; ; attempt++ {
		res := newResult()
		a := &applier{s: s, ctx: ctx, now: time.Now().UTC(), res: &res, caseIDs: map[caseKey]int64{}, derived: derived}
		run := func(a *applier) error {
			if err := fn(a); err != nil {
				return err
			}
			if a.derived {
				return nil
			}
			return a.flushCounts()
		}
		if s.engine == SQLite {
			return res, s.writeSQLite(ctx, func(c dbConn) error {
				a.tx = c
				return run(a)
			})
		}
		err := s.writePostgres(ctx, a, run)
		if err == nil || attempt == 5 || !retryable(err) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, err
		case <-time.After(time.Duration(attempt*attempt) * 10 * time.Millisecond):
		}
	}
}

func (s *Store) writePostgres(ctx context.Context, a *applier, fn func(a *applier) error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("starting write transaction: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("starting write transaction: %w", err)
	}
	a.tx, a.pg = tx, conn
	if err := fn(a); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// retryable reports whether PostgreSQL aborted a transaction because of
// another one: deadlock_detected or serialization_failure.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// writeSQLite runs fn inside an immediate transaction on the writer
// connection, committing when fn succeeds; see beginSQLite for how it
// waits for another process's lock.
func (s *Store) writeSQLite(ctx context.Context, fn func(dbConn) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.beginSQLite(ctx); err != nil {
		return fmt.Errorf("starting ingest transaction: %w", err)
	}
	if err := fn(cachedConn{s}); err != nil {
		s.wconn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		return err
	}
	if _, err := s.wconn.ExecContext(ctx, `COMMIT`); err != nil {
		s.wconn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		return fmt.Errorf("committing ingest batch: %w", err)
	}
	return nil
}

// cachedConn runs statements on the SQLite writer connection, preparing each
// distinct statement once. The caller holds s.wmu.
type cachedConn struct{ s *Store }

func (c cachedConn) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := c.s.wstmts[q]; ok {
		return st, nil
	}
	st, err := c.s.wconn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.s.wstmts[q] = st
	return st, nil
}

func (c cachedConn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c cachedConn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c cachedConn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, q)
	if err != nil {
		// A statement that does not prepare fails the same way when run
		// directly, which is how *sql.Row can carry the error.
		return c.s.wconn.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
