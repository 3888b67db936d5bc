package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
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

const quarterMicros = int64(QuarterHour / time.Microsecond)

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

// WorkSegment is a span of a case's active handle time: part of a work
// session, within the handle window and outside pause statuses.
type WorkSegment struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// HandleTime is the worked time of one case, from its log.
type HandleTime struct {
	CaseID int64 `json:"case_id"`
	// Priority is the priority in force when the case was first resolved.
	Priority model.Priority `json:"priority"`
	// ArrivalPriority is the case's first priority in its log.
	ArrivalPriority model.Priority `json:"arrival_priority"`
	// Created is the time of the case's created event (its first event
	// when the log has none); Start the first assignment to a person or
	// first move to triage or later, whichever came first; End the first
	// move to resolved or closed.
	Created time.Time `json:"created"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	// Active is the time actively worked (see WorkloadHandleTimes), the
	// sum of Segments; Paused the wall-clock time between Start and End
	// spent in pause statuses.
	Active   time.Duration `json:"active"`
	Paused   time.Duration `json:"paused"`
	Segments []WorkSegment `json:"segments"`
}

// WorkloadHandleTimes replays the log of every case first resolved in
// [since, until) and returns its actively worked time.
//
// The events a person logged on the case (those with an actor) form work
// sessions: maximal runs of events at most gap apart. A session is worked
// from its first event to its last, and from earlier still when a runbook
// event in it records an execution that started before its first event
// (the execution record's started_at). Nothing else is assumed: a session
// of one event counts nothing unless a runbook execution gives it a
// duration. The active time is the part of the sessions between Start
// (first assignment or triage) and End (first resolution) outside pause
// statuses (compared case-insensitively). Work after a reopening is not
// counted. Cases resolved without first being assigned or triaged (closed
// straight from new) are skipped.
func (s *Store) WorkloadHandleTimes(ctx context.Context, since, until time.Time, pauseStatuses []string, gap time.Duration) ([]HandleTime, error) {
	var out []HandleTime
	err := s.handleTimes(ctx, `SELECT e.case_id, e.at, e.actor, e.kind, e.new FROM case_events e
		JOIN cases c ON c.id = e.case_id
		WHERE c.resolved_at >= ? AND c.resolved_at < ?
		ORDER BY e.case_id, e.at, e.id`, []any{since.UnixMicro(), until.UnixMicro()}, pauseStatuses, gap,
		func(ht HandleTime) { out = append(out, ht) })
	return out, err
}

// handleTimes replays the case logs a query reads (case_id, at, actor,
// kind, new, ordered by case, time and id) and calls fn with the handle
// time of each case resolved after it was acknowledged.
func (s *Store) handleTimes(ctx context.Context, query string, args []any, pauseStatuses []string, gap time.Duration, fn func(HandleTime)) error {
	if gap <= 0 {
		return fmt.Errorf("reading case logs for handle times: session gap %v is not positive", gap)
	}
	pause := map[string]bool{}
	for _, p := range pauseStatuses {
		pause[strings.ToLower(strings.TrimSpace(p))] = true
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return fmt.Errorf("reading case logs for handle times: %w", err)
	}
	defer rows.Close()
	var cur *caseReplay
	flush := func() {
		if cur != nil && !cur.ht.Start.IsZero() && cur.ht.End.After(cur.ht.Start) {
			if cur.ht.Created.IsZero() {
				cur.ht.Created = cur.first
			}
			cur.finish(gap)
			fn(cur.ht)
		}
	}
	for rows.Next() {
		var id, at int64
		var actor, kind, newVal string
		if err := rows.Scan(&id, &at, &actor, &kind, &newVal); err != nil {
			return fmt.Errorf("reading case logs for handle times: %w", err)
		}
		if cur == nil || cur.ht.CaseID != id {
			flush()
			cur = &caseReplay{ht: HandleTime{CaseID: id}, pause: pause}
		}
		cur.apply(model.CaseEvent{At: time.UnixMicro(at).UTC(), Actor: actor, Kind: model.EventKind(kind), New: newVal})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading case logs for handle times: %w", err)
	}
	flush()
	return nil
}

// workEvent is a person's event on a case: when it was logged, and when
// the work it records started (earlier for a runbook execution).
type workEvent struct {
	at, from time.Time
}

// caseReplay follows one case's log up to its first resolution.
type caseReplay struct {
	ht     HandleTime
	st     model.CaseState
	pause  map[string]bool
	first  time.Time      // the first event
	last   time.Time      // status time is accounted up to here
	paused [][2]time.Time // pause spans after Start
	work   []workEvent
}

func (r *caseReplay) apply(e model.CaseEvent) {
	if !r.ht.End.IsZero() {
		return
	}
	if r.first.IsZero() {
		r.first = e.At
	}
	if e.Kind == model.EventCreated && r.ht.Created.IsZero() {
		r.ht.Created = e.At
	}
	if !r.ht.Start.IsZero() && e.At.After(r.last) && r.pause[strings.ToLower(strings.TrimSpace(r.st.Status))] {
		r.ht.Paused += e.At.Sub(r.last)
		r.paused = append(r.paused, [2]time.Time{r.last, e.At})
	}
	if strings.TrimSpace(e.Actor) != "" {
		we := workEvent{at: e.At, from: e.At}
		var rb model.RunbookExecution
		if e.Kind == model.EventRunbook && json.Unmarshal([]byte(e.New), &rb) == nil && !rb.StartedAt.IsZero() && rb.StartedAt.Before(e.At) {
			we.from = rb.StartedAt.UTC()
		}
		r.work = append(r.work, we)
	}
	r.last = e.At
	r.st.Apply(e)
	if !r.ht.ArrivalPriority.Valid() {
		r.ht.ArrivalPriority = r.st.Priority
	}
	if r.ht.Start.IsZero() && !r.st.AcknowledgedAt.IsZero() {
		r.ht.Start = r.st.AcknowledgedAt
	}
	if !r.st.ResolvedAt.IsZero() {
		r.ht.End = r.st.ResolvedAt
		r.ht.Priority = r.st.Priority
	}
}

// finish turns the person events into sessions and counts their part in
// [Start, End] outside the pause spans.
func (r *caseReplay) finish(gap time.Duration) {
	var spans [][2]time.Time
	for i := 0; i < len(r.work); {
		from, to := r.work[i].from, r.work[i].at
		j := i + 1
		for ; j < len(r.work) && r.work[j].at.Sub(r.work[j-1].at) <= gap; j++ {
			if r.work[j].from.Before(from) {
				from = r.work[j].from
			}
			to = r.work[j].at
		}
		i = j
		if from.Before(r.ht.Start) {
			from = r.ht.Start
		}
		if to.After(r.ht.End) {
			to = r.ht.End
		}
		if !to.After(from) {
			continue
		}
		// A runbook's start can reach back into earlier sessions.
		for n := len(spans); n > 0 && !from.After(spans[n-1][1]); n-- {
			if spans[n-1][0].Before(from) {
				from = spans[n-1][0]
			}
			if spans[n-1][1].After(to) {
				to = spans[n-1][1]
			}
			spans = spans[:n-1]
		}
		spans = append(spans, [2]time.Time{from, to})
	}
	for _, sp := range spans {
		for _, p := range r.paused {
			if !p[1].After(sp[0]) || !p[0].Before(sp[1]) {
				continue
			}
			if p[0].After(sp[0]) {
				r.addSegment(sp[0], p[0])
			}
			sp[0] = p[1]
			if !sp[1].After(sp[0]) {
				break
			}
		}
		if sp[1].After(sp[0]) {
			r.addSegment(sp[0], sp[1])
		}
	}
}

func (r *caseReplay) addSegment(from, to time.Time) {
	r.ht.Active += to.Sub(from)
	r.ht.Segments = append(r.ht.Segments, WorkSegment{From: from, To: to})
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
	rows, err := s.r.QueryContext(ctx, `SELECT id, external_id, name, email, tier, role, team, shift, skills, certifications,
		active, hourly_cost FROM analysts ORDER BY external_id`)
	if err != nil {
		return ro, fmt.Errorf("reading analysts: %w", err)
	}
	for rows.Next() {
		var a model.Analyst
		var tier, skills, certs string
		var active int
		if err := rows.Scan(&a.ID, &a.ExternalID, &a.Name, &a.Email, &tier, &a.Role, &a.Team, &a.Shift, &skills, &certs,
			&active, &a.HourlyCost); err != nil {
			rows.Close()
			return ro, fmt.Errorf("reading analysts: %w", err)
		}
		a.Tier, a.Active = model.Tier(tier), active != 0
		if err := unmarshalText(skills, &a.Skills); err != nil {
			rows.Close()
			return ro, fmt.Errorf("analyst %s: skills: %w", a.ExternalID, err)
		}
		if err := unmarshalText(certs, &a.Certifications); err != nil {
			rows.Close()
			return ro, fmt.Errorf("analyst %s: certifications: %w", a.ExternalID, err)
		}
		ro.Analysts = append(ro.Analysts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ro, fmt.Errorf("reading analysts: %w", err)
	}
	rows, err = s.r.QueryContext(ctx, `SELECT name, lead FROM teams ORDER BY name`)
	if err != nil {
		return ro, fmt.Errorf("reading teams: %w", err)
	}
	for rows.Next() {
		var t model.Team
		if err := rows.Scan(&t.Name, &t.Lead); err != nil {
			rows.Close()
			return ro, fmt.Errorf("reading teams: %w", err)
		}
		ro.Teams = append(ro.Teams, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ro, fmt.Errorf("reading teams: %w", err)
	}
	rows, err = s.r.QueryContext(ctx, `SELECT name, start, duration_s, days, time_zone FROM shifts ORDER BY name`)
	if err != nil {
		return ro, fmt.Errorf("reading shifts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sh model.Shift
		var secs int64
		var days string
		if err := rows.Scan(&sh.Name, &sh.Start, &secs, &days, &sh.TimeZone); err != nil {
			return ro, fmt.Errorf("reading shifts: %w", err)
		}
		sh.Duration = time.Duration(secs) * time.Second
		if err := unmarshalText(days, &sh.Days); err != nil {
			return ro, fmt.Errorf("shift %s: days: %w", sh.Name, err)
		}
		ro.Shifts = append(ro.Shifts, sh)
	}
	if err := rows.Err(); err != nil {
		return ro, fmt.Errorf("reading shifts: %w", err)
	}
	return ro, nil
}

func unmarshalText(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// WorkloadSLAPolicies returns every enabled SLA policy version, by name
// and then version.
func (s *Store) WorkloadSLAPolicies(ctx context.Context) ([]model.SLAPolicy, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, version, effective_from, targets, pause_statuses, calendar
		FROM sla_policies WHERE disabled_at IS NULL ORDER BY name, version`)
	if err != nil {
		return nil, fmt.Errorf("reading SLA policies: %w", err)
	}
	defer rows.Close()
	var out []model.SLAPolicy
	for rows.Next() {
		var p model.SLAPolicy
		var eff int64
		var targets, pause, cal string
		if err := rows.Scan(&p.Name, &p.Version, &eff, &targets, &pause, &cal); err != nil {
			return nil, fmt.Errorf("reading SLA policies: %w", err)
		}
		p.EffectiveFrom = time.UnixMicro(eff).UTC()
		if err := unmarshalText(targets, &p.Targets); err != nil {
			return nil, fmt.Errorf("SLA policy %s v%d: targets: %w", p.Name, p.Version, err)
		}
		if err := unmarshalText(pause, &p.PauseStatuses); err != nil {
			return nil, fmt.Errorf("SLA policy %s v%d: pause statuses: %w", p.Name, p.Version, err)
		}
		if cal != "" {
			p.Calendar = &model.BusinessHours{}
			if err := json.Unmarshal([]byte(cal), p.Calendar); err != nil {
				return nil, fmt.Errorf("SLA policy %s v%d: calendar: %w", p.Name, p.Version, err)
			}
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading SLA policies: %w", err)
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
func (s *Store) WorkloadRunbooks(ctx context.Context, since, until time.Time) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT new FROM case_events WHERE kind = 'runbook' AND at >= ? AND at < ?`),
		since.UnixMicro(), until.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("counting runbook runs: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("counting runbook runs: %w", err)
		}
		var rb model.RunbookExecution
		if json.Unmarshal([]byte(raw), &rb) != nil || rb.Runbook == "" {
			continue // a runbook event without an execution record names no runbook
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
