package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing/handle"
)

// Reads for staffing and budget planning: arrivals by quarter hour, rule
// volumes, worked time per case from the event log, the roster and the SLA
// policies.

// QuarterHour is the bucket width of arrival counts: every UTC offset in
// use is a whole number of quarter hours, so the buckets map exactly onto
// local hours of the week in any time zone.
const QuarterHour = 15 * time.Minute

// ArrivalBucket counts the alerts or cases created in one quarter hour
// with one priority.
type ArrivalBucket struct {
	Start    time.Time      `json:"start"` // UTC
	Priority model.Priority `json:"priority"`
	Count    int64          `json:"count"`
}

const (
	quarterMicros  = int64(QuarterHour / time.Microsecond)
	quarterSeconds = int64(QuarterHour / time.Second)
)

// WorkloadAlertArrivals counts the alerts created in [since, until) by
// quarter hour and by the priority their severity implies (critical → P1 …
// informational → P5; unknown severity → priority unknown), oldest first.
func (s *Store) WorkloadAlertArrivals(ctx context.Context, since, until time.Time) ([]ArrivalBucket, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT created_at / ?, severity, COUNT(*) FROM alerts
		WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2 ORDER BY 1, 2`),
		quarterMicros, since.UnixMicro(), until.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("counting alert arrivals: %w", err)
	}
	defer rows.Close()
	var out []ArrivalBucket
	for rows.Next() {
		var q, sev, n int64
		if err := rows.Scan(&q, &sev, &n); err != nil {
			return nil, fmt.Errorf("counting alert arrivals: %w", err)
		}
		out = append(out, ArrivalBucket{Start: time.UnixMicro(q * quarterMicros).UTC(), Priority: model.Severity(sev).Priority(), Count: n})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting alert arrivals: %w", err)
	}
	return mergeBuckets(out), nil
}

// mergeBuckets adds up buckets with the same start and priority (several
// severities can map to one priority) and sorts them.
func mergeBuckets(in []ArrivalBucket) []ArrivalBucket {
	sort.SliceStable(in, func(i, j int) bool {
		if !in[i].Start.Equal(in[j].Start) {
			return in[i].Start.Before(in[j].Start)
		}
		return in[i].Priority < in[j].Priority
	})
	out := in[:0]
	for _, b := range in {
		if n := len(out); n > 0 && out[n-1].Start.Equal(b.Start) && out[n-1].Priority == b.Priority {
			out[n-1].Count += b.Count
			continue
		}
		out = append(out, b)
	}
	return out
}

// WorkloadCaseArrivals counts the cases created in [since, until) by
// quarter hour and by their priority at creation: the first priority in the
// case's log, or its current priority when the log has none.
func (s *Store) WorkloadCaseArrivals(ctx context.Context, since, until time.Time) ([]ArrivalBucket, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT c.created_at, c.priority,
			(SELECT e.new FROM case_events e WHERE e.case_id = c.id AND e.kind = 'priority' ORDER BY e.at, e.id LIMIT 1)
		FROM cases c WHERE c.created_at >= ? AND c.created_at < ?`), since.UnixMicro(), until.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("counting case arrivals: %w", err)
	}
	defer rows.Close()
	var out []ArrivalBucket
	for rows.Next() {
		var at, prio int64
		var first sql.NullString
		if err := rows.Scan(&at, &prio, &first); err != nil {
			return nil, fmt.Errorf("counting case arrivals: %w", err)
		}
		p := model.Priority(prio)
		if first.Valid {
			if fp, err := model.ParsePriority(first.String); err == nil && fp.Valid() {
				p = fp
			}
		}
		out = append(out, ArrivalBucket{Start: time.UnixMicro(at - at%quarterMicros).UTC(), Priority: p, Count: 1})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting case arrivals: %w", err)
	}
	return mergeBuckets(out), nil
}

// RuleVolume is what one detection rule raised in a period, by the priority
// its alerts' severity implies.
type RuleVolume struct {
	RuleID   string         `json:"rule_id"`
	RuleName string         `json:"rule_name"`
	Priority model.Priority `json:"priority"`
	Alerts   int64          `json:"alerts"`
	// By disposition; Undecided counts alerts without one.
	TruePositive   int64 `json:"true_positive"`
	BenignPositive int64 `json:"benign_positive"`
	FalsePositive  int64 `json:"false_positive"`
	Other          int64 `json:"other"`
	Undecided      int64 `json:"undecided"`
	// Escalated counts alerts linked to a case.
	Escalated int64 `json:"escalated"`
}

