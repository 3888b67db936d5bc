package sla

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

func mustPolicies(t testing.TB, versions ...model.SLAPolicy) *Policies {
	t.Helper()
	p, err := NewPolicies(versions...)
	if err != nil {
		t.Fatalf("NewPolicies: %v", err)
	}
	return p
}

var jan1 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// std is a 24×7 policy.
var std = model.SLAPolicy{Name: "std", Version: 1, EffectiveFrom: jan1,
	Targets: map[model.Priority]model.SLATarget{
		model.P1: {Acknowledge: 15 * m, Resolve: 4 * h},
		model.P2: {Acknowledge: 30 * m, Resolve: 8 * h},
		model.P3: {Acknowledge: 4 * h, Resolve: 24 * h},
	},
	PauseStatuses: []string{"Awaiting User Info", " awaiting vendor "},
}

// stdV2 relaxes P1 resolution to 6h from 2026-03-03.
var stdV2 = model.SLAPolicy{Name: "std", Version: 2, EffectiveFrom: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC),
	Targets: map[model.Priority]model.SLATarget{
		model.P1: {Acknowledge: 15 * m, Resolve: 6 * h},
	},
}

// bizTargets are business-time targets.
var bizTargets = map[model.Priority]model.SLATarget{
	model.P1: {Acknowledge: h, Resolve: 8 * h},
	model.P3: {Acknowledge: 4 * h, Resolve: 16 * h},
}

// biz runs on Berlin office hours, nyBiz on New York office hours, nyNightP
// on the New York night shift.
var (
	biz = model.SLAPolicy{Name: "biz", Version: 1, EffectiveFrom: jan1, Targets: bizTargets,
		PauseStatuses: []string{"Awaiting User Info"}, Calendar: berlinOffice}
	nyBiz    = model.SLAPolicy{Name: "ny", Version: 1, EffectiveFrom: jan1, Targets: bizTargets, Calendar: nyOffice}
	nyNightP = model.SLAPolicy{Name: "night", Version: 1, EffectiveFrom: jan1, Targets: bizTargets, Calendar: nyNight}
)

// e is a log entry: "2026-03-02T10:00:00Z stage resolved"; the value may
// contain spaces ("status Awaiting User Info"), and "old>new" sets Old.
func e(line string) model.CaseEvent {
	at, rest, _ := strings.Cut(line, " ")
	kind, val, _ := strings.Cut(rest, " ")
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	ev := model.CaseEvent{At: t.UTC(), Kind: model.EventKind(kind), Source: "test"}
	if old, nw, ok := strings.Cut(val, ">"); ok {
		ev.Old, ev.New = old, nw
	} else {
		ev.New = val
	}
	return ev
}

// want is the expected state of one clock. Times are RFC 3339, "" = zero.
type want struct {
	st        Status
	prio      model.Priority
	ver       int
	target    time.Duration
	elapsed   time.Duration
	paused    time.Duration
	rem, over time.Duration
	stop      string
	deadline  string
	imputed   bool
	pausedNow bool
	backdated bool
}

