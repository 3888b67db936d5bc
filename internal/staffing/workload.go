package staffing

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/watchfloor/watchfloor/internal/kpi/sketch"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
	"github.com/watchfloor/watchfloor/internal/store"
)

// HoursPerWeek is the number of hourly intervals in the planning week,
// which starts Monday 00:00 in the organisation's time zone.
const HoursPerWeek = 168

// History is what the workload model reads from the store.
type History interface {
	WorkloadAlertArrivals(ctx context.Context, since, until time.Time) ([]store.ArrivalBucket, error)
	WorkloadCaseArrivals(ctx context.Context, since, until time.Time) ([]store.ArrivalBucket, error)
	// WorkloadHandleSummary summarises the handle times of the cases
	// first resolved in [since, until) (see store.HandleSummary), with
	// the acknowledgement target of each priority at arrival.
	WorkloadHandleSummary(ctx context.Context, since, until time.Time, pauseStatuses []string, gap time.Duration,
		ackWithin map[model.Priority]time.Duration) (store.HandleSummary, error)
	WorkloadRuleVolumes(ctx context.Context, since, until time.Time) ([]store.RuleVolume, error)
	WorkloadRoster(ctx context.Context) (store.Roster, error)
	WorkloadSLAPolicies(ctx context.Context) ([]model.SLAPolicy, error)
	WorkloadSpan(ctx context.Context) (first, last time.Time, err error)
}

// runbookCounter is a History that also counts runbook runs by name.
type runbookCounter interface {
	WorkloadRunbooks(ctx context.Context, since, until time.Time) (map[string]int, error)
}

// watermarker is a History whose retention may have removed alerts (see
// store.Watermarks).
type watermarker interface {
	RetentionWatermarks(ctx context.Context) (store.Watermarks, error)
}

// Source says where an input came from.
type Source string

// The sources of inputs.
const (
	FromHistory    Source = "history"
	FromConfig     Source = "config"
	FromSLA        Source = "sla_policy"
	FromAssumption Source = "assumption" // a default, not the organisation's data
)

// HandleStats describes the handle times measured for a queue.
type HandleStats struct {
	N             int     `json:"n"`
	MeanSeconds   float64 `json:"mean_seconds"`
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
	// CV is the coefficient of variation (standard deviation ÷ mean);
	// Erlang's formulas assume 1 (exponential handle times).
	CV float64 `json:"cv"`
	// Samples keeps the measured values (seconds), ascending, for the
	// simulation.
	Samples []float64 `json:"-"`
}

// Dispersion tests whether arrivals are Poisson at a time scale: the
// index of dispersion (variance ÷ mean of counts around their expected
// value) is 1 for Poisson arrivals; above 1 they come in bursts that
// Erlang's formulas do not see.
type Dispersion struct {
	Scale string  `json:"scale"`
	Index float64 `json:"index"`
	DF    int     `json:"degrees_of_freedom"`
	// PValue is the chance of an index this high if arrivals were
	// Poisson (chi-square test).
	PValue float64 `json:"p_value"`
}

// Queue is one queue's workload.
type Queue struct {
	Name     string         `json:"name"`
	Kind     QueueKind      `json:"kind"`
	Priority model.Priority `json:"priority"`
	// ArrivalsPerHour is the mean arrival rate in each hour of the week,
	// Monday 00:00 local first, after growth and scaling.
	ArrivalsPerHour []float64 `json:"arrivals_per_hour"`
	// WeeklyArrivals is their sum.
	WeeklyArrivals float64 `json:"weekly_arrivals"`
	// HandleSeconds is the mean worked time per item (for cases: the
	// active time measured from the log's work sessions). An analyst works
	// Concurrency items at once (1 unless configured), so the analyst
	// effort per item used for sizing is EffortSeconds = Handle ÷
	// Concurrency.
	HandleSeconds float64      `json:"handle_seconds"`
	Concurrency   float64      `json:"concurrency"`
	EffortSeconds float64      `json:"effort_seconds"`
	Handle        *HandleStats `json:"handle_stats,omitempty"`
	// AnswerWithinSeconds and TargetServiceLevel define the SLA:
	// P(answered within AnswerWithin) ≥ TargetServiceLevel.
	AnswerWithinSeconds float64 `json:"answer_within_seconds"`
	TargetServiceLevel  float64 `json:"target_service_level"`
	PatienceSeconds     float64 `json:"patience_seconds,omitempty"`
	// Measured is the service level the history shows (case queues only).
	Measured *MeasuredSL `json:"measured,omitempty"`
	// Dispersion checks the Poisson assumption (nil without enough data).
	Dispersion []Dispersion `json:"dispersion,omitempty"`
	// TrendPerWeek is the fitted relative change in volume per week, and
	// TrendZ its size in standard errors under Poisson noise (|z| > 2:
	// unlikely to be chance).
	TrendPerWeek float64 `json:"trend_per_week"`
	TrendZ       float64 `json:"trend_z"`
	// Sources names where each input came from.
	Sources map[string]Source `json:"sources"`

	// hist holds the quarter-hour arrival counts of the window (from
	// Since), replayed by the simulation scaled by histScale; nil when the
	// arrivals are configured rather than measured.
	hist      []float64
	histScale float64
	// baseScale is the factor applied to the recorded arrivals by growth,
	// scaling and the triage share, before any scenario.
	baseScale float64
	// effort holds the measured analyst effort per item (seconds),
	// ascending, for the simulation.
	effort []float64
}

