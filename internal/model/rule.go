package model

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
}
