package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
)

// partTechniques is the stored part of a day of alerts with its alerts
// per technique list.
const partTechniques = "techniques"

// TechniqueDay is one day's alert count and, by technique list (the alerts'
// techniques column as stored, JSON text), how many alerts carry exactly
// that list; alerts without techniques are only counted in Alerts.
type TechniqueDay struct {
	Alerts int64            `json:"alerts"`
	Sets   map[string]int64 `json:"sets"`
}

type cachedTechniqueDay struct {
	version int64
	day     *TechniqueDay
}

// TechniqueSets groups the alerts created in the window by their technique
// lists, as store.TechniqueSets does for a span of time, from the daily
// rollups: it returns the lists ordered by their stored text and the
// number of alerts in the window.
func (e *Engine) TechniqueSets(ctx context.Context, w Window) ([]store.TechniqueSet, int64, error) {
	loc := w.From.Location()
	rows, err := e.Store.RollupVersions(ctx, store.RollupAlerts, day(w.From), day(w.To.AddDate(0, 0, -1)))
	if err != nil {
		return nil, 0, err
	}
	var total int64
	sets := map[string]int64{}
	for _, r := range rows {
		td, err := e.techniqueDay(ctx, r, loc)
		if err != nil {
			return nil, 0, err
		}
		total += td.Alerts
		for k, n := range td.Sets {
			sets[k] += n
		}
	}
	keys := make([]string, 0, len(sets))
	for k := range sets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]store.TechniqueSet, 0, len(keys))
	for _, k := range keys {
		ts := store.TechniqueSet{Alerts: sets[k]}
		if err := json.Unmarshal([]byte(k), &ts.Techniques); err != nil {
			return nil, 0, fmt.Errorf("grouping alert techniques: %q: %w", k, err)
		}
		out = append(out, ts)
	}
	return out, total, nil
}

// techniqueDay returns one day's technique counts: from the engine's cache,
// the stored part, or rebuilt with the day's rule aggregates when stale.
func (e *Engine) techniqueDay(ctx context.Context, r store.RollupDay, loc *time.Location) (*TechniqueDay, error) {
	if !r.Stale() {
		e.mu.Lock()
		c, ok := e.techniques[r.Day]
		e.mu.Unlock()
		if ok && c.version == r.Version {
			return c.day, nil
		}
		version, data, ok, err := e.Store.RollupPart(ctx, store.RollupAlerts, r.Day, partTechniques)
		if err != nil {
			return nil, err
		}
		if ok && version == r.Version {
			td, err := decodeTechniqueDay(data)
			if err == nil {
				return e.cacheTechniques(r.Day, version, td), nil
			}
			if !errors.Is(err, errPartFormat) {
				return nil, fmt.Errorf("reading technique rollup of %d: %w", r.Day, err)
			}
		}
	}
	_, td, err := e.buildAlertDay(ctx, r, loc)
	return td, err
}

func (e *Engine) cacheTechniques(d, version int64, td *TechniqueDay) *TechniqueDay {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.techniques == nil {
		e.techniques = map[int64]cachedTechniqueDay{}
	}
	e.techniques[d] = cachedTechniqueDay{version, td}
	return td
}