// MeasuredSL is a queue's service level in the history window: of the
// cases that arrived with its priority and were first resolved in the
// window after being acknowledged (assigned or triaged), the share
// acknowledged within the queue's answer-within time of their creation,
// on the wall clock (the SLA engine's adherence also honours pauses and
// business hours).
type MeasuredSL struct {
	Cases        int     `json:"cases"`
	Within       int     `json:"within"`
	ServiceLevel float64 `json:"service_level"`
}

// Workload is the modelled demand on the floor.
type Workload struct {
	TimeZone string    `json:"time_zone"`
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
	Weeks    float64   `json:"weeks"`
	Queues   []Queue   `json:"queues"`
	// Growth is the volume change applied (0 = today's volume).
	Growth float64 `json:"growth"`
	// Rules are the alert volumes by rule in the window, for scenarios.
	Rules []store.RuleVolume `json:"-"`
	// Roster is the current staff.
	Roster store.Roster `json:"-"`
	// SLA is the policy in force at Until, if any.
	SLA *model.SLAPolicy `json:"sla_policy,omitempty"`
	// Assumptions lists the defaults used for lack of data or setting.
	Assumptions []Assumption `json:"assumptions"`
	// Runbooks counts the runbook runs in the window, by name.
	Runbooks map[string]int `json:"runbooks,omitempty"`
	// Notes say what the model leaves out.
	Notes []string `json:"notes,omitempty"`

	loc *time.Location
}

// Assumption is an input the plan could not measure nor find configured.
type Assumption struct {
	Input string `json:"input"`
	Value string `json:"value"`
	Note  string `json:"note"`
}

// hourOfWeek returns the local hour of the week (Monday 00:00 = 0).
func hourOfWeek(t time.Time, loc *time.Location) int {
	lt := t.In(loc)
	return (int(lt.Weekday())+6)%7*24 + lt.Hour()
}

