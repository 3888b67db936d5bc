package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// TestLateStageBeforeStatus: the same three events, applied in order for
// case O1 and with the middle one late for case O2, must leave both cases
// alike:
//
//	10:10 stage investigating
//	11:00 stage resolved
//	12:00 status "Active" (maps to investigating: a reopen of a resolved case)
//
// In order, the store derives a stage event investigating at 12:00 from the
// status, because the case is resolved then. When "resolved" arrives after
// the status, the status was already stored without a derived stage (the
// case was investigating at 12:00 as far as the log knew), and nothing
// re-derives it: O2 stays resolved, its reopen lost (store/apply.go,
// deriveStages derives only for the status events of the batch at hand).
// Expected for both: MTTR 3600 s (created 10:00, resolved 11:00), then
// reopened and open now, so MTTR_LAST is open and neither case is done.
func TestLateStageBeforeStatus(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		mk := func(ext string) *script {
			return newScript("fx", ext, model.P3, "", "2026-03-02T10:00:00Z", "").
				on("2026-03-02T10:10:00Z", model.EventStage, "investigating").
				on("2026-03-02T11:00:00Z", model.EventStage, "resolved").
				on("2026-03-02T12:00:00Z", model.EventStatus, "Active")
		}
		o1, o2 := mk("O1"), mk("O2")
		mustApply(t, st, &store.Batch{Cases: []model.Case{o1.c, o2.c}, Events: o1.evs})
		mustApply(t, st, &store.Batch{Events: []model.CaseEvent{o2.evs[0], o2.evs[2]}})
		mustApply(t, st, &store.Batch{Events: []model.CaseEvent{o2.evs[1]}})

		for _, ext := range []string{"O1", "O2"} {
			c, err := st.CaseByExternalID(context.Background(), "fx", ext)
			if err != nil {
				t.Fatal(err)
			}
			if c.Stage != model.StageInvestigating || c.Status != "Active" {
				t.Errorf("case %s: stage %q status %q, want investigating (reopened by the status at 12:00), Active", ext, c.Stage, c.Status)
			}
		}
		g := perf(t, st, metrics.Request{Window: window("2026-03-02", "2026-03-02", time.UTC)}).Groups[0]
		checkKPI(t, "O1+O2", kpiOf(t, g, metrics.MTTR), want{count: 2, mean: 3600, median: 3600, p90: 3600})
		checkKPI(t, "O1+O2", kpiOf(t, g, metrics.MTTRLast), want{open: 2})
		if g.Done != 0 {
			t.Errorf("done %d, want 0 (both reopened)", g.Done)
		}
	})
}
