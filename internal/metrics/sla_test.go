package metrics_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// SLA fixtures. A clock's business time is pinned to the second by judging
// two otherwise identical cases under targets one second apart: elapsed ≤
// target is met, elapsed > target breached, so "met at T, breached at
// T−1s" proves elapsed = T.

const hms = time.Hour

func target(ack, res time.Duration) model.SLATarget {
	return model.SLATarget{Acknowledge: ack, Resolve: res}
}

// slaPolicies: v1 from 2026-01-01, v2 from 2026-03-04 00:00 UTC raising the
// P1 resolve target from 1 h to 2 h. Both pause in "Awaiting User Info"
// and run 24×7. P5 has no target.
func slaPolicies() []model.SLAPolicy {
	v1 := model.SLAPolicy{Name: "std", Version: 1, EffectiveFrom: ts("2026-01-01T00:00:00Z"),
		PauseStatuses: []string{"Awaiting User Info"},
		Targets: map[model.Priority]model.SLATarget{
			model.P1: target(15*time.Minute, 1*hms),
			model.P2: target(30*time.Minute, 2*hms),
			model.P3: target(1*hms, 4*hms),
			model.P4: target(2*hms, 2*hms-time.Second),
		}}
	v2 := v1
	v2.Version, v2.EffectiveFrom = 2, ts("2026-03-04T00:00:00Z")
	v2.Targets = map[model.Priority]model.SLATarget{
		model.P1: target(15*time.Minute, 2*hms),
		model.P2: target(30*time.Minute, 2*hms),
		model.P3: target(1*hms, 4*hms),
		model.P4: target(2*hms, 2*hms-time.Second),
	}
	return []model.SLAPolicy{v1, v2}
}

// slaScripts, UTC. Resolve clock business time, target and outcome:
//
//	S1 P2  10:00 created, triage 10:10, Awaiting User Info 11:00–13:00, resolved 14:00
//	       4 h − 2 h paused = 2 h ≤ 2 h (P2)             met      (MTTR 14400: wall clock)
//	S2 P4  the same timeline: 2 h > 1:59:59 (P4)          breached (MTTR 14400)
//	S3 P3→P1 at 10:30, resolved 11:30 on 03-03 (v1): 1:30 > 1 h (P1 at stop)  breached
//	S4 P1→P3 at 12:30, resolved 13:30 on 03-03: 1:30 ≤ 4 h (P3 at stop)       met
//	S5 P3, resolved and raised to P1 both at 12:30 on 03-04 (v2): the priority
//	       dated at the stop is in force: 2:30 > 2 h (P1)  breached (P3 would meet)
//	S6 P1  open (no events)                               open
//	S7 P5  triage 11:10, resolved 12:00                   no target (MTTR 3600)
//	S8 P2  " awaiting user INFO" 10:30–12:30 (pause status matched case-insensitively
//	       after trimming), resolved 14:00: 4 h − 2 h = 2 h ≤ 2 h    met (MTTR 14400)
//	S9 P1  03-04 14:00, resolved 15:30 (v2): 1:30 ≤ 2 h   met (v1 would breach)
//	S10 P1 created 03-03 23:00 (v1 in force), resolved 03-04 00:30 (v2 in force at
//	       the stop): 1:30 ≤ 2 h                          met
//
// Acknowledge: every triage is 5 or 10 minutes after creation, within every
// target, judged at the priority in force then (S3: P3, S4: P1).
func slaScripts() []*script {
	return []*script{
		newScript("fx", "S1", model.P2, "", "2026-03-02T10:00:00Z", "").
			on("2026-03-02T10:10:00Z", model.EventStage, "triage").
			on("2026-03-02T11:00:00Z", model.EventStatus, "Awaiting User Info").
			on("2026-03-02T13:00:00Z", model.EventStatus, "Active").
			on("2026-03-02T14:00:00Z", model.EventStage, "resolved"),
		newScript("fx", "S2", model.P4, "", "2026-03-02T10:00:00Z", "").
			on("2026-03-02T10:10:00Z", model.EventStage, "triage").
			on("2026-03-02T11:00:00Z", model.EventStatus, "Awaiting User Info").
			on("2026-03-02T13:00:00Z", model.EventStatus, "Active").
			on("2026-03-02T14:00:00Z", model.EventStage, "resolved"),
		newScript("fx", "S3", model.P3, "", "2026-03-03T10:00:00Z", "").
			on("2026-03-03T10:05:00Z", model.EventStage, "triage").
			on("2026-03-03T10:30:00Z", model.EventPriority, "P1").
			on("2026-03-03T11:30:00Z", model.EventStage, "resolved"),
		newScript("fx", "S4", model.P1, "", "2026-03-03T12:00:00Z", "").
			on("2026-03-03T12:05:00Z", model.EventStage, "triage").
			on("2026-03-03T12:30:00Z", model.EventPriority, "P3").
			on("2026-03-03T13:30:00Z", model.EventStage, "resolved"),
		newScript("fx", "S5", model.P3, "", "2026-03-04T10:00:00Z", "").
			on("2026-03-04T10:05:00Z", model.EventStage, "triage").
			on("2026-03-04T12:30:00Z", model.EventStage, "resolved").
			on("2026-03-04T12:30:00Z", model.EventPriority, "P1"),
		newScript("fx", "S6", model.P1, "", "2026-03-05T10:00:00Z", ""),
		newScript("fx", "S7", model.P5, "", "2026-03-05T11:00:00Z", "").
			on("2026-03-05T11:10:00Z", model.EventStage, "triage").
			on("2026-03-05T12:00:00Z", model.EventStage, "resolved"),
		newScript("fx", "S8", model.P2, "", "2026-03-06T10:00:00Z", "").
			on("2026-03-06T10:05:00Z", model.EventStage, "triage").
			on("2026-03-06T10:30:00Z", model.EventStatus, " awaiting user INFO").
			on("2026-03-06T12:30:00Z", model.EventStatus, "Active").
			on("2026-03-06T14:00:00Z", model.EventStage, "resolved"),
		newScript("fx", "S9", model.P1, "", "2026-03-04T14:00:00Z", "").
			on("2026-03-04T14:05:00Z", model.EventStage, "triage").
			on("2026-03-04T15:30:00Z", model.EventStage, "resolved"),
		newScript("fx", "S10", model.P1, "", "2026-03-03T23:00:00Z", "").
			on("2026-03-03T23:05:00Z", model.EventStage, "triage").
			on("2026-03-04T00:30:00Z", model.EventStage, "resolved"),
	}
}