// Model builds the workload from history and configuration.
func Model(ctx context.Context, h History, cfg Config) (*Workload, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Workload{}
	var err error
	if w.Roster, err = h.WorkloadRoster(ctx); err != nil {
		return nil, err
	}
	tz := cfg.TimeZone
	if tz == "" {
		for _, s := range w.Roster.Shifts {
			if s.TimeZone != "" {
				tz = s.TimeZone
				break
			}
		}
	}
	if tz == "" {
		tz = "UTC"
	}
	if w.loc, err = time.LoadLocation(tz); err != nil {
		return nil, fmt.Errorf("time zone %q: %w", tz, err)
	}
	w.TimeZone = tz
	_, last, err := h.WorkloadSpan(ctx)
	if err != nil {
		return nil, err
	}
	days := cfg.HistoryDays
	if days == 0 {
		days = DefaultHistoryDays
	}
	if !cfg.HistoryUntil.IsZero() {
		// An explicit history: it is read even where it holds no data.
		last = cfg.HistoryUntil
		w.Until = cfg.HistoryUntil
		w.Since = w.Until.Add(-time.Duration(days) * 24 * time.Hour)
		w.Weeks = float64(days) / 7
	} else if !last.IsZero() {
		w.Until = last.Truncate(time.Hour).Add(time.Hour)
		w.Since = w.Until.Add(-time.Duration(days) * 24 * time.Hour)
		w.Weeks = float64(days) / 7
	}
	pols, err := h.WorkloadSLAPolicies(ctx)
	if err != nil {
		return nil, err
	}
	// The version in force at the end of the history, by the one rule that
	// picks a version everywhere (package sla); versions that cannot judge
	// clocks are left out.
	if tl := sla.Load(pols); tl.Len() > 0 {
		at := w.Until
		if at.IsZero() {
			at = time.Now()
		}
		p := tl.InForce(at)
		w.SLA = &p
	}
	var alertB, caseB []store.ArrivalBucket
	var hs store.HandleSummary
	if !last.IsZero() {
		if alertB, err = h.WorkloadAlertArrivals(ctx, w.Since, w.Until); err != nil {
			return nil, err
		}
		if caseB, err = h.WorkloadCaseArrivals(ctx, w.Since, w.Until); err != nil {
			return nil, err
		}
		var pause []string
		if w.SLA != nil {
			pause = w.SLA.PauseStatuses
		}
		gap := DefaultSessionGap
		if cfg.SessionGap != nil {
			gap = time.Duration(*cfg.SessionGap)
		}
		if hs, err = h.WorkloadHandleSummary(ctx, w.Since, w.Until, pause, gap, w.ackWithin(cfg)); err != nil {
			return nil, err
		}
		if w.Rules, err = h.WorkloadRuleVolumes(ctx, w.Since, w.Until); err != nil {
			return nil, err
		}
	}
	if rb, ok := h.(runbookCounter); ok && !last.IsZero() {
		if w.Runbooks, err = rb.WorkloadRunbooks(ctx, w.Since, w.Until); err != nil {
			return nil, err
		}
	}
	w.build(cfg, alertB, caseB, hs)
	if wm, ok := h.(watermarker); ok && !last.IsZero() {
		m, err := wm.RetentionWatermarks(ctx)
		if err != nil {
			return nil, err
		}
		// Alert arrivals and rule volumes are read from the alerts, which
		// retention removes; case arrivals and handle times are kept.
		if m.Alerts.After(w.Since) {
			w.Notes = append(w.Notes, fmt.Sprintf("The history from %s reaches before %s, where alert retention removed the alerts of no case: "+
				"the alert arrivals and rule volumes before it cannot be counted again, so alert inflow is understated; set history_days to at most %d",
				w.Since.In(w.loc).Format(time.DateOnly), m.Alerts.In(w.loc).Format(time.DateOnly), int(w.Until.Sub(m.Alerts).Hours()/24)))
		}
	}
	return w, nil
}

// occurrences counts, for each local hour of the week, how many hours of
// the window fall on it (DST days give some hours more or less).
func (w *Workload) occurrences() []float64 {
	occ := make([]float64, HoursPerWeek)
	for t := w.Since; t.Before(w.Until); t = t.Add(store.QuarterHour) {
		occ[hourOfWeek(t, w.loc)] += 0.25
	}
	return occ
}

func (w *Workload) assume(input, value, note string) {
	for _, a := range w.Assumptions {
		if a.Input == input {
			return
		}
	}
	w.Assumptions = append(w.Assumptions, Assumption{Input: input, Value: value, Note: note})
}

// queueKey identifies a queue.
type queueKey struct {
	k QueueKind
	p model.Priority
}

// queueSet holds the queues being built.
type queueSet map[queueKey]*Queue

