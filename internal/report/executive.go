package report

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/crisis"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/tech"
)

// Sources are the services an executive report reads. Metrics and Store
// are required; Crisis nil leaves major incidents out (said in one line).
type Sources struct {
	Store   *store.Store
	Metrics *metrics.Service
	Crisis  *crisis.Service
	// Staffing is the staffing configuration the capacity section plans
	// with; Budget the budget section's (nil: staff costs from the
	// roster's hourly costs, no tools or services).
	Staffing staffing.Config
	Budget   *budget.Config
	Config   Config
}

// Query asks for an executive report.
type Query struct {
	// Period is week, month (when empty) or quarter; weekly, monthly and
	// quarterly are accepted too.
	Period string
	// From and To are explicit first and last days (YYYY-MM-DD,
	// organisation time zone); both or neither.
	From, To string
}

// Periods are the report periods, in order.
var Periods = []string{"week", "month", "quarter"}

// timeframe maps a period to the report service's timeframe.
func timeframe(p string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "", "month", "monthly":
		return string(metrics.Monthly), nil
	case "week", "weekly":
		return string(metrics.Weekly), nil
	case "quarter", "quarterly":
		return string(metrics.Quarterly), nil
	}
	return "", &metrics.ArgError{Field: "period", Err: fmt.Errorf("%q is not one of %s", p, strings.Join(Periods, ", "))}
}

// Units of figures.
const (
	UnitSeconds = "seconds"
	UnitRatio   = "ratio"
	UnitCount   = "count"
	UnitMoney   = "money"
)

// Figure is one number of the report with what it is compared with and
// where the same number is found elsewhere.
type Figure struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Unit string `json:"unit"`
	// Value is null when there is nothing to measure (never 0).
	Value    *float64 `json:"value"`
	Previous *float64 `json:"previous"`
	Target   *float64 `json:"target"`
	// LowerIsBetter says which way is good.
	LowerIsBetter bool `json:"lower_is_better"`
	// PointInTime marks a figure of the report's now (the backlog), which
	// has no previous period.
	PointInTime bool `json:"point_in_time,omitempty"`
	// Sample says what the figure stands on ("1,204 cases, 31 open").
	Sample     string `json:"sample"`
	Definition string `json:"definition"`
	// Source names the command and JSON field that give the same number.
	Source string `json:"source"`
}

// Section is the common part of every section: Absent is the one line
// shown instead of the section when its data is absent.
type Section struct {
	Absent string `json:"absent,omitempty"`
}

// TrendPoint is one period of the trend charts.
type TrendPoint struct {
	Period  string `json:"period"`
	From    string `json:"from"`
	To      string `json:"to"`
	Partial bool   `json:"partial"`
	Cases   int64  `json:"cases"`
	Alerts  int64  `json:"alerts"`
	// MTTR and MTTA are medians in seconds; SLAResolve the resolve-clock
	// adherence; null without data.
	MTTR       *float64 `json:"mttr_median_seconds"`
	MTTA       *float64 `json:"mtta_median_seconds"`
	SLAResolve *float64 `json:"sla_resolve_adherence"`
}

// BreachGroup is the SLA breaches of one group of cases.
type BreachGroup struct {
	Group string `json:"group"`
	// Breached and InFlight count the acknowledge and resolve clocks
	// together.
	Breached int64    `json:"breached"`
	InFlight int64    `json:"in_flight"`
	Resolve  *float64 `json:"resolve_adherence"`
}

// BreachItem is an open case past its SLA target now. Title is untrusted
// text from the source.
type BreachItem struct {
	Case     string  `json:"case"`
	Title    string  `json:"title"`
	Priority string  `json:"priority"`
	Stage    string  `json:"stage"`
	Assignee string  `json:"assignee"`
	Clock    string  `json:"clock"`
	Overdue  float64 `json:"overdue_seconds"`
}

// SLASection is SLA adherence and where the breaches come from.
type SLASection struct {
	Section
	Definition  string            `json:"definition"`
	Policies    []string          `json:"policies"`
	Acknowledge metrics.SLAResult `json:"acknowledge"`
	Resolve     metrics.SLAResult `json:"resolve"`
	// ByPriority and ByTeam are the window's breaches per group, most
	// first; groups without a breach are left out.
	ByPriority []BreachGroup `json:"by_priority"`
	ByTeam     []BreachGroup `json:"by_team"`
	// Now are the open cases past a target at the report's now (any
	// creation date): how many, by stage, unassigned, and the most overdue.
	NowBreached   int            `json:"now_breached"`
	NowByStage    map[string]int `json:"now_by_stage"`
	NowUnassigned int            `json:"now_unassigned"`
	MostOverdue   []BreachItem   `json:"most_overdue"`
}

// IncidentImpact is a major incident active in the window and what it
// cost. Title is untrusted text.
type IncidentImpact struct {
	Ref        string     `json:"ref"`
	Title      string     `json:"title"`
	Severity   string     `json:"severity"`
	Status     string     `json:"status"`
	DeclaredAt time.Time  `json:"declared_at"`
	ClosedAt   *time.Time `json:"closed_at"`
	// Hours is declared → closed (or the report's now while open).
	Hours         float64  `json:"hours"`
	Cases         int      `json:"cases"`
	Regimes       []string `json:"regimes"`
	ClocksOverdue int      `json:"regulatory_clocks_overdue"`
	ClocksAtRisk  int      `json:"regulatory_clocks_at_risk"`
	PeopleHours   float64  `json:"people_hours"`
	Cost          float64  `json:"cost"`
	Currency      string   `json:"currency"`
}

