package staffing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing/handle"
	"github.com/watchfloor/watchfloor/internal/staffing/schedule"
)

// Duration is a time span written either in Go's duration syntax ("90s",
// "4m30s", "1h") or as a plain number of seconds ("20", "7.5").
type Duration time.Duration

// ParseDuration reads a duration in Go syntax or plain seconds.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty duration")
	}
	if v, err := strconv.ParseFloat(t, 64); err == nil {
		if !(v >= 0) || math.IsInf(v, 0) || v > float64(math.MaxInt64)/1e9 {
			return 0, fmt.Errorf("duration %q: want a non-negative number of seconds", s)
		}
		return Duration(v * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want Go syntax such as 90s, 4m30s or 1h, or plain seconds", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return Duration(d), nil
}

// Seconds is the duration in seconds.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

// String formats the duration in Go syntax.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalText accepts Go syntax or plain seconds.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText writes Go syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalJSON accepts a string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return d.UnmarshalText([]byte(s))
	}
	return d.UnmarshalText(bytes.TrimSpace(b))
}

// UnmarshalYAML accepts a string or a number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration must be a scalar such as 4m30s or 270", n.Line)
	}
	if err := d.UnmarshalText([]byte(n.Value)); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// Weekday is a day name in configuration ("mon", "Monday").
type Weekday time.Weekday

// UnmarshalText reads an English day name or its first three letters.
func (w *Weekday) UnmarshalText(b []byte) error {
	t := strings.ToLower(strings.TrimSpace(string(b)))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if t == name || len(t) >= 3 && strings.HasPrefix(name, t) {
			*w = Weekday(d)
			return nil
		}
	}
	return fmt.Errorf("unknown weekday %q", string(b))
}

// MarshalText writes the day's English name.
func (w Weekday) MarshalText() ([]byte, error) { return []byte(time.Weekday(w).String()), nil }

// QueueKind names the work a queue holds.
type QueueKind string

// The kinds of work.
const (
	// Alerts is triage: every alert of the priority needs a first look.
	Alerts QueueKind = "alerts"
	// Cases is case work, from assignment to resolution.
	Cases QueueKind = "cases"
)

