package sla

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Policies is the version history of one SLA policy. Versions are never
// edited: each takes effect at its EffectiveFrom, and the version in force at
// an instant is the one whose EffectiveFrom is the latest not after it. A nil
// *Policies has no versions: clocks are measured 24×7 without pauses or
// targets. Policies is immutable and safe for concurrent use.
type Policies struct {
	name     string
	versions []version // by EffectiveFrom, then Version
}

// version is one policy version with its calendar compiled.
type version struct {
	policy model.SLAPolicy
	cal    *Calendar
	pauses []string // trimmed
}

// NewPolicies compiles the versions of one policy. All versions must share
// a name and have distinct version numbers; targets must not be negative and
// calendars must be valid. When two versions take effect at the same instant,
// the higher version number wins. The policies are copied.
func NewPolicies(versions ...model.SLAPolicy) (*Policies, error) {
	if len(versions) == 0 {
		return nil, fmt.Errorf("no policy versions")
	}
	p := &Policies{name: versions[0].Name}
	seen := make(map[int]bool, len(versions))
	for _, v := range versions {
		if v.Name != p.name {
			return nil, fmt.Errorf("policy versions name both %q and %q", p.name, v.Name)
		}
		if seen[v.Version] {
			return nil, fmt.Errorf("policy %q: version %d given twice", v.Name, v.Version)
		}
		seen[v.Version] = true
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
		return cmp.Compare(a.policy.Version, b.policy.Version)
	})
	return p, nil
}

// Name is the policy's name ("" for nil).
func (p *Policies) Name() string {
	if p == nil {
		return ""
	}
	return p.name
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
