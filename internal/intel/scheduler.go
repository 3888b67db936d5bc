package intel

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
)

// Backoff is how long a feed waits after its n-th failure in a row: one
// minute, doubling with each failure, at most the longer of its interval
// and an hour.
func Backoff(n int, interval time.Duration) time.Duration {
	limit := max(interval, time.Hour)
	d := time.Minute
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Scheduler pulls the configured feeds when they are due, inside
// `watchfloor serve`. Several processes may run one on the same store: a
// feed is claimed before it is pulled, so each pull happens once.
type Scheduler struct {
	Store  *store.Store
	Puller *Puller
	Log    *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Tick is how often due feeds are looked for (30 seconds when 0).
	Tick time.Duration
	// Lease is how long a claimed feed stays claimed if its process dies
	// mid-pull (30 minutes when 0).
	Lease time.Duration
	// After, when set, is called after each pull that stored something,
	// so caches and live views can refresh.
	After func()
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Scheduler) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Run pulls due feeds until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	tick := s.Tick
	if tick <= 0 {
		tick = 30 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("pulling intelligence feeds", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue pulls every enabled feed whose next run has come, one after the
// other, and records each outcome: after a success the feed is due again
// after its interval, after a failure after Backoff. It returns how many
// feeds it pulled.
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	feeds, err := s.Store.Feeds(ctx)
	if err != nil {
		return 0, err
	}
	lease := s.Lease
	if lease <= 0 {
		lease = 30 * time.Minute
	}
	n := 0
	for _, f := range feeds {
		now := s.now()
		if !f.Enabled || f.NextRun.After(now) {
			continue
		}
		ok, err := s.Store.ClaimFeed(ctx, f.Name, now, now.Add(lease))
		if err != nil {
			return n, err
		}
		if !ok {
			continue // another process took it
		}
		n++
		start := time.Now()
		res, perr := s.Puller.PullFeed(ctx, f)
		if ctx.Err() != nil && errors.Is(perr, ctx.Err()) {
			return n, ctx.Err()
		}
		out := store.FeedOutcome{At: s.now(), Err: perr, Records: res.Records, Rejects: res.Rejected}
		if perr == nil {
			out.NextRun = out.At.Add(f.Interval)
			s.log().Info("feed pulled", "feed", f.Name, "records", res.Records, "rejected", res.Rejected, "inserted", res.Inserted,
				"updated", res.Updated, "matches", res.Hunt.Matches, "elapsed", time.Since(start).Round(time.Millisecond))
		} else {
			wait := Backoff(f.Failures+1, f.Interval)
			out.NextRun = out.At.Add(wait)
			s.log().Warn("feed pull failed", "feed", f.Name, "err", perr, "failures", f.Failures+1, "retry_in", wait)
		}
		if err := s.Store.FinishFeed(context.WithoutCancel(ctx), f.Name, out); err != nil {
			return n, err
		}
		if s.After != nil && res.Inserted+res.Updated > 0 {
			s.After()
		}
	}
	return n, nil
}
