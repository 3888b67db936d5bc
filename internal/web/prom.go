package web

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
)

// promMetrics is what /metrics serves: the SOC KPIs, read from the same
// dashboard and report the API serves at scrape time; HTTP request counts
// and latencies; the Go runtime and process collectors.
type promMetrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	handler  http.Handler
}

func newPromMetrics(s *Server) *promMetrics {
	m := &promMetrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "watchfloor_http_requests_total",
			Help: "HTTP requests by method, route and status."}, []string{"method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "watchfloor_http_request_duration_seconds",
			Help: "HTTP request latency by method and route.", Buckets: prometheus.DefBuckets}, []string{"method", "route"}),
	}
	m.reg.MustRegister(m.requests, m.latency, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), &socCollector{s: s})
	m.reg.MustRegister(&intelCollector{s: s})
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slogAdapter{s}, ErrorHandling: promhttp.HTTPErrorOnError})
	return m
}

// observe counts one request. Every label comes from a fixed set: the
// method (see methodLabel), the route pattern that matched (or "other"),
// and the status code the server answered.
func (m *promMetrics) observe(method, route string, status int, d time.Duration) {
	method = methodLabel(method)
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

// knownMethods are the methods counted under their own name.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodOptions: true, http.MethodConnect: true, http.MethodTrace: true,
}

// methodLabel is the method's label: a standard method's name, else
// "other". A client chooses the method before authenticating, so taking it
// as it comes would let anyone add series (and memory) without bound.
func methodLabel(m string) string {
	if knownMethods[m] {
		return m
	}
	return "other"
}

// slogAdapter lets promhttp report collection errors to the server's log.
type slogAdapter struct{ s *Server }

func (a slogAdapter) Println(v ...any) {
	parts := make([]string, len(v))
	for i, x := range v {
		if err, ok := x.(error); ok {
			parts[i] = err.Error()
		} else if str, ok := x.(string); ok {
			parts[i] = str
		}
	}
	a.s.log.Error("serving /metrics", "err", strings.TrimSpace(strings.Join(parts, " ")))
}

func (s *Server) prometheus(w http.ResponseWriter, r *http.Request) {
	s.prom.handler.ServeHTTP(w, r)
}

// kpiReport returns the default (weekly) window's report by priority, the
// one GET /api/v1/metrics?group_by=priority answers, reused for a minute
// while the data version stays (scrapes come every few seconds; the KPIs
// move slowly).
func (s *Server) kpiReport(ctx context.Context) (*metrics.Report, error) {
	v, err := s.st.DataVersion(ctx)
	if err != nil {
		return nil, err
	}
	s.perfMu.Lock()
	defer s.perfMu.Unlock()
	now := s.now()
	if s.perf != nil && s.perfVersion == v && now.Sub(s.perfAt) < time.Minute {
		return s.perf, nil
	}
	rep, err := s.svc.Performance(ctx, metrics.PerformanceQuery{GroupBy: metrics.ByPriority})
	if err != nil {
		return nil, err
	}
	s.perf, s.perfAt, s.perfVersion = rep, now, v
	return rep, nil
}

// socCollector reads the SOC's state at scrape time.
type socCollector struct{ s *Server }

