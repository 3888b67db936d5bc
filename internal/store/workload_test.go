package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing/handle"
	"github.com/watchfloor/watchfloor/internal/store"
)

// workloadBatch is a small hand-built SOC morning (Monday 2 March 2026,
// UTC): five alerts from two rules, four cases with logs, a roster and an
// SLA policy.
func workloadBatch() *store.Batch {
	ev := func(c, id, at string, kind model.EventKind, val, actor string) model.CaseEvent {
		return model.CaseEvent{CaseSource: "soar", CaseExternalID: c, ExternalID: id, At: ts(at), Source: "soar", Kind: kind, New: val, Actor: actor}
	}
	newCase := func(id, at string, p model.Priority) model.Case {
		return model.Case{Source: "soar", ExternalID: id, Title: "case " + id, Priority: p, Stage: model.StageNew,
			CreatedAt: ts(at), UpdatedAt: ts(at)}
	}
	return &store.Batch{
		Teams:  []model.Team{{Name: "Tier 1", Lead: "alice"}},
		Shifts: []model.Shift{{Name: "Day", Start: "06:00", Duration: 8 * time.Hour, Days: []time.Weekday{time.Monday, time.Tuesday}, TimeZone: "Europe/Paris"}},
		Analysts: []model.Analyst{
			{ExternalID: "bob", Name: "Bob", Tier: model.TierL2, Shift: "Day", Team: "Tier 1", Active: true, HourlyCost: 70,
				Skills: []model.Skill{{Name: "malware analysis", Level: 4}}, Certifications: []string{"GIAC GREM"}},
			{ExternalID: "alice", Name: "Alice", Tier: model.TierL1, Shift: "Day", Team: "Tier 1", Active: true, HourlyCost: 50.5,
				Skills: []model.Skill{{Name: "alert triage", Level: 3}}},
		},
		SLA: []model.SLAPolicy{{Name: "std", Version: 1, EffectiveFrom: ts("2026-01-01T00:00:00Z"),
			Targets:       map[model.Priority]model.SLATarget{model.P1: {Acknowledge: 15 * time.Minute, Resolve: 4 * time.Hour}},
			PauseStatuses: []string{"Awaiting User Info"}}},
		Alerts: []model.Alert{
			{Source: "siem", ExternalID: "a1", Title: "x", Severity: model.SeverityHigh, RuleID: "R1", RuleName: "Rule one",
				CreatedAt: ts("2026-03-02T09:05:00Z"), Disposition: model.DispositionFalsePositive, Status: "closed"},
			{Source: "siem", ExternalID: "a2", Title: "x", Severity: model.SeverityHigh, RuleID: "R1", RuleName: "Rule one",
				CreatedAt: ts("2026-03-02T09:10:00Z"), Disposition: model.DispositionTruePositive, Status: "closed", CaseExternalID: "C1"},
			{Source: "siem", ExternalID: "a3", Title: "x", Severity: model.SeverityCritical, RuleID: "R2", RuleName: "Rule two",
				CreatedAt: ts("2026-03-02T09:20:00Z")},
			{Source: "siem", ExternalID: "a4", Title: "x", Severity: model.SeverityLow, RuleID: "R1", RuleName: "Rule one",
				CreatedAt: ts("2026-03-02T10:00:00Z"), Disposition: model.DispositionBenignPositive, Status: "closed"},
			{Source: "siem", ExternalID: "a5", Title: "x", RuleID: "R2", RuleName: "Rule two", CreatedAt: ts("2026-03-02T10:20:00Z"),
				Disposition: model.DispositionDuplicate, Status: "closed"},
			// Outside the window.
			{Source: "siem", ExternalID: "a0", Title: "x", Severity: model.SeverityHigh, RuleID: "R1", CreatedAt: ts("2026-03-01T23:59:59Z")},
		},
		Cases: []model.Case{
			newCase("C1", "2026-03-02T09:30:00Z", model.P2),
			newCase("C2", "2026-03-02T10:10:00Z", model.P3),
			newCase("C3", "2026-03-02T10:50:00Z", model.P4),
			newCase("C4", "2026-03-02T11:20:00Z", model.P3),
		},
		Events: []model.CaseEvent{
			// C1: assigned 09:40, paused 11:00–13:00, raised to P1, handed
			// to bob 14:00, resolved 15:00: 5h20m elapsed, 2h paused.
			// Work sessions (events by people at most 30 min apart):
			//   09:40, 09:45, 10:00          → 09:40–10:00 = 20m
			//   11:00, 11:20 (paused)        → 11:00–11:20 = 20m, all paused
			//   13:00, 13:30, 14:00          → 13:00–14:00 = 60m
			//   14:58 runbook (started 14:40), 14:59, 15:00
			//                                → 14:40–15:00 = 20m
			// Active: 20 + 60 + 20 = 100m; 120m without pause statuses.
			ev("C1", "1", "2026-03-02T09:40:00Z", model.EventAssignee, "alice", "alice"),
			ev("C1", "2", "2026-03-02T09:45:00Z", model.EventStage, "triage", "alice"),
			ev("C1", "3", "2026-03-02T10:00:00Z", model.EventStage, "investigating", "alice"),
			ev("C1", "4", "2026-03-02T11:00:00Z", model.EventStatus, "awaiting user info", "alice"),
			ev("C1", "12", "2026-03-02T11:20:00Z", model.EventComment, "asked the user", "alice"),
			ev("C1", "5", "2026-03-02T13:00:00Z", model.EventStatus, "In Progress", "alice"),
			ev("C1", "6", "2026-03-02T13:30:00Z", model.EventPriority, "P1", "alice"),
			ev("C1", "7", "2026-03-02T14:00:00Z", model.EventAssignee, "bob", "alice"),
			ev("C1", "13", "2026-03-02T14:58:00Z", model.EventRunbook,
				`{"runbook":"Collect evidence","status":"completed","started_at":"2026-03-02T14:40:00Z","finished_at":"2026-03-02T14:58:00Z"}`, "bob"),
			ev("C1", "11", "2026-03-02T14:59:00Z", model.EventDisposition, "true_positive", "bob"),
			ev("C1", "8", "2026-03-02T15:00:00Z", model.EventStage, "resolved", "bob"),
			// Work after the first resolution does not count.
			ev("C1", "9", "2026-03-02T16:00:00Z", model.EventStage, "investigating", "bob"),
			ev("C1", "10", "2026-03-02T17:00:00Z", model.EventStage, "closed", "bob"),
			// C2: triaged without assignment at 10:20, closed 10:50: one
			// session of two events 30m apart (the gap itself), 30m.
			ev("C2", "1", "2026-03-02T10:20:00Z", model.EventStage, "triage", "carol"),
			ev("C2", "2", "2026-03-02T10:50:00Z", model.EventStage, "closed", "carol"),
			// C3: closed without ever being assigned or triaged: skipped.
			ev("C3", "1", "2026-03-02T11:00:00Z", model.EventStage, "closed", "carol"),
			// C4: assigned, still open; two runbook runs and a malformed one.
			ev("C4", "1", "2026-03-02T11:30:00Z", model.EventAssignee, "alice", "alice"),
			ev("C4", "2", "2026-03-02T11:40:00Z", model.EventRunbook, `{"runbook":"Isolate host","status":"completed"}`, "alice"),
			ev("C4", "3", "2026-03-02T11:45:00Z", model.EventRunbook, `{"runbook":"Isolate host","status":"failed"}`, "alice"),
			ev("C4", "4", "2026-03-02T11:50:00Z", model.EventRunbook, `not json`, "alice"),
		},
	}
}