// build turns arrival buckets and the handle-time summary into queues,
// step by step: the arrivals measured per queue, the handle times by
// priority, each queue's inputs (from its configuration, the history, the
// SLA policy or a stated assumption), the planning defaults, and the
// queues in order. hs was summarised with w.ackWithin(cfg).
func (w *Workload) build(cfg Config, alertB, caseB []store.ArrivalBucket, hs store.HandleSummary) {
	w.Growth = 0
	if cfg.Growth != nil {
		w.Growth = *cfg.Growth
	}
	queues := queueSet{}
	occ := w.occurrences()
	w.fillAlertQueues(queues, cfg, occ, alertB)
	w.fill(queues, cfg, occ, Cases, caseB)
	byPrio := workedByPriority(hs)
	for _, c := range cfg.Queues {
		w.queue(queues, c.Kind, c.Priority)
	}
	for k, q := range queues {
		qc := cfg.queue(k.k, k.p)
		if qc != nil && qc.Disabled {
			delete(queues, k)
			continue
		}
		w.setHandleTime(q, qc, cfg, byPrio)
		if q.HandleSeconds == 0 {
			// An alert queue with no handle time of its own while triage
			// is planned for other priorities only.
			w.Notes = append(w.Notes, q.Name+" is not in this plan: no handle time is set for it")
			delete(queues, k)
			continue
		}
		w.setEffort(q, qc)
		w.setServiceTarget(q, qc, cfg)
		if k.k == Cases {
			q.Measured = measured(hs, k.p)
		}
		if qc != nil && qc.Patience > 0 {
			q.PatienceSeconds = qc.Patience.Seconds()
			q.Sources["patience"] = FromConfig
		}
		w.setArrivals(q, qc, cfg)
	}
	w.assumeDefaults(cfg)
	w.Queues = w.Queues[:0]
	for _, q := range queues {
		w.Queues = append(w.Queues, *q)
	}
	sort.Slice(w.Queues, func(i, j int) bool {
		if w.Queues[i].Priority != w.Queues[j].Priority {
			return w.Queues[i].Priority < w.Queues[j].Priority
		}
		return w.Queues[i].Kind > w.Queues[j].Kind // cases before alerts
	})
	sort.Slice(w.Assumptions, func(i, j int) bool { return w.Assumptions[i].Input < w.Assumptions[j].Input })
}

// queue returns the queue of a kind and priority, making it when new.
func (w *Workload) queue(queues queueSet, k QueueKind, p model.Priority) *Queue {
	q := queues[queueKey{k, p}]
	if q == nil {
		q = &Queue{Name: string(k) + " " + p.String(), Kind: k, Priority: p, ArrivalsPerHour: make([]float64, HoursPerWeek),
			Sources: map[string]Source{}, histScale: 1}
		if !w.Since.IsZero() {
			q.hist = make([]float64, int(w.Until.Sub(w.Since)/store.QuarterHour))
		}
		queues[queueKey{k, p}] = q
	}
	return q
}

// fill adds the measured arrivals of one kind to its queues: the hourly
// profile (smoothed unless configured per hour of the week), the quarter
// hours of the window for the simulation, and the Poisson and trend
// checks. occ counts the window's hours on each hour of the week.
func (w *Workload) fill(queues queueSet, cfg Config, occ []float64, k QueueKind, buckets []store.ArrivalBucket) {
	for _, b := range buckets {
		if !b.Priority.Valid() {
			continue
		}
		q := w.queue(queues, k, b.Priority)
		q.ArrivalsPerHour[hourOfWeek(b.Start, w.loc)] += float64(b.Count)
		q.Sources["arrivals"] = FromHistory
	}
	for _, q := range queues {
		if q.Kind != k {
			continue
		}
		q.Dispersion = dispersion(buckets, q.Priority, w)
		q.TrendPerWeek, q.TrendZ = trend(buckets, q.Priority, w)
		for _, b := range buckets {
			if i := int(b.Start.Sub(w.Since) / store.QuarterHour); b.Priority == q.Priority && i >= 0 && i < len(q.hist) {
				q.hist[i] += float64(b.Count)
			}
		}
		for i := range q.ArrivalsPerHour {
			if occ[i] > 0 {
				q.ArrivalsPerHour[i] /= occ[i]
			}
		}
		if cfg.ArrivalProfile != ProfileHourOfWeek {
			q.ArrivalsPerHour = smoothProfile(q.ArrivalsPerHour)
		}
	}
}

// fillAlertQueues adds the alert arrivals when alert triage is planned (a
// triage handle time is set, for all alerts or one queue); otherwise it
// notes the weekly alerts the plan leaves out.
func (w *Workload) fillAlertQueues(queues queueSet, cfg Config, occ []float64, alertB []store.ArrivalBucket) {
	triage := cfg.TriageHandleTime != nil
	for _, c := range cfg.Queues {
		triage = triage || c.Kind == Alerts && c.HandleTime > 0
	}
	if !triage {
		var n int64
		for _, b := range alertB {
			n += b.Count
		}
		if n > 0 {
			w.Notes = append(w.Notes, fmt.Sprintf("Alert triage is not in this plan: the store records no alert handling times. "+
				"%.0f alerts a week arrived; set staffing.triage_handle_time (and triage_share, the share a person looks at) to plan for them.",
				float64(n)/w.Weeks))
		}
		return
	}
	w.fill(queues, cfg, occ, Alerts, alertB)
	unknown := 0
	for _, b := range alertB {
		if !b.Priority.Valid() {
			unknown += int(b.Count)
		}
	}
	if unknown > 0 {
		w.assume("alerts without severity", fmt.Sprint(unknown),
			"alerts with no severity have no priority and are left out of the alert queues")
	}
}

