package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
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
// The whole quarter hours of the window are read from the arrivals kept at
// ingest; only the partial quarters at its ends are counted from the rows.
func (s *Store) WorkloadAlertArrivals(ctx context.Context, since, until time.Time) ([]ArrivalBucket, error) {
	lo, hi := since.UnixMicro(), until.UnixMicro()
	if lo >= hi {
		return nil, nil
	}
	first, last := ceilDiv(lo, quarterMicros), floorDiv(hi, quarterMicros) // whole quarters [first, last)
	if first >= last || lo < 0 {
		return s.WorkloadAlertArrivalsScan(ctx, since, until)
	}
	out, err := s.alertArrivalRows(ctx, lo, first*quarterMicros, nil)
	if err != nil {
		return nil, err
	}
	if out, err = s.keptArrivals(ctx, first, last, out); err != nil {
		return nil, err
	}
	if out, err = s.alertArrivalRows(ctx, last*quarterMicros, hi, out); err != nil {
		return nil, err
	}
	return mergeBuckets(out), nil
}

// WorkloadAlertArrivalsScan is WorkloadAlertArrivals from the alert rows
// alone: the oracle the kept arrivals are tested against.
func (s *Store) WorkloadAlertArrivalsScan(ctx context.Context, since, until time.Time) ([]ArrivalBucket, error) {
	out, err := s.alertArrivalRows(ctx, since.UnixMicro(), until.UnixMicro(), nil)
	if err != nil {
		return nil, err
	}
	return mergeBuckets(out), nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// alertArrivalRows adds the alerts created in [lo, hi) (Unix microseconds)
// to out by quarter hour and severity, counted from the rows.
func (s *Store) alertArrivalRows(ctx context.Context, lo, hi int64, out []ArrivalBucket) ([]ArrivalBucket, error) {
	if lo >= hi {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT created_at / ?, severity, COUNT(*) FROM alerts
		WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2 ORDER BY 1, 2`), quarterMicros, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("counting alert arrivals: %w", err)
	}
	defer rows.Close()
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
	return out, nil
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
// case's log (kept when retention pruned the log), or its current priority
// when the log has none (or its first priority is not one). It counts the
// arrivals kept with the case facts, unless some facts wait to be computed
// or the kept arrivals to be measured once: then it reads the cases and
// their logs (workloadCaseArrivalsScan). The whole quarter hours of the
// window are read from their counts (case_arrivals, kept by triggers on the
// case facts); only the partial quarters at its ends are counted from the
// facts.
func (s *Store) WorkloadCaseArrivals(ctx context.Context, since, until time.Time) ([]ArrivalBucket, error) {
	var stale int
	if err := s.r.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM facts_pending LIMIT 1) p)
		+ (SELECT COUNT(*) FROM handle_times_rebuild)`).Scan(&stale); err != nil {
		return nil, fmt.Errorf("counting case arrivals: %w", err)
	}
	if stale > 0 {
		return s.workloadCaseArrivalsScan(ctx, since, until)
	}
	lo, hi := since.UnixMicro(), until.UnixMicro()
	if lo >= hi {
		return nil, nil
	}
	first, last := ceilDiv(lo, quarterMicros), floorDiv(hi, quarterMicros) // whole quarters [first, last)
	if first >= last || lo < 0 {
		out, err := s.caseArrivalRows(ctx, lo, hi, nil)
		return mergeBuckets(out), err
	}
	out, err := s.caseArrivalRows(ctx, lo, first*quarterMicros, nil)
	if err != nil {
		return nil, err
	}
	if out, err = s.keptCaseArrivals(ctx, first, last, out); err != nil {
		return nil, err
	}
	if out, err = s.caseArrivalRows(ctx, last*quarterMicros, hi, out); err != nil {
		return nil, err
	}
	return mergeBuckets(out), nil
}

// WorkloadCaseArrivalsFacts is WorkloadCaseArrivals counted from the case
// facts alone (no kept counts): the oracle of the counts.
func (s *Store) WorkloadCaseArrivalsFacts(ctx context.Context, since, until time.Time) ([]ArrivalBucket, error) {
	out, err := s.caseArrivalRows(ctx, since.UnixMicro(), until.UnixMicro(), nil)
	return mergeBuckets(out), err
}

// caseArrivalRows adds the arrivals kept with the case facts in [lo, hi)
// (Unix microseconds) to out, by quarter hour and priority.
func (s *Store) caseArrivalRows(ctx context.Context, lo, hi int64, out []ArrivalBucket) ([]ArrivalBucket, error) {
	if lo >= hi {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT arr_at / ?, arr_priority, COUNT(*) FROM case_facts
		WHERE arr_at >= ? AND arr_at < ? GROUP BY 1, 2`), quarterMicros, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("counting case arrivals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var q, prio, n int64
		if err := rows.Scan(&q, &prio, &n); err != nil {
			return nil, fmt.Errorf("counting case arrivals: %w", err)
		}
		out = append(out, ArrivalBucket{Start: time.UnixMicro(q * quarterMicros).UTC(), Priority: model.Priority(prio), Count: n})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting case arrivals: %w", err)
	}
	return out, nil
}

// keptCaseArrivals adds the counted case arrivals of the quarter hours
// [from, to) to out.
func (s *Store) keptCaseArrivals(ctx context.Context, from, to int64, out []ArrivalBucket) ([]ArrivalBucket, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT quarter, priority, n FROM case_arrivals
		WHERE quarter >= ? AND quarter < ? AND n <> 0`), from, to)
	if err != nil {
		return nil, fmt.Errorf("reading case arrivals: %w", err)
	}
	defer rows.Close()
	var q, prio, n int64
	for rows.Next() {
		if err := rows.Scan(&q, &prio, &n); err != nil {
			return nil, fmt.Errorf("reading case arrivals: %w", err)
		}
		out = append(out, ArrivalBucket{Start: time.UnixMicro(q * quarterMicros).UTC(), Priority: model.Priority(prio), Count: n})
	}
	return out, rows.Err()
}