func fmtSLA(r metrics.SLAResult) string {
	return fmt.Sprintf("met %d breached %d (%d in flight) open %d (%d at risk) no target %d adherence %v",
		r.Met, r.Breached, r.BreachedOpen, r.Open, r.AtRisk, r.NoTarget, val(r.Adherence))
}

func checkSLA(t *testing.T, where string, got, want metrics.SLAResult) {
	t.Helper()
	if !sameSLA(got, want) {
		t.Errorf("%s: SLA %s, want %s", where, fmtSLA(got), fmtSLA(want))
	}
}

func checkSLAFixture(t *testing.T, st *store.Store) {
	t.Helper()
	w := window("2026-03-02", "2026-03-08", time.UTC)
	all := perf(t, st, metrics.Request{Window: w}).Groups[0]
	// Resolve: met S1 S4 S8 S9 S10, breached S2 S3 S5, no target S7; S6
	// (P1, created 03-06, never touched) is a breach in flight: its 2 h
	// target ran out long before the report's now.
	checkSLA(t, "all resolve", all.SLAResolve, metrics.SLAResult{Met: 5, Breached: 4, BreachedOpen: 1, NoTarget: 1, Adherence: ptr(5.0 / 9)})
	// Acknowledge: met by all 8 stopped clocks with a target; S6 was never
	// acknowledged within its 15 minutes.
	checkSLA(t, "all acknowledge", all.SLAAcknowledge, metrics.SLAResult{Met: 8, Breached: 1, BreachedOpen: 1, NoTarget: 1, Adherence: ptr(8.0 / 9)})
	// MTTR is wall-clock time, pauses included: S1 S2 S8 14400, S3 S4 S9 S10
	// 5400, S5 9000, S7 3600. Sum 77400 over 9 → 8600; sorted 3600 5400×4
	// 9000 14400×3: rank 5 = 5400, rank 9 = 14400.
	checkKPI(t, "all", kpiOf(t, all, metrics.MTTR), want{count: 9, mean: 8600, median: 5400, p90: 14400, open: 1})

	byPrio := perf(t, st, metrics.Request{Window: w, GroupBy: metrics.ByPriority})
	for _, c := range []struct {
		group    string
		res, ack metrics.SLAResult
	}{
		// S3 breached, S5 breached, S6 breached in flight, S9 met, S10 met.
		{"P1", metrics.SLAResult{Met: 2, Breached: 3, BreachedOpen: 1, Adherence: ptr(0.4)},
			metrics.SLAResult{Met: 4, Breached: 1, BreachedOpen: 1, Adherence: ptr(0.8)}},
		{"P2", metrics.SLAResult{Met: 2, Adherence: ptr(1)}, metrics.SLAResult{Met: 2, Adherence: ptr(1)}},      // S1 S8
		{"P3", metrics.SLAResult{Met: 1, Adherence: ptr(1)}, metrics.SLAResult{Met: 1, Adherence: ptr(1)}},      // S4
		{"P4", metrics.SLAResult{Breached: 1, Adherence: ptr(0)}, metrics.SLAResult{Met: 1, Adherence: ptr(1)}}, // S2
		{"P5", metrics.SLAResult{NoTarget: 1}, metrics.SLAResult{NoTarget: 1}},                                  // S7: no data, not 0 %
	} {
		g := group(t, byPrio, c.group)
		checkSLA(t, c.group+" resolve", g.SLAResolve, c.res)
		checkSLA(t, c.group+" acknowledge", g.SLAAcknowledge, c.ack)
	}
}