// IncidentSection lists the major incidents active in the window.
type IncidentSection struct {
	Section
	Declared  int              `json:"declared_in_window"`
	Open      int              `json:"open_now"`
	Incidents []IncidentImpact `json:"incidents"`
	// CostDefinition says how people cost is computed.
	CostDefinition string `json:"cost_definition,omitempty"`
}

// ThreatProfile is a relevant threat profile. Name and reasons come from
// intelligence feeds: untrusted text.
type ThreatProfile struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Kind              string   `json:"kind"`
	Score             float64  `json:"score"`
	Reasons           []string `json:"reasons"`
	MatchedIndicators int      `json:"matched_indicators"`
	MatchedAlerts     int      `json:"matched_alerts"`
}

// ThreatMatch is an indicator that matched alerts in the window. Value and
// source are untrusted text.
type ThreatMatch struct {
	Type       string    `json:"type"`
	Value      string    `json:"value"`
	Source     string    `json:"source"`
	Confidence int       `json:"confidence"`
	Alerts     int64     `json:"alerts"`
	LastSeen   time.Time `json:"last_seen"`
}

// ThreatSection is the threat landscape: profiles relevant to the
// organisation and intelligence matches in the window.
type ThreatSection struct {
	Section
	Days              int             `json:"days"`
	Relevant          int             `json:"relevant_profiles"`
	Profiles          []ThreatProfile `json:"profiles"`
	MatchedIndicators int64           `json:"matched_indicators"`
	Matches           []ThreatMatch   `json:"matches"`
	Definition        string          `json:"definition,omitempty"`
}

// TacticCoverage is one ATT&CK tactic's coverage.
type TacticCoverage struct {
	Tactic     string   `json:"tactic"`
	Techniques int      `json:"techniques"`
	Covered    int      `json:"covered"`
	Mean       *float64 `json:"mean_score"`
}

// CoverageSection is detection coverage of the ATT&CK techniques over the
// window, beside the previous window's (package coverage).
type CoverageSection struct {
	Section
	Window     string `json:"window"`
	Rules      int    `json:"rules"`
	Active     int    `json:"active_rules"`
	FiredRules int    `json:"fired_rules"`
	Techniques int    `json:"techniques"`
	// Covered counts the techniques with at least one active rule; Mean is
	// the mean score (0–5) over every technique.
	Covered         int              `json:"covered"`
	Mean            *float64         `json:"mean_score"`
	PreviousCovered *int             `json:"previous_covered"`
	PreviousMean    *float64         `json:"previous_mean_score"`
	Weakest         []TacticCoverage `json:"weakest_tactics"`
	Definition      string           `json:"score_definition,omitempty"`
	Source          string           `json:"source"`
}

// IndustryRow is a published figure beside the organisation's.
type IndustryRow struct {
	Benchmark
	// KPI names the organisation's figure; Ours is its value in seconds
	// (null without data), Sample what it stands on.
	KPI    string   `json:"kpi"`
	Ours   *float64 `json:"ours_seconds"`
	Sample string   `json:"sample"`
}

// IndustrySection sets the organisation's MTTR and dwell time beside
// published figures, each with its source and year.
type IndustrySection struct {
	Section
	// MTTR and Dwell are the window's medians and means, in seconds.
	MTTRMedian  *float64      `json:"mttr_median_seconds"`
	MTTRMean    *float64      `json:"mttr_mean_seconds"`
	DwellMedian *float64      `json:"dwell_median_seconds"`
	DwellMean   *float64      `json:"dwell_mean_seconds"`
	Rows        []IndustryRow `json:"benchmarks"`
}

// compareKPIs are the KPIs a benchmark may be compared with.
var compareKPIs = map[string]metrics.KPI{"mttd": metrics.MTTD, "mtta": metrics.MTTA, "mttc": metrics.MTTC, "mttr": metrics.MTTR, "dwell": metrics.Dwell}

// industry sets the window's figures beside the benchmarks.
func industry(all *metrics.GroupResult, bs []Benchmark) IndustrySection {
	sec := IndustrySection{Rows: []IndustryRow{}}
	if len(bs) == 0 {
		sec.Absent = "No industry context: none is configured (report.industry)."
		return sec
	}
	if k := kpiOf(all, metrics.MTTR); k != nil {
		sec.MTTRMedian, sec.MTTRMean = k.Median, k.Mean
	}
	if k := kpiOf(all, metrics.Dwell); k != nil {
		sec.DwellMedian, sec.DwellMean = k.Median, k.Mean
	}
	for _, b := range bs {
		row := IndustryRow{Benchmark: b, KPI: strings.ToUpper(b.Compare)}
		if b.Compare == "dwell" {
			row.KPI = "dwell time"
		}
		row.KPI += " (" + b.Statistic + ")"
		if k := kpiOf(all, compareKPIs[b.Compare]); k != nil {
			row.Ours = k.Median
			if b.Statistic == "mean" {
				row.Ours = k.Mean
			}
			row.Sample = count(k.Count, "case") + " measured"
		}
		sec.Rows = append(sec.Rows, row)
	}
	return sec
}

