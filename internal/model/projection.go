package model

import (
	"sort"
	"strings"
	"time"
)

// CaseState is the part of a case that its event log determines. Applying
// the log's events in order (by time, then id) yields the current state.
type CaseState struct {
	Title          string
	Status         string
	Stage          Stage
	Priority       Priority
	Severity       Severity
	Assignee       string
	Team           string
	Disposition    Disposition
	AcknowledgedAt time.Time // first move to triage or later, or first assignment
	ContainedAt    time.Time // first move to contained
	ResolvedAt     time.Time // first move to resolved or closed
	ClosedAt       time.Time // latest move to closed
	ReopenCount    int
	LastEventAt    time.Time
}

// Apply folds one event into the state. A status event changes only the
// status: the store writes the stage event a status change implies, so the
// log alone says when each stage was entered.
func (s *CaseState) Apply(e CaseEvent) {
	switch e.Kind {
	case EventCreated:
		if e.New != "" {
			s.Title = e.New
		}
		if s.Stage == "" {
			s.setStage(StageNew, e.At)
		}
	case EventTitle:
		s.Title = e.New
	case EventStatus:
		s.Status = e.New
	case EventStage:
		if st, err := ParseStage(e.New); err == nil {
			s.setStage(st, e.At)
		}
	case EventPriority:
		if p, err := ParsePriority(e.New); err == nil {
			s.Priority = p
		}
	case EventSeverity:
		if v, err := ParseSeverity(e.New); err == nil {
			s.Severity = v
		}
	case EventAssignee:
		s.Assignee = e.New
		if e.New != "" && s.AcknowledgedAt.IsZero() {
			s.AcknowledgedAt = e.At
		}
	case EventTeam:
		s.Team = e.New
	case EventDisposition:
		if d, err := ParseDisposition(e.New); err == nil {
			s.Disposition = d
		}
	}
	if e.At.After(s.LastEventAt) {
		s.LastEventAt = e.At
	}
}

func (s *CaseState) setStage(st Stage, at time.Time) {
	prev := s.Stage
	if prev.Done() && !st.Done() {
		s.ReopenCount++
	}
	s.Stage = st
	if st.Rank() >= StageTriage.Rank() && s.AcknowledgedAt.IsZero() {
		s.AcknowledgedAt = at
	}
	if st == StageContained && s.ContainedAt.IsZero() {
		s.ContainedAt = at
	}
	if st.Done() && s.ResolvedAt.IsZero() {
		s.ResolvedAt = at
	}
	if st == StageClosed {
		s.ClosedAt = at
	}
}

// Fill copies the state into a case's projected fields.
func (s *CaseState) Fill(c *Case) {
	c.Title = s.Title
	c.Status = s.Status
	c.Stage = s.Stage
	c.Priority = s.Priority
	c.Severity = s.Severity
	c.Assignee = s.Assignee
	c.Team = s.Team
	c.Disposition = s.Disposition
	c.AcknowledgedAt = s.AcknowledgedAt
	c.ContainedAt = s.ContainedAt
	c.ResolvedAt = s.ResolvedAt
	c.ClosedAt = s.ClosedAt
	c.LastEventAt = s.LastEventAt
	c.ReopenCount = s.ReopenCount
}

// StateOf reads the projected fields of a stored case back into a state.
func StateOf(c *Case) CaseState {
	return CaseState{
		Title: c.Title, Status: c.Status, Stage: c.Stage, Priority: c.Priority, Severity: c.Severity,
		Assignee: c.Assignee, Team: c.Team, Disposition: c.Disposition,
		AcknowledgedAt: c.AcknowledgedAt, ContainedAt: c.ContainedAt, ResolvedAt: c.ResolvedAt,
		ClosedAt: c.ClosedAt, ReopenCount: c.ReopenCount, LastEventAt: c.LastEventAt,
	}
}

// SnapshotEvents returns the events that turn state "from" into the state a
// source snapshot describes, dated at. For a case seen for the first time
// (from is nil) it also dates the created event and the milestones the
// snapshot carries. The events' Source is the snapshot's source.
func SnapshotEvents(from *CaseState, snap *Case, statuses StatusMap, at time.Time) []CaseEvent {
	var out []CaseEvent
	add := func(at time.Time, kind EventKind, old, new string) {
		out = append(out, CaseEvent{At: at, Source: snap.Source, Kind: kind, Old: old, New: new})
	}
	stage := snap.Stage
	if stage == "" && snap.Status != "" {
		stage, _ = statuses.Stage(snap.Status)
	}
	if from == nil {
		created := snap.CreatedAt
		if created.IsZero() {
			created = at
		}
		add(created, EventCreated, "", snap.Title)
		var cur CaseState
		cur.Apply(out[0])
		if snap.Priority.Valid() {
			add(created, EventPriority, "", snap.Priority.String())
		}
		if snap.Severity != SeverityUnknown {
			add(created, EventSeverity, "", snap.Severity.String())
		}
		if snap.Team != "" {
			add(created, EventTeam, "", snap.Team)
		}
		// Milestones the source reports, in time order (lifecycle order on
		// ties). A resolved case that was reopened keeps its resolution.
		milestones := []struct {
			t  time.Time
			st Stage
		}{
			{snap.AcknowledgedAt, StageTriage}, {snap.ContainedAt, StageContained},
			{snap.ResolvedAt, StageResolved}, {snap.ClosedAt, StageClosed},
		}
		sort.SliceStable(milestones, func(i, j int) bool { return milestones[i].t.Before(milestones[j].t) })
		for _, m := range milestones {
			if m.t.IsZero() || m.st == cur.Stage {
				continue
			}
			add(m.t, EventStage, string(cur.Stage), string(m.st))
			cur.Stage = m.st
		}
		from = &CaseState{Title: snap.Title, Stage: cur.Stage, Priority: snap.Priority, Severity: snap.Severity, Team: snap.Team}
	} else {
		if snap.Title != "" && snap.Title != from.Title {
			add(at, EventTitle, from.Title, snap.Title)
		}
		if snap.Priority.Valid() && snap.Priority != from.Priority {
			add(at, EventPriority, from.Priority.String(), snap.Priority.String())
		}
		if snap.Severity != SeverityUnknown && snap.Severity != from.Severity {
			add(at, EventSeverity, from.Severity.String(), snap.Severity.String())
		}
		if snap.Team != from.Team {
			add(at, EventTeam, from.Team, snap.Team)
		}
	}
	if snap.Status != "" && !strings.EqualFold(snap.Status, from.Status) {
		add(at, EventStatus, from.Status, snap.Status)
	}
	if stage.Valid() && stage != from.Stage {
		add(at, EventStage, string(from.Stage), string(stage))
	}
	if snap.Assignee != from.Assignee {
		add(at, EventAssignee, from.Assignee, snap.Assignee)
	}
	if snap.Disposition != from.Disposition && snap.Disposition != DispositionNone {
		add(at, EventDisposition, string(from.Disposition), string(snap.Disposition))
	}
	return out
}
