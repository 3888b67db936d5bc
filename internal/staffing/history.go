package staffing

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNoWorkload is returned by PlanHistory when the history window holds no
// cases or alerts to plan for.
var ErrNoWorkload = errors.New("no workload to plan: the store has no cases or alerts in the history window")

// ServiceLevel replaces every queue's service-level definition: a positive
// answerWithin becomes each queue's threshold T and a positive target its
// required P(answered within T). Each replaced input is sourced from
// configuration and no longer listed as an assumption.
func (w *Workload) ServiceLevel(answerWithin Duration, target float64) error {
	if answerWithin < 0 {
		return fmt.Errorf("answer within %s: must not be negative", answerWithin)
	}
	if target < 0 || target >= 1 {
		return fmt.Errorf("target service level %g: must be between 0 and 1", target)
	}
	for i := range w.Queues {
		q := &w.Queues[i]
		if answerWithin > 0 {
			q.AnswerWithinSeconds = answerWithin.Seconds()
			q.Sources["answer_within"] = FromConfig
		}
		if target > 0 {
			q.TargetServiceLevel = target
			q.Sources["target_service_level"] = FromConfig
		}
	}
	kept := w.Assumptions[:0:0]
	for _, a := range w.Assumptions {
		if answerWithin > 0 && strings.HasSuffix(a.Input, " answer_within") || target > 0 && a.Input == "target_service_level" {
			continue
		}
		kept = append(kept, a)
	}
	w.Assumptions = kept
	return nil
}

// PlanHistory models the workload from h and builds the plan, with every
// queue's service level overridden by answerWithin and target when they
// are positive (see [Workload.ServiceLevel]). It returns ErrNoWorkload
// when there is nothing to plan.
func PlanHistory(ctx context.Context, h History, cfg Config, opt Options, answerWithin Duration, target float64) (*Plan, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w, err := Model(ctx, h, cfg)
	if err != nil {
		return nil, err
	}
	if len(w.Queues) == 0 {
		return nil, ErrNoWorkload
	}
	if err := w.ServiceLevel(answerWithin, target); err != nil {
		return nil, err
	}
	return Build(w, cfg, opt)
}
