package sla

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// TestStatusAtMatchesEvaluate pins breaches in flight: a running clock
// evaluated at t0 and judged at a later t1 with StatusAt has the status
// Evaluate gives at t1, for 24×7 and business-hours policies with pauses,
// including at the instants a clock turns at risk and overdue.
func TestStatusAtMatchesEvaluate(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	targets := map[model.Priority]model.SLATarget{model.P1: {Acknowledge: 15 * m, Resolve: 4 * h}, model.P3: {Acknowledge: h, Resolve: 24 * h}}
	pols := map[string]*Policies{
		"24x7": mustPolicies(t, model.SLAPolicy{Name: "p", Version: 1, EffectiveFrom: time.Unix(0, 0), Targets: targets,
			PauseStatuses: []string{"Awaiting User Info"}}),
		"office": mustPolicies(t, model.SLAPolicy{Name: "b", Version: 1, EffectiveFrom: time.Unix(0, 0), Targets: targets,
			PauseStatuses: []string{"Awaiting User Info"}, Calendar: berlinOffice}),
	}
	statuses := []string{"Open", "Awaiting User Info", "In Progress"}
	checked := map[Status]int{}
	for i := range 3000 {
		created := time.Date(2026, 3, 1+r.IntN(60), r.IntN(24), r.IntN(60), 0, 0, time.UTC)
		t0 := created.Add(time.Duration(r.Int64N(int64(3 * 24 * h)))).Truncate(time.Second)
		var evs []model.CaseEvent
		for j := range r.IntN(5) {
			at := created.Add(time.Duration(r.Int64N(int64(t0.Sub(created) + 1)))).Truncate(time.Minute)
			ev := model.CaseEvent{ID: int64(j + 1), At: at}
			switch r.IntN(3) {
			case 0:
				ev.Kind, ev.New = model.EventStatus, statuses[r.IntN(len(statuses))]
			case 1:
				ev.Kind, ev.New = model.EventPriority, []string{"P1", "P3"}[r.IntN(2)]
			default:
				ev.Kind, ev.New = model.EventStage, []string{"new", "triage", "investigating"}[r.IntN(3)]
			}
			evs = append(evs, ev)
		}
		slices.SortStableFunc(evs, compareEvents)
		for name, p := range pols {
			ev := Evaluator{Policies: p}
			before := ev.Evaluate(created, evs, t0)
			for _, c := range []struct {
				clock string
				pick  func(Result) Clock
			}{{"ack", func(r Result) Clock { return r.Acknowledge }}, {"resolve", func(r Result) Clock { return r.Resolve }}} {
				c0 := c.pick(before)
				// Later instants: random ones, and the turning points
				// themselves with a microsecond either side.
				var at []time.Time
				for range 3 {
					at = append(at, t0.Add(time.Duration(r.Int64N(int64(5*24*h)))).Truncate(time.Second))
				}
				for _, x := range []time.Time{c0.AtRiskFrom, c0.OverdueFrom} {
					if x.After(t0.Add(time.Microsecond)) {
						at = append(at, x.Add(-time.Microsecond), x, x.Add(time.Microsecond))
					}
				}
				// Earlier instants after the last event: the turning instants
				// alone (as reports keep them) tell the status there too.
				last := created
				if len(evs) > 0 && evs[len(evs)-1].At.After(last) {
					last = evs[len(evs)-1].At
				}
				if running := c0.Status == StatusOnTrack || c0.Status == StatusAtRisk || c0.Status == StatusOverdue; running && t0.After(last) {
					t1 := last.Add(time.Duration(r.Int64N(int64(t0.Sub(last))))).Truncate(time.Second)
					if !t1.Before(last) {
						want := c.pick(ev.Evaluate(created, evs, t1)).Status
						if got := Judge(StatusOnTrack, c0.AtRiskFrom, c0.OverdueFrom, t1); got != want {
							t.Fatalf("#%d %s %s: at %s (before the evaluation at %s) the instants say %s, Evaluate %s (at risk from %s, overdue from %s, log %v)",
								i, name, c.clock, t1, t0, got, want, c0.AtRiskFrom, c0.OverdueFrom, evs)
						}
					}
				}
				for _, t1 := range at {
					want := c.pick(ev.Evaluate(created, evs, t1)).Status
					if got := c0.StatusAt(t1); got != want {
						t.Fatalf("#%d %s %s: evaluated %s at %s (at risk from %s, overdue from %s), judged %s at %s; Evaluate says %s (log %v)",
							i, name, c.clock, c0.Status, t0, c0.AtRiskFrom, c0.OverdueFrom, got, t1, want, evs)
					}
					checked[want]++
				}
			}
		}
	}
	for _, st := range []Status{StatusOnTrack, StatusAtRisk, StatusOverdue, StatusMet} {
		if checked[st] < 50 {
			t.Errorf("only %d judgements ended %s: the property is not exercised", checked[st], st)
		}
	}
}

