package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// What a server keeps between requests is labelled with the store's data
// version (store.DataVersionNumber), which every write transaction bumps on
// any replica. A request reads the version first: an answer built for an
// older version is never served, so once another replica's write is
// visible, the next request here builds from it. An answer for the current
// version is reused; when it is older than its time to live (reports are
// judged at the present: SLA clocks in flight move with the clock) it is
// still served while one goroutine builds it again.

// dashEntry is one computed dashboard and its JSON answer.
type dashEntry struct {
	d       *metrics.Dashboard
	json    []byte
	at      time.Time
	version int64
}

// dashCache keeps the last computed dashboard.
type dashCache struct {
	mu       sync.Mutex
	e        *dashEntry
	building bool
	buildMu  sync.Mutex // one computation at a time
}

// cachedDashboard returns the dashboard of the current data version: the
// kept one while it is younger than the TTL, the kept one while a rebuild
// runs in the background when it is older, else (after a write, or on first
// use) one built now.
func (s *Server) cachedDashboard(ctx context.Context) (*dashEntry, error) {
	v, err := s.st.DataVersionNumber(ctx)
	if err != nil {
		return nil, err
	}
	c := &s.dash
	now := s.now()
	c.mu.Lock()
	e := c.e
	if e != nil && e.version >= v {
		if now.Sub(e.at) >= s.cfg.DashboardTTL && !c.building {
			c.building = true
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if _, err := s.buildDashboard(ctx, v, true); err != nil {
					s.log.Error("rebuilding the dashboard", "err", err)
				}
			}()
		}
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()
	return s.buildDashboard(ctx, v, false)
}

// rebuildDashboard computes the dashboard of the current data version now.
func (s *Server) rebuildDashboard(ctx context.Context) (*dashEntry, error) {
	v, err := s.st.DataVersionNumber(ctx)
	if err != nil {
		return nil, err
	}
	return s.buildDashboard(ctx, v, true)
}

// buildDashboard computes the dashboard of data version v, unless one built
// meanwhile (by the goroutine this one waited for) will do: one of a later
// version, or of v when aged is false.
func (s *Server) buildDashboard(ctx context.Context, v int64, aged bool) (*dashEntry, error) {
	c := &s.dash
	c.buildMu.Lock()
	defer c.buildMu.Unlock()
	start := s.now()
	c.mu.Lock()
	if e := c.e; e != nil && (e.version > v || e.version == v && (!aged || start.Sub(e.at) < s.cfg.DashboardTTL)) {
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()

	d, err := s.svc.Dashboard(ctx)
	var buf bytes.Buffer
	if err == nil {
		err = json.NewEncoder(&buf).Encode(d)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.building = false
	if err != nil {
		return nil, fmt.Errorf("building the dashboard: %w", err)
	}
	e := &dashEntry{d: d, json: buf.Bytes(), at: start, version: v}
	if c.e == nil || c.e.version <= v {
		c.e = e
	}
	return e, nil
}

// answerKey names a kept answer: the route, the caller's role (so an answer
// that differs by role never reaches another role) and the query in
// canonical form.
type answerKey struct {
	route, role, query string
}

// answer is a finished JSON answer of one data version. ready is closed
// when body (or err) is set; until then other requests for it wait rather
// than compute it again.
type answer struct {
	version    int64
	at         time.Time
	body       []byte
	err        error
	ready      chan struct{}
	refreshing bool
}

// answerCache keeps finished answers by key, each of the data version it
// was built from. It holds at most maxAnswers; past that, answers of older
// versions go first, then any.
type answerCache struct {
	mu sync.Mutex
	m  map[answerKey]*answer
	// builds counts the answers built (for tests).
	builds int64
}

const maxAnswers = 512

// get returns the answer for k at data version v: a kept one of v (or of a
// later version a concurrent request read), else the one a concurrent
// request is building, else one built now with build. A kept answer older
// than ttl is served while one goroutine builds it again.
func (c *answerCache) get(ctx context.Context, k answerKey, v int64, ttl time.Duration, now func() time.Time,
	build func(context.Context) ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[answerKey]*answer{}
	}
	a := c.m[k]
	if a != nil && a.version >= v {
		select {
		case <-a.ready:
			if a.err == nil {
				if now().Sub(a.at) >= ttl && !a.refreshing {
					a.refreshing = true
					go c.refresh(k, a, now, build)
				}
				c.mu.Unlock()
				return a.body, nil
			}
		default:
			c.mu.Unlock()
			select {
			case <-a.ready:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if a.err == nil {
				return a.body, nil
			}
			return nil, a.err
		}
	}
	a = &answer{version: v, ready: make(chan struct{})}
	c.put(k, a)
	c.builds++
	c.mu.Unlock()
	at := now()
	// Built for every request that waits for it: not cut short when this
	// one's client goes away.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	body, err := build(bctx)
	cancel()
	c.mu.Lock()
	a.body, a.err, a.at = body, err, at
	close(a.ready)
	if err != nil && c.m[k] == a {
		delete(c.m, k)
	}
	c.mu.Unlock()
	return body, err
}

// refresh builds an aged answer again for its version and keeps it unless a
// later one replaced it meanwhile.
func (c *answerCache) refresh(k answerKey, old *answer, now func() time.Time, build func(context.Context) ([]byte, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	at := now()
	body, err := build(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.builds++
	old.refreshing = false
	if err != nil || c.m[k] != old {
		return
	}
	a := &answer{version: old.version, at: at, body: body, ready: make(chan struct{})}
	close(a.ready)
	c.m[k] = a
}

// put keeps a, making room first when the cache is full. The caller holds
// c.mu.
func (c *answerCache) put(k answerKey, a *answer) {
	if _, ok := c.m[k]; !ok && len(c.m) >= maxAnswers {
		for ok, ek := range c.m {
			if ek.version < a.version {
				delete(c.m, ok)
			}
		}
		for ok := range c.m {
			if len(c.m) < maxAnswers {
				break
			}
			delete(c.m, ok)
		}
	}
	c.m[k] = a
}

// cachedJSON answers a GET with the JSON build makes, kept per data version
// in s.answers under the route, the caller's role and the query. Errors are
// not kept: a bad request is answered as such, every time.
func (s *Server) cachedJSON(w http.ResponseWriter, r *http.Request, what string, build func(context.Context) (any, error)) {
	v, err := s.st.DataVersionNumber(r.Context())
	if err != nil {
		s.fail(w, what, err)
		return
	}
	p, _ := principal(r)
	k := answerKey{route: info(r).route, role: string(p.Role), query: r.URL.Query().Encode()}
	body, err := s.answers.get(r.Context(), k, v, s.cfg.AnswerTTL, s.now, func(ctx context.Context) ([]byte, error) {
		x, err := build(ctx)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(true)
		if err := enc.Encode(x); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	})
	if err != nil {
		s.answer(w, what, nil, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
