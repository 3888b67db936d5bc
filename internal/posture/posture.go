// Package posture computes posture figures from stored vulnerability and
// compliance findings: open critical and high findings over time, mean
// time to remediate per severity, and findings past their remediation SLA.
//
// # Definitions
//
//   - A finding is closed when its status is one of the inactive statuses
//     (resolved, suppressed, archived, deleted, closed, fixed, inactive,
//     muted, dismissed, remediated; case-insensitive) and open otherwise.
//   - Opened is first seen, else created; a finding without either is
//     undated and left out of the trend and the times (it is counted).
//   - Closed at is a closed finding's last seen (the parsers set it to the
//     time the source last reported or closed it). A closed finding without
//     a last seen, or with one before it opened, has no remediation time.
//   - Open at instant t: opened ≤ t and (open now, or closed at > t).
//   - Time to remediate: closed at − opened; the mean per severity is over
//     the findings closed within the window (From < closed at ≤ To).
//   - Past SLA: open now and To − opened > the severity's SLA (defaults:
//     critical 15 days, high 30, medium 90, low 180; informational none).
package posture

import (
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// closedStatuses are the statuses of findings no longer open.
var closedStatuses = map[string]bool{"resolved": true, "suppressed": true, "archived": true, "deleted": true, "closed": true,
	"fixed": true, "inactive": true, "muted": true, "dismissed": true, "remediated": true}

// Closed reports whether a finding's status says it is no longer open.
func Closed(status string) bool { return closedStatuses[strings.ToLower(strings.TrimSpace(status))] }

// DefaultSLA is the time allowed to remediate a finding, by severity.
var DefaultSLA = map[model.Severity]time.Duration{
	model.SeverityCritical: 15 * 24 * time.Hour, model.SeverityHigh: 30 * 24 * time.Hour,
	model.SeverityMedium: 90 * 24 * time.Hour, model.SeverityLow: 180 * 24 * time.Hour,
}

// Query is the window and the rules the figures are computed with.
type Query struct {
	From, To time.Time
	// Step is the spacing of the trend's points, ending at To (default 7 days).
	Step time.Duration
	// SLA overrides DefaultSLA per severity; nil uses the defaults.
	SLA map[model.Severity]time.Duration
}

// Point is the number of open critical and high findings at an instant.
type Point struct {
	At       time.Time `json:"at"`
	Critical int       `json:"critical"`
	High     int       `json:"high"`
}

// MTTR is the mean time to remediate findings of one severity closed in the
// window.
type MTTR struct {
	Severity string  `json:"severity"`
	Closed   int     `json:"closed"`
	MeanDays float64 `json:"mean_days"`
	// MaxDays is the longest of those remediation times.
	MaxDays float64 `json:"max_days"`
}

// Overdue is an open finding older than its severity's SLA.
type Overdue struct {
	ID       int64   `json:"id"`
	Severity string  `json:"severity"`
	Title    string  `json:"title"`
	Resource string  `json:"resource"`
	Source   string  `json:"source"`
	AgeDays  float64 `json:"age_days"`
	SLADays  float64 `json:"sla_days"`
	OverDays float64 `json:"over_days"`
}

// Report holds the posture figures.
type Report struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Findings int       `json:"findings"`
	Open     int       `json:"open"`
	Undated  int       `json:"undated"`
	Trend    []Point   `json:"open_critical_high"`
	MTTR     []MTTR    `json:"mean_time_to_remediate"`
	// PastSLA counts the overdue findings per severity name.
	PastSLA map[string]int `json:"past_sla"`
	Overdue []Overdue      `json:"overdue"`
}

const day = 24 * time.Hour

// Compute computes the figures for q from findings.
func Compute(findings []model.Finding, q Query) Report {
	step := q.Step
	if step <= 0 {
		step = 7 * day
	}
	sla := q.SLA
	if sla == nil {
		sla = DefaultSLA
	}
	r := Report{From: q.From, To: q.To, Findings: len(findings), PastSLA: map[string]int{}, Trend: []Point{}, MTTR: []MTTR{}, Overdue: []Overdue{}}
	var ats []time.Time
	for t := q.To; !t.Before(q.From); t = t.Add(-step) {
		ats = append(ats, t)
	}
	for i, j := 0, len(ats)-1; i < j; i, j = i+1, j-1 {
		ats[i], ats[j] = ats[j], ats[i]
	}
	for _, t := range ats {
		r.Trend = append(r.Trend, Point{At: t})
	}
	type acc struct {
		n        int
		sum, max time.Duration
	}
	mttr := map[model.Severity]*acc{}
	for _, f := range findings {
		closed := Closed(f.Status)
		if !closed {
			r.Open++
		}
		opened := f.FirstSeenAt
		if opened.IsZero() {
			opened = f.CreatedAt
		}
		if opened.IsZero() {
			r.Undated++
			continue
		}
		closedAt := time.Time{}
		if closed && !f.LastSeenAt.IsZero() && !f.LastSeenAt.Before(opened) {
			closedAt = f.LastSeenAt
		}
		if closed && closedAt.IsZero() {
			continue // closed at an unknown time: neither open nor timed
		}
		if f.Severity >= model.SeverityHigh {
			for i := range r.Trend {
				t := r.Trend[i].At
				if opened.After(t) || (closed && !closedAt.After(t)) {
					continue
				}
				if f.Severity == model.SeverityCritical {
					r.Trend[i].Critical++
				} else {
					r.Trend[i].High++
				}
			}
		}
		if closed {
			if closedAt.After(q.From) && !closedAt.After(q.To) {
				a := mttr[f.Severity]
				if a == nil {
					a = &acc{}
					mttr[f.Severity] = a
				}
				d := closedAt.Sub(opened)
				a.n++
				a.sum += d
				a.max = max(a.max, d)
			}
			continue
		}
		limit, ok := sla[f.Severity]
		if !ok || limit <= 0 {
			continue
		}
		if age := q.To.Sub(opened); age > limit {
			name := f.Severity.String()
			r.PastSLA[name]++
			r.Overdue = append(r.Overdue, Overdue{ID: f.ID, Severity: name, Title: f.Title, Resource: f.ResourceName, Source: f.Source,
				AgeDays: days(age), SLADays: days(limit), OverDays: days(age - limit)})
		}
	}
	for s := model.SeverityCritical; s >= model.SeverityUnknown; s-- {
		if a := mttr[s]; a != nil {
			r.MTTR = append(r.MTTR, MTTR{Severity: severityName(s), Closed: a.n, MeanDays: days(a.sum / time.Duration(a.n)), MaxDays: days(a.max)})
		}
	}
	sort.SliceStable(r.Overdue, func(i, j int) bool {
		if r.Overdue[i].OverDays != r.Overdue[j].OverDays {
			return r.Overdue[i].OverDays > r.Overdue[j].OverDays
		}
		return r.Overdue[i].ID < r.Overdue[j].ID
	})
	return r
}

func severityName(s model.Severity) string {
	if s.String() == "" {
		return "unknown"
	}
	return s.String()
}

// days converts d to days, rounded to a hundredth.
func days(d time.Duration) float64 {
	return float64(int64(d.Hours()/24*100+0.5)) / 100
}
