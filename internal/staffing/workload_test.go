package staffing

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func ptr[T any](v T) *T { return &v }

// historyBatch is two weeks (Monday 2 – Sunday 15 March 2026, UTC) of a
// tiny SOC: two analysts on an 08:00–16:00 shift every day, five cases and
// six alerts.
func historyBatch() *store.Batch {
	ev := func(c, id, at string, kind model.EventKind, val, actor string) model.CaseEvent {
		return model.CaseEvent{CaseSource: "s", CaseExternalID: c, ExternalID: id, At: ts(at), Source: "s", Kind: kind, New: val, Actor: actor}
	}
	kase := func(id, at string, p model.Priority) model.Case {
		return model.Case{Source: "s", ExternalID: id, Title: id, Priority: p, Stage: model.StageNew, CreatedAt: ts(at), UpdatedAt: ts(at)}
	}
	alert := func(id, at, rule string) model.Alert {
		return model.Alert{Source: "s", ExternalID: id, Title: id, Severity: model.SeverityHigh, RuleID: rule, RuleName: "rule " + rule, CreatedAt: ts(at)}
	}
	every := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	return &store.Batch{
		Shifts: []model.Shift{{Name: "Day", Start: "08:00", Duration: 8 * time.Hour, Days: every, TimeZone: "UTC"}},
		Analysts: []model.Analyst{
			{ExternalID: "alice", Name: "Alice", Shift: "Day", Active: true, Tier: model.TierL1,
				Skills: []model.Skill{{Name: "alert triage", Level: 3}, {Name: "malware analysis", Level: 2}}},
			{ExternalID: "bob", Name: "Bob", Shift: "Day", Active: true, Tier: model.TierL2,
				Skills: []model.Skill{{Name: "alert triage", Level: 4}, {Name: "malware analysis", Level: 4}}},
		},
		SLA: []model.SLAPolicy{{Name: "std", Version: 1, EffectiveFrom: ts("2026-01-01T00:00:00Z"), Targets: map[model.Priority]model.SLATarget{
			model.P2: {Acknowledge: 30 * time.Minute}, model.P3: {Acknowledge: 4 * time.Hour}}}},
		Alerts: []model.Alert{
			alert("a1", "2026-03-04T14:05:00Z", "R1"), alert("a2", "2026-03-04T14:20:00Z", "R1"),
			alert("a3", "2026-03-04T14:40:00Z", "R2"), alert("a4", "2026-03-04T14:50:00Z", "R1"),
			alert("a5", "2026-03-11T14:10:00Z", "R1"), alert("a6", "2026-03-11T14:55:00Z", "R2"),
		},
		Cases: []model.Case{
			kase("A", "2026-03-02T09:00:00Z", model.P2), kase("B", "2026-03-02T09:30:00Z", model.P2),
			kase("C", "2026-03-09T09:15:00Z", model.P2), kase("D", "2026-03-03T10:00:00Z", model.P3),
			kase("E", "2026-03-15T23:10:00Z", model.P4),
		},
		Events: []model.CaseEvent{
			// Work sessions are runs of events by people at most 30 min
			// apart (DefaultSessionGap), worked from first to last event.
			// A: alice 09:00, 09:30, 10:00: one session, 1h.
			ev("A", "1", "2026-03-02T09:00:00Z", model.EventAssignee, "alice", "alice"),
			ev("A", "2", "2026-03-02T09:30:00Z", model.EventComment, "looked at it", "alice"),
			ev("A", "3", "2026-03-02T10:00:00Z", model.EventStage, "resolved", "alice"),
			// B: alice 10:00, 10:15, 10:30 (30m), then a runbook logged
			// 17:00 that started 16:00 and the resolution 17:30 (90m): 2h.
			ev("B", "1", "2026-03-02T10:00:00Z", model.EventAssignee, "alice", "alice"),
			ev("B", "2", "2026-03-02T10:15:00Z", model.EventStage, "investigating", "alice"),
			ev("B", "3", "2026-03-02T10:30:00Z", model.EventComment, "waiting for the scan", "alice"),
			ev("B", "4", "2026-03-02T17:00:00Z", model.EventRunbook,
				`{"runbook":"Scan host","status":"completed","started_at":"2026-03-02T16:00:00Z","finished_at":"2026-03-02T17:00:00Z"}`, "alice"),
			ev("B", "5", "2026-03-02T17:30:00Z", model.EventStage, "resolved", "alice"),
			// C: bob 09:15 and 10:15, an hour apart: two single-event
			// sessions, 0 (nothing is invented between them).
			ev("C", "1", "2026-03-09T09:15:00Z", model.EventAssignee, "bob", "bob"),
			ev("C", "2", "2026-03-09T10:15:00Z", model.EventStage, "resolved", "bob"),
			// D: triaged by carol (not on the roster) 10:00, 10:20, resolved
			// 10:40: 40m.
			ev("D", "1", "2026-03-03T10:00:00Z", model.EventStage, "triage", "carol"),
			ev("D", "2", "2026-03-03T10:20:00Z", model.EventComment, "checked", "carol"),
			ev("D", "3", "2026-03-03T10:40:00Z", model.EventStage, "resolved", "carol"),
		},
	}
}

