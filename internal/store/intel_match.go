package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// How a match was found.
const (
	MatchedAtIngest  = "ingest"
	MatchedRetroHunt = "retro-hunt"
)

// IntelMatch is one indicator found in one alert: the indicator key that
// matched, the alert entity as the alert carried it, the hosts and users
// beside it, the activity's first and last time (the alert's occurred and
// created times) and how many of the alert's entities carried it.
type IntelMatch struct {
	IndicatorID    int64
	AlertID        int64
	Key            string
	Observable     string
	ObservableType string
	Assets         []model.Entity
	FirstSeen      time.Time
	LastSeen       time.Time
	Count          int
	// MatchedAt is when Watchfloor first found the match.
	MatchedAt time.Time
	// Via is MatchedAtIngest or MatchedRetroHunt.
	Via string
}

// matchRowsPerStatement keeps a multi-row insert of matches (11 values a
// row) within both engines' limits on bound parameters.
const matchRowsPerStatement = 256

// StoreMatches writes matches found at now. A match is written only when
// its indicator still has the key and is active at now (so a candidate
// from a stale in-memory index is dropped), and a match already stored is
// updated only when it changed: storing the same matches twice changes
// nothing. It returns how many rows it inserted or changed.
func (s *Store) StoreMatches(ctx context.Context, ms []IntelMatch, now time.Time) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	n := 0
	_, err := s.write(ctx, func(a *applier) error {
		n = 0
		valid, err := a.activeKeys(ms, now)
		if err != nil {
			return err
		}
		type key struct {
			ind, alert int64
			key        string
		}
		seen := make(map[key]bool, len(ms))
		var rows []*IntelMatch
		for i := range ms {
			m := &ms[i]
			k := key{m.IndicatorID, m.AlertID, m.Key}
			if !valid[indicatorKey{m.IndicatorID, m.Key}] || seen[k] {
				continue
			}
			seen[k] = true
			rows = append(rows, m)
		}
		for _, size := range chunkSizes(len(rows), matchRowsPerStatement) {
			chunk := rows[:size]
			rows = rows[size:]
			args := make([]any, 0, size*11)
			for _, m := range chunk {
				args = append(args, m.IndicatorID, m.AlertID, m.Key, m.Observable, m.ObservableType, jsonText(m.Assets), micros(m.FirstSeen),
					micros(m.LastSeen), max(m.Count, 1), now.UnixMicro(), m.Via)
			}
			r, err := a.exec(multiRowSQL(`INSERT INTO intel_matches (indicator_id, alert_id, key, observable, observable_type, assets,
					first_seen, last_seen, count, matched_at, via) VALUES `, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", size,
				` ON CONFLICT (indicator_id, alert_id, key) DO UPDATE SET observable = excluded.observable,
					observable_type = excluded.observable_type, assets = excluded.assets, first_seen = excluded.first_seen,
					last_seen = excluded.last_seen, count = excluded.count
				WHERE intel_matches.observable <> excluded.observable OR intel_matches.observable_type <> excluded.observable_type
					OR intel_matches.assets <> excluded.assets OR intel_matches.count <> excluded.count
					OR COALESCE(intel_matches.first_seen, -1) <> COALESCE(excluded.first_seen, -1)
					OR COALESCE(intel_matches.last_seen, -1) <> COALESCE(excluded.last_seen, -1)`), args...)
			if err != nil {
				return fmt.Errorf("storing indicator matches: %w", err)
			}
			k, _ := r.RowsAffected()
			n += int(k)
		}
		if n > 0 {
			return a.bumpMeta(metaMatches)
		}
		return nil
	})
	return n, err
}

type indicatorKey struct {
	id  int64
	key string
}

// activeKeys reads which of the matches' (indicator, key) pairs are
// stored and active at now.
func (a *applier) activeKeys(ms []IntelMatch, now time.Time) (map[indicatorKey]bool, error) {
	ids := make([]int64, 0, len(ms))
	seen := map[int64]bool{}
	for _, m := range ms {
		if !seen[m.IndicatorID] {
			seen[m.IndicatorID] = true
			ids = append(ids, m.IndicatorID)
		}
	}
	out := make(map[indicatorKey]bool, len(ms))
	for len(ids) > 0 {
		n := min(len(ids), maxIDsPerSQL)
		args := make([]any, 0, n+1)
		args = append(args, now.UnixMicro())
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		rows, err := a.query(`SELECT k.indicator_id, k.key FROM intel_indicator_keys k JOIN intel_indicators i ON i.id = k.indicator_id
			WHERE i.detect = 1 AND i.revoked = 0 AND (i.valid_until IS NULL OR i.valid_until > ?) AND k.indicator_id IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("checking matched indicators: %w", err)
		}
		for rows.Next() {
			var k indicatorKey
			if err := rows.Scan(&k.id, &k.key); err != nil {
				rows.Close()
				return nil, fmt.Errorf("checking matched indicators: %w", err)
			}
			out[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("checking matched indicators: %w", err)
		}
		ids = ids[n:]
	}
	return out, nil
}

// ActiveIndicatorKeys calls fn with the id and every key of each indicator
// that may match at now (detecting, not revoked, not expired).
func (s *Store) ActiveIndicatorKeys(ctx context.Context, now time.Time, fn func(id int64, key string) error) error {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT k.indicator_id, k.key FROM intel_indicator_keys k
		JOIN intel_indicators i ON i.id = k.indicator_id
		WHERE i.detect = 1 AND i.revoked = 0 AND (i.valid_until IS NULL OR i.valid_until > ?)`), now.UnixMicro())
	if err != nil {
		return fmt.Errorf("reading indicator keys: %w", err)
	}
	return scanKeys(rows, fn)
}

