package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing/handle"
	"github.com/watchfloor/watchfloor/internal/store"
)

// checkHandleTimes compares the kept handle times with the replay of the
// case logs: each day's as the KPI engine asks for them (the pause
// statuses of the policy in force at the day's start, the default gap),
// and the staffing model's for windows cut mid-day, with the kept
// configuration and with others (which replay).
func checkHandleTimes(t *testing.T, s *store.Store, what string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.RefreshFacts(ctx); err != nil {
		t.Fatal(err)
	}
	pols, err := s.Policies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := s.TimeZone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dayPause := func(d int64) []string {
		return pols.InForce(time.Date(int(d/10000), time.Month(d/100%100), int(d%100), 0, 0, 0, 0, loc)).PauseStatuses
	}
	// Every case is measured as the KPI engine asks, so the kept handle
	// times answer it and none is replayed.
	kept, err := store.KeptHandleTimes(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	for id, k := range kept {
		if k.Gap != handle.DefaultGap.Microseconds() || k.Pause != handle.PauseKey(dayPause(k.Day)) {
			t.Fatalf("%s: case %d of day %d is measured with gap %dµs and pause statuses %s", what, id, k.Day, k.Gap, k.Pause)
		}
	}
	for _, d := range rollupDays { // the property test's cases fall on these days too
		pause := dayPause(d)
		got, err := s.DayHandleTimes(ctx, d, pause, handle.DefaultGap)
		if err != nil {
			t.Fatal(err)
		}
		want, err := store.DayHandleTimesReplay(ctx, s, d, pause, handle.DefaultGap)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: day %d handle times:\nkept   %v\nreplay %v", what, d, got, want)
		}
	}
	for _, w := range [][2]string{{"2026-02-27T00:00:00Z", "2026-03-09T00:00:00Z"}, {"2026-03-02T07:30:00Z", "2026-03-04T13:00:00Z"}} {
		for _, cfg := range []struct {
			pause []string
			gap   time.Duration
		}{{[]string{propPause}, handle.DefaultGap}, {[]string{" pending CUSTOMER", propPause}, handle.DefaultGap},
			{nil, handle.DefaultGap}, {[]string{propPause}, 10 * time.Minute}} {
			handleTimes(t, s, ts(w[0]), ts(w[1]), cfg.pause, cfg.gap)
		}
		got, err := s.WorkloadCaseArrivals(ctx, ts(w[0]), ts(w[1]))
		if err != nil {
			t.Fatal(err)
		}
		want, err := store.WorkloadCaseArrivalsScan(ctx, s, ts(w[0]), ts(w[1]))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: case arrivals %s … %s:\nkept %+v\nlogs %+v", what, w[0], w[1], got, want)
		}
		facts, err := s.WorkloadCaseArrivalsFacts(ctx, ts(w[0]), ts(w[1]))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(facts, want) {
			t.Fatalf("%s: case arrivals %s … %s:\nfacts %+v\nlogs  %+v", what, w[0], w[1], facts, want)
		}
	}
}

const (
	propPause  = "Pending Customer"
	propPause2 = "On Hold"
)

// randomCaseEvents is a batch of events on cases C0 … C7: any kind a
// handle time reads (assignment, stage moves with reopenings, pause and
// working statuses, comments, runbook runs with a start, priorities), by a
// person or by automation, at times spread over four days and so arriving
// late and out of order; some reuse an earlier event's id with other values.
func randomCaseEvents(r *rand.Rand, n int) []model.CaseEvent {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	var out []model.CaseEvent
	for range n {
		c := fmt.Sprintf("C%d", r.IntN(8))
		at := ts("2026-03-01T00:00:00Z").Add(time.Duration(r.IntN(4*24*60)) * time.Minute)
		e := model.CaseEvent{CaseSource: "soar", CaseExternalID: c, ExternalID: fmt.Sprintf("%s/e%d", c, r.IntN(40)),
			At: at, Source: "soar", Actor: pick("", "alice", "bob")}
		switch r.IntN(7) {
		case 0:
			e.Kind, e.New = model.EventAssignee, pick("alice", "bob", "")
		case 1, 2:
			e.Kind, e.New = model.EventStage, pick("triage", "investigating", "contained", "resolved", "closed")
		case 3:
			e.Kind, e.New = model.EventStatus, pick(propPause, "pending customer", propPause2, "Working")
		case 4:
			e.Kind, e.New = model.EventComment, "note"
		case 5:
			started := at.Add(-time.Duration(r.IntN(90)) * time.Minute)
			e.Kind, e.New = model.EventRunbook, fmt.Sprintf(`{"runbook":"Isolate host","status":"completed","started_at":%q}`,
				started.Format(time.RFC3339))
		default:
			e.Kind, e.New = model.EventPriority, pick("P1", "P2", "P4", "critical", "soon")
		}
		out = append(out, e)
	}
	return out
}