var (
	descOpenCases   = prometheus.NewDesc("watchfloor_open_cases", "Open cases (the backlog) by priority and stage.", []string{"priority", "stage"}, nil)
	descUnassigned  = prometheus.NewDesc("watchfloor_unassigned_cases", "Open cases without an assignee, by priority.", []string{"priority"}, nil)
	descSLABreached = prometheus.NewDesc("watchfloor_sla_breached_cases", "Open cases whose SLA clock is breached, by clock and priority.", []string{"clock", "priority"}, nil)
	descSLAAtRisk   = prometheus.NewDesc("watchfloor_sla_at_risk_cases", "Open cases whose SLA clock is at risk, by clock and priority.", []string{"clock", "priority"}, nil)
	descAlertsHour  = prometheus.NewDesc("watchfloor_alerts_last_hour", "Alerts created in the last hour (inflow).", nil, nil)
	descAlertsAvg   = prometheus.NewDesc("watchfloor_alerts_hourly_average_24h", "Average alerts per hour over the last 24 hours.", nil, nil)
	descOnShift     = prometheus.NewDesc("watchfloor_analysts_on_shift", "Analysts on shift now.", nil, nil)
	descStreams     = prometheus.NewDesc("watchfloor_live_streams", "Connected live-update streams.", nil, nil)
	descAdherence   = prometheus.NewDesc("watchfloor_sla_adherence_ratio",
		"SLA adherence (met ÷ (met + breached), breaches in flight counted) of the cases created in the default weekly window, by clock and priority; no sample when no clock has met or breached its target.",
		[]string{"clock", "priority"}, nil)
	descKPI     = map[metrics.KPI][2]*prometheus.Desc{}
	scrapedKPIs = []metrics.KPI{metrics.MTTA, metrics.MTTR}
)

func init() {
	for _, k := range scrapedKPIs {
		name := "watchfloor_" + string(k) + "_seconds"
		descKPI[k] = [2]*prometheus.Desc{
			prometheus.NewDesc(name, metrics.Definitions[k]+"; cases created in the default weekly window, by priority and statistic; no sample without data.", []string{"priority", "stat"}, nil),
			prometheus.NewDesc("watchfloor_"+string(k)+"_sample_size", "Cases behind "+name+", by priority.", []string{"priority"}, nil),
		}
	}
}

// Describe sends every descriptor the collector uses.
func (c *socCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpenCases, descUnassigned, descSLABreached, descSLAAtRisk, descAlertsHour, descAlertsAvg, descOnShift, descStreams, descAdherence} {
		ch <- d
	}
	for _, k := range scrapedKPIs {
		ch <- descKPI[k][0]
		ch <- descKPI[k][1]
	}
}

// Collect reads the dashboard and the 7-day report; a failure is reported
// as an invalid metric, which fails the scrape with the reason.
func (c *socCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descStreams, float64(s.hub.Subscribers()))
	d, err := s.dashboard(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descOpenCases, err)
		return
	}
	for _, q := range d.Queue {
		gauge(descOpenCases, float64(q.Count), q.Priority, q.Stage)
	}
	keys := make([]string, 0, len(d.Unassigned))
	for k := range d.Unassigned {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		gauge(descUnassigned, float64(d.Unassigned[k]), k)
	}
	sla := slaSummary(d)
	for _, clock := range []string{"acknowledge", "resolve"} {
		for _, p := range model.Priorities {
			pr := p.String()
			gauge(descSLABreached, float64(sla.Counts["breached"][clock][pr]), clock, pr)
			gauge(descSLAAtRisk, float64(sla.Counts["at_risk"][clock][pr]), clock, pr)
		}
	}
	gauge(descAlertsHour, float64(d.Inflow.LastHour))
	gauge(descAlertsAvg, d.Inflow.HourlyAvg24h)
	gauge(descOnShift, float64(d.Inflow.AnalystsOnShift))

	rep, err := s.kpiReport(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descKPI[metrics.MTTA][0], err)
		return
	}
	// No data is no sample, never 0.
	optional := func(d *prometheus.Desc, v *float64, labels ...string) {
		if x, ok := metrics.Value(v); ok {
			gauge(d, x, labels...)
		}
	}
	for _, g := range rep.Groups {
		optional(descAdherence, g.SLAAcknowledge.Adherence, "acknowledge", g.Group)
		optional(descAdherence, g.SLAResolve.Adherence, "resolve", g.Group)
		for _, sm := range g.KPIs {
			if d, ok := descKPI[sm.KPI]; ok {
				gauge(d[1], float64(sm.Count), g.Group)
				optional(d[0], sm.Mean, g.Group, "mean")
				optional(d[0], sm.Median, g.Group, "median")
				optional(d[0], sm.P90, g.Group, "p90")
			}
		}
	}
}
