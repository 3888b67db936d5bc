package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/tech"
)

// techRoutes are the technology oversight API and page: source and
// pipeline health for every dashboard viewer, the tool inventory (costs
// and contracts) for managers.
func (s *Server) techRoutes() []Route {
	return []Route{
		{Method: "GET", Pattern: "/api/v1/tech/health", Perm: auth.ViewDashboard, API: true, handler: s.apiTechHealth},
		{Method: "GET", Pattern: "/api/v1/tech/pipeline", Perm: auth.ViewDashboard, API: true, handler: s.apiTechPipeline},
		{Method: "GET", Pattern: "/api/v1/tech/inventory", Perm: auth.PlanResources, API: true, handler: s.apiTechInventory},
		{Method: "PUT", Pattern: "/api/v1/tech/inventory", Perm: auth.PlanResources, API: true, Write: true, handler: s.apiSetTechInventory},
		{Method: "GET", Pattern: "/technology", Perm: auth.ViewDashboard, handler: s.technologyPage},
	}
}

// techService is the server's technology service (New sets one).
func (s *Server) techService() *tech.Service { return s.cfg.Tech }

// techQuery reads ?last= (days such as 7d, or Go syntax): the span a
// source's newest alert must fall in to be judged.
func (s *Server) techQuery(r *http.Request) (tech.HealthQuery, error) {
	q := tech.HealthQuery{At: s.now()}
	if v := r.URL.Query().Get("last"); v != "" {
		d, err := tech.ParseSpan(v)
		if err != nil {
			return q, err
		}
		q.Active = d
	}
	return q, nil
}

func (s *Server) apiTechHealth(w http.ResponseWriter, r *http.Request) {
	q, err := s.techQuery(r)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	rep, err := s.techService().Health(r.Context(), q)
	s.answer(w, "judging source health", rep, err)
}

func (s *Server) apiTechPipeline(w http.ResponseWriter, r *http.Request) {
	q, err := s.techQuery(r)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	rep, err := s.techService().Pipeline(r.Context(), q)
	s.answer(w, "judging the detection pipeline", rep, err)
}

func (s *Server) apiTechInventory(w http.ResponseWriter, r *http.Request) {
	within := tech.RenewalWindow
	if v := r.URL.Query().Get("within"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3660 {
			httpError(w, http.StatusBadRequest, "within: want a number of days, 1 to 3660")
			return
		}
		within = n
	}
	rep, err := s.techService().Inventory(r.Context(), tech.HealthQuery{At: s.now()}, within)
	s.answer(w, "judging the tool inventory", rep, err)
}

