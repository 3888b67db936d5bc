package handle

import (
	"reflect"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// at is 2 March 2026 at hh:mm UTC.
func at(hhmm string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", "2026-03-02 "+hhmm)
	if err != nil {
		panic(err)
	}
	return t
}

func ev(hhmm string, kind model.EventKind, val, actor string) model.CaseEvent {
	return model.CaseEvent{At: at(hhmm), Kind: kind, New: val, Actor: actor}
}

func seg(from, to string) Segment { return Segment{From: at(from), To: at(to)} }

// busyCase is a P2 case raised to P1, paused for two hours, handed over
// and resolved at 15:00, with work after its resolution. Its sessions
// (events by people at most 30 minutes apart):
//
//	09:40, 09:45, 10:00          → 09:40–10:00 = 20m
//	11:00, 11:20 (paused)        → 11:00–11:20 = 20m, all paused
//	13:00, 13:30, 14:00          → 13:00–14:00 = 60m
//	14:58 runbook (started 14:40), 14:59, 15:00
//	                             → 14:40–15:00 = 20m
//
// Active: 20 + 60 + 20 = 100m; 120m without pause statuses.
func busyCase() []model.CaseEvent {
	return []model.CaseEvent{
		ev("09:30", model.EventCreated, "phish", ""),
		ev("09:30", model.EventPriority, "P2", ""),
		ev("09:40", model.EventAssignee, "alice", "alice"),
		ev("09:45", model.EventStage, "triage", "alice"),
		ev("10:00", model.EventStage, "investigating", "alice"),
		ev("11:00", model.EventStatus, "awaiting user info", "alice"),
		ev("11:20", model.EventComment, "asked the user", "alice"),
		ev("13:00", model.EventStatus, "In Progress", "alice"),
		ev("13:30", model.EventPriority, "P1", "alice"),
		ev("14:00", model.EventAssignee, "bob", "alice"),
		ev("14:58", model.EventRunbook,
			`{"runbook":"Collect evidence","status":"completed","started_at":"2026-03-02T14:40:00Z","finished_at":"2026-03-02T14:58:00Z"}`, "bob"),
		ev("14:59", model.EventDisposition, "true_positive", "bob"),
		ev("15:00", model.EventStage, "resolved", "bob"),
		ev("16:00", model.EventStage, "investigating", "bob"),
		ev("17:00", model.EventStage, "closed", "bob"),
	}
}

func TestCollector(t *testing.T) {
	busy := Time{CaseID: 1, Priority: model.P1, ArrivalPriority: model.P2, Created: at("09:30"), Start: at("09:40"), End: at("15:00")}
	with := func(base Time, active, paused time.Duration, segs ...Segment) []Time {
		base.Active, base.Paused, base.Segments = active, paused, segs
		return []Time{base}
	}
	tests := []struct {
		name  string
		pause []string
		gap   time.Duration
		log   []model.CaseEvent
		want  []Time
	}{
		{
			name: "sessions clipped to the handle window, pauses and a runbook's start",
			// Pause statuses compare case-insensitively, spaces trimmed.
			pause: []string{" Awaiting User Info "}, gap: 30 * time.Minute, log: busyCase(),
			want: with(busy, 100*time.Minute, 2*time.Hour, seg("09:40", "10:00"), seg("13:00", "14:00"), seg("14:40", "15:00")),
		},
		{
			name: "without pause statuses the paused session counts",
			gap:  30 * time.Minute, log: busyCase(),
			want: with(busy, 120*time.Minute, 0, seg("09:40", "10:00"), seg("11:00", "11:20"), seg("13:00", "14:00"), seg("14:40", "15:00")),
		},
		{
			// 09:40–09:45 (5m), 10:00 alone, 11:00, 11:20 and 13:00 alone,
			// 13:30 and 14:00 alone, 14:58–15:00 reaching back to the
			// runbook's start at 14:40 (20m).
			name:  "a shorter gap splits the sessions",
			pause: []string{"awaiting user info"}, gap: 10 * time.Minute, log: busyCase(),
			want: with(busy, 25*time.Minute, 2*time.Hour, seg("09:40", "09:45"), seg("14:40", "15:00")),
		},
		{
			name: "two events exactly a gap apart are one session",
			gap:  30 * time.Minute,
			log: []model.CaseEvent{
				ev("10:10", model.EventCreated, "", ""), ev("10:10", model.EventPriority, "P3", ""),
				ev("10:20", model.EventStage, "triage", "carol"), ev("10:50", model.EventStage, "closed", "carol"),
			},
			want: with(Time{CaseID: 1, Priority: model.P3, ArrivalPriority: model.P3, Created: at("10:10"), Start: at("10:20"), End: at("10:50")},
				30*time.Minute, 0, seg("10:20", "10:50")),
		},
		{
			name: "single-event sessions count nothing but the case is listed",
			gap:  10 * time.Minute,
			log: []model.CaseEvent{
				ev("10:20", model.EventStage, "triage", "carol"), ev("10:50", model.EventStage, "closed", "carol"),
			},
			// No created event: the first event dates the case.
			want: with(Time{CaseID: 1, Created: at("10:20"), Start: at("10:20"), End: at("10:50")}, 0, 0),
		},
		{
			name: "closed straight from new is left out",
			gap:  30 * time.Minute,
			log:  []model.CaseEvent{ev("11:00", model.EventCreated, "", ""), ev("11:00", model.EventStage, "closed", "carol")},
		},
		{
			name: "still open is left out",
			gap:  30 * time.Minute,
			log:  []model.CaseEvent{ev("11:30", model.EventAssignee, "alice", "alice"), ev("11:40", model.EventComment, "x", "alice")},
		},
		{
			// 09:50–10:10 clipped to the assignment at 10:00; then a
			// runbook logged at 11:00 that started at 10:05, and a
			// malformed runbook record at 11:10 (worked from when it was
			// logged), merge with it: 10:00–11:10. The resolution at
			// 12:00 is a session of its own (0).
			name: "a runbook reaching back merges sessions",
			gap:  30 * time.Minute,
			log: []model.CaseEvent{
				ev("09:50", model.EventComment, "looking", "alice"),
				ev("10:00", model.EventAssignee, "alice", "alice"),
				ev("10:10", model.EventComment, "x", "alice"),
				ev("11:00", model.EventRunbook, `{"runbook":"Isolate host","status":"completed","started_at":"2026-03-02T10:05:00Z"}`, "alice"),
				ev("11:10", model.EventRunbook, `not json`, "alice"),
				ev("12:00", model.EventStage, "resolved", "alice"),
			},
			want: with(Time{CaseID: 1, Created: at("09:50"), Start: at("10:00"), End: at("12:00")}, 70*time.Minute, 0, seg("10:00", "11:10")),
		},
		{
			name: "events without an actor are not work",
			gap:  30 * time.Minute,
			log: []model.CaseEvent{
				ev("10:00", model.EventAssignee, "alice", ""), ev("10:10", model.EventComment, "auto", " "),
				ev("10:20", model.EventStage, "resolved", ""),
			},
			want: with(Time{CaseID: 1, Created: at("10:00"), Start: at("10:00"), End: at("10:20")}, 0, 0),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCollector(tt.pause, tt.gap)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range tt.log {
				c.Add(1, e)
			}
			got := c.Times()
			if len(got) != len(tt.want) {
				t.Fatalf("%d handle times, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if g.Active != w.Active {
					t.Errorf("active %v, want %v", g.Active, w.Active)
				}
				if g.Paused != w.Paused {
					t.Errorf("paused %v, want %v", g.Paused, w.Paused)
				}
				if !reflect.DeepEqual(g.Segments, w.Segments) {
					t.Errorf("segments\n got %v\nwant %v", g.Segments, w.Segments)
				}
				if !g.Created.Equal(w.Created) || !g.Start.Equal(w.Start) || !g.End.Equal(w.End) {
					t.Errorf("created/start/end %v/%v/%v, want %v/%v/%v", g.Created, g.Start, g.End, w.Created, w.Start, w.End)
				}
				if g.Priority != w.Priority {
					t.Errorf("priority at resolution %v, want %v", g.Priority, w.Priority)
				}
				if g.ArrivalPriority != w.ArrivalPriority {
					t.Errorf("arrival priority %v, want %v", g.ArrivalPriority, w.ArrivalPriority)
				}
			}
		})
	}
}