func checkClock(t *testing.T, name string, got Clock, w want, created time.Time) {
	t.Helper()
	tm := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		return ts(t, s)
	}
	f := func(tt time.Time) string {
		if tt.IsZero() {
			return ""
		}
		return tt.UTC().Format(time.RFC3339)
	}
	var diffs []string
	add := func(field string, g, w any) { diffs = append(diffs, fmt.Sprintf("%s: got %v, want %v", field, g, w)) }
	if got.Status != w.st {
		add("status", got.Status, w.st)
	}
	if got.Priority != w.prio {
		add("priority", got.Priority, w.prio)
	}
	if got.Version != w.ver {
		add("version", got.Version, w.ver)
	}
	if got.Target != w.target {
		add("target", got.Target, w.target)
	}
	if got.Elapsed != w.elapsed {
		add("elapsed", got.Elapsed, w.elapsed)
	}
	if got.Paused != w.paused {
		add("paused", got.Paused, w.paused)
	}
	if got.Remaining != w.rem {
		add("remaining", got.Remaining, w.rem)
	}
	if got.Overdue != w.over {
		add("overdue", got.Overdue, w.over)
	}
	if !got.Stop.Equal(tm(w.stop)) {
		add("stop", f(got.Stop), w.stop)
	}
	if !got.Deadline.Equal(tm(w.deadline)) {
		add("deadline", f(got.Deadline), w.deadline)
	}
	if got.Imputed != w.imputed {
		add("imputed", got.Imputed, w.imputed)
	}
	if got.PausedNow != w.pausedNow {
		add("paused now", got.PausedNow, w.pausedNow)
	}
	if got.Backdated != w.backdated {
		add("backdated", got.Backdated, w.backdated)
	}
	if w.st != StatusMissing && !got.Start.Equal(created) {
		add("start", f(got.Start), f(created))
	}
	if len(diffs) > 0 {
		t.Errorf("%s clock:\n\t%s", name, strings.Join(diffs, "\n\t"))
	}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name     string
		policies []model.SLAPolicy // none: no policy
		atRisk   float64
		created  string
		now      string
		events   []string
		ack      want
		res      want
		last     *want // nil: same as res
		reopens  int
		clamped  int
		dups     int
	}{
		{
			name: "24x7 met", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-05T00:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P1", "2026-03-02T10:10:00Z stage triage",
				"2026-03-02T13:00:00Z stage resolved"},
			// 10:00 → 10:10 = 10m of 15m; 10:00 → 13:00 = 3h of 4h.
			ack: want{st: StatusMet, prio: model.P1, ver: 1, target: 15 * m, elapsed: 10 * m, rem: 5 * m, stop: "2026-03-02T10:10:00Z"},
			res: want{st: StatusMet, prio: model.P1, ver: 1, target: 4 * h, elapsed: 3 * h, rem: h, stop: "2026-03-02T13:00:00Z"},
		},
		{
			name: "business hours across a weekend", policies: []model.SLAPolicy{biz},
			// Created Fri 2026-03-06 15:00 CET.
			created: "2026-03-06T14:00:00Z", now: "2026-03-20T00:00:00Z",
			events: []string{"2026-03-06T14:00:00Z priority P3",
				"2026-03-09T08:30:00Z assignee ana",    // Mon 09:30 CET
				"2026-03-10T10:00:00Z stage resolved"}, // Tue 11:00 CET
			// Ack: Fri 15–17 (2h) + Mon 09:00–09:30 (30m) = 2h30m of 4h.
			ack: want{st: StatusMet, prio: model.P3, ver: 1, target: 4 * h, elapsed: 2*h + 30*m, rem: h + 30*m, stop: "2026-03-09T08:30:00Z"},
			// Resolve: Fri 2h + Mon 8h + Tue 09–11 2h = 12h of 16h.
			res: want{st: StatusMet, prio: model.P3, ver: 1, target: 16 * h, elapsed: 12 * h, rem: 4 * h, stop: "2026-03-10T10:00:00Z"},
		},
		{
			name: "holiday", policies: []model.SLAPolicy{biz},
			// Created Thu 2026-04-30 16:00 CEST; Fri 05-01 is a holiday.
			created: "2026-04-30T14:00:00Z", now: "2026-05-10T00:00:00Z",
			events: []string{"2026-04-30T14:00:00Z priority P1",
				"2026-05-04T07:30:00Z stage triage",    // Mon 09:30 CEST
				"2026-05-04T13:00:00Z stage resolved"}, // Mon 15:00 CEST
			// Ack: Thu 16–17 (1h) + Mon 09:00–09:30 (30m) = 1h30m > 1h; the
			// hour ran out at Thu 17:00 CEST (15:00Z).
			ack: want{st: StatusBreached, prio: model.P1, ver: 1, target: h, elapsed: h + 30*m, over: 30 * m,
				stop: "2026-05-04T07:30:00Z", deadline: "2026-04-30T15:00:00Z"},
			// Resolve: 1h + Mon 09–15 (6h) = 7h of 8h.
			res: want{st: StatusMet, prio: model.P1, ver: 1, target: 8 * h, elapsed: 7 * h, rem: h, stop: "2026-05-04T13:00:00Z"},
		},
		{
			name: "business hours across Berlin spring forward", policies: []model.SLAPolicy{biz},
			// Created Fri 2026-03-27 16:00 CET; Sunday 03-29 springs forward.
			created: "2026-03-27T15:00:00Z", now: "2026-04-10T00:00:00Z",
			events: []string{"2026-03-27T15:00:00Z priority P1",
				"2026-03-30T07:30:00Z stage triage",    // Mon 09:30 CEST
				"2026-03-30T14:00:00Z stage resolved"}, // Mon 16:00 CEST
			// Ack: 1h + 30m; breached when Fri 17:00 CET (16:00Z) came.
			ack: want{st: StatusBreached, prio: model.P1, ver: 1, target: h, elapsed: h + 30*m, over: 30 * m,
				stop: "2026-03-30T07:30:00Z", deadline: "2026-03-27T16:00:00Z"},
			// Resolve: Fri 1h + Mon 09–16 (7h) = 8h = target: met, with the
			// target used up exactly at the stop.
			res: want{st: StatusMet, prio: model.P1, ver: 1, target: 8 * h, elapsed: 8 * h,
				stop: "2026-03-30T14:00:00Z", deadline: "2026-03-30T14:00:00Z"},
		},
		{
			name: "24x7 across Berlin spring forward", policies: []model.SLAPolicy{std},
			created: "2026-03-27T15:00:00Z", now: "2026-04-10T00:00:00Z",
			events: []string{"2026-03-27T15:00:00Z priority P3", "2026-03-27T15:05:00Z stage triage",
				"2026-03-30T14:00:00Z stage resolved"},
			// Fri 16:00 CET → Mon 16:00 CEST is 3 wall-clock days but 71h
			// (15:00Z → 14:00Z); 71h > 24h, overdue 47h, out at Sat 15:00Z.
			ack: want{st: StatusMet, prio: model.P3, ver: 1, target: 4 * h, elapsed: 5 * m, rem: 3*h + 55*m, stop: "2026-03-27T15:05:00Z"},
			res: want{st: StatusBreached, prio: model.P3, ver: 1, target: 24 * h, elapsed: 71 * h, over: 47 * h,
				stop: "2026-03-30T14:00:00Z", deadline: "2026-03-28T15:00:00Z"},
		},
		{
			name: "business hours across New York fall back", policies: []model.SLAPolicy{nyBiz},
			// Created Fri 2026-10-30 16:00 EDT; Sunday 11-01 falls back.
			created: "2026-10-30T20:00:00Z", now: "2026-11-10T00:00:00Z",
			events: []string{"2026-10-30T20:00:00Z priority P1",
				"2026-11-02T14:15:00Z assignee bo",     // Mon 09:15 EST
				"2026-11-02T19:00:00Z stage resolved"}, // Mon 14:00 EST
			// Ack: Fri 16–17 (1h) + Mon 09:00–09:15 = 1h15m; out at Fri 17:00 EDT (21:00Z).
			ack: want{st: StatusBreached, prio: model.P1, ver: 1, target: h, elapsed: h + 15*m, over: 15 * m,
				stop: "2026-11-02T14:15:00Z", deadline: "2026-10-30T21:00:00Z"},
			// Resolve: 1h + Mon 09–14 (5h) = 6h of 8h.
			res: want{st: StatusMet, prio: model.P1, ver: 1, target: 8 * h, elapsed: 6 * h, rem: 2 * h, stop: "2026-11-02T19:00:00Z"},
		},
		{
			name: "night shift on the New York fall-back day", policies: []model.SLAPolicy{nyNightP},
			// 2026-11-01 00:00 EDT (04:00Z) → 06:00 EST (11:00Z): the window
			// of that day lasts 7h.
			created: "2026-11-01T04:00:00Z", now: "2026-11-05T00:00:00Z",
			events: []string{"2026-11-01T04:00:00Z priority P1", "2026-11-01T04:30:00Z stage triage",
				"2026-11-01T11:00:00Z stage resolved"},
			ack: want{st: StatusMet, prio: model.P1, ver: 1, target: h, elapsed: 30 * m, rem: 30 * m, stop: "2026-11-01T04:30:00Z"},
			res: want{st: StatusMet, prio: model.P1, ver: 1, target: 8 * h, elapsed: 7 * h, rem: h, stop: "2026-11-01T11:00:00Z"},
		},
		{
			name: "pause in the middle", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-05T00:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P2", "2026-03-02T10:20:00Z stage triage",
				"2026-03-02T11:00:00Z status Awaiting User Info", "2026-03-02T13:00:00Z status In Progress",
				"2026-03-02T17:00:00Z stage resolved"},
			ack: want{st: StatusMet, prio: model.P2, ver: 1, target: 30 * m, elapsed: 20 * m, rem: 10 * m, stop: "2026-03-02T10:20:00Z"},
			// Running 10–11 (1h) and 13–17 (4h) = 5h; paused 11–13 = 2h; 5h of 8h.
			res: want{st: StatusMet, prio: model.P2, ver: 1, target: 8 * h, elapsed: 5 * h, paused: 2 * h, rem: 3 * h, stop: "2026-03-02T17:00:00Z"},
		},
		{
			name: "pause across a weekend", policies: []model.SLAPolicy{biz},
			// Created Fri 2026-03-06 09:00 CET.
			created: "2026-03-06T08:00:00Z", now: "2026-03-20T00:00:00Z",
			events: []string{"2026-03-06T08:00:00Z priority P3", "2026-03-06T08:30:00Z stage triage",
				"2026-03-06T14:00:00Z status AWAITING USER INFO", // Fri 15:00 CET, any case
				"2026-03-09T10:00:00Z status Active",             // Mon 11:00 CET
				"2026-03-09T12:00:00Z stage resolved"},           // Mon 13:00 CET
			ack: want{st: StatusMet, prio: model.P3, ver: 1, target: 4 * h, elapsed: 30 * m, rem: 3*h + 30*m, stop: "2026-03-06T08:30:00Z"},
			// Running Fri 09–15 (6h) + Mon 11–13 (2h) = 8h; paused Fri 15–17
			// (2h) + Mon 09–11 (2h) = 4h, the weekend being no business time.
			res: want{st: StatusMet, prio: model.P3, ver: 1, target: 16 * h, elapsed: 8 * h, paused: 4 * h, rem: 8 * h, stop: "2026-03-09T12:00:00Z"},
		},
		{
			name: "priority raised mid-flight", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-05T00:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P3", "2026-03-02T10:05:00Z stage triage",
				"2026-03-02T11:00:00Z priority P3>P1", "2026-03-02T15:00:00Z stage resolved",
				"2026-03-02T16:00:00Z priority P1>P3"}, // after the stop: does not restate
			// Ack stopped at 10:05 while P3: 5m of 4h.
			ack: want{st: StatusMet, prio: model.P3, ver: 1, target: 4 * h, elapsed: 5 * m, rem: 3*h + 55*m, stop: "2026-03-02T10:05:00Z"},
			// P1 in force at the stop: 5h > 4h, out at 14:00.
			res: want{st: StatusBreached, prio: model.P1, ver: 1, target: 4 * h, elapsed: 5 * h, over: h,
				stop: "2026-03-02T15:00:00Z", deadline: "2026-03-02T14:00:00Z"},
		},
		{
			name: "priority raised while open", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-02T13:30:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P3", "2026-03-02T11:00:00Z priority P1"},
			// Open clocks take the current priority, P1: ack 3h30m > 15m, out at 10:15.
			ack: want{st: StatusOverdue, prio: model.P1, ver: 1, target: 15 * m, elapsed: 3*h + 30*m, over: 3*h + 15*m,
				deadline: "2026-03-02T10:15:00Z"},
			// 3h30m ≥ 80% × 4h = 3h12m: at risk, 30m left, due 14:00.
			res: want{st: StatusAtRisk, prio: model.P1, ver: 1, target: 4 * h, elapsed: 3*h + 30*m, rem: 30 * m,
				deadline: "2026-03-02T14:00:00Z"},
		},
		{
			name: "policy v2 in force at the stop", policies: []model.SLAPolicy{std, stdV2},
			created: "2026-03-02T20:00:00Z", now: "2026-03-05T00:00:00Z",
			events: []string{"2026-03-02T20:00:00Z priority P1", "2026-03-02T20:10:00Z stage triage",
				"2026-03-03T01:00:00Z stage resolved"},
			// Ack stopped under v1: 10m of 15m.
			ack: want{st: StatusMet, prio: model.P1, ver: 1, target: 15 * m, elapsed: 10 * m, rem: 5 * m, stop: "2026-03-02T20:10:00Z"},
			// Resolve stopped under v2 (from 03-03 00:00Z): 5h of 6h (v1 would breach).
			res: want{st: StatusMet, prio: model.P1, ver: 2, target: 6 * h, elapsed: 5 * h, rem: h, stop: "2026-03-03T01:00:00Z"},
		},
		{
			name: "policy v1 in force at the stop", policies: []model.SLAPolicy{stdV2, std},
			created: "2026-03-02T12:00:00Z", now: "2026-03-05T00:00:00Z",
			events: []string{"2026-03-02T12:00:00Z priority P1", "2026-03-02T12:10:00Z stage triage",
				"2026-03-02T17:00:00Z stage resolved"},
			ack: want{st: StatusMet, prio: model.P1, ver: 1, target: 15 * m, elapsed: 10 * m, rem: 5 * m, stop: "2026-03-02T12:10:00Z"},
			// 5h > v1's 4h: out at 16:00.
			res: want{st: StatusBreached, prio: model.P1, ver: 1, target: 4 * h, elapsed: 5 * h, over: h,
				stop: "2026-03-02T17:00:00Z", deadline: "2026-03-02T16:00:00Z"},
		},
		{
			name: "work older than the policy", policies: []model.SLAPolicy{std, stdV2},
			created: "2025-12-31T20:00:00Z", now: "2026-03-05T00:00:00Z",
			events: []string{"2025-12-31T20:00:00Z priority P1", "2025-12-31T20:05:00Z stage triage",
				"2025-12-31T22:00:00Z stage closed"},
			// Before v1's EffectiveFrom: v1 applies, marked backdated.
			ack: want{st: StatusMet, prio: model.P1, ver: 1, target: 15 * m, elapsed: 5 * m, rem: 10 * m, stop: "2025-12-31T20:05:00Z", backdated: true},
			res: want{st: StatusMet, prio: model.P1, ver: 1, target: 4 * h, elapsed: 2 * h, rem: 2 * h, stop: "2025-12-31T22:00:00Z", backdated: true},
		},
		{
			name: "reopened and closed again", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-05T00:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P2", "2026-03-02T10:10:00Z stage triage",
				"2026-03-02T12:00:00Z stage resolved", "2026-03-03T09:00:00Z stage investigating",
				"2026-03-03T16:00:00Z stage closed"},
			ack: want{st: StatusMet, prio: model.P2, ver: 1, target: 30 * m, elapsed: 10 * m, rem: 20 * m, stop: "2026-03-02T10:10:00Z"},
			// First close: 10:00 → 12:00 = 2h of 8h.
			res: want{st: StatusMet, prio: model.P2, ver: 1, target: 8 * h, elapsed: 2 * h, rem: 6 * h, stop: "2026-03-02T12:00:00Z"},
			// Last close: 2h + (09:00 → 16:00 = 7h) = 9h > 8h; the remaining
			// 6h ran out at 03-03 15:00.
			last: &want{st: StatusBreached, prio: model.P2, ver: 1, target: 8 * h, elapsed: 9 * h, over: h,
				stop: "2026-03-03T16:00:00Z", deadline: "2026-03-03T15:00:00Z"},
			reopens: 1,
		},
		{
			name: "reopened and still open", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-03T12:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P2", "2026-03-02T10:10:00Z stage triage",
				"2026-03-02T12:00:00Z stage resolved", "2026-03-03T09:00:00Z stage investigating"},
			ack: want{st: StatusMet, prio: model.P2, ver: 1, target: 30 * m, elapsed: 10 * m, rem: 20 * m, stop: "2026-03-02T10:10:00Z"},
			res: want{st: StatusMet, prio: model.P2, ver: 1, target: 8 * h, elapsed: 2 * h, rem: 6 * h, stop: "2026-03-02T12:00:00Z"},
			// 2h + (09:00 → 12:00 = 3h) = 5h; 5h < 6h24m (80%): on track,
			// 3h left, due at 15:00.
			last: &want{st: StatusOnTrack, prio: model.P2, ver: 1, target: 8 * h, elapsed: 5 * h, rem: 3 * h,
				deadline: "2026-03-03T15:00:00Z"},
			reopens: 1,
		},
		{
			name: "skipped stages", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-05T00:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P1", "2026-03-02T10:30:00Z stage new>resolved"},
			// No triage: acknowledgement imputed at the resolve, 30m > 15m.
			ack: want{st: StatusBreached, prio: model.P1, ver: 1, target: 15 * m, elapsed: 30 * m, over: 15 * m,
				stop: "2026-03-02T10:30:00Z", deadline: "2026-03-02T10:15:00Z", imputed: true},
			res: want{st: StatusMet, prio: model.P1, ver: 1, target: 4 * h, elapsed: 30 * m, rem: 3*h + 30*m, stop: "2026-03-02T10:30:00Z"},
		},
		{
			name: "clock skew", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-05T00:00:00Z",
			events: []string{"2026-03-02T09:58:00Z priority P1", "2026-03-02T09:55:00Z stage triage",
				"2026-03-02T11:00:00Z stage resolved"},
			// Both early events are clamped to the creation: ack 0 (not −5m).
			ack:     want{st: StatusMet, prio: model.P1, ver: 1, target: 15 * m, rem: 15 * m, stop: "2026-03-02T10:00:00Z"},
			res:     want{st: StatusMet, prio: model.P1, ver: 1, target: 4 * h, elapsed: h, rem: 3 * h, stop: "2026-03-02T11:00:00Z"},
			clamped: 2,
		},
		{
			name: "event after now", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-02T12:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P1", "2026-03-02T10:05:00Z stage triage",
				"2026-03-02T12:00:30Z stage resolved"},
			// The resolve 30s in the future takes effect at now: 2h.
			ack:     want{st: StatusMet, prio: model.P1, ver: 1, target: 15 * m, elapsed: 5 * m, rem: 10 * m, stop: "2026-03-02T10:05:00Z"},
			res:     want{st: StatusMet, prio: model.P1, ver: 1, target: 4 * h, elapsed: 2 * h, rem: 2 * h, stop: "2026-03-02T12:00:00Z"},
			clamped: 1,
		},
		{
			name: "open at risk", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-02T13:20:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P1", "2026-03-02T10:05:00Z stage triage"},
			ack:    want{st: StatusMet, prio: model.P1, ver: 1, target: 15 * m, elapsed: 5 * m, rem: 10 * m, stop: "2026-03-02T10:05:00Z"},
			// 3h20m ≥ 3h12m (80% of 4h): at risk, 40m left, due 14:00.
			res: want{st: StatusAtRisk, prio: model.P1, ver: 1, target: 4 * h, elapsed: 3*h + 20*m, rem: 40 * m,
				deadline: "2026-03-02T14:00:00Z"},
		},
		{
			name: "open on track with a 90% threshold", policies: []model.SLAPolicy{std}, atRisk: 0.9,
			created: "2026-03-02T10:00:00Z", now: "2026-03-02T13:20:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P1", "2026-03-02T10:05:00Z stage triage"},
			ack:    want{st: StatusMet, prio: model.P1, ver: 1, target: 15 * m, elapsed: 5 * m, rem: 10 * m, stop: "2026-03-02T10:05:00Z"},
			// 3h20m < 3h36m (90% of 4h).
			res: want{st: StatusOnTrack, prio: model.P1, ver: 1, target: 4 * h, elapsed: 3*h + 20*m, rem: 40 * m,
				deadline: "2026-03-02T14:00:00Z"},
		},
		{
			name: "open and breached", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-02T15:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P1", "2026-03-02T10:05:00Z stage triage"},
			ack:    want{st: StatusMet, prio: model.P1, ver: 1, target: 15 * m, elapsed: 5 * m, rem: 10 * m, stop: "2026-03-02T10:05:00Z"},
			// 5h > 4h: overdue 1h since 14:00.
			res: want{st: StatusOverdue, prio: model.P1, ver: 1, target: 4 * h, elapsed: 5 * h, over: h,
				deadline: "2026-03-02T14:00:00Z"},
		},
		{
			name: "open in business hours", policies: []model.SLAPolicy{biz},
			// Created Fri 2026-03-06 15:00 CET, now Fri 16:00 CET.
			created: "2026-03-06T14:00:00Z", now: "2026-03-06T15:00:00Z",
			events: []string{"2026-03-06T14:00:00Z priority P1"},
			// Ack: 1h of 1h, just used up at now: at risk with 0 left.
			ack: want{st: StatusAtRisk, prio: model.P1, ver: 1, target: h, elapsed: h, deadline: "2026-03-06T15:00:00Z"},
			// Resolve: 7h left = Fri 16–17 (1h) + Mon 09:00 + 6h = Mon 15:00 CET.
			res: want{st: StatusOnTrack, prio: model.P1, ver: 1, target: 8 * h, elapsed: h, rem: 7 * h,
				deadline: "2026-03-09T14:00:00Z"},
		},
		{
			name: "paused now", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-02T14:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P2", "2026-03-02T10:05:00Z stage triage",
				"2026-03-02T11:00:00Z status Awaiting Vendor"},
			ack: want{st: StatusMet, prio: model.P2, ver: 1, target: 30 * m, elapsed: 5 * m, rem: 25 * m, stop: "2026-03-02T10:05:00Z"},
			// Ran 10–11 (1h), paused since 11:00 (3h): no deadline while paused.
			res: want{st: StatusOnTrack, prio: model.P2, ver: 1, target: 8 * h, elapsed: h, paused: 3 * h, rem: 7 * h, pausedNow: true},
		},
		{
			name: "paused after running out", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-02T20:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P1", "2026-03-02T10:05:00Z stage triage",
				"2026-03-02T15:00:00Z status Awaiting User Info"},
			ack: want{st: StatusMet, prio: model.P1, ver: 1, target: 15 * m, elapsed: 5 * m, rem: 10 * m, stop: "2026-03-02T10:05:00Z"},
			// Ran 10–15 (5h): overdue 1h since 14:00, paused 5h since.
			res: want{st: StatusOverdue, prio: model.P1, ver: 1, target: 4 * h, elapsed: 5 * h, paused: 5 * h, over: h,
				deadline: "2026-03-02T14:00:00Z", pausedNow: true},
		},
		{
			name: "unknown priority", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-02T12:00:00Z",
			events: []string{"2026-03-02T10:30:00Z assignee ana"},
			ack:    want{st: StatusNoTarget, ver: 1, elapsed: 30 * m, stop: "2026-03-02T10:30:00Z"},
			res:    want{st: StatusNoTarget, ver: 1, elapsed: 2 * h},
		},
		{
			name: "priority without a target", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-02T12:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P5"},
			ack:    want{st: StatusNoTarget, prio: model.P5, ver: 1, elapsed: 2 * h},
			res:    want{st: StatusNoTarget, prio: model.P5, ver: 1, elapsed: 2 * h},
		},
		{
			name:    "no policy",
			created: "2026-03-02T10:00:00Z", now: "2026-03-02T12:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P1", "2026-03-02T11:00:00Z stage triage",
				"2026-03-02T11:10:00Z status Awaiting User Info"},
			// No pause statuses without a policy: 2h.
			ack: want{st: StatusNoTarget, prio: model.P1, elapsed: h, stop: "2026-03-02T11:00:00Z"},
			res: want{st: StatusNoTarget, prio: model.P1, elapsed: 2 * h},
		},
		{
			name: "resolved and reopened at one instant, the resolve delivered twice", policies: []model.SLAPolicy{std},
			created: "2026-03-02T10:00:00Z", now: "2026-03-02T13:00:00Z",
			events: []string{"2026-03-02T10:00:00Z priority P1", "2026-03-02T10:05:00Z stage triage",
				"2026-03-02T11:00:00Z stage triage>resolved", "2026-03-02T11:00:00Z stage resolved>investigating",
				"2026-03-02T11:00:00Z stage triage>resolved"}, // duplicate: the case stays reopened
			ack: want{st: StatusMet, prio: model.P1, ver: 1, target: 15 * m, elapsed: 5 * m, rem: 10 * m, stop: "2026-03-02T10:05:00Z"},
			res: want{st: StatusMet, prio: model.P1, ver: 1, target: 4 * h, elapsed: h, rem: 3 * h, stop: "2026-03-02T11:00:00Z"},
			// Not done at any moment of positive length: 3h of 4h, 75%.
			last:    &want{st: StatusOnTrack, prio: model.P1, ver: 1, target: 4 * h, elapsed: 3 * h, rem: h, deadline: "2026-03-02T14:00:00Z"},
			reopens: 1, dups: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pol *Policies
			if len(tt.policies) > 0 {
				pol = mustPolicies(t, tt.policies...)
			}
			created := ts(t, tt.created)
			var evs []model.CaseEvent
			for i, l := range tt.events {
				ev := e(l)
				ev.ID = int64(i + 1)
				evs = append(evs, ev)
			}
			// The store's order: by time, then id.
			slices.SortStableFunc(evs, compareEvents)
			res := Evaluator{Policies: pol, AtRisk: tt.atRisk}.Evaluate(created, evs, ts(t, tt.now))
			checkClock(t, "acknowledge", res.Acknowledge, tt.ack, created)
			checkClock(t, "resolve", res.Resolve, tt.res, created)
			last := tt.last
			if last == nil {
				last = &tt.res
			}
			checkClock(t, "last resolve", res.ResolveLast, *last, created)
			if res.Reopens != tt.reopens || res.Clamped != tt.clamped || res.Duplicates != tt.dups {
				t.Errorf("reopens, clamped, duplicates = %d, %d, %d; want %d, %d, %d",
					res.Reopens, res.Clamped, res.Duplicates, tt.reopens, tt.clamped, tt.dups)
			}
			if pol != nil && res.Resolve.Policy != pol.Versions()[0].Name {
				t.Errorf("policy name %q, want %q", res.Resolve.Policy, pol.Versions()[0].Name)
			}
		})
	}
}

