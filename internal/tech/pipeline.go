package tech

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Feed states.
const (
	FeedOK       = "ok"
	FeedFailing  = "failing"  // the last pull failed
	FeedOverdue  = "overdue"  // no successful pull for two intervals
	FeedDisabled = "disabled" // not pulled on a schedule
)

// FeedGrace is added to two intervals before a feed counts as overdue.
const FeedGrace = 5 * time.Minute

// FeedHealth is a scheduled intelligence feed's state with its evidence.
type FeedHealth struct {
	Name        string        `json:"name"`
	Kind        string        `json:"kind"`
	State       string        `json:"state"`
	Interval    time.Duration `json:"interval_ns"`
	LastSuccess *time.Time    `json:"last_success"`
	LastAttempt *time.Time    `json:"last_attempt"`
	Failures    int           `json:"consecutive_failures"`
	LastError   string        `json:"last_error,omitempty"`
	Since       *time.Time    `json:"since"`
	Reason      string        `json:"reason"`
}

// JudgeFeed judges a feed at now: failing when its last pull failed,
// overdue when it has not been pulled successfully for two intervals and
// FeedGrace (counted from its creation when it never was), disabled when it
// is not scheduled; since is its last success (or creation).
func JudgeFeed(f store.IntelFeed, now time.Time) FeedHealth {
	out := FeedHealth{Name: f.Name, Kind: f.Kind, Interval: f.Interval, Failures: f.Failures, LastError: f.LastError, State: FeedOK}
	if !f.LastSuccess.IsZero() {
		t := f.LastSuccess.UTC()
		out.LastSuccess = &t
	}
	if !f.LastAttempt.IsZero() {
		t := f.LastAttempt.UTC()
		out.LastAttempt = &t
	}
	since := f.CreatedAt.UTC()
	if out.LastSuccess != nil {
		since = *out.LastSuccess
	}
	switch {
	case !f.Enabled:
		out.State, out.Reason = FeedDisabled, "not pulled on a schedule"
		return out
	case f.Failures > 0:
		out.State = FeedFailing
		out.Reason = fmt.Sprintf("the last %d pull%s failed", f.Failures, plural(f.Failures))
		if f.LastError != "" {
			out.Reason += ": " + f.LastError
		}
	case f.Interval > 0 && now.Sub(since) > 2*f.Interval+FeedGrace:
		out.State = FeedOverdue
		if out.LastSuccess == nil {
			out.Reason = fmt.Sprintf("never pulled successfully since it was added %s ago (interval %s): is a server pulling feeds?", Round(now.Sub(since)), f.Interval)
		} else {
			out.Reason = fmt.Sprintf("no successful pull for %s (interval %s): is a server pulling feeds?", Round(now.Sub(since)), f.Interval)
		}
	default:
		return out
	}
	out.Since = &since
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// PipelineReport is the health of the detection pipeline: rules that
// stopped firing or jumped, imported detection content that never fired,
// and the scheduled intelligence feeds.
type PipelineReport struct {
	JudgedAt time.Time `json:"judged_at"`
	// Stopped are rules that are silent by the hour or stopped by the day;
	// Jumped rules whose volume is far above usual (noisy).
	Stopped []KeyHealth `json:"stopped_rules"`
	Jumped  []KeyHealth `json:"jumped_rules"`
	// NeverFired are the imported rules (watchfloor coverage import) that
	// are active and were never credited an alert; ImportedRules counts
	// them all.
	NeverFired    []coverage.RuleFiring `json:"never_fired"`
	ImportedRules int                   `json:"imported_rules"`
	Feeds         []FeedHealth          `json:"feeds"`
	FeedStates    map[string]int        `json:"feed_states"`
	Definition    string                `json:"definition"`
}

// PipelineDefinition is the detection pipeline's definition.
const PipelineDefinition = "Stopped rules: silent by the source-health definition or stopped by the daily one; jumped rules: noisy by either. " +
	"Never fired: imported detection rules (active, not deprecated or unsupported) that no stored alert was ever credited to, " +
	"matched as coverage matches them (the alert's rule id equals the rule's id, else the rule's name in the rules table equals its title). " +
	"Feeds: failing when the last pull failed, overdue when no pull succeeded for two intervals and 5 minutes. " + DailyDefinition

// Pipeline judges the detection pipeline at q.At (now when zero).
func (s *Service) Pipeline(ctx context.Context, q HealthQuery) (*PipelineReport, error) {
	health, err := s.Health(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.PipelineOf(ctx, health)
}

// PipelineOf judges the detection pipeline with a health report already
// made.
func (s *Service) PipelineOf(ctx context.Context, health *HealthReport) (*PipelineReport, error) {
	out := &PipelineReport{JudgedAt: health.JudgedAt, Stopped: []KeyHealth{}, Jumped: []KeyHealth{}, NeverFired: []coverage.RuleFiring{},
		Feeds: []FeedHealth{}, FeedStates: map[string]int{}, Definition: PipelineDefinition}
	for _, r := range health.Rules {
		switch r.State {
		case Silent, Stopped:
			out.Stopped = append(out.Stopped, r)
		case Noisy:
			out.Jumped = append(out.Jumped, r)
		default:
			if has(r.Conditions, Noisy) {
				out.Jumped = append(out.Jumped, r)
			}
		}
	}
	feeds, err := s.Store.Feeds(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range feeds {
		fh := JudgeFeed(f, health.JudgedAt)
		out.Feeds = append(out.Feeds, fh)
		out.FeedStates[fh.State]++
	}
	never, imported, err := s.neverFired(ctx, health)
	if err != nil {
		return nil, err
	}
	out.NeverFired, out.ImportedRules = never, imported
	return out, nil
}

func has(cs []Condition, s State) bool {
	for _, c := range cs {
		if c.State == s {
			return true
		}
	}
	return false
}

// firedStore answers coverage.Fired from the health rollups: each (source,
// rule) that ever had an alert, with its name from the rules table, its
// first and newest alert and its alerts in the learned weeks.
type firedStore struct {
	st     Store
	health *HealthReport
}

func (f firedStore) ImportedRules(ctx context.Context) ([]store.ImportedRule, error) {
	return f.st.ImportedRules(ctx)
}

func (f firedStore) RuleAlertCounts(ctx context.Context, _, _ time.Time) ([]store.RuleAlerts, error) {
	pairs, err := f.st.SourceRules(ctx)
	if err != nil {
		return nil, err
	}
	infos, err := f.st.RuleInfos(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, r := range infos {
		names[r.ID] = r.Name
	}
	alerts := map[[2]string]int64{}
	for _, r := range f.health.Rules {
		alerts[[2]string{r.Source, r.Rule}] = r.Alerts
	}
	out := make([]store.RuleAlerts, 0, len(pairs))
	for _, p := range pairs {
		if p.RuleID == "" || p.First.After(f.health.JudgedAt) {
			continue
		}
		out = append(out, store.RuleAlerts{Source: p.Source, RuleID: p.RuleID, RuleName: names[p.RuleID],
			Alerts: alerts[[2]string{p.Source, p.RuleID}], First: p.First, Last: p.Last})
	}
	return out, nil
}

// neverFired lists the active imported rules never credited an alert.
func (s *Service) neverFired(ctx context.Context, health *HealthReport) ([]coverage.RuleFiring, int, error) {
	fired, err := coverage.Fired(ctx, firedStore{st: s.Store, health: health}, time.Time{}, health.JudgedAt)
	if err != nil {
		return nil, 0, err
	}
	out := []coverage.RuleFiring{}
	for _, f := range fired {
		st := strings.ToLower(f.Status)
		if f.Last.IsZero() && st != model.RuleDeprecated && st != model.RuleUnsupported {
			out = append(out, f)
		}
	}
	return out, len(fired), nil
}
