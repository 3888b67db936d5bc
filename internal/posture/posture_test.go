package posture

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

func ts(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCompute(t *testing.T) {
	fd := func(id int64, sev model.Severity, status, first, last string) model.Finding {
		return model.Finding{ID: id, Severity: sev, Status: status, Title: "f", FirstSeenAt: ts(first), LastSeenAt: ts(last)}
	}
	crit, high, med, low := model.SeverityCritical, model.SeverityHigh, model.SeverityMedium, model.SeverityLow
	findings := []model.Finding{
		fd(1, crit, "ACTIVE", "2026-11-01T00:00:00Z", "2026-11-30T00:00:00Z"),   // open throughout, 30 days old
		fd(2, crit, "RESOLVED", "2026-11-05T00:00:00Z", "2026-11-15T00:00:00Z"), // remediated in 10 days
		fd(3, crit, "ACTIVE", "2026-11-20T00:00:00Z", ""),                       // 11 days old, inside SLA
		fd(4, high, "NEW", "2026-10-01T00:00:00Z", ""),                          // 61 days old
		fd(5, high, "Fixed", "2026-10-20T00:00:00Z", "2026-11-10T12:00:00Z"),    // 21.5 days
		fd(6, high, "ARCHIVED", "2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z"), // closed before the window
		fd(7, med, "resolved", "2026-11-01T00:00:00Z", "2026-11-04T00:00:00Z"),  // 3 days
		fd(8, med, "ACTIVE", "2026-08-01T00:00:00Z", ""),                        // 122 days old
		fd(9, low, "ACTIVE", "", ""),                                            // undated
		fd(10, high, "RESOLVED", "2026-11-01T00:00:00Z", ""),                    // closed at an unknown time
		fd(11, high, "MUTED", "2026-11-25T00:00:00Z", "2026-11-28T00:00:00Z"),   // 3 days, never open at a point
	}
	to := ts("2026-12-01T00:00:00Z")
	got := Compute(findings, Query{From: to.Add(-28 * day), To: to})
	want := Report{
		From: to.Add(-28 * day), To: to, Findings: 11, Open: 5, Undated: 1,
		Trend: []Point{
			{At: ts("2026-11-03T00:00:00Z"), Critical: 1, High: 2},
			{At: ts("2026-11-10T00:00:00Z"), Critical: 2, High: 2},
			{At: ts("2026-11-17T00:00:00Z"), Critical: 1, High: 1},
			{At: ts("2026-11-24T00:00:00Z"), Critical: 2, High: 1},
			{At: ts("2026-12-01T00:00:00Z"), Critical: 2, High: 1},
		},
		MTTR: []MTTR{
			{Severity: "critical", Closed: 1, MeanDays: 10, MaxDays: 10},
			{Severity: "high", Closed: 2, MeanDays: 12.25, MaxDays: 21.5},
			{Severity: "medium", Closed: 1, MeanDays: 3, MaxDays: 3},
		},
		PastSLA: map[string]int{"critical": 1, "high": 1, "medium": 1},
		Overdue: []Overdue{
			{ID: 8, Severity: "medium", Title: "f", AgeDays: 122, SLADays: 90, OverDays: 32},
			{ID: 4, Severity: "high", Title: "f", AgeDays: 61, SLADays: 30, OverDays: 31},
			{ID: 1, Severity: "critical", Title: "f", AgeDays: 30, SLADays: 15, OverDays: 15},
		},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("got\n%s\nwant\n%s", g, w)
	}

	// A custom SLA: critical within 40 days puts finding 1 inside it.
	got = Compute(findings, Query{From: to.Add(-28 * day), To: to, SLA: map[model.Severity]time.Duration{model.SeverityCritical: 40 * day}})
	if !reflect.DeepEqual(got.PastSLA, map[string]int{}) {
		t.Errorf("past SLA with only a 40-day critical SLA: %v", got.PastSLA)
	}
}

func TestComputeEmpty(t *testing.T) {
	to := ts("2026-12-01T00:00:00Z")
	got := Compute(nil, Query{From: to.Add(-day), To: to, Step: day})
	if len(got.Trend) != 2 || got.Trend[0].Critical != 0 || len(got.MTTR) != 0 || len(got.Overdue) != 0 || got.Open != 0 {
		t.Fatalf("%+v", got)
	}
}

func TestClosed(t *testing.T) {
	for status, want := range map[string]bool{"RESOLVED": true, "Suppressed": true, "ARCHIVED": true, "INACTIVE": true, "MUTED": true,
		" fixed ": true, "remediated": true, "NEW": false, "NOTIFIED": false, "ACTIVE": false, "In Progress": false, "": false} {
		if got := Closed(status); got != want {
			t.Errorf("Closed(%q) = %v", status, got)
		}
	}
}
