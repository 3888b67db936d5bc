package model

import (
	"encoding/json"
	"fmt"
	"time"
)

// Case is a unit of SOC work. Its current state is a projection of its event
// log; when a source delivers a snapshot of a case, ingest turns the
// differences from the stored projection into events.
type Case struct {
	ID          int64       `json:"id,omitempty"`
	Source      string      `json:"source"`
	ExternalID  string      `json:"external_id"`
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	Priority    Priority    `json:"priority,omitempty"`
	Severity    Severity    `json:"severity,omitempty"`
	Status      string      `json:"status,omitempty"` // the source's own status
	Stage       Stage       `json:"stage,omitempty"`  // mapped from Status when empty
	Disposition Disposition `json:"disposition,omitempty"`
	Assignee    string      `json:"assignee,omitempty"`
	Team        string      `json:"team,omitempty"`
	Tags        []string    `json:"tags,omitempty"`

	OccurredAt time.Time `json:"occurred_at,omitzero"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	// UpdatedAt is when the source last changed the case; changes found in a
	// snapshot are dated with it.
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
	IngestedAt time.Time `json:"ingested_at,omitzero"`
	// Milestones known from the source, used to date stage events when a
	// case is first seen already past them.
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	ContainedAt    time.Time `json:"contained_at,omitzero"`
	ResolvedAt     time.Time `json:"resolved_at,omitzero"`
	ClosedAt       time.Time `json:"closed_at,omitzero"`

	// Version orders snapshots of the same case (for example ServiceNow's
	// sys_mod_count). A snapshot whose version is not newer than the stored
	// one is ignored; 0 means the source has no version and UpdatedAt decides.
	Version int64 `json:"version,omitempty"`

	// AlertExternalIDs are the alerts (same source) linked to this case.
	AlertExternalIDs []string `json:"alert_external_ids,omitempty"`
	// Attributes keeps source fields Watchfloor does not model, such as
	// ServiceNow's made_sla or reopen_count.
	Attributes map[string]string `json:"attributes,omitempty"`
	// LastEventAt is when the newest event in the case's log happened.
	LastEventAt time.Time `json:"last_event_at,omitzero"`
	// ReopenCount is how often the case went from resolved or closed back
	// to open work (projected from the log).
	ReopenCount int `json:"reopen_count,omitempty"`
	// Raw is the latest source record as received.
	Raw json.RawMessage `json:"raw,omitempty"`
}

// EventKind names what a case event changed.
type EventKind string

// The event kinds.
const (
	EventCreated     EventKind = "created"
	EventStatus      EventKind = "status"
	EventStage       EventKind = "stage"
	EventPriority    EventKind = "priority"
	EventSeverity    EventKind = "severity"
	EventAssignee    EventKind = "assignee"
	EventTeam        EventKind = "team"
	EventDisposition EventKind = "disposition"
	EventTitle       EventKind = "title"
	EventAlertLinked EventKind = "alert_linked"
	EventComment     EventKind = "comment"
	EventRunbook     EventKind = "runbook"
	// EventRule, EventOccurred and EventCreatedAt are used for alerts only:
	// the raising rule, or the time of the activity or of detection, changed.
	EventRule      EventKind = "rule"
	EventOccurred  EventKind = "occurred_at"
	EventCreatedAt EventKind = "created_at"
)

// EventKinds lists every kind.
var EventKinds = []EventKind{
	EventCreated, EventStatus, EventStage, EventPriority, EventSeverity, EventAssignee, EventTeam,
	EventDisposition, EventTitle, EventAlertLinked, EventComment, EventRunbook,
}

// Valid reports whether k is a known event kind.
func (k EventKind) Valid() bool {
	for _, v := range EventKinds {
		if v == k {
			return true
		}
	}
	return false
}

// CaseEvent is one entry of a case's append-only log.
type CaseEvent struct {
	// ID is assigned by the store and increases monotonically.
	ID     int64 `json:"id,omitempty"`
	CaseID int64 `json:"case_id,omitempty"`
	// CaseSource and CaseExternalID name the case when CaseID is not known yet.
	CaseSource     string `json:"case_source,omitempty"`
	CaseExternalID string `json:"case_external_id,omitempty"`
	// ExternalID identifies the event in its source; events with the same
	// case and external id are stored once. When empty, a key is derived from
	// the event's content.
	ExternalID string    `json:"external_id,omitempty"`
	At         time.Time `json:"at"` // when it happened, UTC
	Actor      string    `json:"actor,omitempty"`
	Source     string    `json:"source"`
	Kind       EventKind `json:"kind"`
	Old        string    `json:"old,omitempty"`
	New        string    `json:"new,omitempty"`
	IngestedAt time.Time `json:"ingested_at,omitzero"`
}

// Comment is a note on a case, stored in the log as a comment event.
type Comment struct {
	CaseID int64     `json:"case_id"`
	At     time.Time `json:"at"`
	Author string    `json:"author"`
	Body   string    `json:"body"`
}

// RunbookExecution is a playbook or runbook run against a case, stored in
// the log as a runbook event whose New value is this record in JSON. A
// record either is a whole run (no Run) or one step of the run Run names:
// the records of a case sharing a runbook and a Run are one execution
// (see package runbook).
type RunbookExecution struct {
	Runbook string `json:"runbook"`
	// Version is the registry version run; 0 when not known.
	Version int `json:"version,omitempty"`
	// Run groups the step records of one execution on a case.
	Run    string `json:"run,omitempty"`
	Step   string `json:"step,omitempty"`
	Status string `json:"status"` // e.g. "completed", "failed", "skipped"
	// Outcome, on the record that ends a run: completed, failed, aborted
	// or escalated.
	Outcome    string    `json:"outcome,omitempty"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// ParseRunbookExecution reads the execution record a runbook event carries
// in its New value.
func ParseRunbookExecution(s string) (RunbookExecution, error) {
	var rb RunbookExecution
	if err := json.Unmarshal([]byte(s), &rb); err != nil {
		return RunbookExecution{}, fmt.Errorf("runbook execution record: %w", err)
	}
	return rb, nil
}
