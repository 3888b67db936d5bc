package store

import (
	"context"
	"time"
)

// SQLite has one writer at a time across processes. A write waits its turn
// while another process holds the lock (a long ingest commits batch after
// batch); a reader's writes that are only a cache or a courtesy do not
// wait (NoWait), so a report never fails because an ingest is running.

// beginSQLite starts the writer connection's immediate transaction; the
// caller holds s.wmu. While another process holds the write lock it waits
// its turn, retrying past the busy timeout until ctx ends; with NoWait it
// gives up after a short timeout with an error IsBusy recognises.
func (s *Store) beginSQLite(ctx context.Context) error {
	if noWait(ctx) {
		// A short busy timeout for this attempt only.
		if _, err := s.wconn.ExecContext(ctx, `PRAGMA busy_timeout = 200`); err != nil {
			return err
		}
		_, err := s.wconn.ExecContext(ctx, `BEGIN IMMEDIATE`)
		if _, rerr := s.wconn.ExecContext(context.WithoutCancel(ctx), `PRAGMA busy_timeout = 10000`); rerr != nil && err == nil {
			err = rerr
		}
		return err
	}
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		_, err := s.wconn.ExecContext(ctx, `BEGIN IMMEDIATE`)
		if err == nil || !IsBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// noWaitKey marks a context whose SQLite writes do not wait for another
// process's write lock.
type noWaitKey struct{}

// NoWait returns a context whose writes do not wait for another process's
// write lock on SQLite: they fail with an error IsBusy recognises after a
// short timeout. Readers use it for what they write only as a cache (day
// aggregates) or as a courtesy (facts a running ingest will compute), so
// a long ingest never makes a report fail.
func NoWait(ctx context.Context) context.Context { return context.WithValue(ctx, noWaitKey{}, true) }

func noWait(ctx context.Context) bool { v, _ := ctx.Value(noWaitKey{}).(bool); return v }