// Hunt is the indicators a retro-hunt covers: those written with a
// number in (From, To].
type Hunt struct {
	From, To int64
	// Indicators is how many there are, active or not.
	Indicators int
}

// UnhuntedIndicatorKeys finds the indicators no retro-hunt has covered
// yet and calls fn with the keys of those active at now.
func (s *Store) UnhuntedIndicatorKeys(ctx context.Context, now time.Time, fn func(id int64, key string) error) (Hunt, error) {
	var h Hunt
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT name, value FROM intel_meta WHERE name IN (?, ?)`), metaIndicatorSeq, metaHuntedSeq)
	if err != nil {
		return h, fmt.Errorf("reading the hunt's range: %w", err)
	}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			rows.Close()
			return h, fmt.Errorf("reading the hunt's range: %w", err)
		}
		if name == metaIndicatorSeq {
			h.To = v
		} else {
			h.From = v
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || h.To <= h.From {
		return h, err
	}
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM intel_indicators WHERE seq > ? AND seq <= ?`), h.From, h.To).
		Scan(&h.Indicators); err != nil {
		return h, fmt.Errorf("counting indicators to hunt: %w", err)
	}
	rows, err = s.r.QueryContext(ctx, s.rebind(`SELECT k.indicator_id, k.key FROM intel_indicator_keys k
		JOIN intel_indicators i ON i.id = k.indicator_id
		WHERE i.seq > ? AND i.seq <= ? AND i.detect = 1 AND i.revoked = 0 AND (i.valid_until IS NULL OR i.valid_until > ?)`),
		h.From, h.To, now.UnixMicro())
	if err != nil {
		return h, fmt.Errorf("reading keys to hunt: %w", err)
	}
	return h, scanKeys(rows, fn)
}

func scanKeys(rows *sql.Rows, fn func(id int64, key string) error) error {
	defer rows.Close()
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return fmt.Errorf("reading indicator keys: %w", err)
		}
		if err := fn(id, key); err != nil {
			return err
		}
	}
	return rows.Err()
}

// MarkHunted records that a retro-hunt covered the indicators of h.
func (s *Store) MarkHunted(ctx context.Context, h Hunt) error {
	_, err := s.write(ctx, func(a *applier) error {
		if _, err := a.exec(`INSERT INTO intel_meta (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE intel_meta.value < excluded.value`, metaHuntedSeq, h.To); err != nil {
			return fmt.Errorf("marking indicators hunted: %w", err)
		}
		return nil
	})
	return err
}

// ScanAlertObservables calls fn for every alert created in [since, until)
// with its id, occurred and created times and its entities as stored (JSON;
// valid only during the call). It is what a retro-hunt reads.
func (s *Store) ScanAlertObservables(ctx context.Context, since, until time.Time,
	fn func(id int64, occurred, created time.Time, entities []byte) error) (int, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT id, occurred_at, created_at, entities FROM alerts
		WHERE created_at >= ? AND created_at < ? AND entities <> ''`), since.UnixMicro(), until.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("scanning alert entities: %w", err)
	}
	defer rows.Close()
	n := 0
	var id int64
	var occ, cre sql.NullInt64
	var ents sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&id, &occ, &cre, &ents); err != nil {
			return n, fmt.Errorf("scanning alert entities: %w", err)
		}
		n++
		if err := fn(id, fromMicros(occ), fromMicros(cre), ents); err != nil {
			return n, err
		}
	}
	return n, rows.Err()
}

// AlertRef is a stored alert's id and times.
type AlertRef struct {
	ID                    int64
	OccurredAt, CreatedAt time.Time
}

// AlertRefs looks up stored alerts by source and external id; alerts not
// stored are left out of the answer.
func (s *Store) AlertRefs(ctx context.Context, keys [][2]string) (map[[2]string]AlertRef, error) {
	out := make(map[[2]string]AlertRef, len(keys))
	for _, k := range keys {
		if _, ok := out[k]; ok {
			continue
		}
		var r AlertRef
		var occ, cre sql.NullInt64
		err := s.r.QueryRowContext(ctx, s.rebind(`SELECT id, occurred_at, created_at FROM alerts WHERE source = ? AND external_id = ?`),
			k[0], k[1]).Scan(&r.ID, &occ, &cre)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("looking up alert %s/%s: %w", k[0], k[1], err)
		}
		r.OccurredAt, r.CreatedAt = fromMicros(occ), fromMicros(cre)
		out[k] = r
	}
	return out, nil
}

// RequeueHunt queues every indicator for the next retro-hunt again (to
// hunt further back, or after alerts were re-ingested).
func (s *Store) RequeueHunt(ctx context.Context) error {
	_, err := s.write(ctx, func(a *applier) error {
		if _, err := a.exec(`DELETE FROM intel_meta WHERE name = ?`, metaHuntedSeq); err != nil {
			return fmt.Errorf("queueing indicators for a retro-hunt: %w", err)
		}
		return nil
	})
	return err
}