// TestHandleTimesKeptEqualRebuilt is the property test of the kept handle
// times and case arrivals: after random interleavings of new cases, changed ones, new, late,
// out-of-order and re-ingested events, a policy version that changes the
// pause statuses from a day on, and a time-zone change, the kept handle
// times answer exactly as the replay of the logs and the arrivals as the
// count from the cases and their logs, on both engines; a
// rebuild from the logs finds them all equal; and a store migrated from
// before they were kept replays until its next open measures them.
func TestHandleTimesKeptEqualRebuilt(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		apply(t, s, &store.Batch{SLA: []model.SLAPolicy{{Name: "std", Version: 1, EffectiveFrom: ts("2026-01-01T00:00:00Z"),
			Targets:       map[model.Priority]model.SLATarget{model.P1: {Acknowledge: time.Hour, Resolve: 8 * time.Hour}},
			PauseStatuses: []string{propPause}}}})
		r := rand.New(rand.NewPCG(19, 15))
		var last *store.Batch
		round := func(i int) {
			b := &store.Batch{}
			if last != nil && r.IntN(5) == 0 {
				b = last // re-ingested as is
			} else {
				for range r.IntN(3) {
					k := r.IntN(8)
					created := ts("2026-03-01T00:00:00Z").Add(time.Duration(r.IntN(3*24*60)) * time.Minute)
					b.Cases = append(b.Cases, model.Case{Source: "soar", ExternalID: fmt.Sprintf("C%d", k), Title: "case",
						Priority: model.Priority(1 + r.IntN(4)), Stage: model.StageNew, CreatedAt: created, UpdatedAt: created})
				}
				b.Events = randomCaseEvents(r, 1+r.IntN(25))
			}
			apply(t, s, b)
			last = b
			checkHandleTimes(t, s, fmt.Sprintf("round %d", i))
		}
		for i := range 20 {
			round(i)
		}
		kept, err := store.KeptHandleTimes(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		worked := 0
		for _, k := range kept {
			if k.Time.Active > 0 {
				worked++
			}
		}
		if len(kept) < 6 || worked < 2 {
			t.Fatalf("the random log kept %d handle times, %d with worked time: too few to test anything", len(kept), worked)
		}
		// The summaries compared came from kept hours, not only the rows.
		if total, built, err := store.HandleHours(ctx, s); err != nil || built == 0 {
			t.Fatalf("kept handle-time hours: %d of %d built (%v)", built, total, err)
		} else {
			t.Logf("kept handle-time hours: %d of %d built", built, total)
		}

		// A new policy version pauses in another status from 3 March: the
		// cases of those days are measured again.
		apply(t, s, &store.Batch{SLA: []model.SLAPolicy{{Name: "std", Version: 2, EffectiveFrom: ts("2026-03-03T00:00:00Z"),
			Targets:       map[model.Priority]model.SLATarget{model.P1: {Acknowledge: time.Hour, Resolve: 8 * time.Hour}},
			PauseStatuses: []string{propPause2}}}})
		checkHandleTimes(t, s, "after the policy change")
		if n := pauseKeys(t, s)[handle.PauseKey([]string{propPause2})]; n == 0 {
			t.Fatal("no case was measured with the new version's pause statuses")
		}
		for i := range 10 {
			round(20 + i)
		}
		if err := s.SetTimeZone(ctx, "Asia/Kolkata"); err != nil {
			t.Fatal(err)
		}
		checkHandleTimes(t, s, "after the time-zone change")
		for i := range 5 {
			round(30 + i)
		}

		// A rebuild from the logs finds every kept handle time as it is.
		before, err := store.KeptHandleTimes(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RebuildHandleTimes(ctx); err != nil {
			t.Fatal(err)
		}
		after, err := store.KeptHandleTimes(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("kept handle times differ from the ones rebuilt from the logs:\nkept    %+v\nrebuilt %+v", before, after)
		}

		// A store migrated from before they were kept replays until the
		// next open measures them.
		if err := store.MarkHandleTimesPending(ctx, s); err != nil {
			t.Fatal(err)
		}
		round(35)
		s2 := open()
		if pending, err := s2.HandleTimesPending(ctx); err != nil || pending {
			t.Fatalf("after reopening: pending %v, %v", pending, err)
		}
		checkHandleTimes(t, s2, "measured on open")
		rebuilt, err := store.KeptHandleTimes(ctx, s2)
		if err != nil {
			t.Fatal(err)
		}
		if n := counts(t, s2)["cases"]; int64(len(rebuilt)) != n {
			t.Fatalf("measured on open: %d handle times, want one per case (%d)", len(rebuilt), n)
		}
	})
}

// pauseKeys counts the kept handle times by the pause statuses they were
// measured with.
func pauseKeys(t *testing.T, s *store.Store) map[string]int {
	t.Helper()
	kept, err := store.KeptHandleTimes(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, k := range kept {
		out[k.Pause]++
	}
	return out
}
