package intel_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"

	_ "modernc.org/sqlite" // the fixture's matches are cleared directly
)

// benchEnd is the end of the fixture's 90 days of alerts.
var benchEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// xorshift is a deterministic generator without allocation.
type xorshift uint64

func (x *xorshift) next() uint64 {
	*x ^= *x << 13
	*x ^= *x >> 7
	*x ^= *x << 17
	return uint64(*x)
}

// benchIndicator is the i-th of the fixture's indicators: 40 % addresses,
// 10 % networks (/24 and /28), 20 % domains, 20 % SHA-256 hashes, 10 %
// URLs.
func benchIndicator(i int) (observable.Kind, string) {
	h := uint64(i)*0x9e3779b97f4a7c15 + 1
	switch i % 10 {
	case 0, 1, 2, 3:
		return observable.IP, benchAddr(h)
	case 4:
		p, _ := netip.MustParseAddr(benchAddr(h)).Prefix(24)
		return observable.CIDR, p.String()
	case 5:
		p, _ := netip.MustParseAddr(benchAddr(h)).Prefix(28)
		return observable.CIDR, p.String()
	case 6, 7:
		return observable.Domain, fmt.Sprintf("d%x.example-%d.com", h&0xffffffffff, i%997)
	case 8:
		s := sha256.Sum256([]byte(fmt.Sprint(i)))
		return observable.SHA256, hex.EncodeToString(s[:])
	}
	return observable.URL, fmt.Sprintf("http://u%d.example.net/p/%x", i, h&0xffff)
}

// benchAddr is a public-looking IPv4 address from h.
func benchAddr(h uint64) string {
	a := netip.AddrFrom4([4]byte{byte(11 + h%200), byte(h >> 8), byte(h >> 16), byte(h >> 24)})
	return a.String()
}

// benchEntities are an alert's observables: an address (random, or one of
// the indicators' 1 time in 400), a subdomain (of an indicator's domain 1
// time in 200), a hash (an indicator's 1 time in 400), a host and a user.
func benchEntities(x *xorshift, nInd int) []model.Entity {
	r := x.next()
	ip := benchAddr(r)
	if r%400 == 0 {
		_, ip = benchIndicator(int(r>>20)%(nInd/10)*10 + int(r>>40)%4)
	}
	dom := fmt.Sprintf("h%x.cdn-%d.example.org", r>>24&0xffffff, r%50)
	if r%200 == 1 {
		_, d := benchIndicator(int(r>>20)%(nInd/10)*10 + 6)
		dom = "www." + d
	}
	s := sha256.Sum256([]byte(fmt.Sprint("x", r)))
	hash := hex.EncodeToString(s[:])
	if r%400 == 2 {
		_, hash = benchIndicator(int(r>>20)%(nInd/10)*10 + 8)
	}
	return []model.Entity{{Type: "ip", Value: ip, Role: "dst"}, {Type: "domain", Value: dom}, {Type: "sha256", Value: hash},
		{Type: "host", Value: fmt.Sprintf("ws-%04d", r%5000)}, {Type: "user", Value: fmt.Sprintf("user%03d", r>>32%900)}}
}