// workloadCaseArrivalsScan is WorkloadCaseArrivals from the cases and their
// logs: the fallback, and the oracle of the tests. The database groups the
// cases by quarter hour, current priority and first logged priority, so a
// few rows per quarter reach Go rather than one per case.
func (s *Store) workloadCaseArrivalsScan(ctx context.Context, since, until time.Time) ([]ArrivalBucket, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT c.created_at / ?, c.priority,
			COALESCE((SELECT NULLIF(p.first_priority, '') FROM case_log_pruned p WHERE p.case_id = c.id),
				(SELECT e.new FROM case_events e WHERE e.case_id = c.id AND e.kind = 'priority' ORDER BY e.at, e.id LIMIT 1)),
			COUNT(*)
		FROM cases c WHERE c.created_at >= ? AND c.created_at < ? GROUP BY 1, 2, 3`), quarterMicros, since.UnixMicro(), until.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("counting case arrivals: %w", err)
	}
	defer rows.Close()
	var out []ArrivalBucket
	for rows.Next() {
		var q, prio, n int64
		var first sql.NullString
		if err := rows.Scan(&q, &prio, &first, &n); err != nil {
			return nil, fmt.Errorf("counting case arrivals: %w", err)
		}
		p := model.Priority(prio)
		if first.Valid {
			if fp, err := model.ParsePriority(first.String); err == nil && fp.Valid() {
				p = fp
			}
		}
		out = append(out, ArrivalBucket{Start: time.UnixMicro(q * quarterMicros).UTC(), Priority: p, Count: n})
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
// in the window. The whole local days of the window are read from the alert
// rollups kept at ingest (their joint counts by severity, verdict and case
// link); only the partial days at its ends are read row by row.
func (s *Store) WorkloadRuleVolumes(ctx context.Context, since, until time.Time) ([]RuleVolume, error) {
	vol := ruleVolumes{}
	from, to, ok, err := s.rollupDays(ctx, since, until)
	if err != nil {
		return nil, err
	}
	if ok {
		ok, err = vol.addRollups(ctx, s, from, to)
		if err != nil {
			return nil, err
		}
	}
	if !ok { // no whole day, or rollups without joint counts: the rows
		return s.workloadRuleVolumesScan(ctx, since, until)
	}
	loc, err := s.TimeZone(ctx)
	if err != nil {
		return nil, err
	}
	if err := vol.addRows(ctx, s, since, dayStart(from, loc)); err != nil {
		return nil, err
	}
	if err := vol.addRows(ctx, s, dayStart(to, loc).AddDate(0, 0, 1), until); err != nil {
		return nil, err
	}
	return vol.sorted(), nil
}

// workloadRuleVolumesScan is WorkloadRuleVolumes from the alert rows alone.
func (s *Store) workloadRuleVolumesScan(ctx context.Context, since, until time.Time) ([]RuleVolume, error) {
	vol := ruleVolumes{}
	if err := vol.addRows(ctx, s, since, until); err != nil {
		return nil, err
	}
	return vol.sorted(), nil
}

// dayStart is the local midnight of a YYYYMMDD day.
func dayStart(d int64, loc *time.Location) time.Time {
	return time.Date(int(d/10000), time.Month(d/100%100), int(d%100), 0, 0, 0, 0, loc)
}

// rollupDays returns the first and last local days (YYYYMMDD) whose alerts
// all lie inside [since, until); ok is false when there is none, or when the
// kept rollups wait for their first build.
func (s *Store) rollupDays(ctx context.Context, since, until time.Time) (from, to int64, ok bool, err error) {
	pending, err := s.AlertRollupsPending(ctx)
	if err != nil || pending {
		return 0, 0, false, err
	}
	loc, err := s.TimeZone(ctx)
	if err != nil {
		return 0, 0, false, err
	}
	first := DayOf(since, loc)
	if dayStart(first, loc).Before(since) {
		first = DayOf(dayStart(first, loc).AddDate(0, 0, 1), loc)
	}
	// The day before the one until falls in (whether until is that day's
	// midnight or later in it).
	last := DayOf(dayStart(DayOf(until, loc), loc).AddDate(0, 0, -1), loc)
	// The day until falls in counts whole when no alert of it was created at
	// or after until: the usual end of a window that ends after the newest
	// data (the staffing history ends on the hour after it).
	if d := DayOf(until, loc); dayStart(d, loc).Before(until) {
		end := dayStart(d, loc).AddDate(0, 0, 1)
		var one int
		err := s.r.QueryRowContext(ctx, s.rebind(`SELECT 1 FROM alerts WHERE created_at >= ? AND created_at < ? LIMIT 1`),
			until.UnixMicro(), end.UnixMicro()).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			last = d
		case err != nil:
			return 0, 0, false, fmt.Errorf("reading alerts after the window: %w", err)
		}
	}
	if first > last {
		return 0, 0, false, nil
	}
	return first, last, true, nil
}

// ruleVolumes gathers rule volumes by rule and priority.
type ruleVolumes map[string]*[model.P5 + 1]*RuleVolume

func (v ruleVolumes) add(rule, name string, sev, verdict int64, escalated bool, n int64) {
	vs := v[rule]
	if vs == nil {
		vs = new([model.P5 + 1]*RuleVolume)
		v[rule] = vs
	}
	p := model.Severity(sev).Priority()
	if p < 0 || p > model.P5 {
		p = model.PriorityUnknown
	}
	rv := vs[p]
	if rv == nil {
		rv = &RuleVolume{RuleID: rule, RuleName: name, Priority: p}
		vs[p] = rv
	}
	if name > rv.RuleName {
		rv.RuleName = name
	}
	rv.Alerts += n
	if escalated {
		rv.Escalated += n
	}
	switch verdict {
	case VerdictTruePositive:
		rv.TruePositive += n
	case VerdictBenignPositive:
		rv.BenignPositive += n
	case VerdictFalsePositive:
		rv.FalsePositive += n
	case VerdictNone:
		rv.Undecided += n
	default:
		rv.Other += n
	}
}

// addRollups adds the kept rollups of the local days from … to; ok is false
// when one of them has no joint counts.
func (v ruleVolumes) addRollups(ctx context.Context, s *Store, from, to int64) (bool, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT day, source, rule_id, rule_name, data FROM alert_rollups
		WHERE day >= ? AND day <= ?`), from, to)
	if err != nil {
		return false, fmt.Errorf("reading alert rollups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k AlertRollupKey
		var data []byte
		if err := rows.Scan(&k.Day, &k.Source, &k.RuleID, &k.RuleName, &data); err != nil {
			return false, fmt.Errorf("reading alert rollups: %w", err)
		}
		// Only the joint counts are decoded (the whole rollup, with its
		// maps, cost three quarters of the read).
		noJoint, err := alertRollupJoint(k, data, func(jk, n int64) {
			sev, verdict, linked := SplitJointKey(jk)
			v.add(k.RuleID, k.RuleName, sev, verdict, linked, n)
		})
		if err != nil {
			return false, fmt.Errorf("reading alert rollups: %w", err)
		}
		if noJoint {
			return false, nil
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("reading alert rollups: %w", err)
	}
	return true, nil
}

// addRows adds the alerts created in [since, until), row by row. The rows
// are counted here rather than grouped in SQL: SQLite would sort the
// window's alerts to group them, which took twice as long on the 90-day
// demo.
func (v ruleVolumes) addRows(ctx context.Context, s *Store, since, until time.Time) error {
	if !since.Before(until) {
		return nil
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT rule_id, rule_name, severity, disposition,
			CASE WHEN case_ext_id <> '' OR case_id IS NOT NULL THEN 1 ELSE 0 END
		FROM alerts WHERE created_at >= ? AND created_at < ?`),
		since.UnixMicro(), until.UnixMicro())
	if err != nil {
		return fmt.Errorf("counting alerts by rule: %w", err)
	}
	defer rows.Close()
	var rule, name, disp sql.RawBytes
	var sev, esc int64
	for rows.Next() {
		if err := rows.Scan(&rule, &name, &sev, &disp, &esc); err != nil {
			return fmt.Errorf("counting alerts by rule: %w", err)
		}
		v.add(string(rule), string(name), sev, VerdictOf(string(disp)), esc == 1, 1)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("counting alerts by rule: %w", err)
	}
	return nil
}

func (v ruleVolumes) sorted() []RuleVolume {
	out := make([]RuleVolume, 0, len(v))
	for _, vs := range v {
		for _, rv := range vs {
			if rv != nil {
				out = append(out, *rv)
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
	return out
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
	// One subquery per end, answered from the created_at indexes (see Overview).
	if err := s.r.QueryRowContext(ctx, `SELECT (SELECT MIN(created_at) FROM alerts), (SELECT MAX(created_at) FROM alerts)`).Scan(&a0, &a1); err != nil {
		return first, last, fmt.Errorf("reading the alert time span: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT (SELECT MIN(created_at) FROM cases), (SELECT MAX(created_at) FROM cases)`).Scan(&c0, &c1); err != nil {
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
