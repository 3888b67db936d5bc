// Package loadgen drives a Watchfloor server with concurrent readers of one
// endpoint (the dashboard JSON by default) while a steady stream of alerts
// is ingested, and reports throughput, latency percentiles and errors.
package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes a load run.
type Config struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	// Token authenticates the readers (a viewer or above).
	Token string
	// Path is what the readers fetch (default /api/v1/dashboard).
	Path string
	// Concurrency is the number of readers, each sending its next request
	// when the previous one is answered (default 100).
	Concurrency int
	// Duration of the run (default 10 s).
	Duration time.Duration
	// IngestToken authenticates the ingest stream (role ingest or admin);
	// with IngestRate > 0 it is required.
	IngestToken string
	// IngestRate is alerts per second posted to /api/v1/ingest (0: none).
	IngestRate int
	// IngestBatch is alerts per ingest request (default 100).
	IngestBatch int
	// Client sends the requests (a pooled client when nil).
	Client *http.Client
}

// Result is what a run measured.
type Result struct {
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"` // transport errors and non-200 answers
	Elapsed  time.Duration `json:"elapsed_ns"`
	RPS      float64       `json:"requests_per_second"`
	P50      time.Duration `json:"p50_ns"`
	P90      time.Duration `json:"p90_ns"`
	P99      time.Duration `json:"p99_ns"`
	Max      time.Duration `json:"max_ns"`
	// Ingest side.
	Alerts       int64   `json:"alerts_ingested"`
	IngestErrors int64   `json:"ingest_errors"`
	AlertRate    float64 `json:"alerts_per_second"`
	// FirstError describes the first failure, if any.
	FirstError string `json:"first_error,omitempty"`
}

// String summarises the run on one line.
func (r Result) String() string {
	return fmt.Sprintf("%d requests in %s: %.0f/s, p50 %s, p90 %s, p99 %s, max %s, %d errors; %d alerts ingested (%.0f/s), %d ingest errors",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.RPS, r.P50.Round(time.Microsecond), r.P90.Round(time.Microsecond),
		r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond), r.Errors, r.Alerts, r.AlertRate, r.IngestErrors)
}

type recorder struct {
	mu    sync.Mutex
	first string
}

func (r *recorder) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.first == "" {
		r.first = fmt.Sprintf(format, args...)
	}
}

// Run performs the load run; it returns early, with what it measured, when
// ctx ends.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.BaseURL == "" || cfg.Token == "" {
		return Result{}, errors.New("loadgen: BaseURL and Token are required")
	}
	if cfg.IngestRate > 0 && cfg.IngestToken == "" {
		return Result{}, errors.New("loadgen: IngestToken is required with IngestRate")
	}
	if cfg.Path == "" {
		cfg.Path = "/api/v1/dashboard"
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 100
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.IngestBatch <= 0 {
		cfg.IngestBatch = 100
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: cfg.Concurrency + 16, MaxIdleConnsPerHost: cfg.Concurrency + 16, IdleConnTimeout: time.Minute}}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	var res Result
	var rec recorder
	var requests, errs, alerts, ingestErrs atomic.Int64
	lat := make([][]time.Duration, cfg.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				err := get(ctx, client, cfg.BaseURL+cfg.Path, cfg.Token)
				if ctx.Err() != nil {
					return // cut off by the end of the run: not counted
				}
				lat[i] = append(lat[i], time.Since(t0))
				requests.Add(1)
				if err != nil {
					errs.Add(1)
					rec.fail("GET %s: %v", cfg.Path, err)
				}
			}
		}()
	}
	if cfg.IngestRate > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ingest(ctx, client, cfg, &alerts, &ingestErrs, &rec)
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)

	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	res.Requests, res.Errors, res.Alerts, res.IngestErrors = requests.Load(), errs.Load(), alerts.Load(), ingestErrs.Load()
	if secs := res.Elapsed.Seconds(); secs > 0 {
		res.RPS, res.AlertRate = float64(res.Requests)/secs, float64(res.Alerts)/secs
	}
	if n := len(all); n > 0 {
		q := func(p float64) time.Duration { return all[min(n-1, int(p*float64(n)))] }
		res.P50, res.P90, res.P99, res.Max = q(0.50), q(0.90), q(0.99), all[n-1]
	}
	res.FirstError = rec.first
	return res, nil
}

func get(ctx context.Context, client *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// ingestSenders is how many ingest requests may be in flight, so a slow
// answer does not lower the offered rate.
const ingestSenders = 4

// ingest posts batches of new alerts at the configured rate.
func ingest(ctx context.Context, client *http.Client, cfg Config, alerts, errs *atomic.Int64, rec *recorder) {
	interval := time.Duration(float64(time.Second) * float64(cfg.IngestBatch) / float64(cfg.IngestRate))
	tick := time.NewTicker(interval)
	defer tick.Stop()
	batches := make(chan []byte, ingestSenders)
	var wg sync.WaitGroup
	for range ingestSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				post(ctx, client, cfg, b, alerts, errs, rec)
			}
		}()
	}
	defer wg.Wait()
	defer close(batches)
	run := time.Now().UnixNano()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var buf bytes.Buffer
		now := time.Now().UTC().Format(time.RFC3339Nano)
		for range cfg.IngestBatch {
			n++
			fmt.Fprintf(&buf, `{"record":"alert","source":"loadgen","external_id":"%d-%d","title":"load test alert %d","severity":"medium","rule_id":"LG-%d","rule_name":"load generator rule %d","created_at":%q}`+"\n",
				run, n, n, n%20, n%20, now)
		}
		select {
		case batches <- buf.Bytes():
		default:
			// Every sender is busy: the server cannot keep up, which the
			// shortfall of the alert rate shows.
		}
	}
}

// post sends one ingest batch. A batch sent before the end of the run is
// allowed to finish, so every alert the server stored is counted.
func post(ctx context.Context, client *http.Client, cfg Config, body []byte, alerts, errs *atomic.Int64, rec *recorder) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", cfg.BaseURL+"/api/v1/ingest?format=native", bytes.NewReader(body))
	if err != nil {
		errs.Add(1)
		rec.fail("ingest: %v", err)
		return
	}
	req.Header.Set("Authorization", "Bearer "+cfg.IngestToken)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := client.Do(req)
	if err != nil {
		errs.Add(1)
		rec.fail("ingest: %v", err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		errs.Add(1)
		rec.fail("ingest: status %d", resp.StatusCode)
		return
	}
	alerts.Add(int64(cfg.IngestBatch))
}
