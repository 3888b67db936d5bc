package kpi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
)

var created = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// at is created + m minutes (negative: before creation).
func at(m int) time.Time { return created.Add(time.Duration(m) * time.Minute) }

// ev is an event m minutes after creation; ids follow the slice order.
type ev struct {
	m     int
	kind  model.EventKind
	value string
}

func log(evs ...ev) []model.CaseEvent {
	out := make([]model.CaseEvent, len(evs))
	for i, e := range evs {
		out[i] = model.CaseEvent{ID: int64(i + 1), CaseID: 1, At: at(e.m), Kind: e.kind, New: e.value, Source: "fx"}
	}
	return out
}

func newCase() *model.Case {
	return &model.Case{ID: 1, Source: "fx", ExternalID: "c1", Priority: model.P2, Team: "t1", Assignee: "ann", CreatedAt: created}
}

func compute(c *model.Case, evs []model.CaseEvent, occurred time.Time) kpi.Facts {
	return kpi.Compute(c, evs, kpi.Alerts{Occurred: occurred, Linked: !occurred.IsZero()}, sla.Evaluator{}, at(24*60))
}

const (
	stage = model.EventStage
	assig = model.EventAssignee
	team  = model.EventTeam
)

// milestones are the facts the lifecycle table checks; -1 means zero time.
type milestones struct {
	ack, contain, resolve, lastClose int
	ackImputed, containImputed, done bool
	reopens, clamped                 int
	escalated                        bool
}

func minutes(t time.Time) int {
	if t.IsZero() {
		return -1
	}
	return int(t.Sub(created) / time.Minute)
}

func TestComputeLifecycles(t *testing.T) {
	for _, c := range []struct {
		name string
		evs  []ev
		want milestones
	}{
		{"every stage in turn; resolved → closed keeps the last close",
			[]ev{{5, stage, "triage"}, {10, stage, "investigating"}, {20, stage, "contained"}, {30, stage, "resolved"}, {40, stage, "closed"}},
			milestones{ack: 5, contain: 20, resolve: 30, lastClose: 30, done: true}},
		{"reopened twice, then closed: first and last close",
			[]ev{{5, stage, "triage"}, {10, stage, "resolved"}, {20, stage, "investigating"}, {30, stage, "resolved"}, {40, stage, "triage"}, {50, stage, "closed"}},
			milestones{ack: 5, contain: 10, containImputed: true, resolve: 10, lastClose: 50, done: true, reopens: 2}},
		{"reopened and still open: no last close",
			[]ev{{10, stage, "resolved"}, {20, stage, "investigating"}},
			milestones{ack: 10, ackImputed: true, contain: 10, containImputed: true, resolve: 10, lastClose: -1, reopens: 1}},
		{"triage skipped: acknowledgement imputed from investigating",
			[]ev{{15, stage, "investigating"}},
			milestones{ack: 15, ackImputed: true, contain: -1, resolve: -1, lastClose: -1}},
		{"new → closed: acknowledgement and containment imputed",
			[]ev{{45, stage, "closed"}},
			milestones{ack: 45, ackImputed: true, contain: 45, containImputed: true, resolve: 45, lastClose: 45, done: true}},
		{"assignment acknowledges (not imputed) before a skipped stage",
			[]ev{{3, assig, "bob"}, {10, stage, "resolved"}},
			milestones{ack: 3, contain: 10, containImputed: true, resolve: 10, lastClose: 10, done: true}},
		{"clearing the assignee does not acknowledge",
			[]ev{{2, assig, ""}, {4, stage, "triage"}},
			milestones{ack: 4, contain: -1, resolve: -1, lastClose: -1}},
		{"clock skew: events before creation are counted",
			[]ev{{-5, assig, "bob"}, {-1, stage, "triage"}, {30, stage, "resolved"}},
			milestones{ack: -5, contain: 30, containImputed: true, resolve: 30, lastClose: 30, done: true, clamped: 2}},
		{"team change after creation escalates",
			[]ev{{0, team, "t1"}, {30, team, "t2"}},
			milestones{ack: -1, contain: -1, resolve: -1, lastClose: -1, escalated: true}},
		{"a first team is not an escalation, nor the same team again",
			[]ev{{10, team, "t1"}, {20, team, "t1"}},
			milestones{ack: -1, contain: -1, resolve: -1, lastClose: -1}},
		{"unknown stage values are ignored",
			[]ev{{5, stage, "bogus"}, {10, stage, "acknowledged"}},
			milestones{ack: 10, contain: -1, resolve: -1, lastClose: -1}},
		{"the same events twice change nothing",
			[]ev{{10, stage, "resolved"}, {10, stage, "resolved"}, {20, stage, "investigating"}, {20, stage, "investigating"},
				{30, stage, "closed"}, {30, stage, "closed"}},
			milestones{ack: 10, ackImputed: true, contain: 10, containImputed: true, resolve: 10, lastClose: 30, done: true, reopens: 1}},
		{"same instant: ordered by id (investigating, then resolved)",
			[]ev{{10, stage, "investigating"}, {10, stage, "resolved"}},
			milestones{ack: 10, ackImputed: true, contain: 10, containImputed: true, resolve: 10, lastClose: 10, done: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs := log(c.evs...)
			for _, order := range []string{"in order", "reversed"} {
				in := slices.Clone(evs)
				if order == "reversed" {
					slices.Reverse(in)
				}
				f := compute(newCase(), in, time.Time{})
				got := milestones{ack: minutes(f.Ack), contain: minutes(f.Contain), resolve: minutes(f.Resolve),
					lastClose: minutes(f.LastClose), ackImputed: f.AckImputed, containImputed: f.ContainImputed,
					done: f.Done, reopens: f.Reopens, clamped: f.Clamped, escalated: f.Escalated}
				if got != c.want {
					t.Errorf("%s: got %+v\nwant %+v", order, got, c.want)
				}
			}
			if !slices.Equal(evs, log(c.evs...)) {
				t.Error("Compute changed its input")
			}
		})
	}
}

