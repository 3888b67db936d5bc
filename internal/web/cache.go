package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// dashEntry is one computed dashboard and its JSON answer.
type dashEntry struct {
	d    *metrics.Dashboard
	json []byte
	at   time.Time
}

// dashCache keeps the last computed dashboard. Once one exists, readers
// never wait: a stale entry is served while a single goroutine recomputes
// it, so a wall of screens and API clients costs one computation per TTL
// however many there are.
type dashCache struct {
	mu       sync.Mutex
	e        *dashEntry
	gen      uint64 // bumped by every write; an entry built before it is stale
	builtGen uint64
	building bool
	buildMu  sync.Mutex // one computation at a time
}

// markStale records that the data changed.
func (c *dashCache) markStale() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// cachedDashboard returns a dashboard no older than the TTL when one is at
// hand, else the stale one while a rebuild runs in the background, else
// (on first use) builds one.
func (s *Server) cachedDashboard(ctx context.Context) (*dashEntry, error) {
	c := &s.dash
	now := s.now()
	c.mu.Lock()
	e := c.e
	if e != nil && c.builtGen == c.gen && now.Sub(e.at) < s.cfg.DashboardTTL {
		c.mu.Unlock()
		return e, nil
	}
	if e != nil {
		if !c.building {
			c.building = true
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if _, err := s.rebuildDashboard(ctx); err != nil {
					s.log.Error("rebuilding the dashboard", "err", err)
				}
			}()
		}
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()
	return s.rebuildDashboard(ctx)
}

// rebuildDashboard computes the dashboard now.
func (s *Server) rebuildDashboard(ctx context.Context) (*dashEntry, error) {
	c := &s.dash
	c.buildMu.Lock()
	defer c.buildMu.Unlock()
	c.mu.Lock()
	gen := c.gen
	if c.e != nil && c.builtGen == gen && s.now().Sub(c.e.at) < s.cfg.DashboardTTL {
		// Built by the goroutine this one waited for.
		e := c.e
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()

	now := s.now()
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
	c.e, c.builtGen = &dashEntry{d: d, json: buf.Bytes(), at: now}, gen
	return c.e, nil
}