func TestWorkloadQueries(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		res := apply(t, s, workloadBatch())
		if len(res.Rejects) > 0 {
			t.Fatalf("rejects: %+v", res.Rejects)
		}
		since, until := ts("2026-03-02T00:00:00Z"), ts("2026-03-03T00:00:00Z")

		arr, err := s.WorkloadAlertArrivals(ctx, since, until)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.ArrivalBucket{
			{Start: ts("2026-03-02T09:00:00Z"), Priority: model.P2, Count: 2},
			{Start: ts("2026-03-02T09:15:00Z"), Priority: model.P1, Count: 1},
			{Start: ts("2026-03-02T10:00:00Z"), Priority: model.P4, Count: 1},
			{Start: ts("2026-03-02T10:15:00Z"), Priority: model.PriorityUnknown, Count: 1},
		}
		if !reflect.DeepEqual(arr, want) {
			t.Errorf("alert arrivals\n got %+v\nwant %+v", arr, want)
		}

		carr, err := s.WorkloadCaseArrivals(ctx, since, until)
		if err != nil {
			t.Fatal(err)
		}
		// C1 counts as P2, its priority at creation, though it is P1 now.
		want = []store.ArrivalBucket{
			{Start: ts("2026-03-02T09:30:00Z"), Priority: model.P2, Count: 1},
			{Start: ts("2026-03-02T10:00:00Z"), Priority: model.P3, Count: 1},
			{Start: ts("2026-03-02T10:45:00Z"), Priority: model.P4, Count: 1},
			{Start: ts("2026-03-02T11:15:00Z"), Priority: model.P3, Count: 1},
		}
		if !reflect.DeepEqual(carr, want) {
			t.Errorf("case arrivals\n got %+v\nwant %+v", carr, want)
		}

		vols, err := s.WorkloadRuleVolumes(ctx, since, until)
		if err != nil {
			t.Fatal(err)
		}
		wantVols := []store.RuleVolume{
			{RuleID: "R1", RuleName: "Rule one", Priority: model.P2, Alerts: 2, TruePositive: 1, FalsePositive: 1, Escalated: 1},
			{RuleID: "R1", RuleName: "Rule one", Priority: model.P4, Alerts: 1, BenignPositive: 1},
			{RuleID: "R2", RuleName: "Rule two", Priority: model.PriorityUnknown, Alerts: 1, Other: 1},
			{RuleID: "R2", RuleName: "Rule two", Priority: model.P1, Alerts: 1, Undecided: 1},
		}
		if !reflect.DeepEqual(vols, wantVols) {
			t.Errorf("rule volumes\n got %+v\nwant %+v", vols, wantVols)
		}

		const gap = 30 * time.Minute
		// Measured with the policy's pause statuses and the default gap:
		// the kept handle times answer; the replay of the logs, with the
		// work segments, is the oracle.
		if _, err := s.RefreshFacts(ctx); err != nil {
			t.Fatal(err)
		}
		if kept, err := store.KeptHandleTimes(ctx, s); err != nil || len(kept) != 4 || kept[1].Time.Active != 100*time.Minute {
			t.Fatalf("kept handle times %+v, %v; want the four cases', C1 100m", kept, err)
		}
		// With the facts computed, the arrivals kept with them answer.
		if carr, err = s.WorkloadCaseArrivals(ctx, since, until); err != nil || !reflect.DeepEqual(carr, want) {
			t.Errorf("kept case arrivals\n got %+v, %v\nwant %+v", carr, err, want)
		}
		hts := handleTimes(t, s, since, until, []string{"Awaiting User Info"}, gap)
		if len(hts) != 2 {
			t.Fatalf("handle times for %d cases, want C1 and C2: %+v", len(hts), hts)
		}
		c1, c2 := hts[0], hts[1]
		checkFields(t, "C1 handle time",
			field{"created", c1.Created, ts("2026-03-02T09:30:00Z")},
			field{"arrival priority", c1.ArrivalPriority, model.P2},
			field{"priority at resolution", c1.Priority, model.P1},
			field{"start", c1.Start, ts("2026-03-02T09:40:00Z")},
			field{"end", c1.End, ts("2026-03-02T15:00:00Z")},
			field{"active", c1.Active, 100 * time.Minute},
			field{"paused", c1.Paused, 2 * time.Hour})
		wantSegs := []handle.Segment{
			{From: ts("2026-03-02T09:40:00Z"), To: ts("2026-03-02T10:00:00Z")},
			{From: ts("2026-03-02T13:00:00Z"), To: ts("2026-03-02T14:00:00Z")},
			{From: ts("2026-03-02T14:40:00Z"), To: ts("2026-03-02T15:00:00Z")},
		}
		full, err := store.WorkloadHandleTimesReplay(ctx, s, since, until, []string{"Awaiting User Info"}, gap)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(full[0].Segments, wantSegs) {
			t.Errorf("C1 segments\n got %+v\nwant %+v", full[0].Segments, wantSegs)
		}
		checkFields(t, "C2 handle time",
			field{"created", c2.Created, ts("2026-03-02T10:10:00Z")},
			field{"arrival priority", c2.ArrivalPriority, model.P3},
			field{"priority at resolution", c2.Priority, model.P3},
			field{"active", c2.Active, 30 * time.Minute},
			field{"paused", c2.Paused, time.Duration(0)},
			field{"segments", full[1].Segments, []handle.Segment{{From: ts("2026-03-02T10:20:00Z"), To: ts("2026-03-02T10:50:00Z")}}})
		// Without pause statuses the 11:00–11:20 session counts: 120m.
		// Other pause statuses or another gap than the kept ones: replayed.
		hts = handleTimes(t, s, since, until, nil, gap)
		if hts[0].Active != 120*time.Minute {
			t.Errorf("C1 active without pauses %v", hts[0].Active)
		}
		// With a 10-minute gap C1's sessions split: 09:40–09:45 (5m),
		// 10:00 alone (0), 11:00, 11:20 and 13:00 alone (0 each; 11:00 is
		// paused anyway), 13:30 and 14:00 alone (0), 14:58–15:00 extended
		// to the runbook's start 14:40 (20m): 25m. C2's two events are
		// 30m apart: two single-event sessions, 0 — so C2 is still listed
		// with no active time.
		hts = handleTimes(t, s, since, until, []string{"Awaiting User Info"}, 10*time.Minute)
		if len(hts) != 2 {
			t.Fatalf("10-minute gap: %d handle times; want C1 and C2", len(hts))
		}
		checkFields(t, "10-minute gap", field{"C1 active", hts[0].Active, 25 * time.Minute}, field{"C2 active", hts[1].Active, time.Duration(0)})
		// A window that ends before C1's resolution leaves only C2.
		hts = handleTimes(t, s, since, ts("2026-03-02T14:00:00Z"), nil, gap)
		if len(hts) != 1 {
			t.Fatalf("early window: %d handle times; want C2 only", len(hts))
		}
		checkFields(t, "early window", field{"case", hts[0].CaseID, c2.CaseID}, field{"active", hts[0].Active, 30 * time.Minute})
		if _, err := s.WorkloadHandleTimes(ctx, since, until, nil, 0); err == nil {
			t.Error("a zero session gap was accepted")
		}

		ro, err := s.WorkloadRoster(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ro.Analysts) != 2 {
			t.Fatalf("%d analysts, want alice and bob", len(ro.Analysts))
		}
		alice, bob := ro.Analysts[0], ro.Analysts[1]
		checkFields(t, "alice", field{"external id", alice.ExternalID, "alice"}, field{"hourly cost", alice.HourlyCost, 50.5},
			field{"skills", alice.Skills, []model.Skill{{Name: "alert triage", Level: 3}}})
		checkFields(t, "bob", field{"tier", bob.Tier, model.TierL2}, field{"active", bob.Active, true},
			field{"skills", bob.Skills, []model.Skill{{Name: "malware analysis", Level: 4}}},
			field{"certifications", bob.Certifications, []string{"GIAC GREM"}})
		if len(ro.Shifts) != 1 {
			t.Fatalf("%d shifts, want Day", len(ro.Shifts))
		}
		checkFields(t, "shift Day", field{"duration", ro.Shifts[0].Duration, 8 * time.Hour},
			field{"time zone", ro.Shifts[0].TimeZone, "Europe/Paris"},
			field{"days", ro.Shifts[0].Days, []time.Weekday{time.Monday, time.Tuesday}})
		checkFields(t, "roster", field{"teams", ro.Teams, []model.Team{{Name: "Tier 1", Lead: "alice"}}})

		pols, err := s.WorkloadSLAPolicies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(pols) != 1 {
			t.Fatalf("%d SLA policies, want std", len(pols))
		}
		checkFields(t, "SLA policy std", field{"P1 acknowledge", pols[0].Targets[model.P1].Acknowledge, 15 * time.Minute},
			field{"pause statuses", pols[0].PauseStatuses, []string{"Awaiting User Info"}},
			field{"effective from", pols[0].EffectiveFrom, ts("2026-01-01T00:00:00Z")})

		cc, err := s.WorkloadCaseCounts(ctx, since, until)
		if err != nil || cc != (store.CaseCounts{Cases: 4, Incidents: 1}) {
			t.Errorf("case counts %+v %v", cc, err)
		}

		rb, err := s.WorkloadRunbooks(ctx, since, until)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rb, map[string]int{"Isolate host": 2, "Collect evidence": 1}) {
			t.Errorf("runbooks %v", rb)
		}

		first, last, err := s.WorkloadSpan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !first.Equal(ts("2026-03-01T23:59:59Z")) || !last.Equal(ts("2026-03-02T11:20:00Z")) {
			t.Errorf("span %v … %v", first, last)
		}
	})
}

