package metrics_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// countingStore counts the reads of open work.
type countingStore struct {
	*store.Store
	cases, logs int
}

func (c *countingStore) OpenCases(ctx context.Context) ([]model.Case, error) {
	c.cases++
	return c.Store.OpenCases(ctx)
}

func (c *countingStore) OpenCaseEvents(ctx context.Context) (map[int64][]model.CaseEvent, error) {
	c.logs++
	return c.Store.OpenCaseEvents(ctx)
}

// TestOpenWorkReusedUntilDataChanges: dashboards built with an OpenWork
// equal freshly built ones at every instant, read the open work once while
// the data stands still, and again after an ingest adds an event.
func TestOpenWorkReusedUntilDataChanges(t *testing.T) {
	ctx := context.Background()
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	st := storetest.Open(t, storetest.SQLitePath(t))
	cfg := demo.Config{Days: 5, AlertsPerDay: 500, End: end}.WithDefaults()
	demotest.Records(t, st, cfg, nil)
	cs := &countingStore{Store: st}
	var w metrics.OpenWork
	same := func(at time.Time) {
		t.Helper()
		got, err := w.Dashboard(ctx, cs, at)
		if err != nil {
			t.Fatal(err)
		}
		want, err := metrics.BuildDashboard(ctx, st, at)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := json.Marshal(got)
		x, _ := json.Marshal(want)
		if string(g) != string(x) {
			t.Fatalf("at %v the kept open work gives another dashboard:\n got %s\nwant %s", at, g, x)
		}
	}
	same(end)
	same(end.Add(3 * time.Hour)) // later: ages and SLA clocks move on
	same(end.Add(-time.Hour))
	if cs.cases != 1 || cs.logs != 1 {
		t.Fatalf("open work read %d/%d times for three dashboards of unchanged data, want once", cs.cases, cs.logs)
	}
	d, _ := w.Dashboard(ctx, cs, end)
	if d.Open == 0 {
		t.Fatal("the demo left no open cases to judge")
	}
	// A new case arrives: read again.
	if _, err := st.Apply(ctx, &store.Batch{Cases: []model.Case{{Source: "test", ExternalID: "NEW-1", Title: "new",
		Priority: model.P1, Stage: model.StageNew, CreatedAt: end.Add(-time.Minute)}}}); err != nil {
		t.Fatal(err)
	}
	same(end)
	if cs.cases != 2 || cs.logs != 2 {
		t.Fatalf("open work read %d/%d times after an ingest, want twice", cs.cases, cs.logs)
	}
	if d2, _ := w.Dashboard(ctx, cs, end); d2.Open != d.Open+1 {
		t.Fatalf("open cases %d after adding one to %d", d2.Open, d.Open)
	}
}
