package loadgen_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
	"github.com/watchfloor/watchfloor/internal/web"
	"github.com/watchfloor/watchfloor/internal/web/loadgen"
)

// serve starts a server on st and returns its URL and a viewer and an
// ingest token.
func serve(t *testing.T, st *store.Store) (string, string, string) {
	t.Helper()
	ctx := context.Background()
	as := &auth.Service{Store: st, BcryptCost: bcrypt.MinCost}
	for _, u := range []struct {
		name string
		role auth.Role
	}{{"wall", auth.Viewer}, {"pipe", auth.Ingest}} {
		if _, err := as.CreateUser(ctx, u.name, u.role, ""); err != nil {
			t.Fatal(err)
		}
	}
	view, _, err := as.CreateToken(ctx, "wall", "load", 0)
	if err != nil {
		t.Fatal(err)
	}
	ing, _, err := as.CreateToken(ctx, "pipe", "load", 0)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Store: st, Auth: as, PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return ts.URL, view, ing
}

// TestSmallRun checks the generator's accounting on a short run: every
// alert it counts as ingested is in the store, and nothing failed.
func TestSmallRun(t *testing.T) {
	st := storetest.Open(t, storetest.SQLitePath(t))
	url, view, ing := serve(t, st)
	res, err := loadgen.Run(context.Background(), loadgen.Config{BaseURL: url, Token: view, IngestToken: ing,
		Concurrency: 8, Duration: 1500 * time.Millisecond, IngestRate: 200, IngestBatch: 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Errors != 0 || res.IngestErrors != 0 || res.FirstError != "" {
		t.Fatalf("errors: %+v", res)
	}
	if res.Requests == 0 || res.Alerts == 0 || res.Alerts%20 != 0 || res.P50 > res.P99 || res.P99 > res.Max {
		t.Fatalf("implausible result %+v", res)
	}
	c, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c["alerts"] != res.Alerts {
		t.Fatalf("store holds %d alerts, the generator ingested %d", c["alerts"], res.Alerts)
	}
	if _, err := loadgen.Run(context.Background(), loadgen.Config{BaseURL: url, Token: view, IngestRate: 10}); err == nil {
		t.Fatal("an ingest rate without a token was accepted")
	}
}

// TestDemoLoad is the documented load run: 100 readers of the dashboard
// JSON on the demo store while 2,000 alerts/s are ingested. It is long, so
// it runs only with WATCHFLOOR_LOAD=1 (WATCHFLOOR_LOAD_SECONDS sets the
// length, default 20). It asserts no errors and logs the figures; the
// result is also written to $ARTIFACTS_DIR/load.json when that is set.
func TestDemoLoad(t *testing.T) {
	if os.Getenv("WATCHFLOOR_LOAD") == "" {
		t.Skip("set WATCHFLOOR_LOAD=1 for the load run on the demo store")
	}
	ctx := context.Background()
	st := storetest.Open(t, storetest.SQLitePath(t))
	cfg := demo.Config{End: time.Now().UTC().Truncate(time.Hour)}
	cat, err := attack.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tq := range cat.Techniques() {
		cfg.Techniques = append(cfg.Techniques, tq.ID)
	}
	cfg = cfg.WithDefaults()
	t.Logf("demo store: %s", demotest.Records(t, st, cfg, nil))
	secs := 20
	if v := os.Getenv("WATCHFLOOR_LOAD_SECONDS"); v != "" {
		if err := json.Unmarshal([]byte(v), &secs); err != nil {
			t.Fatalf("WATCHFLOOR_LOAD_SECONDS: %v", err)
		}
	}
	url, view, ing := serve(t, st)
	res, err := loadgen.Run(ctx, loadgen.Config{BaseURL: url, Token: view, IngestToken: ing,
		Concurrency: 100, Duration: time.Duration(secs) * time.Second, IngestRate: 2000, IngestBatch: 200})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load: %s", res)
	if dir := os.Getenv("ARTIFACTS_DIR"); dir != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, "load.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if res.Errors != 0 || res.IngestErrors != 0 {
		t.Fatalf("errors during the load run: %+v", res)
	}
}
