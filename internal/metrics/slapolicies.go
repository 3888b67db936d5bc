package metrics

import (
	"context"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Policy version states, as SLAPolicies reports them.
const (
	// PolicyInForce judges the clocks that stop (or run) now.
	PolicyInForce = "in_force"
	// PolicyScheduled takes effect later.
	PolicyScheduled = "scheduled"
	// PolicySuperseded judged the clocks that stopped before a later
	// version took effect, and still does.
	PolicySuperseded = "superseded"
	// PolicyDisabled was disabled and judges nothing.
	PolicyDisabled = "disabled"
	// PolicyInvalid fails sla.Validate and judges nothing (see Problem).
	PolicyInvalid = "invalid"
)

// PolicyVersion is a stored SLA policy version and its state at the
// service's now.
type PolicyVersion struct {
	store.StoredPolicy
	State string `json:"state"`
}

// SLAPolicies lists every stored SLA policy version, disabled and invalid
// ones included, with what each judges now under the one timeline of
// package sla.
func (s *Service) SLAPolicies(ctx context.Context) ([]PolicyVersion, error) {
	all, err := s.st.SLAPolicies(ctx)
	if err != nil {
		return nil, err
	}
	return policyStates(all, s.Now()), nil
}

// policyStates says what each version judges at now.
func policyStates(all []store.StoredPolicy, now time.Time) []PolicyVersion {
	var usable []model.SLAPolicy
	for _, p := range all {
		if !p.Disabled() && p.Problem == "" {
			usable = append(usable, p.SLAPolicy)
		}
	}
	cur := sla.Load(usable).InForce(now)
	out := make([]PolicyVersion, len(all))
	for i, p := range all {
		v := PolicyVersion{StoredPolicy: p}
		switch {
		case p.Disabled():
			v.State = PolicyDisabled
		case p.Problem != "":
			v.State = PolicyInvalid
		case p.EffectiveFrom.After(now):
			v.State = PolicyScheduled
		case p.Name == cur.Name && p.Version == cur.Version:
			v.State = PolicyInForce
		default:
			v.State = PolicySuperseded
		}
		out[i] = v
	}
	return out
}