// TestJudge pins the judgement of a clock at a later instant by hand.
func TestJudge(t *testing.T) {
	risk, over := ts(t, "2026-03-02T10:48:00Z"), ts(t, "2026-03-02T11:00:00.000001Z")
	tests := []struct {
		st   Status
		risk time.Time
		over time.Time
		at   string
		want Status
	}{
		{StatusOnTrack, risk, over, "2026-03-02T10:47:59Z", StatusOnTrack},
		{StatusOnTrack, risk, over, "2026-03-02T10:48:00Z", StatusAtRisk},
		{StatusOnTrack, risk, over, "2026-03-02T11:00:00Z", StatusAtRisk}, // elapsed = target: not past it
		{StatusOnTrack, risk, over, "2026-03-02T11:00:00.000001Z", StatusOverdue},
		{StatusOnTrack, time.Time{}, time.Time{}, "2030-01-01T00:00:00Z", StatusOnTrack}, // paused: never turns
		{StatusAtRisk, time.Time{}, time.Time{}, "2030-01-01T00:00:00Z", StatusAtRisk},
		{StatusOverdue, time.Time{}, time.Time{}, "2026-03-02T10:00:00Z", StatusOverdue},
		{StatusMet, risk, over, "2030-01-01T00:00:00Z", StatusMet},
		{StatusBreached, time.Time{}, time.Time{}, "2030-01-01T00:00:00Z", StatusBreached},
		{StatusNoTarget, time.Time{}, time.Time{}, "2030-01-01T00:00:00Z", StatusNoTarget},
	}
	for _, tt := range tests {
		if got := Judge(tt.st, tt.risk, tt.over, ts(t, tt.at)); got != tt.want {
			t.Errorf("Judge(%s, %s, %s, %s) = %s, want %s", tt.st, tt.risk, tt.over, tt.at, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	at := ts(t, "2026-01-01T00:00:00Z")
	good := model.SLAPolicy{Name: "SOC standard", Version: 1, EffectiveFrom: at,
		Targets:       map[model.Priority]model.SLATarget{model.P1: {Acknowledge: 30 * m, Resolve: 24 * h}},
		PauseStatuses: []string{"Awaiting User Info"}, Calendar: berlinOffice}
	if err := Validate(good); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
	edit := func(f func(p *model.SLAPolicy)) model.SLAPolicy {
		p := good
		p.Targets = map[model.Priority]model.SLATarget{model.P1: good.Targets[model.P1]}
		cal := *good.Calendar
		p.Calendar = &cal
		f(&p)
		return p
	}
	tests := []struct {
		name string
		p    model.SLAPolicy
		want string
	}{
		// The record of issue 10: a negative acknowledge target and a
		// 60-second (60e9 ns) resolve target.
		{"negative and unit mistake", edit(func(p *model.SLAPolicy) {
			p.Version = 99
			p.Targets[model.P1] = model.SLATarget{Acknowledge: -1, Resolve: 60000000000}
		}), "targets.P1.acknowledge: -1ns is negative"},
		{"neither", edit(func(p *model.SLAPolicy) { p.Targets[model.P1] = model.SLATarget{} }), "targets.P1: sets neither acknowledge nor resolve"},
		{"seconds as nanoseconds", edit(func(p *model.SLAPolicy) { p.Targets[model.P1] = model.SLATarget{Acknowledge: 1800, Resolve: h} }),
			"targets.P1.acknowledge: 1.8µs is shorter than 1m0s"},
		{"absurdly long", edit(func(p *model.SLAPolicy) { p.Targets[model.P1] = model.SLATarget{Acknowledge: h, Resolve: 400 * 24 * h} }),
			"targets.P1.resolve: 9600h0m0s is longer than 8784h0m0s"},
		{"unknown priority", edit(func(p *model.SLAPolicy) { p.Targets[model.Priority(7)] = model.SLATarget{Acknowledge: h, Resolve: h} }),
			"targets: priority 7 is not one of P1 … P5"},
		{"no targets", edit(func(p *model.SLAPolicy) { p.Targets = nil }), "targets: none given"},
		{"no name", edit(func(p *model.SLAPolicy) { p.Name = " " }), "name: missing"},
		{"version zero", edit(func(p *model.SLAPolicy) { p.Version = 0 }), "version: 0 is not a positive number"},
		{"no effective_from", edit(func(p *model.SLAPolicy) { p.EffectiveFrom = time.Time{} }), "effective_from: missing"},
		{"blank pause status", edit(func(p *model.SLAPolicy) { p.PauseStatuses = []string{"x", " "} }), "pause_statuses[1]: blank"},
		{"time zone on Mars", edit(func(p *model.SLAPolicy) { p.Calendar.TimeZone = "Mars/Olympus" }), `calendar: load time zone "Mars/Olympus"`},
		{"no working days", edit(func(p *model.SLAPolicy) { p.Calendar.Days = nil }), "calendar: no working days"},
		{"hours reversed", edit(func(p *model.SLAPolicy) { p.Calendar.Start, p.Calendar.End = "17:00", "09:00" }), `calendar: end "09:00" is not after start "17:00"`},
		{"bad holiday", edit(func(p *model.SLAPolicy) { p.Calendar.Holidays = []string{"25/12/2026"} }), `calendar: holiday "25/12/2026": want YYYY-MM-DD`},
	}
	for _, tt := range tests {
		err := Validate(tt.p)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// TestLoad: stored versions that fail Validate are left out with a
// warning, the rest judge; every version on one timeline, so a version of
// another name that takes effect later judges only what follows it.
func TestLoad(t *testing.T) {
	if Load(nil) != nil {
		t.Fatal("Load(nil) is not nil")
	}
	def := model.SLAPolicy{Name: "default", Version: 1, EffectiveFrom: ts(t, "2026-01-01T00:00:00Z"),
		Targets: map[model.Priority]model.SLATarget{model.P1: {Acknowledge: 30 * m, Resolve: 24 * h}}}
	bad := model.SLAPolicy{Name: "SOC standard", Version: 99, EffectiveFrom: ts(t, "2026-11-01T00:00:00Z"),
		Targets: map[model.Priority]model.SLATarget{model.P1: {Acknowledge: -1, Resolve: 60000000000}}}
	mars := model.SLAPolicy{Name: "SOC standard", Version: 100, EffectiveFrom: ts(t, "2026-11-01T00:00:00Z"),
		Targets:  map[model.Priority]model.SLATarget{model.P1: {Acknowledge: h, Resolve: 48 * h}},
		Calendar: &model.BusinessHours{TimeZone: "Mars/Olympus", Days: weekdays, Start: "09:00", End: "17:00"}}
	later := model.SLAPolicy{Name: "SOC standard", Version: 2, EffectiveFrom: ts(t, "2026-11-01T00:00:00Z"),
		Targets: map[model.Priority]model.SLATarget{model.P1: {Acknowledge: h, Resolve: 48 * h}}}
	p := Load([]model.SLAPolicy{later, bad, def, mars})
	if p.Len() != 2 {
		t.Fatalf("Len = %d, want 2 (default v1, SOC standard v2)", p.Len())
	}
	w := p.Warnings()
	if len(w) != 2 || !strings.Contains(w[0], `"SOC standard" version 99 left out: targets.P1.acknowledge`) ||
		!strings.Contains(w[1], `"SOC standard" version 100 left out: calendar: load time zone "Mars/Olympus"`) {
		t.Errorf("warnings = %q", w)
	}
	for _, tt := range []struct {
		at      string
		name    string
		version int
	}{
		{"2026-03-02T10:00:00Z", "default", 1}, // history keeps its judge
		{"2026-10-31T23:59:59Z", "default", 1},
		{"2026-11-01T00:00:00Z", "SOC standard", 2},
	} {
		if got := p.InForce(ts(t, tt.at)); got.Name != tt.name || got.Version != tt.version {
			t.Errorf("InForce(%s) = %s v%d, want %s v%d", tt.at, got.Name, got.Version, tt.name, tt.version)
		}
	}
	if next, ok := p.NextChange(ts(t, "2026-03-02T10:00:00Z")); !ok || !next.Equal(ts(t, "2026-11-01T00:00:00Z")) {
		t.Errorf("NextChange = %s, %v", next, ok)
	}
	if _, ok := p.NextChange(ts(t, "2026-11-01T00:00:00Z")); ok {
		t.Error("NextChange after the last version")
	}
	// Every version bad: no SLA, the warnings kept.
	none := Load([]model.SLAPolicy{bad})
	if none == nil || none.Len() != 0 || len(none.Warnings()) != 1 {
		t.Errorf("Load(bad) = %d versions, warnings %q", none.Len(), none.Warnings())
	}
	res := Evaluator{Policies: none}.Evaluate(ts(t, "2026-03-02T10:00:00Z"), nil, ts(t, "2026-03-03T10:00:00Z"))
	if res.Resolve.Status != StatusNoTarget {
		t.Errorf("clock under no usable version: %s, want no_target", res.Resolve.Status)
	}
}