// QueueCapacity is a queue's service level with today's roster.
type QueueCapacity struct {
	Queue        string  `json:"queue"`
	Target       float64 `json:"target_service_level"`
	ServiceLevel float64 `json:"service_level"`
	HoursBelow   int     `json:"hours_below_target"`
}

// StaffingSection is capacity against the staffing plan.
type StaffingSection struct {
	Section
	HistorySince time.Time `json:"history_since,omitzero"`
	HistoryUntil time.Time `json:"history_until,omitzero"`
	Analysts     int       `json:"analysts"`
	RosterFTE    float64   `json:"roster_fte"`
	PlanFTE      float64   `json:"plan_fte"`
	// ShortHours are the head-hours a week under the requirement, in
	// HoursShort hours of the week.
	ShortHours  float64         `json:"short_head_hours_per_week"`
	HoursShort  int             `json:"hours_short_per_week"`
	Queues      []QueueCapacity `json:"queues"`
	Assumptions int             `json:"assumptions"`
}

// BudgetSection is today's roster cost against the staffing plan's.
type BudgetSection struct {
	Section
	// Currency is "" when the budget configuration names none.
	Currency      string   `json:"currency"`
	RosterMonthly float64  `json:"roster_monthly"`
	RosterAnnual  float64  `json:"roster_annual"`
	PlanMonthly   float64  `json:"plan_monthly"`
	PlanAnnual    float64  `json:"plan_annual"`
	DeltaAnnual   float64  `json:"roster_minus_plan_annual"`
	Units         []Unit   `json:"unit_costs"`
	Sources       []string `json:"sources"`
	Notes         []string `json:"notes"`
}

// Unit is a unit cost with today's roster and with the plan.
type Unit struct {
	Name   string  `json:"name"`
	Roster float64 `json:"roster"`
	Plan   float64 `json:"plan"`
}

// NoisyRule is a detection rule by false positives. Name is untrusted
// text from the source.
type NoisyRule struct {
	Rule              string   `json:"rule"`
	Alerts            int64    `json:"alerts"`
	FalsePositives    int64    `json:"false_positives"`
	FalsePositiveRate *float64 `json:"false_positive_rate"`
	// Share is the rule's share of the window's false positives.
	Share *float64 `json:"share_of_false_positives"`
}

// Recommendation is an action the data argues for, in business language,
// with the numbers it rests on.
type Recommendation struct {
	Title    string   `json:"title"`
	Text     string   `json:"text"`
	Evidence []string `json:"evidence"`
}