func TestSLAPausePriorityChangeAndVersions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ss := slaScripts()
		mustApply(t, st, &store.Batch{SLA: slaPolicies(), Cases: cases(ss), Events: events(ss)})
		checkSLAFixture(t, st)
	})
}

// TestSLAPolicyAfterCases: the SLA outcome of a case must not depend on
// whether its policy was stored before or after the case. Today facts
// (and their SLA statuses) are computed only for cases a batch touches
// (store/facts.go refreshFacts), so cases stored before the policy keep
// "no SLA" until some later event touches them: importing an archive
// and then configuring the policy reports no adherence at all.
func TestSLAPolicyAfterCases(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ss := slaScripts()
		mustApply(t, st, &store.Batch{Cases: cases(ss), Events: events(ss)})
		perf(t, st, metrics.Request{Window: window("2026-03-02", "2026-03-08", time.UTC)}) // rollups built
		mustApply(t, st, &store.Batch{SLA: slaPolicies()})
		all := perf(t, st, metrics.Request{Window: window("2026-03-02", "2026-03-08", time.UTC)}).Groups[0]
		checkSLA(t, "all resolve, policy stored after the cases", all.SLAResolve,
			metrics.SLAResult{Met: 5, Breached: 4, BreachedOpen: 1, NoTarget: 1, Adherence: ptr(5.0 / 9)})
	})
}

// TestSLABusinessHours: Mon–Fri 09:00–17:00 Europe/Berlin, Easter Monday
// 2026-04-06 a holiday. Each pair of cases has the same timeline; the P2
// case has a 2 h acknowledge target, the P3 case 1:59:59. Every timeline
// holds exactly 2 business hours (Friday 16:00–17:00 and the next working
// day 09:00–10:00, local), so the P2 cases meet and the P3 cases breach.
//
//	W1/W2 Fri 03-13 16:00 CET  (15:00Z) → Mon 03-16 10:00 CET  (09:00Z): a plain weekend, 66 h
//	W3/W4 Fri 03-27 16:00 CET  (15:00Z) → Mon 03-30 10:00 CEST (08:00Z): clocks go forward on
//	      Sunday 03-29; with a fixed +01:00 offset Monday would open at 08:00Z and give 1 h. 65 h
//	W5/W6 Fri 10-23 16:00 CEST (14:00Z) → Mon 10-26 10:00 CET  (09:00Z): clocks go back on
//	      Sunday 10-25; with a fixed +02:00 offset Monday would count 3 h. 67 h
//	W7/W8 Fri 04-03 16:00 CEST (14:00Z) → Tue 04-07 10:00 CEST (08:00Z): Monday is a holiday
//	      (10 h without it). 90 h
func TestSLABusinessHours(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		if err := st.SetTimeZone(context.Background(), "Europe/Berlin"); err != nil {
			t.Fatal(err)
		}
		pol := model.SLAPolicy{Name: "office", Version: 1, EffectiveFrom: ts("2026-01-01T00:00:00Z"),
			Calendar: &model.BusinessHours{TimeZone: "Europe/Berlin", Start: "09:00", End: "17:00",
				Days:     []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
				Holidays: []string{"2026-04-06"}},
			Targets: map[model.Priority]model.SLATarget{
				model.P2: target(2*hms, 1000*hms),
				model.P3: target(2*hms-time.Second, 1000*hms),
			}}
		var ss []*script
		for i, tl := range [][2]string{
			{"2026-03-13T15:00:00Z", "2026-03-16T09:00:00Z"},
			{"2026-03-27T15:00:00Z", "2026-03-30T08:00:00Z"},
			{"2026-10-23T14:00:00Z", "2026-10-26T09:00:00Z"},
			{"2026-04-03T14:00:00Z", "2026-04-07T08:00:00Z"},
		} {
			for j, p := range []model.Priority{model.P2, model.P3} {
				ss = append(ss, newScript("fx", "W"+string(rune('1'+2*i+j)), p, "", tl[0], "").
					on(tl[1], model.EventStage, "triage"))
			}
		}
		mustApply(t, st, &store.Batch{SLA: []model.SLAPolicy{pol}, Cases: cases(ss), Events: events(ss)})
		loc, _ := time.LoadLocation("Europe/Berlin")
		byPrio := perf(t, st, metrics.Request{Window: window("2026-03-01", "2026-10-31", loc), GroupBy: metrics.ByPriority})
		p2, p3 := group(t, byPrio, "P2"), group(t, byPrio, "P3")
		checkSLA(t, "P2 acknowledge", p2.SLAAcknowledge, metrics.SLAResult{Met: 4, Adherence: ptr(1)})
		checkSLA(t, "P3 acknowledge", p3.SLAAcknowledge, metrics.SLAResult{Breached: 4, Adherence: ptr(0)})
		// MTTA is wall-clock: 66 h, 65 h, 67 h, 90 h = 237600, 234000, 241200,
		// 324000 s; sum 1036800 → 259200; sorted: rank 2 = 237600, rank 4 = 324000.
		checkKPI(t, "P2", kpiOf(t, p2, metrics.MTTA), want{count: 4, mean: 259200, median: 237600, p90: 324000})
		checkKPI(t, "P3", kpiOf(t, p3, metrics.MTTA), want{count: 4, mean: 259200, median: 237600, p90: 324000})
	})
}

