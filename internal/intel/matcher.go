package intel

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// maxAssets bounds the hosts and users kept with one match.
const maxAssets = 10

// Matcher matches alerts against the stored indicators as they are
// ingested: it keeps an in-memory index of the active indicators' keys,
// reloaded when the store's indicators change (another process's pulls
// included), and stores what matched. It implements ingest.AlertMatcher
// and is safe for concurrent use.
type Matcher struct {
	Store *store.Store
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Log receives a line per reload; nil discards it.
	Log *slog.Logger

	mu      sync.Mutex
	idx     *Index
	version int64
	loaded  bool
}

func (m *Matcher) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// index returns the current index, reloading it when the stored
// indicators changed since it was built.
func (m *Matcher) index(ctx context.Context) (*Index, error) {
	v, err := m.Store.IntelVersions(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loaded && v.Indicators == m.version {
		return m.idx, nil
	}
	start := time.Now()
	idx := NewIndex()
	if v.Indicators > 0 {
		if err := m.Store.ActiveIndicatorKeys(ctx, m.now(), func(id int64, key string) error {
			idx.Add(id, key)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	idx.Seal()
	m.idx, m.version, m.loaded = idx, v.Indicators, true
	if m.Log != nil && v.Indicators > 0 {
		m.Log.Info("indicator index loaded", "keys", idx.Len(), "bytes", idx.Bytes(), "elapsed", time.Since(start).Round(time.Millisecond))
	}
	return idx, nil
}

// MatchAlerts matches stored alerts (by source and external id) against
// the active indicators and stores the matches.
func (m *Matcher) MatchAlerts(ctx context.Context, alerts []model.Alert) error {
	idx, err := m.index(ctx)
	if err != nil || idx.Len() == 0 {
		return err
	}
	type hit struct {
		alert int
		cands []candidate
	}
	var hits []hit
	for i := range alerts {
		var cands []candidate
		idx.Match(alerts[i].Entities, func(c candidate) { cands = append(cands, c) })
		if len(cands) > 0 {
			hits = append(hits, hit{i, cands})
		}
	}
	if len(hits) == 0 {
		return nil
	}
	keys := make([][2]string, len(hits))
	for i, h := range hits {
		keys[i] = [2]string{alerts[h.alert].Source, alerts[h.alert].ExternalID}
	}
	refs, err := m.Store.AlertRefs(ctx, keys)
	if err != nil {
		return err
	}
	var rows []store.IntelMatch
	for i, h := range hits {
		ref, ok := refs[keys[i]]
		if !ok {
			continue // rejected by the store
		}
		rows = appendMatches(rows, ref, alerts[h.alert].Entities, h.cands, store.MatchedAtIngest)
	}
	if _, err := m.Store.StoreMatches(ctx, rows, m.now()); err != nil {
		return fmt.Errorf("storing indicator matches: %w", err)
	}
	return nil
}

// appendMatches turns an alert's candidates into match rows, one per
// indicator and key, counting the entities that carried the key.
func appendMatches(rows []store.IntelMatch, ref store.AlertRef, entities []model.Entity, cands []candidate, via string) []store.IntelMatch {
	first := len(rows)
	for _, c := range cands {
		dup := false
		for j := first; j < len(rows); j++ {
			if rows[j].IndicatorID == c.indicator && rows[j].Key == c.key {
				rows[j].Count++
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		e := entities[c.entity]
		fs, ls := ref.OccurredAt, ref.CreatedAt
		if fs.IsZero() || (!ls.IsZero() && ls.Before(fs)) {
			fs = ls
		}
		if ls.IsZero() {
			ls = fs
		}
		rows = append(rows, store.IntelMatch{IndicatorID: c.indicator, AlertID: ref.ID, Key: c.key, Observable: e.Value,
			ObservableType: e.Type, Assets: assets(entities), FirstSeen: fs, LastSeen: ls, Count: 1, Via: via})
	}
	return rows
}

// assets are an alert's hosts and users.
func assets(entities []model.Entity) []model.Entity {
	var out []model.Entity
	for _, e := range entities {
		if observable.IsAsset(e.Type) && e.Value != "" && len(out) < maxAssets {
			out = append(out, model.Entity{Type: e.Type, Value: e.Value})
		}
	}
	return out
}