func TestComputeFields(t *testing.T) {
	c := newCase()
	c.Disposition = model.DispositionTest
	c.OccurredAt = at(-60)
	f := kpi.Compute(c, nil, kpi.Alerts{Linked: true, Occurred: at(-90), Rule: "rule-7"}, sla.Evaluator{}, at(60))
	if f.CaseID != 1 || f.Source != "fx" || f.Team != "t1" || f.Analyst != "ann" || f.Priority != model.P2 ||
		f.Rule != "rule-7" || !f.Excluded || f.Disposition != model.DispositionTest || !f.Created.Equal(created) {
		t.Errorf("facts %+v", f)
	}
	// The earliest of the case's own occurred_at and its alerts'.
	for _, tc := range []struct {
		caseOcc, alertOcc, want int // minutes; 1 means zero
	}{
		{-60, -90, -90}, {-60, -30, -60}, {1, -30, -30}, {-60, 1, -60}, {1, 1, 1},
	} {
		c := newCase()
		var alertOcc time.Time
		if tc.caseOcc != 1 {
			c.OccurredAt = at(tc.caseOcc)
		}
		if tc.alertOcc != 1 {
			alertOcc = at(tc.alertOcc)
		}
		f := compute(c, nil, alertOcc)
		if got := minutes(f.Occurred); (tc.want == 1 && !f.Occurred.IsZero()) || (tc.want != 1 && got != tc.want) {
			t.Errorf("case occurred %d, alerts %d: occurred %v, want %d", tc.caseOcc, tc.alertOcc, f.Occurred, tc.want)
		}
	}
	if f := compute(newCase(), nil, time.Time{}); f.Excluded {
		t.Error("a case without a test disposition is excluded")
	}
}

func TestComputeCreatedFromLog(t *testing.T) {
	c := newCase()
	c.CreatedAt = time.Time{}
	evs := log(ev{-10, stage, "triage"}, ev{0, model.EventCreated, "title"}, ev{20, stage, "resolved"})
	f := compute(c, evs, time.Time{})
	if !f.Created.Equal(created) || minutes(f.Resolve) != 20 || f.Clamped != 1 {
		t.Errorf("created %v resolve %v clamped %d; want the created event's time, 20, 1", f.Created, f.Resolve, f.Clamped)
	}
}