// TestEvaluateDisorder feeds a reopened case's log reversed, with every
// event delivered twice, and expects the ordered result plus the duplicates
// counted.
func TestEvaluateDisorder(t *testing.T) {
	pol := mustPolicies(t, std)
	created := ts(t, "2026-03-02T10:00:00Z")
	now := ts(t, "2026-03-05T00:00:00Z")
	lines := []string{"2026-03-02T10:00:00Z priority P2", "2026-03-02T10:10:00Z stage triage",
		"2026-03-02T11:00:00Z status Awaiting User Info", "2026-03-02T11:30:00Z status In Progress",
		"2026-03-02T12:00:00Z stage resolved", "2026-03-03T09:00:00Z stage investigating",
		"2026-03-03T16:00:00Z stage closed"}
	var ordered, messy []model.CaseEvent
	for i, l := range lines {
		ev := e(l)
		ev.ID = int64(i + 1)
		ordered = append(ordered, ev)
		dup := ev
		dup.ID += 100
		messy = append(messy, dup, ev)
	}
	slices.Reverse(messy)
	before := slices.Clone(messy)
	ev := Evaluator{Policies: pol}
	want := ev.Evaluate(created, ordered, now)
	got := ev.Evaluate(created, messy, now)
	if got.Duplicates != len(lines) {
		t.Errorf("duplicates = %d, want %d", got.Duplicates, len(lines))
	}
	got.Duplicates = 0
	if got != want {
		t.Errorf("disordered log:\n got %+v\nwant %+v", got, want)
	}
	// 10:00–11:00 + 11:30–12:00 = 1h30m, paused 30m.
	if want.Resolve.Elapsed != h+30*m || want.Resolve.Paused != 30*m {
		t.Errorf("resolve elapsed, paused = %v, %v; want 1h30m, 30m", want.Resolve.Elapsed, want.Resolve.Paused)
	}
	if !slices.EqualFunc(before, messy, func(a, b model.CaseEvent) bool { return a == b }) {
		t.Error("Evaluate modified its input")
	}
}