// Executive is the executive summary of one window.
type Executive struct {
	Title       string    `json:"title"`
	Period      string    `json:"period"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	Previous    string    `json:"previous_window"`
	TimeZone    string    `json:"time_zone"`
	GeneratedAt time.Time `json:"generated_at"`
	// Now is the instant SLA clocks were judged at.
	Now   time.Time     `json:"now"`
	Basis metrics.Basis `json:"basis"`
	// PreviousPartial says why the previous period is not compared with,
	// when the data begins inside it ("" when it covers it all): a change
	// against a period the data covers in part would be an artefact.
	PreviousPartial string `json:"previous_partial,omitempty"`
	// Empty is set when the window holds no case and no alert.
	Empty    bool         `json:"empty"`
	Headline []Figure     `json:"headline"`
	Trend    []TrendPoint `json:"trend"`
	SLA      SLASection   `json:"sla"`
	// Industry sets the organisation's figures beside published ones.
	Industry IndustrySection `json:"industry_context"`
	// NoisyRules are the rules with the most false positives in the
	// window (at most 5), as "metrics rules --noisy" ranks them.
	NoisyRules []NoisyRule     `json:"noisy_rules"`
	Incidents  IncidentSection `json:"major_incidents"`
	Threats    ThreatSection   `json:"threat_landscape"`
	Coverage   CoverageSection `json:"detection_coverage"`
	Posture    PostureSection  `json:"posture"`
	Staffing   StaffingSection `json:"staffing"`
	Budget     BudgetSection   `json:"budget"`
	// Recommendations are derived from the figures above.
	Recommendations []Recommendation `json:"recommendations"`
	Definitions     []string         `json:"definitions"`
}

// CoverageAbsent is the line shown when no detection rule is known.
const CoverageAbsent = "No detection-coverage data: no detection rules are stored or imported (see watchfloor coverage import)."

// Executive builds the executive summary for a window.
func (s Sources) Executive(ctx context.Context, q Query) (*Executive, error) {
	tf, err := timeframe(q.Period)
	if err != nil {
		return nil, err
	}
	wq := metrics.WindowQuery{Timeframe: tf, From: q.From, To: q.To}
	perf, err := s.Metrics.Performance(ctx, metrics.PerformanceQuery{WindowQuery: wq, Trend: true, Series: true})
	if err != nil {
		return nil, fmt.Errorf("executive report: KPIs: %w", err)
	}
	win := metrics.WindowQuery{From: perf.From, To: perf.To}
	rules, err := s.Metrics.Rules(ctx, metrics.RulesQuery{WindowQuery: win})
	if err != nil {
		return nil, fmt.Errorf("executive report: alert volume: %w", err)
	}
	var prevRules *metrics.RuleReport
	if perf.Previous != nil {
		if prevRules, err = s.Metrics.Rules(ctx, metrics.RulesQuery{WindowQuery: metrics.WindowQuery{From: perf.Previous.From, To: perf.Previous.To}}); err != nil {
			return nil, fmt.Errorf("executive report: previous alert volume: %w", err)
		}
	}
	dash, err := s.Metrics.Dashboard(ctx)
	if err != nil {
		return nil, fmt.Errorf("executive report: backlog: %w", err)
	}
	period := periodOf[tf]
	if q.From != "" {
		period = "custom"
	}
	e := &Executive{Title: "Executive security operations summary", Period: period, From: perf.From, To: perf.To,
		TimeZone: perf.TimeZone, GeneratedAt: s.Metrics.Now(), Now: perf.Now, Basis: perf.Basis,
		Trend: []TrendPoint{}, Recommendations: []Recommendation{}}
	if perf.Previous != nil {
		e.Previous = perf.Previous.From + " to " + perf.Previous.To
		first, err := s.firstDay(ctx, perf)
		if err != nil {
			return nil, err
		}
		if first != "" {
			e.PreviousPartial = baselineNote(first, perf.Previous.To) + ", so changes against it are not shown"
		}
	}
	all := group(perf)
	e.Empty = all.Cases == 0 && rules.Alerts == 0
	var prevAll *metrics.GroupResult
	if perf.Previous != nil {
		prevAll = group(perf.Previous)
	}
	e.Headline = headline(all, prevAll, rules, prevRules, dash, s.Config.Targets)
	if e.Empty {
		// Nothing was created in the window: its counts are no data, not
		// zeros (the backlog is of the report's now, not of the window).
		for i := range e.Headline {
			if f := &e.Headline[i]; f.Unit == UnitCount && !f.PointInTime {
				f.Value = nil
			}
		}
	}
	e.NoisyRules = noisyRules(rules)
	e.Industry = industry(all, s.Config.Benchmarks())
	if err := s.trend(ctx, e, perf); err != nil {
		return nil, err
	}
	if e.SLA, err = s.slaSection(ctx, perf, all, dash); err != nil {
		return nil, err
	}
	if e.Incidents, err = s.incidents(ctx, perf); err != nil {
		return nil, err
	}
	if e.Threats, err = s.threats(ctx, perf); err != nil {
		return nil, err
	}
	if e.Coverage, err = s.coverage(ctx, perf); err != nil {
		return nil, err
	}
	if e.Posture, err = s.posture(ctx, perf); err != nil {
		return nil, err
	}
	// The staffing section and the budget model the same workload: its
	// history is read once for both.
	hist := sharedHistory{staffing.Memo(s.Store), s.Store}
	if e.Staffing, err = s.staffing(ctx, hist); err != nil {
		return nil, err
	}
	if e.Budget, err = s.budget(ctx, hist); err != nil {
		return nil, err
	}
	e.Recommendations = recommend(e, rules)
	e.Definitions = []string{metrics.Cohort, metrics.SLADefinition, metrics.FPDefinition, metrics.NoDataDefinition,
		"medians are within 1 % relative error (quantile sketches); counts and means are exact"}
	return e, nil
}

// group is a report's all-cases group.
func group(r *metrics.Report) *metrics.GroupResult {
	for i := range r.Groups {
		if r.Groups[i].Group == "all" {
			return &r.Groups[i]
		}
	}
	return &metrics.GroupResult{Group: "all"}
}

// kpiOf finds a KPI's summary in a group (nil group: none).
func kpiOf(g *metrics.GroupResult, k metrics.KPI) *metrics.Summary {
	if g == nil {
		return nil
	}
	for i := range g.KPIs {
		if g.KPIs[i].KPI == k {
			return &g.KPIs[i]
		}
	}
	return nil
}

func fptr(v float64) *float64 { return &v }

func iptr(n int64) *float64 { return fptr(float64(n)) }

const perfSource = "watchfloor metrics soc --performance --trend-analysis -o json"

// headline is the headline figures.
func headline(all, prev *metrics.GroupResult, rules, prevRules *metrics.RuleReport, dash *metrics.Dashboard, t Targets) []Figure {
	var out []Figure
	durations := []struct {
		k      metrics.KPI
		name   string
		target *Duration
	}{{metrics.MTTD, "MTTD (median)", t.MTTD}, {metrics.MTTA, "MTTA (median)", t.MTTA},
		{metrics.MTTC, "MTTC (median)", t.MTTC}, {metrics.MTTR, "MTTR (median)", t.MTTR}}
	for _, d := range durations {
		s := kpiOf(all, d.k)
		f := Figure{Key: string(d.k) + "_median", Name: d.name, Unit: UnitSeconds, LowerIsBetter: true, Target: d.target.seconds(),
			Definition: metrics.Definitions[d.k] + "; median of the cases measured",
			Source:     perfSource + ": groups[all].kpis[" + string(d.k) + "].median_seconds"}
		if s != nil {
			f.Value = s.Median
			f.Sample = fmt.Sprintf("%s measured, %s open", count(s.Count, "case"), thousands(s.Open))
		}
		if p := kpiOf(prev, d.k); p != nil {
			f.Previous = p.Median
		}
		out = append(out, f)
	}
	for _, c := range []struct {
		key, name, clock string
		pick             func(g *metrics.GroupResult) metrics.SLAResult
	}{
		{"sla_acknowledge", "SLA adherence, acknowledge", "acknowledge", func(g *metrics.GroupResult) metrics.SLAResult { return g.SLAAcknowledge }},
		{"sla_resolve", "SLA adherence, resolve", "resolve", func(g *metrics.GroupResult) metrics.SLAResult { return g.SLAResolve }},
	} {
		r := c.pick(all)
		f := Figure{Key: c.key, Name: c.name, Unit: UnitRatio, Value: r.Adherence, Target: t.SLAAdherence,
			Sample: fmt.Sprintf("%s met, %s breached (%s still open: in flight), %s open within target",
				thousands(r.Met), thousands(r.Breached), thousands(r.BreachedOpen), thousands(r.Open)),
			Definition: "met ÷ (met + breached) of the " + c.clock + " clocks of the window's cases; breached includes open cases already past their target",
			Source:     perfSource + ": groups[all].sla_" + c.clock + ".adherence"}
		if prev != nil {
			f.Previous = c.pick(prev).Adherence
		}
		out = append(out, f)
	}
	inflight := Figure{Key: "sla_breaches_in_flight", Name: "SLA breaches in flight", Unit: UnitCount, LowerIsBetter: true,
		Value:      iptr(all.SLAAcknowledge.BreachedOpen + all.SLAResolve.BreachedOpen),
		Sample:     fmt.Sprintf("%s acknowledge, %s resolve clocks of the window's cases", thousands(all.SLAAcknowledge.BreachedOpen), thousands(all.SLAResolve.BreachedOpen)),
		Definition: "open clocks of the window's cases already past their target, judged at the report's now",
		Source:     perfSource + ": groups[all].sla_acknowledge.breached_open + groups[all].sla_resolve.breached_open"}
	if prev != nil {
		inflight.Previous = iptr(prev.SLAAcknowledge.BreachedOpen + prev.SLAResolve.BreachedOpen)
	}
	// No clock judged (no SLA policy applies): no data, not 0 breaches.
	unjudged := func(g *metrics.GroupResult) bool {
		return g.SLAAcknowledge.Adherence == nil && g.SLAResolve.Adherence == nil && g.SLAAcknowledge.BreachedOpen+g.SLAResolve.BreachedOpen == 0
	}
	if unjudged(all) {
		inflight.Value, inflight.Sample = nil, "no SLA clock was judged"
	}
	if prev != nil && unjudged(prev) {
		inflight.Previous = nil
	}
	out = append(out, inflight)
	cases := Figure{Key: "cases", Name: "Cases opened", Unit: UnitCount, Value: iptr(all.Cases),
		Sample:     fmt.Sprintf("%s tests and drills excluded from the KPIs", thousands(all.Excluded)),
		Definition: "cases created in the window (tests and drills included in the count)",
		Source:     perfSource + ": groups[all].cases"}
	if prev != nil {
		cases.Previous = iptr(prev.Cases)
	}
	out = append(out, cases)
	out = append(out, Figure{Key: "backlog", Name: "Backlog (open cases now)", Unit: UnitCount, LowerIsBetter: true, PointInTime: true,
		Value:      fptr(float64(dash.Open)),
		Sample:     fmt.Sprintf("%s past an SLA target, %s at risk, as of %s", count(int64(len(dash.Breached)), "clock"), thousands(int64(len(dash.AtRisk))), dash.Now.UTC().Format("2006-01-02 15:04Z")),
		Definition: "cases not resolved or closed at the report's now, whenever they were created",
		Source:     "watchfloor monitor operations --soc-dashboard -o json: open"})
	alerts := Figure{Key: "alerts", Name: "Alert volume", Unit: UnitCount, Value: iptr(rules.Alerts),
		Sample:     "from " + count(int64(len(rules.BySource)), "source"),
		Definition: "alerts created in the window",
		Source:     "watchfloor metrics rules --noisy -o json: alerts"}
	if prevRules != nil {
		alerts.Previous = iptr(prevRules.Alerts)
	}
	out = append(out, alerts)
	fp := Figure{Key: "false_positive_rate", Name: "False-positive rate", Unit: UnitRatio, LowerIsBetter: true,
		Value: rules.FalsePositiveRate, Target: t.FalsePositiveRate,
		Sample:     fmt.Sprintf("%s false positives of %s alerts with a verdict", thousands(rules.FalsePositives), thousands(rules.Judged)),
		Definition: metrics.FPDefinition,
		Source:     "watchfloor metrics rules --noisy -o json: false_positive_rate"}
	if prevRules != nil {
		fp.Previous = prevRules.FalsePositiveRate
	}
	out = append(out, fp)
	return out
}

// trend fills the trend points: the series' cases, MTTR, MTTA and resolve
// adherence, and each period's alerts.
func (s Sources) trend(ctx context.Context, e *Executive, perf *metrics.Report) error {
	for _, p := range perf.Series {
		rr, err := s.Metrics.Rules(ctx, metrics.RulesQuery{WindowQuery: metrics.WindowQuery{From: p.From, To: p.To}})
		if err != nil {
			return fmt.Errorf("executive report: alerts of %s: %w", p.Period, err)
		}
		tp := TrendPoint{Period: p.Period, From: p.From, To: p.To, Partial: p.Partial, Cases: p.Result.Cases, Alerts: rr.Alerts,
			SLAResolve: p.Result.SLAResolve.Adherence}
		if k := kpiOf(&p.Result, metrics.MTTR); k != nil {
			tp.MTTR = k.Median
		}
		if k := kpiOf(&p.Result, metrics.MTTA); k != nil {
			tp.MTTA = k.Median
		}
		if len(e.Trend) == 0 && tp.Cases == 0 && tp.Alerts == 0 {
			continue // before the data begins: not a period of zeros
		}
		e.Trend = append(e.Trend, tp)
	}
	return nil
}

// breachGroups is a grouped report's breaches, most first.
func breachGroups(r *metrics.Report) []BreachGroup {
	out := []BreachGroup{}
	for _, g := range r.Groups {
		b := BreachGroup{Group: g.Group, Breached: g.SLAAcknowledge.Breached + g.SLAResolve.Breached,
			InFlight: g.SLAAcknowledge.BreachedOpen + g.SLAResolve.BreachedOpen, Resolve: g.SLAResolve.Adherence}
		if b.Breached > 0 {
			out = append(out, b)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Breached > out[j].Breached })
	return out
}

// slaSection reads the window's adherence, its breaches by priority and
// team, and the open cases past a target now.
func (s Sources) slaSection(ctx context.Context, perf *metrics.Report, all *metrics.GroupResult, dash *metrics.Dashboard) (SLASection, error) {
	sec := SLASection{Definition: metrics.SLADefinition, Policies: perf.SLAPolicies, Acknowledge: all.SLAAcknowledge, Resolve: all.SLAResolve,
		ByPriority: []BreachGroup{}, ByTeam: []BreachGroup{}, NowByStage: map[string]int{}, MostOverdue: []BreachItem{}}
	if len(perf.SLAPolicies) == 0 {
		sec.Absent = "No SLA data: no SLA policy is stored, so adherence is not measured."
		return sec, nil
	}
	win := metrics.WindowQuery{From: perf.From, To: perf.To}
	for _, gb := range []struct {
		by  string
		dst *[]BreachGroup
	}{{metrics.ByPriority, &sec.ByPriority}, {metrics.ByTeam, &sec.ByTeam}} {
		r, err := s.Metrics.Performance(ctx, metrics.PerformanceQuery{WindowQuery: win, GroupBy: gb.by})
		if err != nil {
			return sec, fmt.Errorf("executive report: SLA by %s: %w", gb.by, err)
		}
		*gb.dst = breachGroups(r)
	}
	sec.NowBreached = len(dash.Breached)
	for _, b := range dash.Breached {
		sec.NowByStage[b.Stage]++
		if b.Assignee == "" {
			sec.NowUnassigned++
		}
	}
	items := append([]metrics.SLAItem(nil), dash.Breached...)
	sort.SliceStable(items, func(i, j int) bool { return items[i].Overdue > items[j].Overdue })
	for _, b := range items[:min(5, len(items))] {
		sec.MostOverdue = append(sec.MostOverdue, BreachItem{Case: b.Source + "/" + b.ExternalID, Title: b.Title, Priority: b.Priority,
			Stage: b.Stage, Assignee: b.Assignee, Clock: b.Clock, Overdue: b.Overdue})
	}
	return sec, nil
}

// incidents lists the major incidents active in the window: declared
// before its end and not closed before its start.
func (s Sources) incidents(ctx context.Context, perf *metrics.Report) (IncidentSection, error) {
	sec := IncidentSection{Incidents: []IncidentImpact{}}
	if s.Crisis == nil {
		sec.Absent = "No major-incident data: the major-incident service is not available here."
		return sec, nil
	}
	from, to, err := windowBounds(perf)
	if err != nil {
		return sec, err
	}
	list, err := s.Crisis.List(ctx, false, 0)
	if err != nil {
		return sec, fmt.Errorf("executive report: major incidents: %w", err)
	}
	now := perf.Now
	for _, it := range list {
		if it.ClosedAt == nil {
			sec.Open++
		}
		if !it.DeclaredAt.Before(to) || (it.ClosedAt != nil && it.ClosedAt.Before(from)) {
			continue
		}
		if !it.DeclaredAt.Before(from) {
			sec.Declared++
		}
		st, err := s.Crisis.Status(ctx, it.Ref)
		if err != nil {
			return sec, fmt.Errorf("executive report: major incident %s: %w", it.Ref, err)
		}
		end := now
		if it.ClosedAt != nil {
			end = *it.ClosedAt
		}
		sec.CostDefinition = st.Cost.Definition
		sec.Incidents = append(sec.Incidents, IncidentImpact{Ref: it.Ref, Title: it.Title, Severity: it.Severity, Status: string(it.Status),
			DeclaredAt: it.DeclaredAt, ClosedAt: it.ClosedAt, Hours: end.Sub(it.DeclaredAt).Hours(), Cases: it.Cases,
			Regimes: st.Regimes, ClocksOverdue: it.ClocksOverdue, ClocksAtRisk: it.ClocksAtRisk,
			PeopleHours: st.Cost.Hours, Cost: st.Cost.Total, Currency: st.Cost.Currency})
	}
	if len(sec.Incidents) == 0 {
		sec.Absent = "No major incident was declared or open in this period."
	}
	return sec, nil
}

// windowBounds are the instants a report's window starts and ends.
func windowBounds(r *metrics.Report) (time.Time, time.Time, error) {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("executive report: time zone %q: %w", r.TimeZone, err)
	}
	from, err := time.ParseInLocation(time.DateOnly, r.From, loc)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	to, err := time.ParseInLocation(time.DateOnly, r.To, loc)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return from, to.AddDate(0, 0, 1), nil
}

// threats ranks the threat profiles over the window's days (the window
// ending its last day) and lists the indicators that matched its alerts.
func (s Sources) threats(ctx context.Context, perf *metrics.Report) (ThreatSection, error) {
	sec := ThreatSection{Profiles: []ThreatProfile{}, Matches: []ThreatMatch{}}
	from, to, err := windowBounds(perf)
	if err != nil {
		return sec, err
	}
	days := int(to.Sub(from).Hours()/24 + 0.5)
	sec.Days = days
	end := to.Add(-time.Second)
	isvc := &intel.Service{Store: s.Store, Engine: s.Metrics.Engine(), Now: func() time.Time { return end }}
	rk, err := isvc.Rank(ctx, intel.RankQuery{Days: days, Relevant: true, Limit: 5})
	if err != nil {
		return sec, fmt.Errorf("executive report: threat profiles: %w", err)
	}
	sec.Relevant, sec.Definition = rk.Total, rk.Definition
	for _, p := range rk.Profiles {
		tp := ThreatProfile{ID: p.ID, Name: p.Name, Kind: p.Kind, Score: p.Score, MatchedIndicators: p.MatchedIndicators,
			MatchedAlerts: p.MatchedAlerts, Reasons: []string{}}
		for _, r := range p.Reasons[:min(3, len(p.Reasons))] {
			tp.Reasons = append(tp.Reasons, r.Text)
		}
		sec.Profiles = append(sec.Profiles, tp)
	}
	page, err := isvc.Matches(ctx, store.MatchQuery{Since: from, Until: to, Limit: 5, Detail: 1})
	if err != nil {
		return sec, fmt.Errorf("executive report: intelligence matches: %w", err)
	}
	sec.MatchedIndicators = page.Total
	for _, m := range page.Rows {
		sec.Matches = append(sec.Matches, ThreatMatch{Type: m.Indicator.Type, Value: m.Indicator.Value, Source: m.Indicator.Source,
			Confidence: m.Indicator.Confidence, Alerts: m.Alerts, LastSeen: m.LastSeen})
	}
	if sec.Relevant == 0 && sec.MatchedIndicators == 0 {
		sec.Absent = "No threat-landscape data: no threat profile scored as relevant and no intelligence indicator matched an alert in this period."
	}
	return sec, nil
}

// staffing compares today's roster with the staffing plan (sized from the
// history the staffing configuration names, not simulated).
func (s Sources) staffing(ctx context.Context, hist staffing.History) (StaffingSection, error) {
	sec := StaffingSection{Queues: []QueueCapacity{}}
	w, err := staffing.Model(ctx, hist, s.Staffing)
	if err != nil {
		return sec, fmt.Errorf("executive report: staffing model: %w", err)
	}
	if len(w.Queues) == 0 {
		sec.Absent = "No staffing data: no cases or alerts in the staffing history window to plan from."
		return sec, nil
	}
	p, err := staffing.Build(w, s.Staffing, staffing.Options{})
	if err != nil {
		if errors.Is(err, staffing.ErrNoWorkload) {
			sec.Absent = "No staffing data: " + err.Error() + "."
			return sec, nil
		}
		return sec, fmt.Errorf("executive report: staffing plan: %w", err)
	}
	sec.HistorySince, sec.HistoryUntil, sec.PlanFTE, sec.Assumptions = p.HistorySince, p.HistoryUntil, p.FTE, len(p.Assumptions)
	if p.Current == nil || p.Current.Analysts == 0 {
		sec.Absent = "No staffing data: no active analysts on the roster to compare with the plan."
		return sec, nil
	}
	c := p.Current
	sec.Analysts, sec.RosterFTE, sec.ShortHours, sec.HoursShort = c.Analysts, c.ExpectedFTE, c.ShortHours, c.HoursShort
	for _, q := range c.Queues {
		sec.Queues = append(sec.Queues, QueueCapacity{Queue: q.Queue, Target: q.TargetServiceLevel, ServiceLevel: q.ServiceLevel, HoursBelow: q.HoursBelowTarget})
	}
	return sec, nil
}

// budget prices today's roster and the staffing plan (no scenarios).
// sharedHistory is the store's staffing history read once (staffing.Memo)
// for the staffing section and the budget.
type sharedHistory struct {
	staffing.History
	st *store.Store
}

func (h sharedHistory) WorkloadCaseCounts(ctx context.Context, since, until time.Time) (store.CaseCounts, error) {
	return h.st.WorkloadCaseCounts(ctx, since, until)
}

func (s Sources) budget(ctx context.Context, hist budget.History) (BudgetSection, error) {
	sec := BudgetSection{Units: []Unit{}, Sources: []string{}, Notes: []string{}}
	var bcfg budget.Config
	if s.Budget != nil {
		bcfg = *s.Budget
	}
	bcfg.Scenarios = nil
	bcfg, fromInventory, err := tech.BudgetWithInventory(ctx, s.Store, bcfg)
	if err != nil {
		return sec, err
	}
	p, err := budget.Build(ctx, hist, s.Staffing, bcfg, nil)
	if err == nil && len(fromInventory) > 0 {
		p.Notes = append(p.Notes, tech.InventoryNote(fromInventory))
	}
	if err != nil {
		if ctx.Err() != nil {
			return sec, ctx.Err()
		}
		if errors.Is(err, staffing.ErrNoWorkload) {
			sec.Absent = "No budget data: no workload in the staffing history window to cost."
			return sec, nil
		}
		sec.Absent = "No budget data: " + err.Error() + "."
		return sec, nil
	}
	if len(p.Columns) < 2 {
		sec.Absent = "No budget data: the cost model priced neither today's roster nor the plan."
		return sec, nil
	}
	r, pl := p.Columns[0], p.Columns[1]
	sec.Currency, sec.RosterMonthly, sec.RosterAnnual, sec.PlanMonthly, sec.PlanAnnual = p.Currency, r.Monthly, r.Annual, pl.Monthly, pl.Annual
	if sec.Currency == budget.NoCurrency {
		sec.Currency = ""
	}
	sec.DeltaAnnual = r.Annual - pl.Annual
	sec.Sources = append(sec.Sources, p.Sources...)
	sec.Notes = append(sec.Notes, p.Notes...)
	for _, u := range p.Units {
		if len(u.Cost) >= 2 {
			sec.Units = append(sec.Units, Unit{Name: u.Name, Roster: u.Cost[0], Plan: u.Cost[1]})
		}
	}
	if r.Annual == 0 && pl.Annual == 0 {
		sec.Absent = "No budget data: no staff, tool or service costs are configured or on the roster."
	}
	return sec, nil
}

// noisyRules are the window's rules with false positives, noisiest first.
func noisyRules(r *metrics.RuleReport) []NoisyRule {
	out := []NoisyRule{}
	for _, rr := range r.Rules {
		if len(out) == 5 || rr.FalsePositives == 0 {
			break
		}
		name := rr.RuleName
		if name == "" {
			name = rr.Source + "/" + rr.RuleID
		}
		out = append(out, NoisyRule{Rule: name, Alerts: rr.Alerts, FalsePositives: rr.FalsePositives,
			FalsePositiveRate: rr.FalsePositiveRate, Share: metrics.Ratio(rr.FalsePositives, r.FalsePositives)})
	}
	return out
}

// coverage scores the ATT&CK techniques over the window and the previous
// one, as "watchfloor coverage show" does.
func (s Sources) coverage(ctx context.Context, perf *metrics.Report) (CoverageSection, error) {
	sec := CoverageSection{Weakest: []TacticCoverage{}, Source: "watchfloor coverage show --from FROM --to TO -o json"}
	svc := coverage.NewService(s.Store, s.Metrics)
	r, err := svc.Report(ctx, coverage.Query{WindowQuery: metrics.WindowQuery{From: perf.From, To: perf.To}})
	if err != nil {
		return sec, fmt.Errorf("executive report: detection coverage: %w", err)
	}
	if r.Rules == 0 {
		sec.Absent = CoverageAbsent
		return sec, nil
	}
	sum := coverage.Summarize(r)
	sec.Window, sec.Rules, sec.Active, sec.FiredRules, sec.Definition = r.Window, r.Rules, r.Active, r.FiredRules, r.Definition
	sec.Techniques, sec.Covered, sec.Mean = sum.Techniques, sum.Covered, sum.Mean
	if perf.Previous != nil {
		pr, err := svc.Report(ctx, coverage.Query{WindowQuery: metrics.WindowQuery{From: perf.Previous.From, To: perf.Previous.To}})
		if err != nil {
			return sec, fmt.Errorf("executive report: previous detection coverage: %w", err)
		}
		ps := coverage.Summarize(pr)
		sec.PreviousCovered, sec.PreviousMean = &ps.Covered, ps.Mean
	}
	tactics := append([]coverage.Tactic(nil), r.Tactics...)
	share := func(t coverage.Tactic) float64 {
		if t.Techniques == 0 {
			return 1
		}
		return float64(t.Covered) / float64(t.Techniques)
	}
	sort.SliceStable(tactics, func(i, j int) bool { return share(tactics[i]) < share(tactics[j]) })
	for _, t := range tactics[:min(3, len(tactics))] {
		sec.Weakest = append(sec.Weakest, TacticCoverage{Tactic: t.Name, Techniques: t.Techniques, Covered: t.Covered, Mean: t.Mean})
	}
	return sec, nil
}

// firstDay is the day of the store's first alert or case when it came
// after the previous period began ("" otherwise): a previous period the
// data covers in part is no baseline.
func (s Sources) firstDay(ctx context.Context, perf *metrics.Report) (string, error) {
	first, _, err := s.Store.WorkloadSpan(ctx)
	if err != nil {
		return "", fmt.Errorf("executive report: the data's first day: %w", err)
	}
	loc, err := time.LoadLocation(perf.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	if first.IsZero() {
		return "", nil
	}
	if day := first.In(loc).Format(time.DateOnly); day > perf.Previous.From {
		return day, nil
	}
	return "", nil
}

// baselineNote says where the data's first day falls against a previous
// window that ends on prevTo.
func baselineNote(first, prevTo string) string {
	if first > prevTo {
		return "the data begins on " + first + ", after the previous period"
	}
	return "the data begins on " + first + ", inside the previous period"
}