func TestCollectorSeveralCases(t *testing.T) {
	c, err := NewCollector(nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Case 5 is resolved without acknowledgement, case 3 and 9 are worked.
	for _, e := range []struct {
		id int64
		e  model.CaseEvent
	}{
		{3, ev("09:00", model.EventAssignee, "a", "a")}, {3, ev("09:20", model.EventStage, "resolved", "a")},
		{5, ev("09:00", model.EventStage, "closed", "a")},
		{9, ev("10:00", model.EventStage, "triage", "b")}, {9, ev("10:45", model.EventStage, "closed", "b")},
	} {
		c.Add(e.id, e.e)
	}
	got := c.Times()
	if len(got) != 2 {
		t.Fatalf("%d handle times, want cases 3 and 9: %+v", len(got), got)
	}
	if got[0].CaseID != 3 || got[0].Active != 20*time.Minute {
		t.Errorf("first: case %d active %v, want case 3, 20m", got[0].CaseID, got[0].Active)
	}
	if got[1].CaseID != 9 || got[1].Active != 45*time.Minute {
		t.Errorf("second: case %d active %v, want case 9, 45m", got[1].CaseID, got[1].Active)
	}
}

func TestNewCollectorRejectsGap(t *testing.T) {
	for _, gap := range []time.Duration{0, -time.Minute} {
		if _, err := NewCollector(nil, gap); err == nil {
			t.Errorf("session gap %v accepted", gap)
		}
	}
}
