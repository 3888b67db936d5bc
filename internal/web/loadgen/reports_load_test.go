package loadgen_test

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/web/loadgen"
)

// TestReportsLoad is the load run of issue 19: 50 readers of one endpoint
// at a time on a copy of a large store, with no ingest (unchanged data),
// for /api/v1/me (the anchor: authentication and an answer that reads
// nothing else), then rule quality and the metrics report. It runs only
// with WATCHFLOOR_LOAD_DB set to the store (a copy: it adds users and
// tokens); WATCHFLOOR_LOAD_SECONDS sets each run's length (default 10). It
// logs the first request's time and each run's figures, and asserts no
// errors.
func TestReportsLoad(t *testing.T) {
	path := os.Getenv("WATCHFLOOR_LOAD_DB")
	if path == "" {
		t.Skip("set WATCHFLOOR_LOAD_DB to a copy of a store for the reports load run")
	}
	secs := 10
	if v := os.Getenv("WATCHFLOOR_LOAD_SECONDS"); v != "" {
		var err error
		if secs, err = strconv.Atoi(v); err != nil {
			t.Fatalf("WATCHFLOOR_LOAD_SECONDS: %v", err)
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	url, view, _ := serve(t, st)
	for _, p := range []string{"/api/v1/me", "/api/v1/rules?timeframe=weekly", "/api/v1/metrics?timeframe=weekly"} {
		req, _ := http.NewRequestWithContext(ctx, "GET", url+p, nil)
		req.Header.Set("Authorization", "Bearer "+view)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, resp, err)
		}
		resp.Body.Close()
		first := time.Since(start)
		res, err := loadgen.Run(ctx, loadgen.Config{BaseURL: url, Token: view, Path: p, Concurrency: 50,
			Duration: time.Duration(secs) * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: first request %s; 50 clients: %s", p, first.Round(time.Millisecond), res)
		if res.Errors != 0 {
			t.Errorf("%s: errors: %s", p, res.FirstError)
		}
	}
}