// apiSetTechInventory replaces the inventory with the body's platforms
// (the inventory file's fields, as JSON), validated in full; audited.
func (s *Server) apiSetTechInventory(w http.ResponseWriter, r *http.Request) {
	var inv tech.Inventory
	if !decodeBody(w, r, &inv) {
		auditDetail(r, "invalid body")
		return
	}
	if err := inv.Validate(); err != nil {
		auditDetail(r, "rejected: "+err.Error())
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := tech.SaveInventory(r.Context(), s.st, inv); err != nil {
		s.fail(w, "saving the tool inventory", err)
		return
	}
	info(r).target = "inventory"
	auditDetail(r, fmt.Sprintf("%d platforms", len(inv.Platforms)))
	rep, err := s.techService().Inventory(context.WithoutCancel(r.Context()), tech.HealthQuery{At: s.now()}, tech.RenewalWindow)
	s.answer(w, "judging the tool inventory", rep, err)
}

// technologyData is what the technology page shows.
type technologyData struct {
	H        *tech.HealthReport
	P        *tech.PipelineReport
	Inv      *tech.InventoryReport // nil for roles without plan_resources
	Rules    shown[tech.KeyHealth] // rules that are not healthy
	States   map[string]int        // sources by state
	Never    int
	FeedsBad int
	Alarms   int // sources in an alarm state
}

func (s *Server) technologyPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(w, r, "technology", "Technology")
	ctx := r.Context()
	q, err := s.techQuery(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	svc := s.techService()
	h, err := svc.Health(ctx, q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p, err := svc.PipelineOf(ctx, h)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := technologyData{H: h, P: p, Never: len(p.NeverFired), States: map[string]int{}}
	for st, n := range h.SourceStates {
		d.States[string(st)] = n
	}
	var rules []tech.KeyHealth
	for _, k := range h.Rules {
		if k.State.Alarm() {
			rules = append(rules, k)
		}
	}
	n := listRows
	if v.Kiosk {
		n = kioskListRows
	}
	d.Rules = head(rules, 2*n)
	for _, f := range p.Feeds {
		if f.State == tech.FeedFailing || f.State == tech.FeedOverdue {
			d.FeedsBad++
		}
	}
	for _, k := range h.Sources {
		if k.State.Alarm() {
			d.Alarms++
		}
	}
	if v.User != nil && v.User.Role.Can(auth.PlanResources) {
		if d.Inv, err = svc.InventoryOf(ctx, h, tech.RenewalWindow); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	v.Data = d
	s.render(w, http.StatusOK, "technology", v)
}

// sourceAlarms are the sources silent or late now, for the overview's
// banner; an error is logged and shown as no banner, so a health failure
// never takes the overview down.
func (s *Server) sourceAlarms(ctx context.Context) []tech.KeyHealth {
	h, err := s.techService().Health(ctx, tech.HealthQuery{At: s.now()})
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.log.Error("judging source health for the overview", "err", err)
		}
		return nil
	}
	var out []tech.KeyHealth
	for _, k := range h.Sources {
		if k.State == tech.Silent || k.State == tech.Late {
			out = append(out, k)
		}
	}
	return out
}

// techCollector serves the source health gauges.
type techCollector struct{ s *Server }

var (
	descSourceState    = prometheus.NewDesc("watchfloor_source_state", "1 for the state a source that sends alerts is in (healthy, silent, stopped, late, quiet, noisy, duplicate-heavy, learning), 0 for the others.", []string{"source", "state"}, nil)
	descSourceExpected = prometheus.NewDesc("watchfloor_source_expected_alerts", "Alerts a source's hour-of-week baseline expects in the window judged (for a silent source: since its newest alert).", []string{"source"}, nil)
	descSourceSeen     = prometheus.NewDesc("watchfloor_source_seen_alerts", "Alerts a source sent in the window judged (for a silent source: 0).", []string{"source"}, nil)
	descSourceLast     = prometheus.NewDesc("watchfloor_source_last_alert_timestamp_seconds", "When a source's newest alert was created (Unix seconds).", []string{"source"}, nil)
	descSourceLag      = prometheus.NewDesc("watchfloor_source_ingest_lag_seconds", "Median ingest lag (ingested − created) of a source: usual (the learned weeks) or current (the window judged); no sample without alerts.", []string{"source", "window"}, nil)
	descRuleStates     = prometheus.NewDesc("watchfloor_rules", "Rules (source × rule) judged, by health state.", []string{"state"}, nil)
)

// Describe sends the collector's descriptors.
func (c techCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSourceState, descSourceExpected, descSourceSeen, descSourceLast, descSourceLag, descRuleStates} {
		ch <- d
	}
}

// Collect judges source health; a failure fails the scrape.
func (c techCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := c.s.techService().Health(ctx, tech.HealthQuery{At: c.s.now()})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descSourceState, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, k := range h.Sources {
		for _, st := range tech.States {
			v := 0.0
			if k.State == st {
				v = 1
			}
			gauge(descSourceState, v, k.Source, string(st))
		}
		gauge(descSourceExpected, k.Expected, k.Source)
		gauge(descSourceSeen, float64(k.Seen), k.Source)
		gauge(descSourceLast, unixSeconds(k.Last), k.Source)
		if k.UsualLag > 0 {
			gauge(descSourceLag, k.UsualLag.Seconds(), k.Source, "usual")
		}
		if k.WindowLag > 0 {
			gauge(descSourceLag, k.WindowLag.Seconds(), k.Source, "current")
		}
	}
	for _, st := range tech.States {
		gauge(descRuleStates, float64(h.RuleStates[st]), string(st))
	}
}
