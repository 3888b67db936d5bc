package tech

import (
	"testing"
	"time"
)

// dailyRule fires n alerts at 12:00 UTC on each of the days from first to
// last (inclusive).
func dailyRule(first, last time.Time, n int64) *Hours {
	h := &Hours{Start: first.Unix()/3600 - 24*7}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		i := d.Unix()/3600 - h.Start
		for int64(len(h.Alerts)) <= i {
			h.Alerts = append(h.Alerts, 0)
		}
		h.Alerts[i] = n
	}
	return h
}

func TestDailyStopped(t *testing.T) {
	today := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -40)
	lastDay := today.AddDate(0, 0, -2)
	h := dailyRule(first, lastDay, 2)
	last := lastDay.Add(5 * time.Minute)
	// Judged at 12:30 today: two whole periods since the last alert. The
	// periods before it (k = 3 … 39, those after the first alert) each hold
	// one 12:00: fired 37 of 37, p = 38/39, (1/39)² = 6.6e-4 ≤ 1e-3.
	got := Daily(Health{State: Healthy}, h, first.Add(5*time.Minute), last, today.Add(30*time.Minute))
	if got.State != Stopped || got.Since == nil || !got.Since.Equal(last) {
		t.Fatalf("%s %+v", got.State, got.Conditions)
	}
	if c := got.Conditions[0]; c.Reason != "fired in 37 of 37 days before its last alert (2026-03-08T12:05:00Z); none in the 2 days since (a chance of 0.00066)" {
		t.Errorf("reason %q", c.Reason)
	}
	// A day earlier, one period: (1/39)¹ = 0.026 > 1e-3, not yet.
	if got := Daily(Health{State: Healthy}, h, first.Add(5*time.Minute), last, today.Add(-24*time.Hour+30*time.Minute)); got.State != Healthy {
		t.Errorf("after one day: %s %+v", got.State, got.Conditions)
	}
	// A rule that fired on one day in three is never stopped after a few days.
	sparse := &Hours{Start: h.Start, Alerts: make([]int64, len(h.Alerts))}
	for i := 0; i < len(h.Alerts); i++ {
		if h.Alerts[i] > 0 && (i/24)%3 == 0 {
			sparse.Alerts[i] = 1
		}
	}
	if got := Daily(Health{State: Healthy}, sparse, first, last, today.Add(4*24*time.Hour)); got.State != Healthy {
		t.Errorf("sparse rule: %s %+v", got.State, got.Conditions)
	}
}

func TestDailyJump(t *testing.T) {
	today := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -40)
	h := dailyRule(first, today, 2)
	h.Alerts[today.Unix()/3600-h.Start] = 30
	// The last 24 hours (13:00 yesterday … 12:59 today) hold 30; the median
	// day 2: 30 ≥ 3 × 2 and 28 ≥ 10.
	got := Daily(Health{State: Healthy}, h, first, today.Add(10*time.Minute), today.Add(30*time.Minute))
	if got.State != Noisy || got.Expected != 2 || got.Seen != 30 {
		t.Fatalf("%s expected %v seen %d %+v", got.State, got.Expected, got.Seen, got.Conditions)
	}
	h.Alerts[today.Unix()/3600-h.Start] = 11 // 11 < 2 + 10
	if got := Daily(Health{State: Healthy}, h, first, today.Add(10*time.Minute), today.Add(30*time.Minute)); got.State != Healthy {
		t.Errorf("11 alerts: %s %+v", got.State, got.Conditions)
	}
}
