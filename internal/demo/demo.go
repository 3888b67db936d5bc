// Package demo simulates a mid-size 24×7 security operations centre so that
// `watchfloor demo` and `--demo` have realistic, reproducible data to show.
//
// It is a simulation, not a table of random rows. For a seed it builds a
// roster (teams, three shifts, analysts in tiers L1/L2/L3), a detection
// content pack (rules with ATT&CK techniques and per-rule false-positive
// rates, a few very noisy rules carrying most of the volume), an SLA policy,
// and then runs the watch floor over the configured days:
//
//   - Alerts arrive as a non-homogeneous Poisson process whose hourly rate
//     follows the organisation's business day (peak 09:00–17:00 local) and
//     week (weekend dip), scaled so the expected volume is exactly
//     AlertsPerDay × Days. Each alert's verdict is drawn from its rule's
//     false-positive rate; a small share are duplicates, and scheduled
//     purple-team drills raise test alerts from a drill rule.
//   - A SOAR suppression step closes part of the known-noise alerts
//     automatically; the rest wait in a first-come-first-served queue for an
//     analyst on shift (L1 for most alerts, L2/L3 for critical ones, falling
//     back to L1 when no senior is on duty), with lognormal handling times.
//   - Triage closes most alerts (false positives, benign activity,
//     duplicates, tests) and escalates true positives, some benign positives
//     and a few unclear high-severity alerts into cases. True-positive alerts
//     about the same intrusion are grouped into one case while it is open.
//   - Each case then lives through assignment, triage, investigation,
//     escalation to L2/L3, priority changes, SLA pauses ("Awaiting User
//     Info", "Awaiting Vendor"), runbook executions, containment, comments,
//     resolution with a disposition, closure and occasional reopening.
//   - Three to six major incidents per 90 days (P1 cases with dozens of
//     linked alerts, containment and a long investigation) are woven in.
//
// Shifts are Day 06:00, Swing 14:00 and Night 22:00 local time, eight hours
// each, running every day of the week. Each analyst works five days a week
// on one shift with two consecutive days off (staggered across the team) and
// occasional sick days and a vacation week, so coverage varies by hour as on
// a real floor. Those days off are part of the simulation only; the emitted
// shift records describe when each shift runs.
//
// Generate streams records in this order: teams, shifts, analysts, rules,
// the SLA policy, then alerts (at their CreatedAt), case snapshots (at
// creation) and case events (at their time) interleaved in time order. A
// case is emitted once, with its initial state (stage new, no assignee,
// queued to the Tier 1 team); everything that happens to it afterwards is a
// case event with a stable id ("C-000001/3", numbered in time order). Alerts
// ("A-00000001") carry their state as of the end of the simulation: status
// "closed" with a disposition, "escalated" while their case is open,
// "in_progress" while being triaged, or "new" while still queued; an alert
// escalated into a case names it in CaseExternalID, and the case lists its
// first alert and links later ones with alert_linked events. Work not
// finished by End stays open: nothing is dated at or after End, and every
// timestamp is UTC within [End-Days, End).
//
// Everything is deterministic for a seed: random draws come from PCG streams
// seeded from Config.Seed, in an order that depends on nothing else. The
// arrival stream (when alerts arrive, from which rule, with which verdict and
// entities) is independent of the roster, so two runs with the same seed and
// different staffing see the same alerts and differ only in how the floor
// copes with them.
package demo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

// Source is the source name of every alert, case, event and rule the
// simulation emits.
const Source = "demo"

// Bounds and defaults of the configuration.
const (
	DefaultSeed         = 1
	DefaultDays         = 90
	DefaultAlertsPerDay = 4000
	DefaultAnalysts     = 14
	MinAnalysts         = 3
	MaxAnalysts         = 500
	MaxDays             = 3660
	MaxAlertsPerDay     = 5_000_000
)

