package sla

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Policies is the one timeline of SLA policy versions that judges all work.
// Versions are never edited: each takes effect at its EffectiveFrom, and the
// version in force at an instant is the one whose EffectiveFrom is the
// latest not after it, whatever its name (at equal instants the higher
// version number wins, then the later name). So a version added with a
// later EffectiveFrom judges only the clocks that stop (or run) after it;
// it never restates the history judged by the versions before it.
//
// A nil *Policies, or one without versions, has no SLA: clocks are
// measured 24×7 without pauses or targets. Policies is immutable and safe
// for concurrent use.
type Policies struct {
	versions []version // by EffectiveFrom, then Version, then Name
	// warnings say which stored versions Load left out, and why.
	warnings []string
}

// version is one policy version with its calendar compiled.
type version struct {
	policy model.SLAPolicy
	cal    *Calendar
	pauses []string // trimmed
}

// NewPolicies compiles policy versions into one timeline. Each (name,
// version) pair must be given once; targets must not be negative and
// calendars must be valid. The policies are copied. Stored versions are
// read with Load, which applies the full Validate and skips what fails it.
func NewPolicies(versions ...model.SLAPolicy) (*Policies, error) {
	if len(versions) == 0 {
		return nil, fmt.Errorf("no policy versions")
	}
	p := &Policies{}
	type key struct {
		name    string
		version int
	}
	seen := make(map[key]bool, len(versions))
	for _, v := range versions {
		if seen[key{v.Name, v.Version}] {
			return nil, fmt.Errorf("policy %q: version %d given twice", v.Name, v.Version)
		}
		seen[key{v.Name, v.Version}] = true
		for pr, t := range v.Targets {
			if t.Acknowledge < 0 || t.Resolve < 0 {
				return nil, fmt.Errorf("policy %q version %d: negative target for %v", v.Name, v.Version, pr)
			}
		}
		cal, err := NewCalendar(v.Calendar)
		if err != nil {
			return nil, fmt.Errorf("policy %q version %d: calendar: %w", v.Name, v.Version, err)
		}
		c := v
		c.Targets = maps.Clone(v.Targets)
		c.PauseStatuses = slices.Clone(v.PauseStatuses)
		if v.Calendar != nil {
			bh := *v.Calendar
			bh.Days = slices.Clone(bh.Days)
			bh.Holidays = slices.Clone(bh.Holidays)
			c.Calendar = &bh
		}
		var pauses []string
		for _, s := range v.PauseStatuses {
			if s = strings.TrimSpace(s); s != "" {
				pauses = append(pauses, s)
			}
		}
		p.versions = append(p.versions, version{policy: c, cal: cal, pauses: pauses})
	}
	slices.SortFunc(p.versions, func(a, b version) int {
		if c := a.policy.EffectiveFrom.Compare(b.policy.EffectiveFrom); c != 0 {
			return c
		}
		if c := cmp.Compare(a.policy.Version, b.policy.Version); c != 0 {
			return c
		}
		return strings.Compare(a.policy.Name, b.policy.Name)
	})
	return p, nil
}

// Load compiles stored policy versions into the timeline, leaving out each
// version that fails Validate with a warning naming it and the reason, so
// one bad version never stops a report. warnings are kept before Load's own
// (the caller's problems reading versions). It returns nil when there are
// neither versions nor warnings; a Policies whose every version was left
// out has no SLA (Len 0) but keeps its warnings.
func Load(versions []model.SLAPolicy, warnings ...string) *Policies {
	if len(versions) == 0 && len(warnings) == 0 {
		return nil
	}
	var ok []model.SLAPolicy
	warnings = slices.Clone(warnings)
	type key struct {
		name    string
		version int
	}
	seen := map[key]bool{}
	for _, v := range versions {
		if err := Validate(v); err != nil {
			warnings = append(warnings, fmt.Sprintf("SLA policy %q version %d left out: %v", v.Name, v.Version, err))
			continue
		}
		if seen[key{v.Name, v.Version}] {
			warnings = append(warnings, fmt.Sprintf("SLA policy %q version %d left out: given twice", v.Name, v.Version))
			continue
		}
		seen[key{v.Name, v.Version}] = true
		ok = append(ok, v)
	}
	p := &Policies{}
	if len(ok) > 0 {
		var err error
		if p, err = NewPolicies(ok...); err != nil {
			// Validate checks everything NewPolicies does.
			p = &Policies{}
			warnings = append(warnings, "SLA policies left out: "+err.Error())
		}
	}
	p.warnings = warnings
	return p
}

// Len is the number of versions in the timeline (0 for nil).
func (p *Policies) Len() int {
	if p == nil {
		return 0
	}
	return len(p.versions)
}

// Warnings says which versions Load left out and why.
func (p *Policies) Warnings() []string {
	if p == nil {
		return nil
	}
	return p.warnings
}