// workedByPriority returns the active times of the cases by the priority
// in force at resolution. Only priorities with some work by people logged
// measure a handle time: a queue whose cases show none (a log of
// synthesised snapshot events) falls back like one without cases.
func workedByPriority(hs store.HandleSummary) map[model.Priority][]store.ActiveCount {
	byPrio := map[model.Priority][]store.ActiveCount{}
	for p, v := range hs.Active {
		// Ascending: some work is the largest value above 0.
		if p.Valid() && len(v) > 0 && v[len(v)-1].Active > 0 {
			byPrio[p] = v
		}
	}
	return byPrio
}

// samples expands counted active times, ascending, into one value in
// seconds per case, ascending.
func samples(counts []store.ActiveCount) []float64 {
	n := int64(0)
	for _, c := range counts {
		n += c.Cases
	}
	out := make([]float64, 0, n)
	for _, c := range counts {
		v := c.Active.Seconds()
		for range c.Cases {
			out = append(out, v)
		}
	}
	return out
}

// setHandleTime sets a queue's handle time: configured for the queue,
// measured for a case queue (its priority's worked cases, else all
// priorities', else an hour assumed), or the triage handle time for an
// alert queue. It leaves 0 when none applies.
func (w *Workload) setHandleTime(q *Queue, qc *QueueConfig, cfg Config, byPrio map[model.Priority][]store.ActiveCount) {
	q.Concurrency = 1
	switch {
	case qc != nil && qc.HandleTime > 0:
		q.HandleSeconds = qc.HandleTime.Seconds()
		q.Sources["handle_time"] = FromConfig
	case q.Kind == Cases:
		active := samples(byPrio[q.Priority])
		if len(active) == 0 {
			// No worked case of this priority was resolved in the
			// window: use all priorities.
			for _, v := range byPrio {
				active = append(active, samples(v)...)
			}
			sort.Float64s(active)
			if len(active) > 0 {
				w.assume(q.Name+" handle_time", "all priorities",
					"no worked case of this priority was resolved in the window; the figures over all priorities are used")
			}
		}
		if len(active) == 0 {
			q.HandleSeconds = time.Hour.Seconds()
			q.Sources["handle_time"] = FromAssumption
			w.assume(q.Name+" handle_time", "1h", "no case resolved in the window has work by people in its log; set queues[].handle_time")
			return
		}
		q.Handle = handleStats(active)
		q.HandleSeconds = q.Handle.MeanSeconds
		q.effort = q.Handle.Samples
		q.Sources["handle_time"] = FromHistory
	case cfg.TriageHandleTime != nil:
		q.HandleSeconds = cfg.TriageHandleTime.Seconds()
		q.Sources["handle_time"] = FromConfig
	}
}

// setEffort sets the analyst effort per item: the handle time divided by
// the concurrency (the measured efforts are the handle times themselves,
// concurrency 1, so their mean is the handle time).
func (w *Workload) setEffort(q *Queue, qc *QueueConfig) {
	if qc != nil && qc.Concurrency > 0 {
		q.Concurrency = qc.Concurrency
		q.Sources["concurrency"] = FromConfig
		q.effort = nil
	}
	q.EffortSeconds = q.HandleSeconds / q.Concurrency
}

// setServiceTarget sets the answer-within time (configured, the SLA
// policy's acknowledge target, or an example target) and the target
// service level (configured for the queue or the plan, or the default).
func (w *Workload) setServiceTarget(q *Queue, qc *QueueConfig, cfg Config) {
	p := q.Priority
	var src Source
	q.AnswerWithinSeconds, src = w.answerWithin(qc, p)
	q.Sources["answer_within"] = src
	if src == FromAssumption {
		w.assume(p.String()+" answer_within", defaultAnswerWithin[p].String(),
			"no SLA policy acknowledge target for this priority; example target used")
	}
	target := DefaultTargetServiceLevel
	if cfg.TargetServiceLevel != nil {
		target = *cfg.TargetServiceLevel
	}
	switch {
	case qc != nil && qc.TargetServiceLevel > 0:
		q.TargetServiceLevel = qc.TargetServiceLevel
		q.Sources["target_service_level"] = FromConfig
	case cfg.TargetServiceLevel != nil:
		q.TargetServiceLevel = target
		q.Sources["target_service_level"] = FromConfig
	default:
		q.TargetServiceLevel = target
		q.Sources["target_service_level"] = FromAssumption
		w.assume("target_service_level", fmt.Sprint(target),
			"share of items to acknowledge within the SLA target; SLA policies set the time, not the share")
	}
}

