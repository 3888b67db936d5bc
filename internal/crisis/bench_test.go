package crisis

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// BenchmarkClocks computes the clocks of an incident subject to every
// default regime, with all triggers and some submissions recorded.
//
//	go test -run '^$' -bench Clocks ./internal/crisis
func BenchmarkClocks(b *testing.B) {
	rules := DefaultRules()
	a := utc("2026-07-02T15:00:00Z")
	inc := &Incident{Regimes: rules.IDs(), Triggers: []Trigger{{Type: TriggerAware, At: a}, {Type: TriggerReasonableBelief, At: a},
		{Type: TriggerClassifiedMajor, At: a.Add(time.Hour)}, {Type: TriggerMaterialityDetermined, At: a}, {Type: TriggerRansomPaid, At: a}},
		Submissions: []Submission{{Regime: "nis2", Report: "notification", At: a.Add(30 * time.Hour)}, {Regime: "dora", Report: "initial", At: a.Add(2 * time.Hour)}}}
	now := a.Add(40 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if n := len(inc.Clocks(rules, now, time.UTC)); n != 11 {
			b.Fatalf("%d clocks", n)
		}
	}
}

// BenchmarkIncidentStatus reads the war-room view of an incident whose log
// holds 993 entries, from SQLite: the log replay, clocks, cadence, case
// and cost reads.
//
//	go test -run '^$' -bench IncidentStatus ./internal/crisis
func BenchmarkIncidentStatus(b *testing.B) {
	st := storetest.Open(b, storetest.SQLitePath(b))
	ctx := context.Background()
	s, c := newBenchService(b, st)
	for i := range 330 {
		c.advance(time.Minute)
		if _, err := s.RecordEvent(ctx, ic, "MI-1", EventInput{Type: EntryObservation, Text: fmt.Sprintf("observation %d", i)}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.PostUpdate(ctx, ic, "MI-1", UpdateInput{Conditions: "c", Actions: "a", Needs: "none"}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Task(ctx, ic, "MI-1", TaskInput{Title: fmt.Sprintf("task %d", i), Owner: "ann", Due: c.now.Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	b.ReportAllocs()
	for b.Loop() {
		v, err := s.Status(ctx, "MI-1")
		if err != nil || len(v.Timeline) != 993 {
			b.Fatalf("%v, %d entries", err, len(v.Timeline))
		}
	}
}

func newBenchService(b *testing.B, st Store) (*Service, *clock) {
	b.Helper()
	c := &clock{now: t0}
	cfg := &Config{}
	if err := cfg.Prepare(); err != nil {
		b.Fatal(err)
	}
	s := &Service{Store: st, Config: cfg, Now: c.Now}
	if _, err := s.Declare(context.Background(), ic, DeclareInput{Title: "bench", Severity: "SEV1", Regimes: []string{"gdpr", "nis2", "dora"},
		AwareAt: t0}); err != nil {
		b.Fatal(err)
	}
	return s, c
}