func TestComputeSLA(t *testing.T) {
	pols, err := sla.NewPolicies(model.SLAPolicy{Name: "std", Version: 1, EffectiveFrom: at(-24 * 60),
		Targets: map[model.Priority]model.SLATarget{model.P2: {Acknowledge: 15 * time.Minute, Resolve: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	eval := sla.Evaluator{Policies: pols}
	// The clocks read the priority from the log, as the store writes it at
	// creation.
	prio := ev{0, model.EventPriority, "P2"}
	for _, c := range []struct {
		name     string
		evs      []model.CaseEvent
		now      int
		ack, res sla.Status
	}{
		{"met and breached", log(prio, ev{15, stage, "triage"}, ev{61, stage, "resolved"}), 120, sla.StatusMet, sla.StatusBreached},
		{"breached and met", log(prio, ev{16, stage, "triage"}, ev{60, stage, "resolved"}), 120, sla.StatusBreached, sla.StatusMet},
		// Judged at "now" = 30 minutes: acknowledge is past its 15 minutes,
		// resolve below 80 % of its hour.
		{"open clocks judged at now", log(prio), 30, sla.StatusOverdue, sla.StatusOnTrack},
	} {
		f := kpi.Compute(newCase(), c.evs, kpi.Alerts{}, eval, at(c.now))
		if f.SLAAck != c.ack || f.SLAResolve != c.res {
			t.Errorf("%s: SLA %s/%s, want %s/%s", c.name, f.SLAAck, f.SLAResolve, c.ack, c.res)
		}
	}
	if f := compute(newCase(), log(ev{5, stage, "triage"}), time.Time{}); f.SLAAck != "" || f.SLAResolve != "" {
		t.Errorf("without policies SLA is %q/%q, want empty", f.SLAAck, f.SLAResolve)
	}
}

// TestComputeEscalationThroughNoTeam: a case moved from team t1 to no
// team and then to t2 moved from one team to another (Facts.Escalated:
// "the case moved from one team to another after it was created"), as in
// ServiceNow exports where assignment_group is cleared between groups
// (one incident of the sample). Compute compares each team with the
// previous team event's value only, so the blank in between hides the
// move (facts.go, case model.EventTeam: team != "" fails for t2).
func TestComputeEscalationThroughNoTeam(t *testing.T) {
	f := compute(newCase(), log(ev{0, team, "t1"}, ev{10, team, ""}, ev{20, team, "t2"}), time.Time{})
	if !f.Escalated {
		t.Error("t1 → (no team) → t2 is not counted as an escalation")
	}
}

// TestFactsJudgedLater: facts computed while a case is open are judged
// again at a later "now" without computing them again: the unacknowledged
// P2 case, 10 minutes old when its facts were computed, is at risk from
// minute 12 (80 % of 15) and a breach in flight from just past minute 15;
// its resolve clock turns at risk at minute 48 and overdue past minute 60.
func TestFactsJudgedLater(t *testing.T) {
	pols, err := sla.NewPolicies(model.SLAPolicy{Name: "std", Version: 1, EffectiveFrom: at(-24 * 60),
		Targets: map[model.Priority]model.SLATarget{model.P2: {Acknowledge: 15 * time.Minute, Resolve: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	f := kpi.Compute(newCase(), log(ev{0, model.EventPriority, "P2"}), kpi.Alerts{}, sla.Evaluator{Policies: pols}, at(10))
	if f.SLAAck != sla.StatusOnTrack || f.SLAResolve != sla.StatusOnTrack {
		t.Fatalf("at minute 10: %s/%s, want on_track/on_track", f.SLAAck, f.SLAResolve)
	}
	for _, c := range []struct {
		min      float64
		ack, res sla.Status
	}{
		{11, sla.StatusOnTrack, sla.StatusOnTrack},
		{12, sla.StatusAtRisk, sla.StatusOnTrack},
		{15, sla.StatusAtRisk, sla.StatusOnTrack},
		{15.001, sla.StatusOverdue, sla.StatusOnTrack},
		{48, sla.StatusOverdue, sla.StatusAtRisk},
		{60, sla.StatusOverdue, sla.StatusAtRisk},
		{61, sla.StatusOverdue, sla.StatusOverdue},
	} {
		now := created.Add(time.Duration(c.min * float64(time.Minute)))
		if a, r := f.SLAAckAt(now), f.SLAResolveAt(now); a != c.ack || r != c.res {
			t.Errorf("judged at minute %v: %s/%s, want %s/%s", c.min, a, r, c.ack, c.res)
		}
	}
}