// TestSLADaylightSavingWindow: a calendar open every day 01:00–05:00
// Europe/Berlin. On 2026-03-29 that window is 3 h long (02:00 CET does not
// exist), on 2026-10-25 it is 5 h (02:00–03:00 happens twice). Each case
// is created on the Saturday at 12:00Z, after Saturday's window, and
// resolved on the Sunday at 12:00Z, after Sunday's: its resolve clock
// holds exactly that one window.
//
//	D1 P2 (3 h) and D2 P3 (2:59:59) in March: met, breached
//	D3 P4 (5 h) and D4 P1 (4:59:59) in October: met, breached
func TestSLADaylightSavingWindow(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		pol := model.SLAPolicy{Name: "nightly", Version: 1, EffectiveFrom: ts("2026-01-01T00:00:00Z"),
			Calendar: &model.BusinessHours{TimeZone: "Europe/Berlin", Start: "01:00", End: "05:00",
				Days: []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}},
			Targets: map[model.Priority]model.SLATarget{
				model.P2: target(1000*hms, 3*hms),
				model.P3: target(1000*hms, 3*hms-time.Second),
				model.P4: target(1000*hms, 5*hms),
				model.P1: target(1000*hms, 5*hms-time.Second),
			}}
		ss := []*script{
			newScript("fx", "D1", model.P2, "", "2026-03-28T12:00:00Z", "").on("2026-03-29T12:00:00Z", model.EventStage, "resolved"),
			newScript("fx", "D2", model.P3, "", "2026-03-28T12:00:00Z", "").on("2026-03-29T12:00:00Z", model.EventStage, "resolved"),
			newScript("fx", "D3", model.P4, "", "2026-10-24T12:00:00Z", "").on("2026-10-25T12:00:00Z", model.EventStage, "resolved"),
			newScript("fx", "D4", model.P1, "", "2026-10-24T12:00:00Z", "").on("2026-10-25T12:00:00Z", model.EventStage, "resolved"),
		}
		mustApply(t, st, &store.Batch{SLA: []model.SLAPolicy{pol}, Cases: cases(ss), Events: events(ss)})
		byPrio := perf(t, st, metrics.Request{Window: window("2026-03-01", "2026-10-31", time.UTC), GroupBy: metrics.ByPriority})
		checkSLA(t, "P2 (March, 3 h)", group(t, byPrio, "P2").SLAResolve, metrics.SLAResult{Met: 1, Adherence: ptr(1)})
		checkSLA(t, "P3 (March, 2:59:59)", group(t, byPrio, "P3").SLAResolve, metrics.SLAResult{Breached: 1, Adherence: ptr(0)})
		checkSLA(t, "P4 (October, 5 h)", group(t, byPrio, "P4").SLAResolve, metrics.SLAResult{Met: 1, Adherence: ptr(1)})
		checkSLA(t, "P1 (October, 4:59:59)", group(t, byPrio, "P1").SLAResolve, metrics.SLAResult{Breached: 1, Adherence: ptr(0)})
		// The acknowledge clocks stop at the same move (imputed): 1 imputed MTTA each.
		checkKPI(t, "P2", kpiOf(t, group(t, byPrio, "P2"), metrics.MTTA), want{count: 1, mean: 86400, median: 86400, p90: 86400, imputed: 1})
	})
}
