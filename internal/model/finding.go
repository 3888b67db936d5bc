package model

import (
	"encoding/json"
	"time"
)

// FindingClass tells posture findings apart.
type FindingClass string

// The posture finding classes.
const (
	FindingVulnerability FindingClass = "vulnerability"
	FindingCompliance    FindingClass = "compliance"
)

// Finding is a posture finding: a vulnerability or a failed control on a
// resource. Findings are not alerts; they feed posture oversight.
type Finding struct {
	ID           int64           `json:"id,omitempty"`
	Source       string          `json:"source"`
	ExternalID   string          `json:"external_id"`
	Class        FindingClass    `json:"class"`
	Title        string          `json:"title"`
	Description  string          `json:"description,omitempty"`
	Severity     Severity        `json:"severity,omitempty"`
	Status       string          `json:"status,omitempty"`
	Category     string          `json:"category,omitempty"` // e.g. the control id or CVE
	ResourceName string          `json:"resource_name,omitempty"`
	ResourceType string          `json:"resource_type,omitempty"`
	Remediation  string          `json:"remediation,omitempty"`
	CVEs         []string        `json:"cves,omitempty"`
	CVSS         float64         `json:"cvss,omitempty"`
	FirstSeenAt  time.Time       `json:"first_seen_at,omitzero"`
	LastSeenAt   time.Time       `json:"last_seen_at,omitzero"`
	CreatedAt    time.Time       `json:"created_at,omitzero"`
	IngestedAt   time.Time       `json:"ingested_at,omitzero"`
	Raw          json.RawMessage `json:"raw,omitempty"`
}