// handleTimes returns WorkloadHandleTimes after checking it equals the
// replay of the case logs (without the work segments).
func handleTimes(t *testing.T, s *store.Store, since, until time.Time, pause []string, gap time.Duration) []handle.Time {
	t.Helper()
	ctx := context.Background()
	got, err := s.WorkloadHandleTimes(ctx, since, until, pause, gap)
	if err != nil {
		t.Fatal(err)
	}
	want, err := store.WorkloadHandleTimesReplay(ctx, s, since, until, pause, gap)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i].Segments = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("handle times %s … %s, pause %q, gap %v:\nkept   %+v\nreplay %+v", since, until, pause, gap, got, want)
	}
	checkHandleSummary(t, s, since, until, pause, gap, want)
	return got
}

// summaryTargets are acknowledgement targets a handle-time summary is
// asked with: none, and some that are not whole microseconds or seconds.
var summaryTargets = []map[model.Priority]time.Duration{nil, {
	model.P1: 15 * time.Minute, model.P2: time.Hour + 500*time.Nanosecond, model.P3: 90*time.Second + time.Microsecond,
	model.P4: 0, model.P5: -time.Minute, model.PriorityUnknown: 24 * time.Hour}}

// checkHandleSummary checks that the handle-time summary of a window (kept
// hours, read twice: built, then kept; and the rows alone) is the summary
// of the replayed handle times, counted one by one.
func checkHandleSummary(t *testing.T, s *store.Store, since, until time.Time, pause []string, gap time.Duration, replay []handle.Time) {
	t.Helper()
	ctx := context.Background()
	for _, targets := range summaryTargets {
		want := store.SummariseHandleTimes(replay, targets)
		for _, how := range []string{"kept hours", "kept hours again", "rows"} {
			var got store.HandleSummary
			var err error
			if how == "rows" {
				got, err = store.HandleSummaryRows(ctx, s, since, until, pause, gap, targets)
			} else {
				got, err = s.WorkloadHandleSummary(ctx, since, until, pause, gap, targets)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("handle summary from the %s, %s … %s, pause %q, gap %v, targets %v:\ngot  %+v\nwant %+v",
					how, since, until, pause, gap, targets, got, want)
			}
		}
	}
}
