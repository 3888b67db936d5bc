package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// IntelFeed is a threat-intelligence feed pulled on a schedule, with the
// state of its last pulls. Secrets are never stored: SecretEnv names the
// environment variable that holds the password or token.
type IntelFeed struct {
	Name string `json:"name"`
	// Kind is taxii, misp, stix or csv.
	Kind       string `json:"kind"`
	URL        string `json:"url"`
	Collection string `json:"collection,omitempty"`
	// Auth is "", basic or bearer.
	Auth      string `json:"auth,omitempty"`
	Username  string `json:"username,omitempty"`
	SecretEnv string `json:"secret_env,omitempty"`
	// Interval is how often the feed is pulled (IntervalSeconds in JSON).
	Interval        time.Duration `json:"-"`
	IntervalSeconds int64         `json:"interval_seconds"`
	Enabled         bool          `json:"enabled"`
	// NextRun is when the feed is due; LastAttempt and LastSuccess when
	// it was last pulled and last pulled without error.
	NextRun     time.Time `json:"next_run,omitzero"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	// Failures counts the pulls that failed since the last success.
	Failures    int       `json:"consecutive_failures"`
	LastRecords int       `json:"last_records"`
	LastRejects int       `json:"last_rejects"`
	CreatedAt   time.Time `json:"created_at"`
}

const feedColumns = `name, kind, url, collection, auth, username, secret_env, interval_s, enabled, next_run, last_attempt,
	last_success, last_error, failures, last_records, last_rejects, created_at`

func scanFeed(sc interface{ Scan(...any) error }) (IntelFeed, error) {
	var f IntelFeed
	var interval, created int64
	var enabled int
	var next, attempt, success sql.NullInt64
	err := sc.Scan(&f.Name, &f.Kind, &f.URL, &f.Collection, &f.Auth, &f.Username, &f.SecretEnv, &interval, &enabled, &next,
		&attempt, &success, &f.LastError, &f.Failures, &f.LastRecords, &f.LastRejects, &created)
	f.Interval, f.IntervalSeconds, f.Enabled = time.Duration(interval)*time.Second, interval, enabled == 1
	f.NextRun, f.LastAttempt, f.LastSuccess, f.CreatedAt = fromMicros(next), fromMicros(attempt), fromMicros(success), time.UnixMicro(created).UTC()
	return f, err
}

// SaveFeed adds a feed or changes its settings (its pull state is kept);
// it is due at once.
func (s *Store) SaveFeed(ctx context.Context, f IntelFeed, now time.Time) error {
	_, err := s.write(ctx, func(a *applier) error {
		_, err := a.exec(`INSERT INTO intel_feeds (name, kind, url, collection, auth, username, secret_env, interval_s, enabled, next_run, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url, collection = excluded.collection,
				auth = excluded.auth, username = excluded.username, secret_env = excluded.secret_env,
				interval_s = excluded.interval_s, enabled = excluded.enabled, next_run = excluded.next_run`,
			f.Name, f.Kind, f.URL, f.Collection, f.Auth, f.Username, f.SecretEnv, int64(f.Interval/time.Second), boolInt(f.Enabled),
			now.UnixMicro(), now.UnixMicro())
		if err != nil {
			return fmt.Errorf("saving feed %s: %w", f.Name, err)
		}
		return nil
	})
	return err
}

// DeleteFeed removes a feed (its indicators stay); it reports whether the
// feed existed.
func (s *Store) DeleteFeed(ctx context.Context, name string) (bool, error) {
	var n int64
	_, err := s.write(ctx, func(a *applier) error {
		r, err := a.exec(`DELETE FROM intel_feeds WHERE name = ?`, name)
		if err != nil {
			return fmt.Errorf("deleting feed %s: %w", name, err)
		}
		n, _ = r.RowsAffected()
		return nil
	})
	return n > 0, err
}

// Feeds lists the feeds by name.
func (s *Store) Feeds(ctx context.Context) ([]IntelFeed, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+feedColumns+` FROM intel_feeds ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("reading feeds: %w", err)
	}
	defer rows.Close()
	var out []IntelFeed
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, fmt.Errorf("reading feeds: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Feed reads one feed.
func (s *Store) Feed(ctx context.Context, name string) (IntelFeed, error) {
	f, err := scanFeed(s.r.QueryRowContext(ctx, s.rebind(`SELECT `+feedColumns+` FROM intel_feeds WHERE name = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return f, ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("reading feed %s: %w", name, err)
	}
	return f, nil
}

// ClaimFeed takes a due feed for one pull: when the feed is enabled and its
// next run is at or before now, its next run moves to lease (so no other
// process pulls it meanwhile) and ClaimFeed reports true.
func (s *Store) ClaimFeed(ctx context.Context, name string, now, lease time.Time) (bool, error) {
	var n int64
	_, err := s.write(ctx, func(a *applier) error {
		r, err := a.exec(`UPDATE intel_feeds SET next_run = ?, last_attempt = ?
			WHERE name = ? AND enabled = 1 AND (next_run IS NULL OR next_run <= ?)`, lease.UnixMicro(), now.UnixMicro(), name, now.UnixMicro())
		if err != nil {
			return fmt.Errorf("claiming feed %s: %w", name, err)
		}
		n, _ = r.RowsAffected()
		return nil
	})
	return n == 1, err
}

// FeedOutcome is how one pull of a feed went.
type FeedOutcome struct {
	At      time.Time
	Err     error
	Records int
	Rejects int
	// NextRun is when the feed is due again.
	NextRun time.Time
}

// FinishFeed records a pull's outcome: a success clears the failure count,
// a failure adds one and keeps the reason.
func (s *Store) FinishFeed(ctx context.Context, name string, o FeedOutcome) error {
	_, err := s.write(ctx, func(a *applier) error {
		var err error
		if o.Err == nil {
			_, err = a.exec(`UPDATE intel_feeds SET next_run = ?, last_success = ?, last_error = '', failures = 0,
				last_records = ?, last_rejects = ? WHERE name = ?`, o.NextRun.UnixMicro(), o.At.UnixMicro(), o.Records, o.Rejects, name)
		} else {
			_, err = a.exec(`UPDATE intel_feeds SET next_run = ?, last_error = ?, failures = failures + 1,
				last_records = ?, last_rejects = ? WHERE name = ?`, o.NextRun.UnixMicro(), o.Err.Error(), o.Records, o.Rejects, name)
		}
		if err != nil {
			return fmt.Errorf("recording the pull of feed %s: %w", name, err)
		}
		return nil
	})
	return err
}

// Cursors reads where a source's incremental pulls resume, by item.
func (s *Store) Cursors(ctx context.Context, source string) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT item, value FROM intel_cursors WHERE source = ?`), source)
	if err != nil {
		return nil, fmt.Errorf("reading cursors of %s: %w", source, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("reading cursors of %s: %w", source, err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

// SetCursors stores where a source's next pull resumes, by item.
func (s *Store) SetCursors(ctx context.Context, source string, items map[string]string, now time.Time) error {
	if len(items) == 0 {
		return nil
	}
	_, err := s.write(ctx, func(a *applier) error {
		for k, v := range items {
			if _, err := a.exec(`INSERT INTO intel_cursors (source, item, value, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (source, item) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
				source, k, v, now.UnixMicro()); err != nil {
				return fmt.Errorf("saving the cursor of %s: %w", source, err)
			}
		}
		return nil
	})
	return err
}