// TestModelFromStore builds the workload from a hand-built store on each
// engine and checks every measured input exactly.
func TestModelFromStore(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ctx := context.Background()
		res, err := st.Apply(ctx, historyBatch())
		if err != nil || len(res.Rejects) > 0 {
			t.Fatalf("apply: %v %+v", err, res.Rejects)
		}
		cfg := Config{HistoryDays: 14, ContractHours: ptr(56.0)}
		w, err := Model(ctx, st, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if w.TimeZone != "UTC" || !w.Since.Equal(ts("2026-03-02T00:00:00Z")) || !w.Until.Equal(ts("2026-03-16T00:00:00Z")) || w.Weeks != 2 {
			t.Fatalf("window %s %v … %v (%v weeks)", w.TimeZone, w.Since, w.Until, w.Weeks)
		}
		if len(w.Queues) != 3 {
			t.Fatalf("queues %d, want cases P2, P3, P4 (alert triage off): %+v", len(w.Queues), w.Queues)
		}
		if len(w.Notes) != 1 || !strings.Contains(w.Notes[0], "3 alerts a week arrived") {
			t.Errorf("notes %q", w.Notes)
		}
		p2, p3, p4 := w.Queue(Cases, model.P2), w.Queue(Cases, model.P3), w.Queue(Cases, model.P4)
		// Arrivals: three P2 cases on Mondays 09:00–10:00 over two weeks.
		if p2.ArrivalsPerHour[9] != 1.5 || p2.WeeklyArrivals != 1.5 || p3.ArrivalsPerHour[24+10] != 0.5 || p4.ArrivalsPerHour[167] != 0.5 {
			t.Errorf("arrivals: P2 Mon 09 %v (weekly %v), P3 Tue 10 %v, P4 Sun 23 %v",
				p2.ArrivalsPerHour[9], p2.WeeklyArrivals, p3.ArrivalsPerHour[34], p4.ArrivalsPerHour[167])
		}
		// Handle times: A 3600 s, B 7200 s, C 0 s active: mean 3600,
		// median 3600. The effort is the handle time itself (concurrency 1).
		if p2.Handle == nil {
			t.Fatal("P2 has no measured handle times")
		}
		if p2.Handle.N != 3 || p2.HandleSeconds != 3600 {
			t.Errorf("P2 handle times: %d cases, mean %v s; want 3 and 3600", p2.Handle.N, p2.HandleSeconds)
		}
		if p2.Handle.MedianSeconds != 3600 || p2.Concurrency != 1 || p2.EffortSeconds != 3600 {
			t.Errorf("P2 median %v concurrency %v effort %v", p2.Handle.MedianSeconds, p2.Concurrency, p2.EffortSeconds)
		}
		if p3.EffortSeconds != 2400 || p3.HandleSeconds != 2400 {
			t.Errorf("P3 effort %v handle %v", p3.EffortSeconds, p3.HandleSeconds)
		}
		// P4 has no resolved case: the figures over all priorities,
		// (3600 + 7200 + 0 + 2400) / 4 = 3300.
		if p4.EffortSeconds != 3300 || p4.Handle.N != 4 {
			t.Errorf("P4 effort %v over %d", p4.EffortSeconds, p4.Handle.N)
		}
		// SLA targets from the policy; P4 has none.
		if p2.AnswerWithinSeconds != 1800 {
			t.Errorf("P2 answer within %v s, want the SLA's 1800", p2.AnswerWithinSeconds)
		}
		if p4.AnswerWithinSeconds != 86400 {
			t.Errorf("P4 answer within %v s, want the assumed 86400", p4.AnswerWithinSeconds)
		}
		for _, c := range []struct {
			q     *Queue
			input string
			want  Source
		}{{p2, "answer_within", FromSLA}, {p4, "answer_within", FromAssumption}, {p2, "handle_time", FromHistory}, {p2, "arrivals", FromHistory}} {
			if got := c.q.Sources[c.input]; got != c.want {
				t.Errorf("%s %s from %q, want %q", c.q.Name, c.input, got, c.want)
			}
		}
		inputs := map[string]bool{}
		for _, a := range w.Assumptions {
			inputs[a.Input] = true
		}
		for _, want := range []string{"P4 answer_within", "cases P4 handle_time", "shrinkage", "max_occupancy", "target_service_level", "min_heads"} {
			if !inputs[want] {
				t.Errorf("assumption %q not listed: %+v", want, w.Assumptions)
			}
		}
		if inputs["contract_hours"] {
			t.Error("contract hours were configured but listed as an assumption")
		}

		// A 2h session gap joins C's two events (60m apart): P2 becomes
		// (3600 + 7200 + 3600) / 3 = 4800.
		wide := cfg
		wide.SessionGap = ptr(Duration(2 * time.Hour))
		if w2, err := Model(ctx, st, wide); err != nil || w2.Queue(Cases, model.P2).HandleSeconds != 4800 {
			t.Errorf("2h session gap: %v", err)
		}

		// With triage planned: six P2 alerts on Wednesdays 14:00, half of
		// them looked at by a person.
		cfg.TriageHandleTime = ptr(Duration(4 * time.Minute))
		cfg.TriageShare = ptr(0.5)
		w, err = Model(ctx, st, cfg)
		if err != nil {
			t.Fatal(err)
		}
		a2 := w.Queue(Alerts, model.P2)
		if a2 == nil {
			t.Fatal("no P2 alert queue")
		}
		if got := a2.ArrivalsPerHour[2*24+14]; got != 1.5 {
			t.Errorf("P2 alerts on Wednesday 14:00: %v an hour, want 1.5", got)
		}
		if a2.EffortSeconds != 240 {
			t.Errorf("P2 alert effort %v s, want the configured 240", a2.EffortSeconds)
		}
		if got := a2.Sources["handle_time"]; got != FromConfig {
			t.Errorf("P2 alert handle time from %q, want config", got)
		}
		// Automating half of rule R1 (four alerts in two weeks, half
		// triaged) removes 0.5 a week of the 1.5.
		removed, err := w.ReduceRule("R1", 0.5)
		if err != nil || removed != 0.5 || math.Abs(a2.ArrivalsPerHour[62]-1) > 1e-12 {
			t.Errorf("reduce R1: removed %v (%v), rate %v", removed, err, a2.ArrivalsPerHour[62])
		}
		if _, err := w.ReduceRule("nope", 0.5); err == nil {
			t.Error("reducing an unknown rule gave no error")
		}
	})
}

