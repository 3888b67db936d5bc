package web

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// The Prometheus endpoint writes the text exposition format itself: the
// SOC KPIs come from the same dashboard and report the API serves, and the
// process metrics from the runtime.

// httpStats counts requests per route and status, with latency histograms.
type httpStats struct {
	mu    sync.Mutex
	count map[[3]string]uint64
	hist  map[[2]string]*histogram
}

var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type histogram struct {
	counts []uint64 // per bucket, cumulative when written
	sum    float64
	n      uint64
}

func newHTTPStats() *httpStats {
	return &httpStats{count: map[[3]string]uint64{}, hist: map[[2]string]*histogram{}}
}

func (h *httpStats) observe(method, route string, status int, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.count[[3]string{method, route, strconv.Itoa(status)}]++
	k := [2]string{method, route}
	hg := h.hist[k]
	if hg == nil {
		hg = &histogram{counts: make([]uint64, len(latencyBuckets))}
		h.hist[k] = hg
	}
	sec := d.Seconds()
	for i, b := range latencyBuckets {
		if sec <= b {
			hg.counts[i]++
		}
	}
	hg.sum += sec
	hg.n++
}

// promWriter writes metric families.
type promWriter struct {
	w    *bufio.Writer
	seen map[string]bool
}

func (p *promWriter) family(name, typ, help string) {
	if p.seen[name] {
		return
	}
	p.seen[name] = true
	fmt.Fprintf(p.w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func promLabels(kv ...string) string {
	if len(kv) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[i])
		b.WriteString(`="`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(kv[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

func promFloat(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func (p *promWriter) sample(name string, v float64, kv ...string) {
	fmt.Fprintf(p.w, "%s%s %s\n", name, promLabels(kv...), promFloat(v))
}

// kpiReport returns the last 7 days' report by priority, reused for a
// minute (scrapes come every few seconds; the KPIs move slowly).
func (s *Server) kpiReport(ctx context.Context) (*metrics.Report, error) {
	s.perfMu.Lock()
	defer s.perfMu.Unlock()
	now := s.now()
	if s.perf != nil && now.Sub(s.perfAt) < time.Minute {
		return s.perf, nil
	}
	loc, err := s.st.TimeZone(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := (&metrics.Engine{Store: s.st}).Performance(ctx, metrics.Request{Window: metrics.WindowEnding(now, 7, loc), GroupBy: metrics.ByPriority})
	if err != nil {
		return nil, err
	}
	s.perf, s.perfAt = rep, now
	return rep, nil
}

func (s *Server) prometheus(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashboard(r.Context())
	if err != nil {
		s.fail(w, "building the dashboard", err)
		return
	}
	rep, err := s.kpiReport(r.Context())
	if err != nil {
		s.fail(w, "computing KPIs", err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	s.writeMetrics(bw, d, rep)
}

func (s *Server) writeMetrics(out *bufio.Writer, d *metrics.Dashboard, rep *metrics.Report) {
	p := &promWriter{w: out, seen: map[string]bool{}}
	p.family("watchfloor_open_cases", "gauge", "Open cases (the backlog) by priority and stage.")
	for _, c := range d.Queue {
		p.sample("watchfloor_open_cases", float64(c.Count), "priority", c.Priority, "stage", c.Stage)
	}
	p.family("watchfloor_unassigned_cases", "gauge", "Open cases without an assignee, by priority.")
	keys := make([]string, 0, len(d.Unassigned))
	for k := range d.Unassigned {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.sample("watchfloor_unassigned_cases", float64(d.Unassigned[k]), "priority", k)
	}
	sla := slaSummary(d)
	for _, status := range []string{"breached", "at_risk"} {
		name := "watchfloor_sla_" + status + "_cases"
		p.family(name, "gauge", "Open cases whose SLA clock is "+strings.ReplaceAll(status, "_", " ")+", by clock and priority.")
		for _, clock := range []string{"acknowledge", "resolve"} {
			for _, pr := range []string{"P1", "P2", "P3", "P4", "P5"} {
				p.sample(name, float64(sla.Counts[status][clock][pr]), "clock", clock, "priority", pr)
			}
		}
	}
	p.family("watchfloor_alerts_last_hour", "gauge", "Alerts created in the last hour (inflow).")
	p.sample("watchfloor_alerts_last_hour", float64(d.Inflow.LastHour))
	p.family("watchfloor_alerts_hourly_average_24h", "gauge", "Average alerts per hour over the last 24 hours.")
	p.sample("watchfloor_alerts_hourly_average_24h", d.Inflow.HourlyAvg24h)
	p.family("watchfloor_analysts_on_shift", "gauge", "Analysts on shift now.")
	p.sample("watchfloor_analysts_on_shift", float64(d.Inflow.AnalystsOnShift))

	for _, k := range []metrics.KPI{metrics.MTTA, metrics.MTTR} {
		name := "watchfloor_" + string(k) + "_seconds"
		p.family(name, "gauge", metrics.Definitions[k]+"; cases created in the last 7 days, by priority and statistic.")
		for _, g := range rep.Groups {
			for _, sm := range g.KPIs {
				if sm.KPI != k || sm.Count == 0 {
					continue
				}
				p.sample(name, sm.Mean, "priority", g.Group, "stat", "mean")
				p.sample(name, sm.Median, "priority", g.Group, "stat", "median")
				p.sample(name, sm.P90, "priority", g.Group, "stat", "p90")
			}
		}
		cn := "watchfloor_" + string(k) + "_sample_size"
		p.family(cn, "gauge", "Cases behind "+name+", by priority.")
		for _, g := range rep.Groups {
			for _, sm := range g.KPIs {
				if sm.KPI == k {
					p.sample(cn, float64(sm.Count), "priority", g.Group)
				}
			}
		}
	}
	p.family("watchfloor_live_streams", "gauge", "Connected live-update streams.")
	p.sample("watchfloor_live_streams", float64(s.hub.Subscribers()))

	s.stats.mu.Lock()
	ck := make([][3]string, 0, len(s.stats.count))
	for k := range s.stats.count {
		ck = append(ck, k)
	}
	sort.Slice(ck, func(i, j int) bool { return strings.Join(ck[i][:], " ") < strings.Join(ck[j][:], " ") })
	p.family("watchfloor_http_requests_total", "counter", "HTTP requests by method, route and status.")
	for _, k := range ck {
		p.sample("watchfloor_http_requests_total", float64(s.stats.count[k]), "method", k[0], "route", k[1], "code", k[2])
	}
	hk := make([][2]string, 0, len(s.stats.hist))
	for k := range s.stats.hist {
		hk = append(hk, k)
	}
	sort.Slice(hk, func(i, j int) bool { return hk[i][0]+hk[i][1] < hk[j][0]+hk[j][1] })
	p.family("watchfloor_http_request_duration_seconds", "histogram", "HTTP request latency by method and route.")
	for _, k := range hk {
		h := s.stats.hist[k]
		for i, b := range latencyBuckets {
			p.sample("watchfloor_http_request_duration_seconds_bucket", float64(h.counts[i]), "method", k[0], "route", k[1], "le", promFloat(b))
		}
		p.sample("watchfloor_http_request_duration_seconds_bucket", float64(h.n), "method", k[0], "route", k[1], "le", "+Inf")
		p.sample("watchfloor_http_request_duration_seconds_sum", h.sum, "method", k[0], "route", k[1])
		p.sample("watchfloor_http_request_duration_seconds_count", float64(h.n), "method", k[0], "route", k[1])
	}
	s.stats.mu.Unlock()

	writeProcessMetrics(p, s.started)
}

func writeProcessMetrics(p *promWriter, started time.Time) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.family("go_goroutines", "gauge", "Number of goroutines that currently exist.")
	p.sample("go_goroutines", float64(runtime.NumGoroutine()))
	p.family("go_memstats_heap_alloc_bytes", "gauge", "Bytes of allocated heap objects.")
	p.sample("go_memstats_heap_alloc_bytes", float64(ms.HeapAlloc))
	p.family("go_memstats_sys_bytes", "gauge", "Bytes of memory obtained from the OS.")
	p.sample("go_memstats_sys_bytes", float64(ms.Sys))
	p.family("go_gc_cycles_total", "counter", "Completed GC cycles.")
	p.sample("go_gc_cycles_total", float64(ms.NumGC))
	p.family("go_info", "gauge", "Information about the Go environment.")
	p.sample("go_info", 1, "version", runtime.Version())
	p.family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.")
	p.sample("process_start_time_seconds", float64(started.UnixMilli())/1000)
	if cpu, ok := cpuSeconds(); ok {
		p.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
		p.sample("process_cpu_seconds_total", cpu)
	}
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseFloat(f[1], 64); err == nil {
				p.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
				p.sample("process_resident_memory_bytes", pages*float64(os.Getpagesize()))
			}
		}
	}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		p.family("process_open_fds", "gauge", "Number of open file descriptors.")
		p.sample("process_open_fds", float64(len(ents)))
	}
}
