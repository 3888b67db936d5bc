package model

import (
	"testing"
	"time"
)

func TestPriorityMappings(t *testing.T) {
	tests := []struct {
		name string
		got  Priority
		want Priority
	}{
		{"chronicle 1P critical", PriorityFromChronicle("PRIORITY_CRITICAL"), P1},
		{"chronicle legacy high", PriorityFromChronicle("PriorityHigh"), P2},
		{"chronicle medium", PriorityFromChronicle("PRIORITY_MEDIUM"), P3},
		{"chronicle low", PriorityFromChronicle("PriorityLow"), P4},
		{"chronicle info", PriorityFromChronicle("PriorityInfo"), P5},
		{"chronicle unspecified", PriorityFromChronicle("PRIORITY_UNSPECIFIED"), PriorityUnknown},
		{"thehive 4", PriorityFromTheHive(4), P1},
		{"thehive 3", PriorityFromTheHive(3), P2},
		{"thehive 2", PriorityFromTheHive(2), P3},
		{"thehive 1", PriorityFromTheHive(1), P4},
		{"thehive 0", PriorityFromTheHive(0), PriorityUnknown},
		{"servicenow critical", PriorityFromServiceNow("1 - Critical"), P1},
		{"servicenow moderate", PriorityFromServiceNow("3 - Moderate"), P3},
		{"servicenow planning", PriorityFromServiceNow("5 - Planning"), P5},
		{"servicenow missing", PriorityFromServiceNow("?"), PriorityUnknown},
		{"ocsf critical", SeverityFromOCSF(5).Priority(), P1},
		{"ocsf fatal", SeverityFromOCSF(6).Priority(), P1},
		{"ocsf informational", SeverityFromOCSF(1).Priority(), P5},
		{"ocsf other", SeverityFromOCSF(99).Priority(), PriorityUnknown},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestParsers(t *testing.T) {
	for in, want := range map[string]Priority{"P1": P1, "p2": P2, "3": P3, "low": P4, "informational": P5, "": PriorityUnknown} {
		if got, err := ParsePriority(in); err != nil || got != want {
			t.Errorf("ParsePriority(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParsePriority("P9"); err == nil {
		t.Error("ParsePriority(P9) accepted")
	}
	for in, want := range map[string]Severity{"High": SeverityHigh, "fatal": SeverityCritical, "info": SeverityInformational, "0": SeverityUnknown} {
		if got, err := ParseSeverity(in); err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]Disposition{"FalsePositive": DispositionFalsePositive, "malicious": DispositionTruePositive,
		"NOT_MALICIOUS": DispositionBenignPositive, "Duplicated": DispositionDuplicate, "drill": DispositionTest, "Indeterminate": DispositionInconclusive} {
		if got, err := ParseDisposition(in); err != nil || got != want {
			t.Errorf("ParseDisposition(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseDisposition("maybe"); err == nil {
		t.Error("ParseDisposition(maybe) accepted")
	}
	for in, want := range map[string]Stage{"Active": StageInvestigating, "Awaiting User Info": StageInvestigating,
		"Resolved": StageResolved, "Closed": StageClosed, "New": StageNew, "contained": StageContained, "OPENED": StageNew} {
		if got, ok := DefaultStatusMap.Stage(in); !ok || got != want {
			t.Errorf("status %q → %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := DefaultStatusMap.Stage("teleported"); ok {
		t.Error("unknown status mapped")
	}
}

func at(h int) time.Time { return time.Date(2026, 1, 1, h, 0, 0, 0, time.UTC) }

func TestProjectionFoldsTheLog(t *testing.T) {
	log := []CaseEvent{
		{At: at(0), Kind: EventCreated, New: "Phish"},
		{At: at(0), Kind: EventPriority, New: "P3"},
		{At: at(1), Kind: EventAssignee, New: "alice"},
		{At: at(2), Kind: EventStage, Old: "new", New: "investigating"},
		{At: at(3), Kind: EventPriority, Old: "P3", New: "P1"},
		{At: at(4), Kind: EventStage, Old: "investigating", New: "resolved"},
		{At: at(5), Kind: EventStage, Old: "resolved", New: "investigating"}, // reopened
		{At: at(6), Kind: EventStage, Old: "investigating", New: "closed"},
		{At: at(6), Kind: EventDisposition, New: "true_positive"},
	}
	var s CaseState
	for _, e := range log {
		s.Apply(e)
	}
	want := CaseState{Title: "Phish", Stage: StageClosed, Priority: P1, Assignee: "alice", Disposition: DispositionTruePositive,
		AcknowledgedAt: at(1), ResolvedAt: at(4), ClosedAt: at(6), ReopenCount: 1, LastEventAt: at(6)}
	if s != want {
		t.Fatalf("state\n got %+v\nwant %+v", s, want)
	}
}

func TestSnapshotEvents(t *testing.T) {
	snap := &Case{Source: "s", Title: "t", Priority: P2, Status: "Closed", CreatedAt: at(0),
		ResolvedAt: at(5), ClosedAt: at(7), UpdatedAt: at(7), Assignee: "bob"}
	evs := SnapshotEvents(nil, snap, DefaultStatusMap, at(7))
	var got []string
	for _, e := range evs {
		got = append(got, string(e.Kind)+":"+e.New+"@"+e.At.Format("15"))
	}
	want := []string{"created:t@00", "priority:P2@00", "stage:resolved@05", "stage:closed@07", "status:Closed@07", "assignee:bob@07"}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	// The same snapshot against its own projection changes nothing.
	var s CaseState
	for _, e := range evs {
		s.Apply(e)
	}
	if again := SnapshotEvents(&s, snap, DefaultStatusMap, at(8)); len(again) != 0 {
		t.Fatalf("identical snapshot produced %v", again)
	}
}