func TestDispersionAndTrend(t *testing.T) {
	w := &Workload{Since: ts("2026-03-02T00:00:00Z"), Until: ts("2026-03-02T02:00:00Z"), loc: time.UTC}
	// Hour 0: counts 4, 0, 0, 0 (mean 1, χ² = 9+1+1+1 = 12 on 3 df);
	// hour 1: 2, 2, 2, 2 (χ² = 0).
	var b []store.ArrivalBucket
	for i, n := range []int64{4, 0, 0, 0, 2, 2, 2, 2} {
		if n > 0 {
			b = append(b, store.ArrivalBucket{Start: w.Since.Add(time.Duration(i) * store.QuarterHour), Priority: model.P3, Count: n})
		}
	}
	d := dispersion(b, model.P3, w)
	if len(d) != 1 {
		t.Fatalf("%d dispersion checks, want the within-hour one: %+v", len(d), d)
	}
	if d[0].DF != 6 {
		t.Errorf("degrees of freedom %d, want 6", d[0].DF)
	}
	if d[0].Index != 2 {
		t.Errorf("index of dispersion %v, want 12 ÷ 6 = 2", d[0].Index)
	}
	if math.Abs(d[0].PValue-0.0619688044) > 1e-9 {
		t.Errorf("p-value %v, want 0.0619688044 (χ² 12 on 6 df)", d[0].PValue)
	}
	// Weekly totals 10, 20, 30 over three weeks: slope 10 on a mean of 20.
	w = &Workload{Since: ts("2026-03-02T00:00:00Z"), Until: ts("2026-03-23T00:00:00Z"), loc: time.UTC}
	b = []store.ArrivalBucket{
		{Start: ts("2026-03-03T00:00:00Z"), Priority: model.P1, Count: 10},
		{Start: ts("2026-03-10T00:00:00Z"), Priority: model.P1, Count: 20},
		{Start: ts("2026-03-17T00:00:00Z"), Priority: model.P1, Count: 30},
	}
	rel, z := trend(b, model.P1, w)
	if rel != 0.5 || math.Abs(z-10/math.Sqrt(20.0/2)) > 1e-12 {
		t.Errorf("trend %v z %v", rel, z)
	}
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"20", 20 * time.Second, true}, {"7.5", 7500 * time.Millisecond, true}, {"4m30s", 270 * time.Second, true},
		{"1h", time.Hour, true}, {" 90s ", 90 * time.Second, true}, {"", 0, false}, {"-3", 0, false}, {"-1m", 0, false},
		{"abc", 0, false}, {"NaN", 0, false},
	} {
		d, err := ParseDuration(c.in)
		if (err == nil) != c.ok || c.ok && time.Duration(d) != c.want {
			t.Errorf("ParseDuration(%q) = %v, %v", c.in, d, err)
		}
	}
}