// WorkloadRuleVolumes returns, per rule and priority, the alerts created in
// [since, until), busiest first. A rule's name is the greatest it carries
// in the window. The rows are counted here rather than grouped in SQL:
// SQLite would sort the window's alerts to group them, which took twice
// as long on the 90-day demo.
func (s *Store) WorkloadRuleVolumes(ctx context.Context, since, until time.Time) ([]RuleVolume, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT rule_id, rule_name, severity, disposition,
			CASE WHEN case_ext_id <> '' OR case_id IS NOT NULL THEN 1 ELSE 0 END
		FROM alerts WHERE created_at >= ? AND created_at < ?`),
		since.UnixMicro(), until.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("counting alerts by rule: %w", err)
	}
	defer rows.Close()
	byRule := map[string]*[model.P5 + 1]*RuleVolume{}
	var rule, name, disp sql.RawBytes
	var sev, esc int64
	for rows.Next() {
		if err := rows.Scan(&rule, &name, &sev, &disp, &esc); err != nil {
			return nil, fmt.Errorf("counting alerts by rule: %w", err)
		}
		vs := byRule[string(rule)]
		if vs == nil {
			vs = new([model.P5 + 1]*RuleVolume)
			byRule[string(rule)] = vs
		}
		p := model.Severity(sev).Priority()
		if p < 0 || p > model.P5 {
			p = model.PriorityUnknown
		}
		v := vs[p]
		if v == nil {
			v = &RuleVolume{RuleID: string(rule), RuleName: string(name), Priority: p}
			vs[p] = v
		}
		if string(name) > v.RuleName {
			v.RuleName = string(name)
		}
		v.Alerts++
		if esc == 1 {
			v.Escalated++
		}
		switch model.Disposition(disp) {
		case model.DispositionTruePositive:
			v.TruePositive++
		case model.DispositionBenignPositive:
			v.BenignPositive++
		case model.DispositionFalsePositive:
			v.FalsePositive++
		case model.DispositionNone:
			v.Undecided++
		default:
			v.Other++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting alerts by rule: %w", err)
	}
	out := make([]RuleVolume, 0, len(byRule))
	for _, vs := range byRule {
		for _, v := range vs {
			if v != nil {
				out = append(out, *v)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Alerts != out[j].Alerts {
			return out[i].Alerts > out[j].Alerts
		}
		if out[i].RuleID != out[j].RuleID {
			return out[i].RuleID < out[j].RuleID
		}
		return out[i].Priority < out[j].Priority
	})
	return out, nil
}

// WorkloadHandleTimes replays the log of every case first resolved in
// [since, until) and returns its actively worked time, as handle.Collector
// defines it with the given pause statuses and session gap.
func (s *Store) WorkloadHandleTimes(ctx context.Context, since, until time.Time, pauseStatuses []string, gap time.Duration) ([]handle.Time, error) {
	return s.handleTimes(ctx, `SELECT e.case_id, e.at, e.actor, e.kind, e.new FROM case_events e
		JOIN cases c ON c.id = e.case_id
		WHERE c.resolved_at >= ? AND c.resolved_at < ?
		ORDER BY e.case_id, e.at, e.id`, []any{since.UnixMicro(), until.UnixMicro()}, pauseStatuses, gap)
}

// handleTimes replays the case logs a query reads (case_id, at, actor,
// kind, new; by case, time and id) through a handle.Collector.
func (s *Store) handleTimes(ctx context.Context, query string, args []any, pauseStatuses []string, gap time.Duration) ([]handle.Time, error) {
	c, err := handle.NewCollector(pauseStatuses, gap)
	if err != nil {
		return nil, fmt.Errorf("reading case logs for handle times: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("reading case logs for handle times: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, at int64
		var actor, kind, newVal string
		if err := rows.Scan(&id, &at, &actor, &kind, &newVal); err != nil {
			return nil, fmt.Errorf("reading case logs for handle times: %w", err)
		}
		c.Add(id, model.CaseEvent{At: time.UnixMicro(at).UTC(), Actor: actor, Kind: model.EventKind(kind), New: newVal})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading case logs for handle times: %w", err)
	}
	return c.Times(), nil
}

// Roster is the staff: analysts, their teams and the shifts they work.
type Roster struct {
	Analysts []model.Analyst `json:"analysts"`
	Teams    []model.Team    `json:"teams"`
	Shifts   []model.Shift   `json:"shifts"`
}

// WorkloadRoster returns every analyst (by external id), team and shift.
func (s *Store) WorkloadRoster(ctx context.Context) (Roster, error) {
	var ro Roster
	var err error
	if ro.Analysts, err = s.Analysts(ctx); err != nil {
		return ro, err
	}
	if ro.Teams, err = s.Teams(ctx); err != nil {
		return ro, err
	}
	ro.Shifts, err = s.Shifts(ctx)
	return ro, err
}

// WorkloadSLAPolicies returns every enabled SLA policy version that
// decodes, by name and then version; sla.Load leaves out those that fail
// validation.
func (s *Store) WorkloadSLAPolicies(ctx context.Context) ([]model.SLAPolicy, error) {
	stored, err := readPolicies(ctx, s.r, s, true)
	if err != nil {
		return nil, err
	}
	var out []model.SLAPolicy
	for _, p := range stored {
		if p.Problem == "" || p.Targets != nil {
			out = append(out, p.SLAPolicy)
		}
	}
	return out, nil
}

// WorkloadSpan returns when the first and the last alert or case in the
// store was created (zero when there are none).
func (s *Store) WorkloadSpan(ctx context.Context) (first, last time.Time, err error) {
	var a0, a1, c0, c1 sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MIN(created_at), MAX(created_at) FROM alerts`).Scan(&a0, &a1); err != nil {
		return first, last, fmt.Errorf("reading the alert time span: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT MIN(created_at), MAX(created_at) FROM cases`).Scan(&c0, &c1); err != nil {
		return first, last, fmt.Errorf("reading the case time span: %w", err)
	}
	for _, v := range []sql.NullInt64{a0, c0} {
		if t := fromMicros(v); !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	for _, v := range []sql.NullInt64{a1, c1} {
		if t := fromMicros(v); t.After(last) {
			last = t
		}
	}
	return first, last, nil
}

// WorkloadRunbooks counts the runbook runs logged on cases in [since,
// until), by runbook name (from the runbook events' execution records).
// The step records of one run (same case, runbook and run id) count once.
func (s *Store) WorkloadRunbooks(ctx context.Context, since, until time.Time) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT case_id, new FROM case_events WHERE kind = 'runbook' AND at >= ? AND at < ?`),
		since.UnixMicro(), until.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("counting runbook runs: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	runs := map[[3]string]bool{}
	for rows.Next() {
		var caseID int64
		var raw string
		if err := rows.Scan(&caseID, &raw); err != nil {
			return nil, fmt.Errorf("counting runbook runs: %w", err)
		}
		rb, err := model.ParseRunbookExecution(raw)
		if err != nil || rb.Runbook == "" {
			continue // a runbook event without an execution record names no runbook
		}
		if rb.Run != "" {
			k := [3]string{strconv.FormatInt(caseID, 10), rb.Runbook, rb.Run}
			if runs[k] {
				continue
			}
			runs[k] = true
		}
		out[rb.Runbook]++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting runbook runs: %w", err)
	}
	return out, nil
}

// CaseCounts counts cases created in a period.
type CaseCounts struct {
	Cases int64 `json:"cases"`
	// Incidents are the cases whose disposition is true positive.
	Incidents int64 `json:"incidents"`
}

// WorkloadCaseCounts counts the cases created in [since, until) and those
// of them resolved as true positives (incidents).
func (s *Store) WorkloadCaseCounts(ctx context.Context, since, until time.Time) (CaseCounts, error) {
	var c CaseCounts
	var inc sql.NullInt64
	err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*), SUM(CASE WHEN disposition = ? THEN 1 ELSE 0 END) FROM cases
		WHERE created_at >= ? AND created_at < ?`), string(model.DispositionTruePositive), since.UnixMicro(), until.UnixMicro()).Scan(&c.Cases, &inc)
	if err != nil {
		return c, fmt.Errorf("counting cases: %w", err)
	}
	c.Incidents = inc.Int64
	return c, nil
}