// setArrivals applies a flat configured rate, growth, the queue's scale
// and (alerts) the triage share to the queue's arrivals.
func (w *Workload) setArrivals(q *Queue, qc *QueueConfig, cfg Config) {
	if qc != nil && qc.ArrivalsPerHour > 0 {
		for i := range q.ArrivalsPerHour {
			q.ArrivalsPerHour[i] = qc.ArrivalsPerHour
		}
		q.hist = nil
		q.Sources["arrivals"] = FromConfig
	}
	scale := 1 + w.Growth
	if qc != nil && qc.ArrivalScale > 0 {
		scale *= qc.ArrivalScale
	}
	if q.Kind == Alerts {
		share := 1.0
		if cfg.TriageShare != nil {
			share = *cfg.TriageShare
		} else {
			w.assume("triage_share", "1", "share of alerts a person triages (the rest closed by automation); all of them unless set")
		}
		scale *= share
	}
	q.scaleArrivals(scale)
	q.baseScale = scale
	if q.Sources["arrivals"] == "" {
		q.Sources["arrivals"] = FromConfig
	}
}

// assumeDefaults states the planning settings left at their defaults.
func (w *Workload) assumeDefaults(cfg Config) {
	if cfg.Shrinkage == nil {
		w.assume("shrinkage", fmt.Sprint(DefaultShrinkage), "share of paid time not available for queue work (breaks, meetings, training, leave)")
	}
	if cfg.MaxOccupancy == nil {
		w.assume("max_occupancy", fmt.Sprint(DefaultMaxOccupancy), "cap on the share of available time spent handling work")
	}
	if cfg.ContractHours == nil {
		w.assume("contract_hours", fmt.Sprint(DefaultContractHours), "paid hours per analyst per week, to turn scheduled hours into headcount")
	}
	if cfg.MinHeads == nil {
		w.assume("min_heads", fmt.Sprint(DefaultMinHeads), "least number of people on duty at any hour")
	}
}

// answerWithin is the answer-within time of a queue of priority p, in
// seconds, and where it comes from: configured, the SLA policy's
// acknowledge target, or an example target.
func (w *Workload) answerWithin(qc *QueueConfig, p model.Priority) (float64, Source) {
	switch {
	case qc != nil && qc.AnswerWithin > 0:
		return qc.AnswerWithin.Seconds(), FromConfig
	case w.SLA != nil && w.SLA.Targets[p].Acknowledge > 0:
		return w.SLA.Targets[p].Acknowledge.Seconds(), FromSLA
	default:
		return defaultAnswerWithin[p].Seconds(), FromAssumption
	}
}

// ackWithin is, for each priority, the longest acknowledgement a case
// queue of that priority counts as within its answer-within time (see
// measured), as the store compares it: handle times are kept in whole
// microseconds, so a delay d is within when d.Seconds() ≤ the queue's
// AnswerWithinSeconds, which holds for every d up to the value returned
// and for none above (Duration.Seconds never decreases as d grows).
func (w *Workload) ackWithin(cfg Config) map[model.Priority]time.Duration {
	out := make(map[model.Priority]time.Duration, len(model.Priorities))
	for _, p := range model.Priorities {
		aw, _ := w.answerWithin(cfg.queue(Cases, p), p)
		out[p] = lastMicroWithin(aw)
	}
	return out
}