// Versions returns the versions in the order they take effect. The targets
// map and slices are shared with p and must not be modified.
func (p *Policies) Versions() []model.SLAPolicy {
	if p == nil {
		return nil
	}
	out := make([]model.SLAPolicy, len(p.versions))
	for i, v := range p.versions {
		out[i] = v.policy
	}
	return out
}

// InForce returns the version whose EffectiveFrom is the latest not after
// at. Before the first version takes effect the first version is returned
// (clocks judged by it are marked Backdated). A nil p returns the zero
// policy. The targets map is shared with p and must not be modified.
func (p *Policies) InForce(at time.Time) model.SLAPolicy {
	if v := p.version(at); v != nil {
		return v.policy
	}
	return model.SLAPolicy{}
}

// NextChange returns the EffectiveFrom of the first version that takes
// effect after t, and false when none does: until then, a clock judged at
// t is judged by the same version.
func (p *Policies) NextChange(t time.Time) (time.Time, bool) {
	if p == nil {
		return time.Time{}, false
	}
	for _, v := range p.versions {
		if v.policy.EffectiveFrom.After(t) {
			return v.policy.EffectiveFrom, true
		}
	}
	return time.Time{}, false
}

// Calendar returns the business calendar of the version in force at at;
// nil means 24×7.
func (p *Policies) Calendar(at time.Time) *Calendar {
	if v := p.version(at); v != nil {
		return v.cal
	}
	return nil
}

// version finds the version in force at at, as InForce describes.
func (p *Policies) version(at time.Time) *version {
	if p == nil || len(p.versions) == 0 {
		return nil
	}
	// Binary search for the first version taking effect after at; the one
	// before it is in force.
	lo, hi := 0, len(p.versions)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p.versions[m].policy.EffectiveFrom.After(at) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo == 0 {
		return &p.versions[0]
	}
	return &p.versions[lo-1]
}

// paused reports whether status is one of the version's pause statuses.
func (v *version) paused(status string) bool {
	if v == nil || len(v.pauses) == 0 || status == "" {
		return false
	}
	status = strings.TrimSpace(status)
	for _, s := range v.pauses {
		if strings.EqualFold(status, s) {
			return true
		}
	}
	return false
}

// Bounds of a target: shorter targets are almost always a unit mistake
// (targets are JSON numbers of nanoseconds, so 1800 is 1.8 µs, not 30
// minutes), longer ones are not service levels.
const (
	MinTarget = time.Minute
	MaxTarget = 366 * 24 * time.Hour
)

// Validate checks one policy version in full, as ingest does before storing
// it: a name, a positive version, an effective_from, at least one target,
// every target for one of P1 … P5 with an acknowledge or a resolve target
// or both (one left out, zero, means that clock has no target for the
// priority), each between MinTarget and MaxTarget, no blank pause status,
// and a calendar that
// compiles (a known time zone, working days, HH:MM hours, YYYY-MM-DD
// holidays). The error names the field ("targets.P1.acknowledge: …").
func Validate(p model.SLAPolicy) error {
	var errs []string
	bad := func(field, format string, args ...any) {
		errs = append(errs, field+": "+fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(p.Name) == "" {
		bad("name", "missing")
	}
	if p.Version <= 0 {
		bad("version", "%d is not a positive number", p.Version)
	}
	if p.EffectiveFrom.IsZero() {
		bad("effective_from", "missing")
	} else if y := p.EffectiveFrom.Year(); y < 1970 || y > 9999 {
		bad("effective_from", "year %d is out of range", y)
	}
	if len(p.Targets) == 0 {
		bad("targets", "none given (want acknowledge and resolve targets for P1 … P5)")
	}
	prios := slices.Sorted(maps.Keys(p.Targets))
	for _, pr := range prios {
		t := p.Targets[pr]
		if !pr.Valid() {
			bad("targets", "priority %d is not one of P1 … P5", int(pr))
			continue
		}
		if t.Acknowledge == 0 && t.Resolve == 0 {
			bad("targets."+pr.String(), "sets neither acknowledge nor resolve")
			continue
		}
		for _, x := range []struct {
			name string
			d    time.Duration
		}{{"acknowledge", t.Acknowledge}, {"resolve", t.Resolve}} {
			field := "targets." + pr.String() + "." + x.name
			switch {
			case x.d == 0:
				// Left out: this clock has no target for the priority.
			case x.d < 0:
				bad(field, "%v is negative", x.d)
			case x.d < MinTarget:
				bad(field, "%v is shorter than %v (targets are nanoseconds: 30 minutes is 1800000000000)", x.d, MinTarget)
			case x.d > MaxTarget:
				bad(field, "%v is longer than %v", x.d, MaxTarget)
			}
		}
	}
	for i, s := range p.PauseStatuses {
		if strings.TrimSpace(s) == "" {
			bad(fmt.Sprintf("pause_statuses[%d]", i), "blank")
		}
	}
	if p.Calendar != nil {
		if _, err := NewCalendar(p.Calendar); err != nil {
			bad("calendar", "%v", err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(errs, "; "))
}
