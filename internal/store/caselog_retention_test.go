package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// caseLogFixture stores five cases around a case-log retention bound of
// 2026-03-03: "old" closed in January with a full log (a comment, a
// priority change, a runbook run), "incident" closed in January but in a
// major incident still open, "open" never closed, "late" closed in January
// with a comment in April, and "recent" closed in May.
func caseLogFixture(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	day := func(d, h, m int) time.Time { return time.Date(2026, 1, d, h, m, 0, 0, time.UTC) }
	c := func(id string, at time.Time) model.Case {
		return model.Case{Source: "soar", ExternalID: id, Title: "Case " + id, Priority: model.P3, Status: "new", CreatedAt: at, UpdatedAt: at}
	}
	ev := func(id string, at time.Time, actor string, kind model.EventKind, old, new string) model.CaseEvent {
		return model.CaseEvent{CaseSource: "soar", CaseExternalID: id, At: at, Actor: actor, Source: "soar", Kind: kind, Old: old, New: new}
	}
	b := &store.Batch{
		SLA: []model.SLAPolicy{{Name: "default", Version: 1, EffectiveFrom: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			Targets: map[model.Priority]model.SLATarget{model.P2: {Acknowledge: 30 * time.Minute, Resolve: 4 * time.Hour},
				model.P3: {Acknowledge: time.Hour, Resolve: 8 * time.Hour}}}},
		Cases: []model.Case{c("old", day(10, 9, 0)), c("incident", day(11, 9, 0)), c("open", day(12, 9, 0)), c("late", day(13, 9, 0)),
			c("recent", time.Date(2026, 5, 20, 9, 0, 0, 0, time.UTC))},
		Events: []model.CaseEvent{
			ev("old", day(10, 9, 10), "ana", model.EventAssignee, "", "ana"),
			ev("old", day(10, 9, 10), "ana", model.EventStage, "new", "triage"),
			ev("old", day(10, 9, 30), "ana", model.EventComment, "", "checked the host"),
			ev("old", day(10, 9, 40), "ana", model.EventPriority, "P3", "P2"),
			ev("old", day(10, 9, 50), "ana", model.EventRunbook, "", `{"runbook":"phishing","run":"r1"}`),
			ev("old", day(10, 10, 0), "ana", model.EventStage, "triage", "resolved"),
			ev("old", day(10, 10, 5), "ana", model.EventStage, "resolved", "closed"),
			ev("incident", day(11, 9, 30), "bob", model.EventComment, "", "part of the outage"),
			ev("incident", day(11, 10, 0), "bob", model.EventStage, "new", "closed"),
			ev("late", day(13, 10, 0), "bob", model.EventStage, "new", "closed"),
			ev("late", time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), "bob", model.EventComment, "", "asked for by audit"),
			ev("recent", time.Date(2026, 5, 20, 11, 0, 0, 0, time.UTC), "bob", model.EventStage, "new", "closed"),
		},
	}
	if _, err := st.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RefreshFacts(ctx); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, id := range []string{"old", "incident", "open", "late", "recent"} {
		cs, err := st.CaseByExternalID(ctx, "soar", id)
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = cs.ID
	}
	at := time.Date(2026, 1, 11, 9, 5, 0, 0, time.UTC)
	if _, err := st.CreateIncident(ctx, store.Incident{Title: "Outage", Severity: "sev1", Status: "active", DeclaredAt: at, UpdatedAt: at,
		CaseIDs: []int64{ids["incident"]}}, []store.CrisisEvent{{At: at, RecordedAt: at, Actor: "ic", Source: "test", Kind: "declared", Data: "{}"}}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// caseLogReads is everything a report reads from case logs: a day's
// facts and handle times, the staffing model's arrivals and handle times,
// and a case's SLA clocks.
func caseLogReads(t *testing.T, st *store.Store, id int64) string {
	t.Helper()
	ctx := context.Background()
	var facts []kpi.Facts
	if err := st.DayFacts(ctx, 20260110, func(f *kpi.Facts) { facts = append(facts, *f) }); err != nil {
		t.Fatal(err)
	}
	hts, err := st.DayHandleTimes(ctx, 20260110, nil, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	jan, feb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	arrivals, err := st.WorkloadCaseArrivals(ctx, jan, feb)
	if err != nil {
		t.Fatal(err)
	}
	wht, err := st.WorkloadHandleTimes(ctx, jan, feb, nil, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CaseByExternalID(ctx, "soar", "old")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.CaseEvents(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	pols, err := st.Policies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clocks, _, err := st.CaseClocks(ctx, &c, evs, sla.Evaluator{Policies: pols}, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{"facts": facts, "handle": hts, "arrivals": arrivals, "workload_handle": wht, "clocks": clocks})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPruneCaseLogs prunes the log of the one case closed before the
// bound that is in no open major incident, with no event since, and
// checks that everything reports read from logs answers as before.
func TestPruneCaseLogs(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		ids := caseLogFixture(t, st)
		before := caseLogReads(t, st, ids["old"])
		evs, _ := st.CaseEvents(ctx, ids["old"])
		// created, priority P3 and status new from the snapshot, then the 7 events.
		if len(evs) != 10 {
			t.Fatalf("old case: %d events before pruning, want 10", len(evs))
		}
		bound := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
		now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		p := store.CaseLogPrune{Before: bound, Policy: "90d", Now: now}
		want := store.CaseLogsPruned{Before: bound, Cases: 1, Events: 9, Comments: 1, RunbookEvents: 1, InIncidents: 1}
		dry, err := st.PruneCaseLogs(ctx, p, true)
		if err != nil || dry != want {
			t.Fatalf("dry run %+v (%v), want %+v", dry, err, want)
		}
		if evs, _ := st.CaseEvents(ctx, ids["old"]); len(evs) != 10 {
			t.Fatalf("the dry run removed events: %d left", len(evs))
		}
		if got, err := st.PruneCaseLogs(ctx, p, false); err != nil || got != want {
			t.Fatalf("run %+v (%v), want %+v", got, err, want)
		}
		for name, n := range map[string]int{"old": 1, "incident": 5, "open": 3, "late": 5, "recent": 4} {
			if evs, _ := st.CaseEvents(ctx, ids[name]); len(evs) != n {
				t.Errorf("%s: %d events left, want %d", name, len(evs), n)
			}
		}
		if evs, _ := st.CaseEvents(ctx, ids["old"]); len(evs) != 1 || evs[0].Kind != model.EventRunbook {
			t.Errorf("old case keeps %+v, want its runbook run", evs)
		}
		if after := caseLogReads(t, st, ids["old"]); after != before {
			t.Errorf("reads from case logs changed by pruning:\nbefore %s\nafter  %s", before, after)
		}
		hts, _ := st.DayHandleTimes(ctx, 20260110, nil, 30*time.Minute)
		if hts[ids["old"]] != 50*time.Minute {
			t.Errorf("handle time %v, want 50m (acknowledged 09:10, resolved 10:00, one session)", hts[ids["old"]])
		}
		// Asked with another session gap, a pruned case answers with the
		// handle time kept with its facts: what is left of its log (a
		// runbook run) would measure none.
		if hts, _ := st.DayHandleTimes(ctx, 20260110, nil, 10*time.Minute); len(hts) != 1 || hts[ids["old"]] != 50*time.Minute {
			t.Errorf("handle times with a 10m gap %v, want the kept 50m", hts)
		}
		// A repair of the kept handle times leaves the pruned case's.
		if _, err := st.RebuildHandleTimes(ctx); err != nil {
			t.Fatal(err)
		}
		if after := caseLogReads(t, st, ids["old"]); after != before {
			t.Errorf("rollups rebuild changed a pruned case:\nbefore %s\nafter  %s", before, after)
		}
		pr, err := st.CaseLogPruned(ctx, ids["old"])
		if err != nil || pr == nil {
			t.Fatalf("pruning record %v %v", pr, err)
		}
		if pr.Clocks.Acknowledge.Status != sla.StatusMet || pr.Clocks.Resolve.Status != sla.StatusMet {
			t.Errorf("kept clocks %s / %s, want met / met", pr.Clocks.Acknowledge.Status, pr.Clocks.Resolve.Status)
		}
		const note = "Case log pruned on 2026-06-01 under the case-log retention policy (90d: logs of cases closed before 2026-03-03): 9 events removed, 1 of them comments; runbook executions, the case record and its KPIs are kept."
		if got := pr.Note(); got != note {
			t.Errorf("note %q\nwant %q", got, note)
		}
		if pr, _ := st.CaseLogPruned(ctx, ids["late"]); pr != nil {
			t.Errorf("late case pruned: %+v", pr)
		}
		if w, err := st.RetentionWatermarks(ctx); err != nil || !w.CaseLogs.Equal(bound) || !w.Alerts.IsZero() {
			t.Errorf("watermarks %+v %v", w, err)
		}
		if err := st.Check(ctx); err != nil {
			t.Errorf("check after pruning: %v", err)
		}
		if again, err := st.PruneCaseLogs(ctx, p, false); err != nil || again.Cases != 0 || again.InIncidents != 1 {
			t.Errorf("second run %+v %v", again, err)
		}
		// A report over January says nothing: every day recomputes.
		svc := metrics.NewService(st, func() time.Time { return now })
		q := metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{From: "2026-01-01", To: "2026-01-31"}}
		rep, err := svc.Performance(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Warnings) != 0 {
			t.Errorf("warnings before any change: %q", rep.Warnings)
		}

		// A comment on the pruned case: its facts cannot be recomputed,
		// stay as they were, and the report over its day says so.
		factsBefore := caseLogReads(t, st, ids["old"])
		if _, err := st.Apply(ctx, &store.Batch{Events: []model.CaseEvent{{CaseSource: "soar", CaseExternalID: "old",
			At: time.Date(2026, 5, 30, 9, 0, 0, 0, time.UTC), Actor: "audit", Source: "soar", Kind: model.EventComment, New: "reviewed"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RefreshFacts(ctx); err != nil {
			t.Fatal(err)
		}
		if got := caseLogReads(t, st, ids["old"]); got != factsBefore {
			t.Errorf("a pruned case's facts changed:\nbefore %s\nafter  %s", factsBefore, got)
		}
		days, err := st.PrunedCaseDays(ctx, 20260101, 20260131)
		if wantDays := []store.PrunedCaseDay{{Day: 20260110, Cases: 1, PrunedAt: now, Policy: "90d"}}; err != nil || !reflect.DeepEqual(days, wantDays) {
			t.Errorf("changed pruned days %+v (%v), want %+v", days, err, wantDays)
		}
		rep, err = svc.Performance(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		const warn = "not recomputed: 1 case changed (new events, or a change to the SLA policies) after retention pruned their logs (case-log retention 90d, last pruned 2026-06-01), so their KPIs stay as they were at pruning, on 2026-01-10 (1 case)"
		if len(rep.Warnings) != 1 || rep.Warnings[0] != warn {
			t.Errorf("warnings %q\nwant [%q]", rep.Warnings, warn)
		}
		if feb, err := svc.Performance(ctx, metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{From: "2026-02-01", To: "2026-02-28"}}); err != nil || len(feb.Warnings) != 0 {
			t.Errorf("a window without the day warns: %q %v", feb.Warnings, err)
		}
		if pr, _ := st.CaseLogPruned(ctx, ids["old"]); pr == nil || pr.ChangedAt.IsZero() {
			t.Errorf("the change is not recorded: %+v", pr)
		}
		c, _ := st.CaseByExternalID(ctx, "soar", "old")
		if c.Stage != model.StageClosed || !c.LastEventAt.Equal(time.Date(2026, 5, 30, 9, 0, 0, 0, time.UTC)) {
			t.Errorf("projection after a new event: stage %s, last event %s", c.Stage, c.LastEventAt)
		}
		if err := st.Check(ctx); err != nil {
			t.Errorf("check after a change: %v", err)
		}
		d, err := st.Diagnose(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		const line = "pruned case logs before 2026-03-03T00:00:00Z; 1 cases without their log, 1 of them changed since (their KPIs stay as at pruning, and reports over their days say so)"
		if !slices.Contains(d.Checks, store.Check{Name: "retention", State: store.CheckOK, Detail: line}) {
			t.Errorf("doctor %+v\nwant retention: %s", d.Checks, line)
		}
	})
}