// lastMicroWithin returns the largest whole number of microseconds d with
// d.Seconds() ≤ s (bounded by ±math.MaxInt64 nanoseconds' whole
// microseconds).
func lastMicroWithin(s float64) time.Duration {
	const maxMicros = math.MaxInt64 / int64(time.Microsecond)
	within := func(k int64) bool { return (time.Duration(k) * time.Microsecond).Seconds() <= s }
	switch {
	case math.IsNaN(s) || !within(-maxMicros):
		return math.MinInt64 // nothing is within
	case within(maxMicros):
		return time.Duration(maxMicros) * time.Microsecond
	}
	// Bisect: within(lo), !within(hi).
	lo, hi := -maxMicros, maxMicros
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if within(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return time.Duration(lo) * time.Microsecond
}

// measured is the share of the cases that arrived with priority p
// acknowledged within their queue's answer-within time of creation, as
// counted in the handle-time summary (nil when there are none).
func measured(hs store.HandleSummary, p model.Priority) *MeasuredSL {
	a := hs.Arrived[p]
	if a.Cases == 0 {
		return nil
	}
	m := MeasuredSL{Cases: int(a.Cases), Within: int(a.Within)}
	m.ServiceLevel = float64(m.Within) / float64(m.Cases)
	return &m
}

// smoothProfile replaces hour-of-week rates, each estimated from only a
// few weeks, by day volume × hour-of-day shape: the mean volume of each
// weekday, spread over its hours by the hourly shape pooled over all
// weekdays (Monday to Friday) or both weekend days. The weekly total is
// unchanged.
func smoothProfile(raw []float64) []float64 {
	var day [7]float64
	var shape [2][24]float64
	for d := 0; d < 7; d++ {
		for h := 0; h < 24; h++ {
			day[d] += raw[d*24+h]
			shape[min(d/5, 1)][h] += raw[d*24+h]
		}
	}
	for t := range shape {
		var sum float64
		for _, v := range shape[t] {
			sum += v
		}
		for h := range shape[t] {
			if sum > 0 {
				shape[t][h] /= sum
			} else {
				shape[t][h] = 1.0 / 24
			}
		}
	}
	out := make([]float64, HoursPerWeek)
	for d := 0; d < 7; d++ {
		for h := 0; h < 24; h++ {
			out[d*24+h] = day[d] * shape[min(d/5, 1)][h]
		}
	}
	return out
}

func (q *Queue) scaleArrivals(f float64) {
	q.WeeklyArrivals = 0
	for i := range q.ArrivalsPerHour {
		q.ArrivalsPerHour[i] *= f
		q.WeeklyArrivals += q.ArrivalsPerHour[i]
	}
	q.histScale *= f
}

// handleStats summarises measured handle times. The median and p90 are
// the KPI engine's (sketch.ExactQuantile: the value of rank ⌈q·n⌉, so the
// lower middle value for an even count).
func handleStats(v []float64) *HandleStats {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	mean, sd := stat.MeanStdDev(s, nil)
	hs := &HandleStats{N: len(s), MeanSeconds: mean, MedianSeconds: sketch.ExactQuantile(s, 0.5),
		P90Seconds: sketch.ExactQuantile(s, 0.9), Samples: s}
	if len(s) > 1 && mean > 0 {
		hs.CV = sd / mean
	}
	return hs
}

// dispersion tests the Poisson assumption for one queue at two scales:
// within the hour (quarter-hour counts around their hour's mean: bursts
// the hourly model smooths over) and across weeks (each hour of the week
// around its mean over the weeks: variability the weekly profile hides).
func dispersion(buckets []store.ArrivalBucket, p model.Priority, w *Workload) []Dispersion {
	if w.Since.IsZero() {
		return nil
	}
	nq := int(w.Until.Sub(w.Since) / store.QuarterHour)
	counts := make([]float64, nq)
	for _, b := range buckets {
		if b.Priority == p {
			if i := int(b.Start.Sub(w.Since) / store.QuarterHour); i >= 0 && i < nq {
				counts[i] += float64(b.Count)
			}
		}
	}
	var out []Dispersion
	// Within the hour: each clock hour's four quarter hours.
	var stat float64
	df := 0
	for h := 0; h+4 <= nq; h += 4 {
		m := (counts[h] + counts[h+1] + counts[h+2] + counts[h+3]) / 4
		if m == 0 {
			continue
		}
		for k := 0; k < 4; k++ {
			stat += (counts[h+k] - m) * (counts[h+k] - m) / m
		}
		df += 3
	}
	if df > 0 {
		out = append(out, chiDispersion("quarter hours within an hour", stat, df))
	}
	// Across weeks: one count per hour of the week per week.
	weeks := nq / (4 * HoursPerWeek)
	if weeks >= 2 {
		hourly := make([][]float64, HoursPerWeek)
		for i := 0; i < weeks*4*HoursPerWeek; i++ {
			t := w.Since.Add(time.Duration(i) * store.QuarterHour)
			how := hourOfWeek(t, w.loc)
			wk := i / (4 * HoursPerWeek)
			if len(hourly[how]) <= wk {
				hourly[how] = append(hourly[how], make([]float64, wk+1-len(hourly[how]))...)
			}
			hourly[how][wk] += counts[i]
		}
		stat, df = 0, 0
		for _, v := range hourly {
			if len(v) < 2 {
				continue
			}
			var m float64
			for _, x := range v {
				m += x
			}
			m /= float64(len(v))
			if m == 0 {
				continue
			}
			for _, x := range v {
				stat += (x - m) * (x - m) / m
			}
			df += len(v) - 1
		}
		if df > 0 {
			out = append(out, chiDispersion("the same hour across weeks", stat, df))
		}
	}
	return out
}

func chiDispersion(scale string, stat float64, df int) Dispersion {
	return Dispersion{Scale: scale, Index: stat / float64(df), DF: df,
		PValue: distuv.ChiSquared{K: float64(df)}.Survival(stat)}
}

// trend fits a straight line to the weekly totals of a queue and returns
// its slope relative to the mean week, and the slope in standard errors
// when weekly counts vary as Poisson counts do (0, 0 with fewer than three
// weeks).
func trend(buckets []store.ArrivalBucket, p model.Priority, w *Workload) (float64, float64) {
	weeks := int(w.Until.Sub(w.Since) / (7 * 24 * time.Hour))
	if weeks < 3 {
		return 0, 0
	}
	tot := make([]float64, weeks)
	// Count whole weeks back from Until, so a partial week is left out.
	start := w.Until.Add(-time.Duration(weeks) * 7 * 24 * time.Hour)
	for _, b := range buckets {
		if b.Priority != p || b.Start.Before(start) {
			continue
		}
		if i := int(b.Start.Sub(start) / (7 * 24 * time.Hour)); i < weeks {
			tot[i] += float64(b.Count)
		}
	}
	xs := make([]float64, weeks)
	for i := range xs {
		xs[i] = float64(i)
	}
	mean := stat.Mean(tot, nil)
	if mean == 0 {
		return 0, 0
	}
	_, slope := stat.LinearRegression(xs, tot, nil, false)
	// The slope's standard error when each week's count has variance
	// mean (Poisson): √(mean ÷ Σ(x − x̄)²).
	sxxc := stat.Variance(xs, nil) * float64(weeks-1)
	return slope / mean, slope / math.Sqrt(mean/sxxc)
}

// Queue returns the queue with the given kind and priority, or nil.
func (w *Workload) Queue(k QueueKind, p model.Priority) *Queue {
	for i := range w.Queues {
		if w.Queues[i].Kind == k && w.Queues[i].Priority == p {
			return &w.Queues[i]
		}
	}
	return nil
}

// ReduceRule lowers the alert queues by a share of one rule's alerts (as
// automation or tuning would): each queue loses share × the rule's alerts
// of that priority (after the queue's growth and triage share), spread
// over the week like the queue's own arrivals. It returns the weekly
// alerts removed; rule matches a rule id or name.
func (w *Workload) ReduceRule(rule string, share float64) (float64, error) {
	if share < 0 || share > 1 {
		return 0, fmt.Errorf("rule %s: share %v is not between 0 and 1", rule, share)
	}
	var removed float64
	found := false
	for _, v := range w.Rules {
		if v.RuleID != rule && !strings.EqualFold(v.RuleName, rule) {
			continue
		}
		found = true
		q := w.Queue(Alerts, v.Priority)
		if q == nil || q.WeeklyArrivals == 0 || w.Weeks == 0 {
			continue
		}
		weekly := float64(v.Alerts) / w.Weeks * q.baseScale * share
		weekly = math.Min(weekly, q.WeeklyArrivals)
		removed += weekly
		q.scaleArrivals(1 - weekly/q.WeeklyArrivals)
	}
	if !found {
		return 0, fmt.Errorf("no alerts from rule %q in the history window", rule)
	}
	return removed, nil
}

// Clone returns a deep copy, for scenarios.
func (w *Workload) Clone() *Workload {
	c := *w
	c.Queues = make([]Queue, len(w.Queues))
	for i, q := range w.Queues {
		q.ArrivalsPerHour = append([]float64(nil), q.ArrivalsPerHour...)
		q.Sources = cloneMap(q.Sources)
		q.effort = append([]float64(nil), q.effort...)
		c.Queues[i] = q
	}
	c.Assumptions = append([]Assumption(nil), w.Assumptions...)
	return &c
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
