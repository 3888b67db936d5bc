package model

import "time"

// Tier is an analyst's escalation level.
type Tier string

// The tiers.
const (
	TierL1 Tier = "L1"
	TierL2 Tier = "L2"
	TierL3 Tier = "L3"
)

// Skill is a competence an analyst holds, at a level from 1 (aware) to
// 5 (expert).
type Skill struct {
	Name  string `json:"name"`
	Level int    `json:"level"`
}

// Analyst is a member of the SOC staff.
type Analyst struct {
	ID             int64    `json:"id,omitempty"`
	ExternalID     string   `json:"external_id"` // the login or handle used as assignee in sources
	Name           string   `json:"name"`
	Email          string   `json:"email,omitempty"`
	Tier           Tier     `json:"tier,omitempty"`
	Role           string   `json:"role,omitempty"` // analyst, threat hunter, engineer, lead …
	Team           string   `json:"team,omitempty"`
	Shift          string   `json:"shift,omitempty"`
	Skills         []Skill  `json:"skills,omitempty"`
	Certifications []string `json:"certifications,omitempty"`
	Active         bool     `json:"active"`
	// HourlyCost is the loaded cost per hour, in the organisation's currency.
	HourlyCost float64 `json:"hourly_cost,omitempty"`
}

// Team is a group of analysts with a lead.
type Team struct {
	Name string `json:"name"`
	Lead string `json:"lead,omitempty"`
}

// Shift is a recurring working period.
type Shift struct {
	Name string `json:"name"`
	// Start is the local start time as "HH:MM".
	Start    string        `json:"start"`
	Duration time.Duration `json:"duration"`
	// Days are the weekdays the shift starts on.
	Days     []time.Weekday `json:"days"`
	TimeZone string         `json:"time_zone,omitempty"`
}
