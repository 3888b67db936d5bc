package staffing

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// countingHistory counts the questions it is asked; its rule volumes fail
// while failRules is set.
type countingHistory struct {
	calls     map[string]int
	failRules bool
}

func (c *countingHistory) ask(q string) { c.calls[q]++ }

func (c *countingHistory) WorkloadAlertArrivals(context.Context, time.Time, time.Time) ([]store.ArrivalBucket, error) {
	c.ask("alerts")
	return []store.ArrivalBucket{{Count: 3}}, nil
}
func (c *countingHistory) WorkloadCaseArrivals(context.Context, time.Time, time.Time) ([]store.ArrivalBucket, error) {
	c.ask("cases")
	return nil, nil
}
func (c *countingHistory) WorkloadHandleSummary(_ context.Context, _, _ time.Time, _ []string, gap time.Duration,
	_ map[model.Priority]time.Duration) (store.HandleSummary, error) {
	c.ask("handle " + gap.String())
	return store.HandleSummary{}, nil
}
func (c *countingHistory) WorkloadRuleVolumes(context.Context, time.Time, time.Time) ([]store.RuleVolume, error) {
	c.ask("rules")
	if c.failRules {
		return nil, errors.New("store down")
	}
	return []store.RuleVolume{{RuleID: "R1"}}, nil
}
func (c *countingHistory) WorkloadRoster(context.Context) (store.Roster, error) {
	c.ask("roster")
	return store.Roster{}, nil
}
func (c *countingHistory) WorkloadSLAPolicies(context.Context) ([]model.SLAPolicy, error) {
	c.ask("sla")
	return nil, nil
}
func (c *countingHistory) WorkloadSpan(context.Context) (time.Time, time.Time, error) {
	c.ask("span")
	return ts("2026-03-01T00:00:00Z"), ts("2026-03-15T00:00:00Z"), nil
}

// withRunbooks also counts runbook runs.
type withRunbooks struct{ *countingHistory }

func (w withRunbooks) WorkloadRunbooks(context.Context, time.Time, time.Time) (map[string]int, error) {
	w.ask("runbooks")
	return map[string]int{"Isolate host": 2}, nil
}

func TestMemo(t *testing.T) {
	ctx := context.Background()
	c := &countingHistory{calls: map[string]int{}, failRules: true}
	m := Memo(c)
	a, b := ts("2026-03-01T00:00:00Z"), ts("2026-03-08T00:00:00Z")
	for i := 0; i < 3; i++ {
		if got, _ := m.WorkloadAlertArrivals(ctx, a, b); len(got) != 1 || got[0].Count != 3 {
			t.Fatalf("alert arrivals %+v", got)
		}
		m.WorkloadAlertArrivals(ctx, a, b.Add(time.Hour)) // another window: another question
		m.WorkloadHandleSummary(ctx, a, b, nil, time.Minute, nil)
		m.WorkloadHandleSummary(ctx, a, b, nil, time.Hour, nil)
		m.WorkloadRoster(ctx)
		m.WorkloadSLAPolicies(ctx)
		if f, l, err := m.WorkloadSpan(ctx); err != nil || !f.Equal(a) || !l.Equal(ts("2026-03-15T00:00:00Z")) {
			t.Fatalf("span %v %v %v", f, l, err)
		}
		m.WorkloadCaseArrivals(ctx, a, b)
	}
	// Errors are not remembered: the question is asked again.
	if _, err := m.WorkloadRuleVolumes(ctx, a, b); err == nil {
		t.Fatal("the error was lost")
	}
	c.failRules = false
	for i := 0; i < 2; i++ {
		if got, err := m.WorkloadRuleVolumes(ctx, a, b); err != nil || len(got) != 1 {
			t.Fatalf("rule volumes %+v %v", got, err)
		}
	}
	want := map[string]int{"alerts": 2, "cases": 1, "handle 1m0s": 1, "handle 1h0m0s": 1, "roster": 1, "sla": 1, "span": 1, "rules": 2}
	for q, n := range want {
		if c.calls[q] != n {
			t.Errorf("%s asked %d times, want %d (all: %v)", q, c.calls[q], n, c.calls)
		}
	}
	// Runbook counts pass through only when the history has them.
	if rb, err := m.(runbookCounter).WorkloadRunbooks(ctx, a, b); rb != nil || err != nil {
		t.Errorf("runbooks without a counter: %v %v", rb, err)
	}
	m2 := Memo(withRunbooks{c})
	for i := 0; i < 2; i++ {
		if rb, err := m2.(runbookCounter).WorkloadRunbooks(ctx, a, b); err != nil || rb["Isolate host"] != 2 {
			t.Errorf("runbooks: %v %v", rb, err)
		}
	}
	if c.calls["runbooks"] != 1 {
		t.Errorf("runbooks asked %d times", c.calls["runbooks"])
	}
}
