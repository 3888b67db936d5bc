package metrics_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// TestRollupsAgreeWithRawSQL stores a demo SOC and checks the engine's MTTR
// per priority against one plain SQL query over the raw case rows, and the
// dashboard's queue and inflow against raw counts.
func TestRollupsAgreeWithRawSQL(t *testing.T) {
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cfg := demo.Config{Days: 20, AlertsPerDay: 1500, End: end}.WithDefaults()
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ctx := context.Background()
		demotest.Records(t, st, cfg, nil)
		w := metrics.Window{From: end.AddDate(0, 0, -20), To: end}
		rep, err := (&metrics.Engine{Store: st}).Performance(ctx, metrics.Request{Window: w, GroupBy: metrics.ByPriority})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := st.RawMTTR(ctx, w.From, w.To)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, g := range rep.Groups {
			p, _ := model.ParsePriority(g.Group)
			var mttr metrics.Summary
			for _, s := range g.KPIs {
				if s.KPI == metrics.MTTR {
					mttr = s
				}
			}
			r := raw[p]
			if mttr.Count != r.Count {
				t.Errorf("%s: MTTR count %d, raw SQL %d", g.Group, mttr.Count, r.Count)
			}
			if r.Count > 0 && math.Abs(val(mttr.Mean)-r.Mean) > 1e-3 {
				t.Errorf("%s: MTTR mean %.3f s, raw SQL %.3f s", g.Group, val(mttr.Mean), r.Mean)
			}
			if r.Count > 0 && math.Abs(val(mttr.Median)-r.Median) > metrics.Accuracy*r.Median {
				t.Errorf("%s: MTTR median %.1f s, raw SQL %.1f s (beyond %.0f %%)", g.Group, val(mttr.Median), r.Median, metrics.Accuracy*100)
			}
			if r.Count > 0 {
				seen++
			}
		}
		if seen < 4 || len(raw) != seen {
			t.Fatalf("compared %d priorities, raw SQL has %d", seen, len(raw))
		}

		d, err := metrics.BuildDashboard(ctx, st, end)
		if err != nil {
			t.Fatal(err)
		}
		queue, inflow, err := st.RawQueue(ctx, end)
		if err != nil {
			t.Fatal(err)
		}
		total := int64(0)
		for _, c := range d.Queue {
			if n := queue[[2]string{c.Priority, c.Stage}]; int64(c.Count) != n {
				t.Errorf("queue %s/%s: %d, raw SQL %d", c.Priority, c.Stage, c.Count, n)
			}
			total += int64(c.Count)
		}
		var rawTotal int64
		for _, n := range queue {
			rawTotal += n
		}
		if total != rawTotal || int64(d.Open) != rawTotal || d.Inflow.LastHour != inflow || rawTotal == 0 {
			t.Fatalf("open %d/%d, raw %d; inflow %d, raw %d", total, d.Open, rawTotal, d.Inflow.LastHour, inflow)
		}

		// The dashboard reads only the events that decide SLA clocks; on
		// the demo (comments, runbook runs, alert links in the logs) every
		// open case's clocks are the same as from its whole log.
		logs, err := st.OpenCaseEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		opens, err := st.OpenCases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pols, err := st.Policies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ev := sla.Evaluator{Policies: pols}
		skipped := 0
		for _, c := range opens {
			full, err := st.CaseEvents(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			skipped += len(full) - len(logs[c.ID])
			if got, want := ev.Evaluate(c.CreatedAt, logs[c.ID], end), ev.Evaluate(c.CreatedAt, full, end); got != want {
				t.Fatalf("case %d: clocks from the reduced log %+v, from the whole log %+v", c.ID, got, want)
			}
		}
		if len(opens) == 0 || skipped == 0 {
			t.Fatalf("%d open cases, %d events left out: the check did not bite", len(opens), skipped)
		}
	})
}
