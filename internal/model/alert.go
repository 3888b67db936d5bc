package model

import (
	"encoding/json"
	"time"
)

// Entity is an observable attached to an alert: a host, user, IP, hash, URL …
// Its value is attacker-controlled text.
type Entity struct {
	Type  string `json:"type"`
	Value string `json:"value"`
	Role  string `json:"role,omitempty"` // e.g. "src", "dst", "actor", "target"
}

// Alert is one detection raised by a rule in a source system.
type Alert struct {
	ID          int64       `json:"id,omitempty"`
	Source      string      `json:"source"`
	ExternalID  string      `json:"external_id"`
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	Severity    Severity    `json:"severity,omitempty"`
	Status      string      `json:"status,omitempty"`
	Disposition Disposition `json:"disposition,omitempty"`
	RuleID      string      `json:"rule_id,omitempty"` // the rule's external id in the source
	RuleName    string      `json:"rule_name,omitempty"`
	// CaseExternalID names the case (same source) this alert belongs to.
	CaseExternalID string    `json:"case_external_id,omitempty"`
	CaseID         int64     `json:"case_id,omitempty"`
	OccurredAt     time.Time `json:"occurred_at,omitzero"` // when the activity happened
	CreatedAt      time.Time `json:"created_at,omitzero"`  // when the SOC learned of it
	IngestedAt     time.Time `json:"ingested_at,omitzero"`
	Entities       []Entity  `json:"entities,omitempty"`
	Techniques     []string  `json:"techniques,omitempty"` // ATT&CK ids such as T1059.001
	// Attributes keeps source fields Watchfloor does not model, such as the
	// product that raised the alert or TheHive's sourceRef.
	Attributes map[string]string `json:"attributes,omitempty"`
	// Raw is the source record as received.
	Raw json.RawMessage `json:"raw,omitempty"`
}

// AlertEvent records a change to a stored alert found on re-ingest.
type AlertEvent struct {
	ID      int64     `json:"id"`
	AlertID int64     `json:"alert_id"`
	At      time.Time `json:"at"`
	Kind    EventKind `json:"kind"`
	Old     string    `json:"old,omitempty"`
	New     string    `json:"new,omitempty"`
	Source  string    `json:"source"`
}