func TestEvaluateMissingStart(t *testing.T) {
	now := ts(t, "2026-03-05T00:00:00Z")
	evs := []model.CaseEvent{{Kind: model.EventStage, New: "triage"}, e("2026-03-02T10:30:00Z stage resolved")}
	res := Evaluator{}.Evaluate(time.Time{}, evs, now)
	if res.Acknowledge.Status != StatusMissing || res.Resolve.Status != StatusMissing ||
		res.ResolveLast.Status != StatusMissing || res.Undated != 1 || res.Resolve.Open() {
		t.Errorf("no creation time: %+v", res)
	}
	// A created event supplies the start.
	evs = append(evs, e("2026-03-02T10:00:00Z created Phish"))
	slices.SortStableFunc(evs, compareEvents)
	res = Evaluator{}.Evaluate(time.Time{}, evs, now)
	// The undated triage is ignored; the resolve stops both clocks, imputed.
	if res.Resolve.Elapsed != 30*m || res.Acknowledge.Elapsed != 30*m || !res.Acknowledge.Imputed || res.Undated != 1 {
		t.Errorf("start from created event: ack %+v resolve %+v undated %d", res.Acknowledge, res.Resolve, res.Undated)
	}
	// Now before the creation: clamped, nothing elapsed.
	res = Evaluator{}.Evaluate(ts(t, "2026-03-06T00:00:00Z"), nil, now)
	if res.Clamped != 1 || res.Resolve.Elapsed != 0 || !res.Resolve.Open() {
		t.Errorf("now before creation: %+v", res)
	}
}

func TestClockHelpers(t *testing.T) {
	for _, tt := range []struct {
		c              Clock
		open, breached bool
	}{
		{Clock{Status: StatusOnTrack}, true, false},
		{Clock{Status: StatusOverdue}, true, true},
		{Clock{Status: StatusBreached, Stop: jan1}, false, true},
		{Clock{Status: StatusMet, Stop: jan1}, false, false},
		{Clock{Status: StatusMissing}, false, false},
	} {
		if tt.c.Open() != tt.open || tt.c.Breached() != tt.breached {
			t.Errorf("%s: Open, Breached = %v, %v; want %v, %v", tt.c.Status, tt.c.Open(), tt.c.Breached(), tt.open, tt.breached)
		}
	}
}