// intelBenchStore opens a SQLite store holding nAlerts alerts over the 90
// days before benchEnd (five entities each, three of them observables)
// and nInd indicators (not yet hunted). Building it takes minutes, so the
// file is kept in $WATCHFLOOR_BENCH_DIR (default the system's temporary
// folder) and reused by later runs.
func intelBenchStore(b *testing.B, nAlerts, nInd int) *store.Store {
	b.Helper()
	path := intelBenchPath(nAlerts, nInd)
	ctx := context.Background()
	if _, err := os.Stat(path + ".done"); err == nil {
		st, err := store.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	os.Remove(path)
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	span := 90 * 24 * time.Hour
	x := xorshift(88172645463325252)
	var batch store.Batch
	for i := range nAlerts {
		created := benchEnd.Add(-span + time.Duration(int64(span)/int64(nAlerts)*int64(i)))
		batch.Alerts = append(batch.Alerts, model.Alert{Source: "bench", ExternalID: fmt.Sprintf("A%09d", i), Title: "alert",
			Severity: model.SeverityMedium, CreatedAt: created, OccurredAt: created.Add(-time.Minute), Entities: benchEntities(&x, nInd)})
		if len(batch.Alerts) == 20000 {
			if _, err := st.Apply(ctx, &batch); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	if _, err := st.Apply(ctx, &batch); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d alerts stored in %s", nAlerts, time.Since(start).Round(time.Second))
	t1 := time.Now()
	var ib store.IntelBatch
	for i := range nInd {
		kind, v := benchIndicator(i)
		o, err := observable.Normalize(kind, v)
		if err != nil {
			b.Fatal(err)
		}
		ib.Indicators = append(ib.Indicators, model.Indicator{Source: "bench-feed", ExternalID: fmt.Sprintf("indicator--%d", i), Type: string(o.Kind),
			Value: v, Detect: true, Confidence: 70, Observables: []model.IndicatorObservable{{Kind: string(o.Kind), Value: o.Value}}})
		if len(ib.Indicators) == 10000 {
			if _, err := st.ApplyIntel(ctx, &ib); err != nil {
				b.Fatal(err)
			}
			ib.Reset()
		}
	}
	if _, err := st.ApplyIntel(ctx, &ib); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d indicators stored in %s; fixture %s built in %s", nInd, time.Since(t1).Round(time.Second), path, time.Since(start).Round(time.Second))
	if err := os.WriteFile(path+".done", nil, 0o600); err != nil {
		b.Fatal(err)
	}
	return st
}

func intelBenchPath(nAlerts, nInd int) string {
	dir := os.Getenv("WATCHFLOOR_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, fmt.Sprintf("watchfloor-bench-intel-%dalerts-%dindicators.db", nAlerts, nInd))
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkMatchAlerts1M matches batches of 1,000 new alerts (3,000
// observables; about 1 in 130 alerts holds an indicator) against 1
// million indicators, storing the matches: the ingest-time path. It
// reports the time per observable, the index's load time and its memory.
func BenchmarkMatchAlerts1M(b *testing.B) {
	const nInd = 1_000_000
	st := intelBenchStore(b, 100_000, nInd)
	defer st.Close()
	ctx := context.Background()
	before := heapInUse()
	t0 := time.Now()
	m := &intel.Matcher{Store: st, Now: func() time.Time { return benchEnd }}
	if err := m.MatchAlerts(ctx, nil); err != nil { // loads the index
		b.Fatal(err)
	}
	load := time.Since(t0)
	held := heapInUse() - before
	// The alerts to match, as ingest would hand them over.
	x := xorshift(88172645463325252)
	alerts := make([]model.Alert, 1000)
	for i := range alerts {
		alerts[i] = model.Alert{Source: "bench", ExternalID: fmt.Sprintf("A%09d", i), Entities: benchEntities(&x, nInd)}
	}
	observables := 0
	for _, a := range alerts {
		for _, e := range a.Entities {
			if !observable.IsAsset(e.Type) {
				observables++
			}
		}
	}
	b.ResetTimer()
	c0 := cpuTime()
	for b.Loop() {
		if err := m.MatchAlerts(ctx, alerts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*observables), "ns/observable")
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N*observables), "cpu-ns/observable")
	b.ReportMetric(load.Seconds(), "index-load-s")
	b.ReportMetric(float64(held)/(1<<20), "index-heap-MiB")
}

// BenchmarkRetroHunt1Mx10M hunts 1 million new indicators in the 10
// million alerts of the last 90 days. Each iteration first queues every
// indicator again and deletes the matches an earlier one stored, so every
// iteration stores them anew.
func BenchmarkRetroHunt1Mx10M(b *testing.B) {
	benchRetroHunt(b, 10_000_000, 1_000_000)
}

// BenchmarkRetroHunt1Mx1M is the same over 1 million alerts.
func BenchmarkRetroHunt1Mx1M(b *testing.B) {
	benchRetroHunt(b, 1_000_000, 1_000_000)
}

func benchRetroHunt(b *testing.B, nAlerts, nInd int) {
	st := intelBenchStore(b, nAlerts, nInd)
	defer st.Close()
	ctx := context.Background()
	raw, err := sql.Open("sqlite", "file:"+intelBenchPath(nAlerts, nInd)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var last intel.HuntResult
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		if err := st.RequeueHunt(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := raw.ExecContext(ctx, `DELETE FROM intel_matches`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := cpuTime()
		res, err := intel.RetroHunt(ctx, st, 90, benchEnd)
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		last = res
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(last.Alerts), "alerts")
	b.ReportMetric(float64(last.Keys), "keys")
	b.ReportMetric(float64(last.Matches), "matches-stored")
	b.Logf("hunt: %+v", last)
}
