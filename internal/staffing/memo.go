package staffing

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Memo returns a History that asks h each distinct question once and
// answers repeats from memory: for workloads modelled more than once from
// the same history, such as a budget's scenarios. The answers are shared
// between callers, which must not change them. Errors are not remembered.
func Memo(h History) History { return &memo{h: h, m: map[string]any{}} }

type memo struct {
	h  History
	mu sync.Mutex
	m  map[string]any
}

// remember answers key from memory, or by f and then from memory.
func remember[T any](m *memo, key string, f func() (T, error)) (T, error) {
	m.mu.Lock()
	v, ok := m.m[key]
	m.mu.Unlock()
	if ok {
		return v.(T), nil
	}
	r, err := f()
	if err == nil {
		m.mu.Lock()
		m.m[key] = r
		m.mu.Unlock()
	}
	return r, err
}

func window(what string, since, until time.Time, more ...any) string {
	return fmt.Sprint(what, since.UnixNano(), until.UnixNano(), more)
}

func (m *memo) WorkloadAlertArrivals(ctx context.Context, since, until time.Time) ([]store.ArrivalBucket, error) {
	return remember(m, window("alerts", since, until), func() ([]store.ArrivalBucket, error) {
		return m.h.WorkloadAlertArrivals(ctx, since, until)
	})
}

func (m *memo) WorkloadCaseArrivals(ctx context.Context, since, until time.Time) ([]store.ArrivalBucket, error) {
	return remember(m, window("cases", since, until), func() ([]store.ArrivalBucket, error) {
		return m.h.WorkloadCaseArrivals(ctx, since, until)
	})
}

func (m *memo) WorkloadHandleSummary(ctx context.Context, since, until time.Time, pauseStatuses []string, gap time.Duration,
	ackWithin map[model.Priority]time.Duration) (store.HandleSummary, error) {
	return remember(m, window("handle", since, until, pauseStatuses, gap, ackWithin), func() (store.HandleSummary, error) {
		return m.h.WorkloadHandleSummary(ctx, since, until, pauseStatuses, gap, ackWithin)
	})
}

func (m *memo) WorkloadRuleVolumes(ctx context.Context, since, until time.Time) ([]store.RuleVolume, error) {
	return remember(m, window("rules", since, until), func() ([]store.RuleVolume, error) {
		return m.h.WorkloadRuleVolumes(ctx, since, until)
	})
}

func (m *memo) WorkloadRoster(ctx context.Context) (store.Roster, error) {
	return remember(m, "roster", func() (store.Roster, error) { return m.h.WorkloadRoster(ctx) })
}

func (m *memo) WorkloadSLAPolicies(ctx context.Context) ([]model.SLAPolicy, error) {
	return remember(m, "sla", func() ([]model.SLAPolicy, error) { return m.h.WorkloadSLAPolicies(ctx) })
}

func (m *memo) WorkloadSpan(ctx context.Context) (first, last time.Time, err error) {
	span, err := remember(m, "span", func() ([2]time.Time, error) {
		f, l, err := m.h.WorkloadSpan(ctx)
		return [2]time.Time{f, l}, err
	})
	return span[0], span[1], err
}

// WorkloadRunbooks forwards to h when h counts runbook runs.
func (m *memo) WorkloadRunbooks(ctx context.Context, since, until time.Time) (map[string]int, error) {
	rb, ok := m.h.(runbookCounter)
	if !ok {
		return nil, nil
	}
	return remember(m, window("runbooks", since, until), func() (map[string]int, error) {
		return rb.WorkloadRunbooks(ctx, since, until)
	})
}

// RetentionWatermarks forwards to h when h keeps them (zero otherwise).
func (m *memo) RetentionWatermarks(ctx context.Context) (store.Watermarks, error) {
	wm, ok := m.h.(watermarker)
	if !ok {
		return store.Watermarks{}, nil
	}
	return remember(m, "watermarks", func() (store.Watermarks, error) { return wm.RetentionWatermarks(ctx) })
}
