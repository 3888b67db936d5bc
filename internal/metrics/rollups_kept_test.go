package metrics_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// scanStore builds every alert day from the alert rows, never from the
// rollups kept at ingest or from stored day parts: the oracle.
type scanStore struct{ *store.Store }

func (s scanStore) AlertRollups(ctx context.Context, day int64) ([]store.AlertRollup, error) {
	return s.ScanAlertRollups(ctx, day)
}

func (s scanStore) RollupPart(ctx context.Context, kind string, day int64, part string) (int64, string, bool, error) {
	if kind == store.RollupAlerts {
		return 0, "", false, nil
	}
	return s.Store.RollupPart(ctx, kind, day, part)
}

func (s scanStore) SaveRollupParts(ctx context.Context, kind string, day, version int64, parts map[string]string) error {
	if kind == store.RollupAlerts {
		return nil
	}
	return s.Store.SaveRollupParts(ctx, kind, day, version, parts)
}

func (s scanStore) SaveRollupSpan(ctx context.Context, kind string, first, last int64, part string, version int64, data string) error {
	if kind == store.RollupAlerts {
		return nil
	}
	return s.Store.SaveRollupSpan(ctx, kind, first, last, part, version, data)
}

// TestKeptRollupsReportLikeTheRows: on a demo SOC (ingested twice, the
// second time changing nothing), the rule report and the technique sets
// built from the rollups kept at ingest equal, field for field, the ones
// built from the alert rows, for windows of one, seven and twelve days.
func TestKeptRollupsReportLikeTheRows(t *testing.T) {
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cfg := demo.Config{Days: 12, AlertsPerDay: 1200, End: end}.WithDefaults()
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ctx := context.Background()
		ingestDemoTwice(t, st, cfg)
		kept, scan := &metrics.Engine{Store: st}, &metrics.Engine{Store: scanStore{st}}
		same := func(what string, a, b any) {
			t.Helper()
			sameJSON(t, what+": kept rollups and rows differ", a, b)
		}
		for _, days := range []int{1, 7, 12} {
			w := metrics.WindowEnding(end.Add(-time.Hour), days, time.UTC)
			rk, err := kept.Rules(ctx, w)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := scan.Rules(ctx, w)
			if err != nil {
				t.Fatal(err)
			}
			if rk.Alerts == 0 || len(rk.Rules) < 5 {
				t.Fatalf("%d days: %d alerts in %d rules: the demo should fill the window", days, rk.Alerts, len(rk.Rules))
			}
			same("rules", rk, rs)
			tk, nk, err := kept.TechniqueSets(ctx, w)
			if err != nil {
				t.Fatal(err)
			}
			ts, ns, err := scan.TechniqueSets(ctx, w)
			if err != nil {
				t.Fatal(err)
			}
			same("technique sets", tk, ts)
			if nk != ns || nk != rk.Alerts {
				t.Errorf("%d days: technique view counts %d / %d alerts, rule report %d", days, nk, ns, rk.Alerts)
			}
		}
	})
}

// ingestDemoTwice stores the demo SOC of cfg, then ingests it again, which
// changes nothing.
func ingestDemoTwice(t *testing.T, st *store.Store, cfg demo.Config) {
	t.Helper()
	for range 2 {
		demotest.Records(t, st, cfg, nil)
	}
}

// sameJSON fails the test when a and b encode to different JSON.
func sameJSON(t *testing.T, what string, a, b any) {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(ja) != string(jb) {
		t.Errorf("%s:\n%s\n%s", what, ja, jb)
	}
}