// Config describes the simulated SOC.
type Config struct {
	// Seed selects the simulation; the same seed gives the same output.
	// Zero means DefaultSeed.
	Seed int64
	// Days is the length of the simulated period ending at End.
	Days int
	// AlertsPerDay is the mean daily alert volume.
	AlertsPerDay int
	// Analysts is the head count, MinAnalysts to MaxAnalysts.
	Analysts int
	// End is the end of the simulation (exclusive); callers pass the current
	// time truncated to the hour. Required.
	End time.Time
	// TimeZone is the organisation's time zone, used for the daily and
	// weekly rhythm of alerts and for shifts. Nil means UTC.
	TimeZone *time.Location
	// Techniques are the ATT&CK technique ids rules may carry, usually the
	// loaded catalog's. A rule whose built-in techniques are all missing
	// from the list gets one drawn from it. Empty means the built-in ids.
	Techniques []string
	// Live emits each alert when it arrives, with its state then (new, or
	// closed by automation), and again at every change of state: when an
	// analyst starts triage, when triage closes or escalates it, and when
	// its case is resolved. Without Live an alert is emitted once, with
	// its state at End. Either way the simulation is the same; Live is for
	// a consumer that releases records as the clock passes their time
	// (see Live), so no record tells what has not happened yet.
	Live bool
	// RunbookRevision is when the demo's runbook folder is revised (see
	// Runbooks); zero means the middle of the simulated period.
	RunbookRevision time.Time
	// Mute, when set, drops the alerts of a source (or of one of its
	// rules) created from a time on, as if its connector had stopped
	// sending: the simulation is unchanged, only those alerts are not
	// emitted, so source health shows the source silent.
	Mute *Mute
}

// Mute names the alerts a muted connector no longer delivers.
type Mute struct {
	Source string    // the alerts' source (Source for the simulation's)
	Rule   string    // one rule's external id; empty: every rule
	From   time.Time // alerts created at or after this are dropped
}

// ParseMute reads "SOURCE" or "SOURCE/RULE" as a mute from a time on.
func ParseMute(v string, from time.Time) (*Mute, error) {
	src, rule, _ := strings.Cut(v, "/")
	if src == "" {
		return nil, fmt.Errorf("silence %q: name a source, or a source and a rule as SOURCE/RULE", v)
	}
	return &Mute{Source: src, Rule: rule, From: from.UTC()}, nil
}

// drops reports whether an alert of source and rule created at t is muted.
func (m *Mute) drops(source, rule string, t time.Time) bool {
	return m != nil && source == m.Source && (m.Rule == "" || rule == m.Rule) && !t.Before(m.From)
}

// PipelineLag is the simulated delay between an alert's creation and its
// ingestion, 20 to 80 seconds, fixed for an alert id (a hash, so the
// simulation's random streams are untouched).
func PipelineLag(externalID string) time.Duration {
	h := fnv.New32a()
	h.Write([]byte(externalID))
	return 20*time.Second + time.Duration(h.Sum32()%61)*time.Second
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.Days == 0 {
		c.Days = DefaultDays
	}
	if c.AlertsPerDay == 0 {
		c.AlertsPerDay = DefaultAlertsPerDay
	}
	if c.Analysts == 0 {
		c.Analysts = DefaultAnalysts
	}
	if c.TimeZone == nil {
		c.TimeZone = time.UTC
	}
	return c
}

// validate checks a configuration that already has its defaults.
func (c Config) validate() error {
	switch {
	case c.End.IsZero():
		return errors.New("demo: end time is required")
	case c.Days < 1 || c.Days > MaxDays:
		return fmt.Errorf("demo: days must be 1 to %d, got %d", MaxDays, c.Days)
	case c.AlertsPerDay < 1 || c.AlertsPerDay > MaxAlertsPerDay:
		return fmt.Errorf("demo: alerts per day must be 1 to %d, got %d", MaxAlertsPerDay, c.AlertsPerDay)
	case c.Analysts < MinAnalysts || c.Analysts > MaxAnalysts:
		return fmt.Errorf("demo: analysts must be %d to %d, got %d", MinAnalysts, MaxAnalysts, c.Analysts)
	}
	return nil
}

// Generate runs the simulation described by cfg (defaults applied) and
// streams its records to emit. It stops with the error of emit or of ctx.
//
// Records are never reused, so emit may keep them, but to keep allocation
// low alerts are carved from shared blocks and the alerts of one rule share
// one Techniques slice: treat emitted values as read-only.
func Generate(ctx context.Context, cfg Config, emit record.Emit) error {
	return generateTimed(ctx, cfg, func(_ int64, r record.Record) error { return emit(r) })
}

// timedEmit receives a record and the simulated time it happened, in Unix
// milliseconds; records come in time order.
type timedEmit func(at int64, r record.Record) error

func generateTimed(ctx context.Context, cfg Config, emit timedEmit) error {
	s, err := newSim(cfg)
	if err != nil {
		return err
	}
	return s.run(ctx, emit)
}
