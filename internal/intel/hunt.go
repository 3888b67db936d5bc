package intel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync/atomic"
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
	// The phases' seconds: loading the keys, reading and matching the
	// alerts, marking the indicators hunted.
	LoadSeconds float64 `json:"load_seconds"`
	ScanSeconds float64 `json:"scan_seconds"`
	MarkSeconds float64 `json:"mark_seconds"`
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
	start := time.Now()
	res := HuntResult{Since: now.AddDate(0, 0, -days), Until: now.Add(24 * time.Hour)}
	idx := NewIndex()
	h, err := st.UnhuntedIndicatorKeys(ctx, now, func(id int64, key string) error {
		idx.Add(id, key)
		return nil
	})
	if err != nil {
		return res, err
	}
	idx.Seal()
	res.Indicators, res.Keys = h.Indicators, idx.Len()
	res.LoadSeconds = time.Since(start).Seconds()
	if h.To <= h.From {
		return res, nil
	}
	if idx.Len() > 0 {
		t := time.Now()
		alerts, matches, err := hunt(ctx, st, idx, res.Since, res.Until, now)
		res.Alerts, res.Matches, res.ScanSeconds = alerts, matches, time.Since(t).Seconds()
		if err != nil {
			return res, fmt.Errorf("retro-hunting: %w", err)
		}
	}
	t := time.Now()
	if err := st.MarkHunted(ctx, h); err != nil {
		return res, err
	}
	res.MarkSeconds = time.Since(t).Seconds()
	res.Elapsed = time.Since(start).Seconds()
	return res, nil
}

// huntChunk is a run of scanned alerts handed from the reader to the
// matcher: their ids and times, and their entities' text back to back.
type huntChunk struct {
	ids      []int64
	occ, cre []time.Time
	ends     []int // ents[ends[i-1]:ends[i]] is alert i's text
	ents     []byte
}

const huntChunkAlerts = 2048

// hunt reads the alerts created in [since, until) and matches their
// entities against idx, storing the matches found. Reading (SQLite) and
// matching run side by side: the reader hands chunks of alerts to a
// matching goroutine.
func hunt(ctx context.Context, st *store.Store, idx *Index, since, until, now time.Time) (int, int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan *huntChunk, 4)
	free := make(chan *huntChunk, 6)
	for range 6 {
		free <- &huntChunk{}
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	matched := make(chan error, workers)
	var stored atomic.Int64
	for range workers {
		go func() { matched <- matchChunks(ctx, cancel, st, idx, chunks, free, now, &stored) }()
	}
	cur := <-free
	send := func() error {
		select {
		case chunks <- cur:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case cur = <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		cur.ids, cur.occ, cur.cre, cur.ends, cur.ents = cur.ids[:0], cur.occ[:0], cur.cre[:0], cur.ends[:0], cur.ents[:0]
		return nil
	}
	n, rerr := st.ScanAlertObservables(ctx, since, until, func(id int64, occ, cre time.Time, raw []byte) error {
		cur.ids, cur.occ, cur.cre = append(cur.ids, id), append(cur.occ, occ), append(cur.cre, cre)
		cur.ents = append(cur.ents, raw...)
		cur.ends = append(cur.ends, len(cur.ents))
		if len(cur.ids) == huntChunkAlerts {
			return send()
		}
		return nil
	})
	if rerr == nil && len(cur.ids) > 0 {
		rerr = send()
	}
	close(chunks)
	var merr error
	for range workers {
		if err := <-matched; err != nil && merr == nil {
			merr = err
		}
	}
	if merr != nil {
		return n, int(stored.Load()), merr
	}
	return n, int(stored.Load()), rerr
}

// matchChunks matches the alerts of the chunks it receives and stores
// what it finds; on an error it cancels the hunt and drains the rest.
func matchChunks(ctx context.Context, cancel func(), st *store.Store, idx *Index, chunks <-chan *huntChunk, free chan<- *huntChunk,
	now time.Time, stored *atomic.Int64) error {
	var rows []store.IntelMatch
	var ents []model.Entity
	var cands []candidate
	names := interned{}
	flush := func() error {
		n, err := st.StoreMatches(ctx, rows, now)
		stored.Add(int64(n))
		rows = rows[:0]
		return err
	}
	var err error
	for c := range chunks {
		if err == nil {
			start := 0
			for i, id := range c.ids {
				if ents, err = decodeEntities(c.ents[start:c.ends[i]], ents[:0], names); err != nil {
					err = fmt.Errorf("alert %d entities: %w", id, err)
					cancel()
					break
				}
				start = c.ends[i]
				cands = cands[:0]
				idx.Match(ents, func(cd candidate) { cands = append(cands, cd) })
				if len(cands) > 0 {
					rows = appendMatches(rows, store.AlertRef{ID: id, OccurredAt: c.occ[i], CreatedAt: c.cre[i]}, ents, cands, store.MatchedRetroHunt)
				}
			}
			if err == nil && len(rows) >= huntFlush {
				if err = flush(); err != nil {
					cancel()
				}
			}
		}
		free <- c
	}
	if err == nil {
		err = flush()
	}
	return err
}

// decodeEntities decodes an alert's stored entities into dst. The store
// writes them with encoding/json as [{"type":…,"value":…,"role":…}]; text
// of exactly that shape without escapes is read directly (strings are
// copied), anything else through encoding/json.
func decodeEntities(b []byte, dst []model.Entity, names interned) ([]model.Entity, error) {
	if out, ok := fastEntities(b, dst, names); ok {
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

// interned keeps the entity types and roles seen, so decoding an alert
// allocates only its values.
type interned map[string]string

func (m interned) get(b []byte) string {
	if s, ok := m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(m) < 1024 {
		m[s] = s
	}
	return s
}

// fastEntities reads the canonical form; ok is false when b is not in it.
func fastEntities(b []byte, dst []model.Entity, names interned) ([]model.Entity, bool) {
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
		e.Type = names.get(rest[:i])
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
			e.Role = names.get(after[:i])
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
