package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// Event is one Server-Sent Event.
type Event struct {
	Name string
	Data []byte // one line of JSON
}

// Hub fans live-update events out to the connected streams. A slow client
// misses intermediate events rather than holding the others back: every
// event carries the whole current summary.
type Hub struct {
	mu     sync.Mutex
	subs   map[chan Event]struct{}
	closed bool
	done   chan struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{subs: map[chan Event]struct{}{}, done: make(chan struct{})}
}

// Subscribe returns a channel of events and a function that ends the
// subscription. The channel is closed when the hub closes.
func (h *Hub) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 4)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	h.subs[ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// Publish sends e to every subscriber that has room for it.
func (h *Hub) Publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

// Subscribers counts the connected streams.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Close ends every subscription.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	close(h.done)
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

// LiveSummary is the payload of an "update" event: the headline numbers
// of the overview, which pages show in elements marked data-live.
type LiveSummary struct {
	Version            string    `json:"version"`
	Now                time.Time `json:"now"`
	Open               int       `json:"open"`
	Breached           int       `json:"sla_breached"`
	AtRisk             int       `json:"sla_at_risk"`
	UnassignedCritical int       `json:"unassigned_critical"`
	AlertsLastHour     int64     `json:"alerts_last_hour"`
}

func (s *Server) summary(ctx context.Context) (LiveSummary, error) {
	d, err := s.dashboard(ctx)
	if err != nil {
		return LiveSummary{}, err
	}
	return s.summaryOf(d), nil
}

func (s *Server) summaryOf(d *metrics.Dashboard) LiveSummary {
	s.versionM.Lock()
	v := s.version
	s.versionM.Unlock()
	return LiveSummary{Version: v, Now: d.Now, Open: d.Open, Breached: len(d.Breached), AtRisk: len(d.AtRisk),
		UnassignedCritical: len(d.UnassignedCritical), AlertsLastHour: d.Inflow.LastHour}
}

// changed is called after data changed: it marks caches stale and wakes
// the publisher, which pushes an update to every stream.
func (s *Server) changed(ctx context.Context) {
	if v, err := s.st.DataVersion(ctx); err == nil {
		s.versionM.Lock()
		s.version = v
		s.versionM.Unlock()
	}
	s.invalidate()
	select {
	case s.kick <- struct{}{}:
	default: // a push is already pending; it will carry this change too
	}
}

// Changed tells the server that data changed outside its own requests (a
// live demo writing to the store), so caches refresh and open pages update
// now rather than at the next poll.
func (s *Server) Changed() { s.changed(context.Background()) }

// publishEvery is the shortest gap between two pushes: under a steady
// ingest the dashboard is recomputed and pushed once a second, not
// once per ingest request.
const publishEvery = time.Second

// publisher recomputes the dashboard after changes and pushes the summary
// to every stream, until the hub closes.
func (s *Server) publisher() {
	for {
		select {
		case <-s.hub.done:
			return
		case <-s.kick:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		e, err := s.rebuildDashboard(ctx)
		cancel()
		if err != nil {
			s.log.Error("computing the live summary", "err", err)
		} else {
			b, _ := json.Marshal(s.summaryOf(e.d))
			s.hub.Publish(Event{Name: "update", Data: b})
		}
		select {
		case <-s.hub.done:
			return
		case <-time.After(publishEvery):
		}
	}
}

// Watch polls the store for writes made by other processes (other
// replicas on the same PostgreSQL, command-line ingests) and pushes live
// updates when it finds some. It returns when ctx ends or the hub closes.
func (s *Server) Watch(ctx context.Context) {
	if s.cfg.PollInterval < 0 {
		return
	}
	if v, err := s.st.DataVersion(ctx); err == nil {
		s.versionM.Lock()
		s.version = v
		s.versionM.Unlock()
	}
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	sweep := time.NewTicker(time.Hour)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.hub.done:
			return
		case <-sweep.C:
			if n, err := s.st.DeleteExpiredSessions(ctx, s.now()); err != nil {
				s.log.Warn("deleting expired sessions", "err", err)
			} else if n > 0 {
				s.log.Info("deleted expired sessions", "count", n)
			}
			continue
		case <-t.C:
		}
		v, err := s.st.DataVersion(ctx)
		if err != nil {
			s.log.Warn("polling for changes", "err", err)
			continue
		}
		s.versionM.Lock()
		old := s.version
		s.versionM.Unlock()
		if v != old {
			s.changed(ctx)
		}
	}
}

func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	ch, cancel := s.hub.Subscribe()
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n\n")
	if sum, err := s.summary(r.Context()); err == nil {
		b, _ := json.Marshal(sum)
		fmt.Fprintf(w, "event: hello\ndata: %s\n\n", b)
	}
	if err := rc.Flush(); err != nil {
		return
	}
	keepalive := time.NewTicker(25 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-ch:
			if !ok {
				return
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Name, e.Data)
		case <-keepalive.C:
			fmt.Fprint(w, ": keepalive\n\n")
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
