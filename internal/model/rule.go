package model

import (
	"fmt"
	"slices"
	"strings"
)

// Rule is a detection rule that raises alerts.
type Rule struct {
	ID          int64    `json:"id,omitempty"`
	Source      string   `json:"source"` // the system or content pack: sigma, splunk, chronicle …
	ExternalID  string   `json:"external_id"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Severity    Severity `json:"severity,omitempty"`
	Techniques  []string `json:"techniques,omitempty"` // ATT&CK technique ids
	Tactics     []string `json:"tactics,omitempty"`
	Enabled     bool     `json:"enabled"`
	Author      string   `json:"author,omitempty"`
	// Status is the rule's lifecycle status as its content pack states it
	// (see RuleStatuses); "" when not known.
	Status string `json:"status,omitempty"`
	// DataSources are the logs the rule reads, e.g. "windows/process_creation"
	// or "Sysmon EventID 1".
	DataSources []string `json:"data_sources,omitempty"`
	// Platforms are the products or platforms the rule applies to, e.g.
	// "windows", "aws".
	Platforms []string `json:"platforms,omitempty"`
}

// Rule lifecycle statuses, Sigma's names; Splunk's "production" is stable
// and "validation" is test.
const (
	RuleStable       = "stable"
	RuleTest         = "test"
	RuleExperimental = "experimental"
	RuleDeprecated   = "deprecated"
	RuleUnsupported  = "unsupported"
)

// RuleStatuses are the lifecycle statuses a rule can have, most mature
// first.
var RuleStatuses = []string{RuleStable, RuleTest, RuleExperimental, RuleDeprecated, RuleUnsupported}

// ParseRuleStatus reads a rule status in any case: Sigma's names (see
// RuleStatuses), Splunk's "production" (stable) and "validation" (test).
// "" stays "" (not known).
func ParseRuleStatus(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "":
		return "", nil
	case "production":
		return RuleStable, nil
	case "validation":
		return RuleTest, nil
	default:
		if slices.Contains(RuleStatuses, v) {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown rule status %q (want one of %s, production or validation)", s, strings.Join(RuleStatuses, ", "))
}