func TestDecodeConfig(t *testing.T) {
	cfg, err := DecodeConfig(strings.NewReader(`
budget:
  currency: EUR
staffing:
  time_zone: Europe/Paris
  shrinkage: 0.35
  triage_handle_time: 4m
  queues:
    - {kind: cases, priority: P1, handle_time: 5400, concurrency: 2, patience: 2h}
  shift_templates:
    - {name: day, length: 8h, starts: ["07:00"], days: [mon, tue, Wednesday], work_days: 1}
`), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		field     string
		got, want any
	}{
		{"time_zone", cfg.TimeZone, "Europe/Paris"},
		{"shrinkage", *cfg.Shrinkage, 0.35},
		{"triage_handle_time", time.Duration(*cfg.TriageHandleTime), 4 * time.Minute},
		{"queues[0].priority", cfg.Queues[0].Priority, model.P1},
		{"queues[0].handle_time", cfg.Queues[0].HandleTime.Seconds(), 5400.0},
		{"queues[0].patience", cfg.Queues[0].Patience.Seconds(), 7200.0},
		{"templates[0].days[2]", cfg.Templates[0].Days[2], Weekday(time.Wednesday)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
	for _, bad := range []string{
		"staffing:\n  shrinkage: 1.5\n",
		"staffing:\n  shrinkeage: 0.3\n",
		"staffing:\n  queues: [{kind: tickets, priority: P1}]\n",
		"staffing:\n  time_zone: Mars/Olympus\n",
		"staffing:\n  session_gap: 0s\n",
		"staffing:\n  shift_templates: [{name: x, length: 8h, days: [funday]}]\n",
	} {
		if _, err := DecodeConfig(strings.NewReader(bad), "bad.yaml"); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestSmoothProfile(t *testing.T) {
	raw := make([]float64, HoursPerWeek)
	raw[0*24+9] = 4  // Monday 09:00
	raw[1*24+15] = 2 // Tuesday 15:00
	raw[5*24+3] = 1  // Saturday 03:00
	got := smoothProfile(raw)
	// Weekday shape: 4/6 at 09:00, 2/6 at 15:00; Monday's volume 4 and
	// Tuesday's 2 are spread by it; the weekend keeps its own shape.
	want := map[int]float64{9: 4 * 4.0 / 6, 15: 4 * 2.0 / 6, 24 + 9: 2 * 4.0 / 6, 24 + 15: 2 * 2.0 / 6, 5*24 + 3: 1}
	var total float64
	for h, v := range got {
		total += v
		if math.Abs(v-want[h]) > 1e-12 {
			t.Errorf("hour %d: %v, want %v", h, v, want[h])
		}
	}
	if math.Abs(total-7) > 1e-12 {
		t.Errorf("weekly total %v, want 7", total)
	}
}

func TestHandleStats(t *testing.T) {
	// 60, 120, 180, 600 s: mean 240; deviations −180, −120, −60, 360 give
	// a sample variance of 180,000 ÷ 3 = 60,000, so CV = √60,000 ÷ 240.
	// Median and p90 as the KPIs define them: the values of rank ⌈q·n⌉,
	// 2 (the lower middle, 120) and 4 (600).
	hs := handleStats([]float64{600, 60, 180, 120})
	if hs.N != 4 {
		t.Errorf("n %d, want 4", hs.N)
	}
	if hs.MeanSeconds != 240 {
		t.Errorf("mean %v, want 240", hs.MeanSeconds)
	}
	if hs.MedianSeconds != 120 {
		t.Errorf("median %v, want 120 (lower middle)", hs.MedianSeconds)
	}
	if hs.P90Seconds != 600 {
		t.Errorf("p90 %v, want 600", hs.P90Seconds)
	}
	if want := math.Sqrt(60000) / 240; math.Abs(hs.CV-want) > 1e-12 {
		t.Errorf("CV %v, want %v", hs.CV, want)
	}
	if one := handleStats([]float64{90}); one.CV != 0 || one.MedianSeconds != 90 || one.MeanSeconds != 90 {
		t.Errorf("one sample: %+v, want mean and median 90, CV 0", one)
	}
}