// QueueConfig overrides what history says about one queue, or defines a
// queue history does not have. Zero fields keep the measured or default
// value.
type QueueConfig struct {
	Kind     QueueKind      `yaml:"kind" json:"kind"`
	Priority model.Priority `yaml:"priority" json:"priority"`
	// Disabled leaves the queue out of the plan.
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// ArrivalsPerHour replaces the measured hour-of-week profile with a
	// flat rate; ArrivalScale multiplies the arrivals (after growth).
	ArrivalsPerHour float64 `yaml:"arrivals_per_hour,omitempty" json:"arrivals_per_hour,omitempty"`
	ArrivalScale    float64 `yaml:"arrival_scale,omitempty" json:"arrival_scale,omitempty"`
	// HandleTime is the mean worked time per item.
	HandleTime Duration `yaml:"handle_time,omitempty" json:"handle_time,omitempty"`
	// Concurrency is the number of items one analyst works at once; the
	// analyst effort per item is HandleTime ÷ Concurrency (default 1:
	// measured case handle times are already time worked).
	Concurrency float64 `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
	// AnswerWithin is the service-level threshold (default: the SLA
	// policy's acknowledge target for the priority).
	AnswerWithin Duration `yaml:"answer_within,omitempty" json:"answer_within,omitempty"`
	// TargetServiceLevel is the required P(answered within AnswerWithin).
	TargetServiceLevel float64 `yaml:"target_service_level,omitempty" json:"target_service_level,omitempty"`
	// Patience is the mean time before an item is dropped unhandled
	// (Erlang A); zero means items wait as long as it takes.
	Patience Duration `yaml:"patience,omitempty" json:"patience,omitempty"`
}

// ShiftTemplate is a shift pattern in configuration.
type ShiftTemplate struct {
	Name     string    `yaml:"name" json:"name"`
	Length   Duration  `yaml:"length" json:"length"`
	Starts   []string  `yaml:"starts,omitempty" json:"starts,omitempty"`
	Days     []Weekday `yaml:"days,omitempty" json:"days,omitempty"`
	WorkDays int       `yaml:"work_days,omitempty" json:"work_days,omitempty"`
	// CostPerShift is the cost of one person on one shift; zero costs the
	// shift at its paid hours.
	CostPerShift float64 `yaml:"cost_per_shift,omitempty" json:"cost_per_shift,omitempty"`
}

// SkillRequirement says how many people on each shift must hold a skill at
// a level, and for what.
type SkillRequirement struct {
	Skill    string `yaml:"skill" json:"skill"`
	MinLevel int    `yaml:"min_level,omitempty" json:"min_level,omitempty"`
	// PerShift is the least number of holders on every shift.
	PerShift int `yaml:"per_shift,omitempty" json:"per_shift,omitempty"`
	// For says which queues or runbooks need it (free text, shown).
	For string `yaml:"for,omitempty" json:"for,omitempty"`
}

// Config is the staffing plan's configuration. Every field is optional:
// what history can tell is measured, and the rest falls back to defaults
// that are reported as assumptions.
type Config struct {
	// TimeZone is the organisation's time zone for hours of the week
	// (default: the shifts' time zone in the store, else UTC).
	TimeZone string `yaml:"time_zone,omitempty" json:"time_zone,omitempty"`
	// HistoryDays is how much history to model, ending at the newest
	// alert or case (default 28).
	HistoryDays int `yaml:"history_days,omitempty" json:"history_days,omitempty"`
	// HistoryUntil, when set, ends the history there (HistoryDays before
	// it) instead of at the newest alert or case: a caller's explicit
	// window. Not read from configuration files.
	HistoryUntil time.Time `yaml:"-" json:"-"`
	// ArrivalProfile chooses how hourly arrival rates are estimated:
	// "smoothed" (default: each weekday's volume spread by the hour-of-day
	// shape of weekdays or weekends, which needs far less history) or
	// "hour_of_week" (each of the 168 hours from its own counts).
	ArrivalProfile string `yaml:"arrival_profile,omitempty" json:"arrival_profile,omitempty"`
	// Growth is the expected relative change in volume to plan for (0.2 =
	// 20 % more); when unset the plan uses today's volume and reports the
	// measured trend.
	Growth *float64 `yaml:"growth,omitempty" json:"growth,omitempty"`
	// Shrinkage is the share of paid time not available for queue work
	// (breaks, meetings, training, leave, sickness).
	Shrinkage *float64 `yaml:"shrinkage,omitempty" json:"shrinkage,omitempty"`
	// MaxOccupancy caps the share of available time spent handling work.
	MaxOccupancy *float64 `yaml:"max_occupancy,omitempty" json:"max_occupancy,omitempty"`
	// TargetServiceLevel applies to queues without their own.
	TargetServiceLevel *float64 `yaml:"target_service_level,omitempty" json:"target_service_level,omitempty"`
	// TriageHandleTime is the mean time to triage one alert. The store
	// records no alert handling times, so alert triage is planned only
	// when this (or a queue's handle_time) is set.
	TriageHandleTime *Duration `yaml:"triage_handle_time,omitempty" json:"triage_handle_time,omitempty"`
	// SessionGap is the longest silence between two of a person's events
	// on a case that still counts as one work session (default
	// DefaultSessionGap); see the package documentation for how case
	// handle times are measured.
	SessionGap *Duration `yaml:"session_gap,omitempty" json:"session_gap,omitempty"`
	// TriageShare is the share of alerts a person triages; the rest are
	// closed by automation (default 1).
	TriageShare *float64 `yaml:"triage_share,omitempty" json:"triage_share,omitempty"`
	// ContractHours is the paid hours per analyst per week.
	ContractHours *float64 `yaml:"contract_hours,omitempty" json:"contract_hours,omitempty"`
	// MinHeads is the least number of people on duty at any hour.
	MinHeads *int `yaml:"min_heads,omitempty" json:"min_heads,omitempty"`
	// Queues override or add queues.
	Queues []QueueConfig `yaml:"queues,omitempty" json:"queues,omitempty"`
	// Templates are the shift patterns the schedule may use.
	Templates []ShiftTemplate `yaml:"shift_templates,omitempty" json:"shift_templates,omitempty"`
	// Skills are the skill requirements per shift.
	Skills []SkillRequirement `yaml:"skills,omitempty" json:"skills,omitempty"`
	// Runbooks map runbook names to the skills they need.
	Runbooks map[string][]string `yaml:"runbooks,omitempty" json:"runbooks,omitempty"`
	// Simulation settings.
	Replications int    `yaml:"replications,omitempty" json:"replications,omitempty"`
	Seed         uint64 `yaml:"seed,omitempty" json:"seed,omitempty"`
}

// Arrival profiles.
const (
	ProfileSmoothed   = "smoothed"
	ProfileHourOfWeek = "hour_of_week"
)

// Default assumptions. They are not measured from the organisation's data;
// every plan lists the ones it used, and each can be set in the
// configuration.
const (
	DefaultHistoryDays        = 28
	DefaultShrinkage          = 0.30
	DefaultMaxOccupancy       = 0.85
	DefaultTargetServiceLevel = 0.90
	DefaultContractHours      = 40.0
	DefaultMinHeads           = 2
	DefaultReplications       = 10
	DefaultSeed               = 1
)

// DefaultSessionGap is the default SessionGap: events on a case by people
// at most this far apart belong to one work session. Half an hour spans
// the pauses of one sitting (reading, running a query, writing a note)
// without bridging separate sittings. The handle times kept with the case
// facts are measured with it.
const DefaultSessionGap = handle.DefaultGap

// defaultAnswerWithin is used when the store has no SLA policy: example
// acknowledge targets by priority.
var defaultAnswerWithin = map[model.Priority]time.Duration{
	model.P1: 15 * time.Minute, model.P2: time.Hour, model.P3: 4 * time.Hour, model.P4: 24 * time.Hour, model.P5: 72 * time.Hour,
}

// LoadConfig reads a YAML configuration. Unknown keys are errors, so a
// misspelt setting does not silently fall back to a default.
func LoadConfig(path string) (Config, error) {
	var cfg Config
	if err := LoadSection(path, "staffing", &cfg); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// LoadSection reads the top-level key of a YAML file into dst, as
// DecodeSection does.
func LoadSection(path, key string, dst any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading %s configuration: %w", key, err)
	}
	defer f.Close()
	return DecodeSection(f, path, key, dst)
}

// DecodeConfig reads a YAML configuration from r; name appears in errors.
// A file holding a budget section next to the staffing one is accepted:
// only the "staffing" key is read when present.
func DecodeConfig(r io.Reader, name string) (Config, error) {
	var cfg Config
	if err := DecodeSection(r, name, "staffing", &cfg); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// DecodeSection decodes the top-level key of a YAML document from r into
// dst, rejecting unknown keys so that a misspelt setting is an error rather
// than a silent default. A document without the key leaves dst unchanged.
func DecodeSection(r io.Reader, name, key string, dst any) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(b, &top); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	node, ok := top[key]
	if !ok {
		return nil
	}
	var buf bytes.Buffer
	if err := yaml.NewEncoder(&buf).Encode(&node); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil && err != io.EOF {
		return fmt.Errorf("%s: %s: %w", name, key, err)
	}
	return nil
}

// Validate checks the ranges of the configured values.
func (c Config) Validate() error {
	frac := func(name string, p *float64, lo, hi float64, loOpen bool) error {
		if p == nil {
			return nil
		}
		if math.IsNaN(*p) || *p > hi || *p < lo || loOpen && *p == lo {
			return fmt.Errorf("%s = %v is out of range", name, *p)
		}
		return nil
	}
	if err := errors.Join(
		frac("shrinkage", c.Shrinkage, 0, 0.95, false),
		frac("max_occupancy", c.MaxOccupancy, 0, 1, true),
		frac("target_service_level", c.TargetServiceLevel, 0, 0.9999, true),
		frac("growth", c.Growth, -0.99, 100, false),
		frac("contract_hours", c.ContractHours, 0, 168, true),
		frac("triage_share", c.TriageShare, 0, 1, false),
	); err != nil {
		return err
	}
	if c.ArrivalProfile != "" && c.ArrivalProfile != ProfileSmoothed && c.ArrivalProfile != ProfileHourOfWeek {
		return fmt.Errorf("arrival_profile %q: want %q or %q", c.ArrivalProfile, ProfileSmoothed, ProfileHourOfWeek)
	}
	if c.HistoryDays < 0 {
		return fmt.Errorf("history_days = %d is negative", c.HistoryDays)
	}
	if c.MinHeads != nil && *c.MinHeads < 0 {
		return fmt.Errorf("min_heads = %d is negative", *c.MinHeads)
	}
	if c.SessionGap != nil && *c.SessionGap <= 0 {
		return fmt.Errorf("session_gap = %v: want a positive duration", time.Duration(*c.SessionGap))
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			return fmt.Errorf("time_zone: %w", err)
		}
	}
	for i, q := range c.Queues {
		if q.Kind != Alerts && q.Kind != Cases {
			return fmt.Errorf("queues[%d]: kind must be %q or %q, got %q", i, Alerts, Cases, q.Kind)
		}
		if !q.Priority.Valid() {
			return fmt.Errorf("queues[%d]: priority must be P1 … P5", i)
		}
		if q.ArrivalsPerHour < 0 || q.ArrivalScale < 0 || q.Concurrency < 0 || q.TargetServiceLevel < 0 || q.TargetServiceLevel >= 1 {
			return fmt.Errorf("queues[%d] (%s %s): negative or out-of-range value", i, q.Kind, q.Priority)
		}
	}
	for i, s := range c.Skills {
		if s.Skill == "" || s.MinLevel < 0 || s.MinLevel > 5 || s.PerShift < 0 {
			return fmt.Errorf("skills[%d]: need a skill name, a level 0–5 and a non-negative per_shift", i)
		}
	}
	if c.Replications < 0 || c.Replications == 1 {
		return fmt.Errorf("replications = %d: want at least 2 for a confidence interval", c.Replications)
	}
	return nil
}

// templates converts the configured shift templates, or returns the
// defaults.
func (c Config) templates() ([]schedule.Template, bool) {
	if len(c.Templates) == 0 {
		return schedule.DefaultTemplates(), true
	}
	out := make([]schedule.Template, 0, len(c.Templates))
	for _, t := range c.Templates {
		st := schedule.Template{Name: t.Name, Length: time.Duration(t.Length), Starts: t.Starts, WorkDays: t.WorkDays, Cost: t.CostPerShift}
		for _, d := range t.Days {
			st.Days = append(st.Days, time.Weekday(d))
		}
		out = append(out, st)
	}
	return out, false
}

// queue returns the configuration given for a queue (the last one, when
// several name its kind and priority), or nil.
func (c Config) queue(k QueueKind, p model.Priority) *QueueConfig {
	var qc *QueueConfig
	for i := range c.Queues {
		if c.Queues[i].Kind == k && c.Queues[i].Priority == p {
			qc = &c.Queues[i]
		}
	}
	return qc
}
