package intel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// DefaultHuntDays is how far back a retro-hunt looks by default.
const DefaultHuntDays = 90

// huntFlush is how many matches a retro-hunt collects before storing them.
const huntFlush = 2000

// HuntResult is what a retro-hunt did.
type HuntResult struct {
	// Indicators were waiting for a hunt; Keys are the active ones' keys
	// looked for.
	Indicators int `json:"indicators"`
	Keys       int `json:"keys"`
	// Alerts created in [Since, Until) were read; Matches rows stored.
	Alerts  int       `json:"alerts_scanned"`
	Matches int       `json:"matches_stored"`
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until"`
	Elapsed float64   `json:"elapsed_seconds"`
}

// RetroHunt looks for the indicators that arrived or changed since the last
// hunt in the alerts created in the days before now (DefaultHuntDays when
// days ≤ 0), stores what it finds, and marks those indicators hunted. It
// reads the alerts once, whatever the number of indicators; an interrupted
// hunt leaves the indicators queued and the next one repeats it (storing a
// match twice changes nothing).
func RetroHunt(ctx context.Context, st *store.Store, days int, now time.Time) (HuntResult, error) {
	if days <= 0 {
		days = DefaultHuntDays
	}
	start := time.Now().UTC() // changes after this are hunted again next time
	res := HuntResult{Since: now.AddDate(0, 0, -days), Until: now.Add(24 * time.Hour)}
	idx := NewIndex()
	ids, err := st.UnhuntedIndicatorKeys(ctx, now, func(id int64, key string) error {
		idx.Add(id, key)
		return nil
	})
	if err != nil {
		return res, err
	}
	idx.Seal()
	res.Indicators, res.Keys = len(ids), idx.Len()
	if len(ids) == 0 {
		return res, nil
	}
	if idx.Len() > 0 {
		var rows []store.IntelMatch
		var ents []model.Entity
		var cands []candidate
		flush := func() error {
			n, err := st.StoreMatches(ctx, rows, now)
			res.Matches += n
			rows = rows[:0]
			return err
		}
		res.Alerts, err = st.ScanAlertObservables(ctx, res.Since, res.Until, func(id int64, occ, cre time.Time, raw []byte) error {
			ents, err = decodeEntities(raw, ents[:0])
			if err != nil {
				return fmt.Errorf("alert %d entities: %w", id, err)
			}
			cands = cands[:0]
			idx.Match(ents, func(c candidate) { cands = append(cands, c) })
			if len(cands) == 0 {
				return nil
			}
			rows = appendMatches(rows, store.AlertRef{ID: id, OccurredAt: occ, CreatedAt: cre}, ents, cands, store.MatchedRetroHunt)
			if len(rows) >= huntFlush {
				return flush()
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("retro-hunting: %w", err)
		}
		if err := flush(); err != nil {
			return res, err
		}
	}
	if err := st.MarkHunted(ctx, ids, start, time.Now().UTC()); err != nil {
		return res, err
	}
	res.Elapsed = time.Since(start).Seconds()
	return res, nil
}

// decodeEntities decodes an alert's stored entities into dst. The store
// writes them with encoding/json as [{"type":…,"value":…,"role":…}]; text
// of exactly that shape without escapes is read directly (strings are
// copied), anything else through encoding/json.
func decodeEntities(b []byte, dst []model.Entity) ([]model.Entity, error) {
	if out, ok := fastEntities(b, dst); ok {
		return out, nil
	}
	var es []model.Entity
	if err := json.Unmarshal(b, &es); err != nil {
		return dst, err
	}
	return append(dst, es...), nil
}

var (
	entType  = []byte(`{"type":"`)
	entValue = []byte(`","value":"`)
	entRole  = []byte(`","role":"`)
)

// fastEntities reads the canonical form; ok is false when b is not in it.
func fastEntities(b []byte, dst []model.Entity) ([]model.Entity, bool) {
	n0 := len(dst)
	if bytes.IndexByte(b, '\\') >= 0 || len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return dst[:n0], false
	}
	rest := b[1 : len(b)-1]
	for len(rest) > 0 {
		var e model.Entity
		var ok bool
		if rest, ok = bytes.CutPrefix(rest, entType); !ok {
			return dst[:n0], false
		}
		i := bytes.IndexByte(rest, '"')
		if i < 0 {
			return dst[:n0], false
		}
		e.Type = string(rest[:i])
		if rest, ok = bytes.CutPrefix(rest[i:], entValue); !ok {
			return dst[:n0], false
		}
		if i = bytes.IndexByte(rest, '"'); i < 0 {
			return dst[:n0], false
		}
		e.Value = string(rest[:i])
		rest = rest[i:]
		if after, ok := bytes.CutPrefix(rest, entRole); ok {
			if i = bytes.IndexByte(after, '"'); i < 0 {
				return dst[:n0], false
			}
			e.Role = string(after[:i])
			rest = after[i:]
		}
		if rest, ok = bytes.CutPrefix(rest, []byte(`"}`)); !ok {
			return dst[:n0], false
		}
		dst = append(dst, e)
		if len(rest) == 0 {
			break
		}
		if rest, ok = bytes.CutPrefix(rest, []byte(`,`)); !ok || len(rest) == 0 {
			return dst[:n0], false
		}
	}
	return dst, true
}
