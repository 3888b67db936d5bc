package model

import (
	"fmt"
	"strconv"
	"strings"
)

// Priority ranks work from P1 (critical) to P5 (informational).
// The zero value means the priority is unknown.
type Priority int

// The five priorities.
const (
	PriorityUnknown Priority = iota
	P1
	P2
	P3
	P4
	P5
)

// Priorities lists the five priorities, most urgent first.
var Priorities = []Priority{P1, P2, P3, P4, P5}

// String returns "P1" … "P5", or "" when unknown.
func (p Priority) String() string {
	if p < P1 || p > P5 {
		return ""
	}
	return "P" + strconv.Itoa(int(p))
}

// Valid reports whether p is one of P1 … P5.
func (p Priority) Valid() bool { return p >= P1 && p <= P5 }

// ParsePriority reads a priority written as "P1", "p1", "1", "critical",
// "high", "medium", "low" or "informational".
func ParsePriority(s string) (Priority, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "":
		return PriorityUnknown, nil
	case "p1", "1", "critical":
		return P1, nil
	case "p2", "2", "high":
		return P2, nil
	case "p3", "3", "medium", "moderate":
		return P3, nil
	case "p4", "4", "low":
		return P4, nil
	case "p5", "5", "info", "informational":
		return P5, nil
	}
	return PriorityUnknown, fmt.Errorf("unknown priority %q", s)
}

// MarshalText encodes the priority as "P1" … "P5".
func (p Priority) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText accepts anything ParsePriority accepts.
func (p *Priority) UnmarshalText(b []byte) error {
	v, err := ParsePriority(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Severity is the impact scale used by alerts and findings, aligned with
// OCSF severity_id: 1 informational … 5 critical. Zero means unknown.
type Severity int

// The severities, numbered as in OCSF.
const (
	SeverityUnknown Severity = iota
	SeverityInformational
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"", "informational", "low", "medium", "high", "critical"}

// String returns the lower-case severity name, or "" when unknown.
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return ""
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name (case-insensitive, "info" and
// "fatal" accepted) or its OCSF number.
func ParseSeverity(s string) (Severity, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "", "unknown", "0", "undefined":
		return SeverityUnknown, nil
	case "informational", "info", "1":
		return SeverityInformational, nil
	case "low", "2":
		return SeverityLow, nil
	case "medium", "moderate", "3":
		return SeverityMedium, nil
	case "high", "4":
		return SeverityHigh, nil
	case "critical", "fatal", "5", "6":
		return SeverityCritical, nil
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %q", s)
}

// MarshalText encodes the severity by name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts anything ParseSeverity accepts.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Priority is the default priority for work of this severity:
// critical → P1 … informational → P5.
func (s Severity) Priority() Priority {
	if s == SeverityUnknown {
		return PriorityUnknown
	}
	return Priority(6 - int(s))
}

// SeverityFromOCSF maps an OCSF severity_id (0–6, 99) to a Severity.
// Fatal (6) becomes critical; unknown (0) and other (99) become unknown.
func SeverityFromOCSF(id int) Severity {
	switch {
	case id >= 1 && id <= 5:
		return Severity(id)
	case id == 6:
		return SeverityCritical
	}
	return SeverityUnknown
}

// PriorityFromChronicle maps Google SecOps priorities, in both the legacy
// ("PriorityCritical") and the 1P API ("PRIORITY_CRITICAL") spellings.
func PriorityFromChronicle(s string) Priority {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimPrefix(t, "priority_")
	t = strings.TrimPrefix(t, "priority")
	switch t {
	case "critical":
		return P1
	case "high":
		return P2
	case "medium":
		return P3
	case "low":
		return P4
	case "info", "informative", "informational":
		return P5
	}
	return PriorityUnknown
}

// PriorityFromTheHive maps TheHive's numeric severity (1 low … 4 critical).
func PriorityFromTheHive(n int) Priority {
	switch n {
	case 4:
		return P1
	case 3:
		return P2
	case 2:
		return P3
	case 1:
		return P4
	}
	return PriorityUnknown
}

// PriorityFromServiceNow maps ServiceNow's "1 - Critical" … "5 - Planning"
// labels; the number before the dash decides.
func PriorityFromServiceNow(s string) Priority {
	t := strings.TrimSpace(s)
	if i := strings.IndexByte(t, '-'); i > 0 {
		t = strings.TrimSpace(t[:i])
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 || n > 5 {
		return PriorityUnknown
	}
	return Priority(n)
}
