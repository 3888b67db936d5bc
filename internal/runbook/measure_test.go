package runbook_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// TestMeasureReadsOnlyNeededFacts checks that Measure, which reads the
// facts of the rules cases with runs have and counts the other cases per
// rule in SQL, builds the same report as Build over every case's facts,
// on a demo SOC with runbook runs, on both engines, over windows with and
// without runs.
func TestMeasureReadsOnlyNeededFacts(t *testing.T) {
	end := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	cfg := demo.Config{End: end, Days: 21, AlertsPerDay: 400}.WithDefaults()
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		// A third of the cases are drills, which the KPIs leave out: the
		// per-rule case counts must leave them out too.
		drills := 0
		drill := func(ext string) bool { return strings.ContainsAny(ext[len(ext)-1:], "147") }
		demotest.Ingest(t, st, cfg, func(r *record.Record) {
			switch {
			case r.Case != nil && drill(r.Case.ExternalID):
				r.Case.Disposition = model.DispositionTest
				drills++
			case r.Event != nil && r.Event.Kind == model.EventDisposition && r.Event.CaseExternalID != "" && drill(r.Event.CaseExternalID):
				r.Event.New = string(model.DispositionTest)
			}
		})
		if drills == 0 {
			t.Fatal("no drills: the per-rule counts' exclusion is not tested")
		}
		for _, w := range []struct {
			name     string
			from, to time.Time
			runs     bool
			// rich: the window must have compared runbooks and coverage
			// gaps, or the test would not see a difference.
			rich bool
		}{
			{"the demo's last 14 days", end.AddDate(0, 0, -14), end, true, true},
			{"one day", end.AddDate(0, 0, -3), end.AddDate(0, 0, -2), true, false},
			{"before the demo", end.AddDate(0, 0, -60), end.AddDate(0, 0, -40), false, false},
		} {
			got, err := runbook.Measure(ctx, st, w.name, w.from, w.to, end, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := measureAllFacts(t, st, w.name, w.from, w.to, end)
			if (got.Runs > 0) != w.runs {
				t.Fatalf("%s: %d runs", w.name, got.Runs)
			}
			if w.rich {
				compared, gaps := 0, 0
				for _, s := range got.Runbooks {
					if s.Comparison != nil && s.Comparison.Strata > 0 {
						compared++
					}
				}
				for _, g := range got.RulesWithout {
					gaps += g.Cases
				}
				if compared == 0 || gaps == 0 {
					t.Fatalf("%s: %d runbooks compared, %d cases in coverage gaps: the test would not see a difference", w.name, compared, gaps)
				}
			}
			g, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if string(g) != string(wj) {
				t.Errorf("%s: Measure differs from Build over every fact:\n got %s\nwant %s", w.name, g, wj)
			}
		}
	})
}

// measureAllFacts is the report Measure built before it read only the
// needed facts: Build over every fact of the window, its per-rule case
// counts counted from them.
func measureAllFacts(t *testing.T, st *store.Store, window string, from, to, asOf time.Time) *runbook.Report {
	t.Helper()
	ctx := context.Background()
	reg, execs, bad, err := runbook.Executions(ctx, st, from, to)
	if err != nil {
		t.Fatal(err)
	}
	in := runbook.Input{Registry: reg, Executions: execs, Unreadable: len(bad), Window: window, From: from, To: to, AsOf: asOf,
		LastRuns: map[string]time.Time{}}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		y, m, dd := d.Date()
		if err := st.DayFacts(ctx, int64(y*10000+int(m)*100+dd), func(f *kpi.Facts) { in.Facts = append(in.Facts, *f) }); err != nil {
			t.Fatal(err)
		}
	}
	if in.Rules, err = st.RuleInfos(ctx); err != nil {
		t.Fatal(err)
	}
	last, err := st.RunbookLastRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, at := range last {
		id := name
		if e := reg.Lookup(name); e != nil {
			id = e.ID
		}
		if at.After(in.LastRuns[id]) {
			in.LastRuns[id] = at
		}
	}
	return runbook.Build(in)
}
