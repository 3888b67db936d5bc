package model

import (
	"encoding/json"
	"testing"
	"time"
)

// Priorities and severities travel as text in JSON, both ways.
func TestPriorityAndSeverityJSON(t *testing.T) {
	type rec struct {
		P Priority `json:"p"`
		S Severity `json:"s"`
	}
	tests := []struct {
		in   rec
		want string
	}{
		{rec{P1, SeverityCritical}, `{"p":"P1","s":"critical"}`},
		{rec{P5, SeverityInformational}, `{"p":"P5","s":"informational"}`},
		{rec{PriorityUnknown, SeverityUnknown}, `{"p":"","s":""}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("marshal %+v: %s, want %s", tt.in, b, tt.want)
		}
		var back rec
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back != tt.in {
			t.Errorf("round trip of %s: %+v, want %+v", b, back, tt.in)
		}
	}
	var r rec
	if err := json.Unmarshal([]byte(`{"p":"high","s":"4"}`), &r); err != nil || r.P != P2 || r.S != SeverityHigh {
		t.Errorf(`"high" and "4": %+v, %v; want P2 and high`, r, err)
	}
	if err := json.Unmarshal([]byte(`{"p":"urgent"}`), &r); err == nil {
		t.Error(`priority "urgent" was accepted`)
	}
	if err := json.Unmarshal([]byte(`{"s":"apocalyptic"}`), &r); err == nil {
		t.Error(`severity "apocalyptic" was accepted`)
	}
	if got := len(Priorities); got != 5 || Priorities[0] != P1 || Priorities[4] != P5 {
		t.Errorf("Priorities %v, want P1 … P5", Priorities)
	}
}

func TestDispositionAndEventKind(t *testing.T) {
	for _, d := range []Disposition{DispositionNone, DispositionTruePositive, DispositionBenignPositive, DispositionFalsePositive,
		DispositionDuplicate, DispositionInconclusive, DispositionTest} {
		if !d.Valid() {
			t.Errorf("%q is not valid", d)
		}
		if d.ExcludedByDefault() != (d == DispositionTest) {
			t.Errorf("%q excluded by default: %v", d, d.ExcludedByDefault())
		}
	}
	if Disposition("maybe").Valid() {
		t.Error(`disposition "maybe" is valid`)
	}
	for _, k := range EventKinds {
		if !k.Valid() {
			t.Errorf("event kind %q is not valid", k)
		}
	}
	// Alert-only kinds are not case event kinds.
	for _, k := range []EventKind{EventRule, EventOccurred, EventCreatedAt, "teleport"} {
		if k.Valid() {
			t.Errorf("%q is a valid case event kind", k)
		}
	}
}

// StateOf reads back exactly what Fill wrote.
func TestStateRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	st := CaseState{Title: "t", Status: "Active", Stage: StageInvestigating, Priority: P2, Severity: SeverityHigh,
		Assignee: "ann", Team: "blue", Disposition: DispositionTruePositive, AcknowledgedAt: at, ContainedAt: at.Add(time.Hour),
		ResolvedAt: at.Add(2 * time.Hour), ClosedAt: at.Add(3 * time.Hour), ReopenCount: 1, LastEventAt: at.Add(4 * time.Hour)}
	var c Case
	st.Fill(&c)
	if back := StateOf(&c); back != st {
		t.Errorf("round trip\n got %+v\nwant %+v", back, st)
	}
}

func TestParseRunbookExecution(t *testing.T) {
	rb, err := ParseRunbookExecution(`{"runbook":"Isolate host","status":"completed","started_at":"2026-03-02T09:00:00Z"}`)
	if err != nil {
		t.Fatal(err)
	}
	if rb.Runbook != "Isolate host" || rb.Status != "completed" || !rb.StartedAt.Equal(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("execution %+v", rb)
	}
	if _, err := ParseRunbookExecution("ran it"); err == nil {
		t.Error("a runbook event without a record parsed")
	}
}
