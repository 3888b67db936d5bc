package model

import "time"

// SLATarget is what a priority must meet.
type SLATarget struct {
	Acknowledge time.Duration `json:"acknowledge"`
	Resolve     time.Duration `json:"resolve"`
}

// BusinessHours is a weekly working window in a time zone. A policy with no
// business hours runs its clock around the clock.
type BusinessHours struct {
	TimeZone string `json:"time_zone"`
	// Days are the working weekdays.
	Days []time.Weekday `json:"days"`
	// Start and End are local "HH:MM" times; End after Start.
	Start string `json:"start"`
	End   string `json:"end"`
	// Holidays are local dates ("2026-12-25") with no working hours.
	Holidays []string `json:"holidays,omitempty"`
}

// SLAPolicy is one version of the targets per priority. Versions are never
// edited in place: a new version takes effect at EffectiveFrom, and work is
// judged by the version in force when its clock stops.
type SLAPolicy struct {
	Name          string                 `json:"name"`
	Version       int                    `json:"version"`
	EffectiveFrom time.Time              `json:"effective_from"`
	Targets       map[Priority]SLATarget `json:"targets"`
	// PauseStatuses are source statuses during which the clock stops
	// (for example "Awaiting User Info").
	PauseStatuses []string       `json:"pause_statuses,omitempty"`
	Calendar      *BusinessHours `json:"calendar,omitempty"`
}
