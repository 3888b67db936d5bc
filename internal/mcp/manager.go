package mcp

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// DashboardIn are get_soc_dashboard's arguments.
type DashboardIn struct {
	MaxItems int `json:"max_items,omitempty" jsonschema:"cases per list (unassigned critical, SLA at risk, breached, oldest), default 10, at most 50"`
}

// QueueCell is the open work of one priority in one stage.
type QueueCell struct {
	Priority      string         `json:"priority"`
	Stage         string         `json:"stage"`
	Count         int            `json:"count"`
	ByAge         map[string]int `json:"by_age" jsonschema:"counts by age bucket: <1h, 1-4h, 4-24h, 1-7d, >7d"`
	OldestSeconds float64        `json:"oldest_age_seconds"`
}

// QueueItem is one open case in a dashboard list.
type QueueItem struct {
	CaseID     string  `json:"case_id"`
	Source     string  `json:"source"`
	ExternalID string  `json:"external_id"`
	Title      Text    `json:"title"`
	Priority   string  `json:"priority"`
	Stage      string  `json:"stage"`
	Assignee   string  `json:"assignee"`
	AgeSeconds float64 `json:"age_seconds"`
}

// SLAItem is an open case whose SLA clock is at risk or overdue.
type SLAItem struct {
	QueueItem
	Clock            string  `json:"clock" jsonschema:"acknowledge or resolve"`
	Status           string  `json:"status" jsonschema:"at_risk or overdue"`
	TargetSeconds    float64 `json:"target_seconds"`
	ElapsedSeconds   float64 `json:"elapsed_seconds"`
	RemainingSeconds float64 `json:"remaining_seconds"`
	OverdueSeconds   float64 `json:"overdue_seconds"`
	Policy           string  `json:"policy"`
}

// DashboardOut is get_soc_dashboard's answer.
type DashboardOut struct {
	Now                  string                `json:"now"`
	TimeZone             string                `json:"time_zone"`
	Open                 int                   `json:"open"`
	Queue                []QueueCell           `json:"queue"`
	UnassignedByPriority map[string]int        `json:"unassigned_by_priority"`
	UnassignedCritical   []QueueItem           `json:"unassigned_critical"`
	UnassignedCritTotal  int                   `json:"unassigned_critical_total"`
	AtRisk               []SLAItem             `json:"sla_at_risk"`
	AtRiskTotal          int                   `json:"sla_at_risk_total"`
	Breached             []SLAItem             `json:"sla_breached"`
	BreachedTotal        int                   `json:"sla_breached_total"`
	Oldest               []QueueItem           `json:"oldest"`
	Analysts             []metrics.AnalystLoad `json:"analysts" jsonschema:"the max_items most loaded analysts"`
	AnalystsTotal        int                   `json:"analysts_total"`
	Inflow               metrics.Inflow        `json:"inflow"`
	metrics.Basis
}

// MetricsIn are get_soc_metrics's arguments. The enums of timeframe and
// group_by in the tool's schema come from package metrics (see
// metricsInSchema).
type MetricsIn struct {
	Timeframe    string `json:"timeframe,omitempty" jsonschema:"daily, weekly (default), monthly (30 days) or quarterly (90 days), ending today, or with the day of the newest data when it is older"`
	GroupBy      string `json:"group_by,omitempty" jsonschema:"how to group the cases; empty for all cases"`
	Trend        bool   `json:"trend,omitempty" jsonschema:"add the previous window and a series of the last 8 periods"`
	IncludeTests bool   `json:"include_tests,omitempty" jsonschema:"count test and drill cases"`
	WindowArgs
}

// MetricsOut is get_soc_metrics's answer.
type MetricsOut struct {
	Window         string                `json:"window"`
	From           string                `json:"from"`
	To             string                `json:"to" jsonschema:"last day included"`
	TimeZone       string                `json:"time_zone"`
	Cohort         string                `json:"cohort"`
	GroupBy        string                `json:"group_by"`
	Groups         []metrics.GroupResult `json:"groups"`
	PreviousWindow string                `json:"previous_window"`
	Previous       []metrics.GroupResult `json:"previous_groups"`
	Series         []metrics.Period      `json:"series"`
	// Now is when running SLA clocks were judged; the basis says how
	// fresh the data is and which SLA policy versions judged it.
	Now       time.Time `json:"now"`
	KPIWindow KPIWindow `json:"kpi_window"`
	metrics.Basis
}

// BreachesIn are list_sla_breaches's arguments.
type BreachesIn struct {
	IncludeAtRisk bool   `json:"include_at_risk,omitempty" jsonschema:"also list clocks at risk (past 80% of the target)"`
	MaxResults    int    `json:"max_results,omitempty" jsonschema:"items per page, default 20, at most 100"`
	NextPageToken string `json:"next_page_token,omitempty"`
	// With from and to: the SLA outcomes of the cases created in the
	// window, and the open clocks of those cases only.
	WindowArgs
}

// WindowSLA is the SLA outcome of one priority's cases created in a
// window: met, breached (closed late or overdue now), running.
type WindowSLA struct {
	Priority    string            `json:"priority"`
	Cases       int64             `json:"cases"`
	Acknowledge metrics.SLAResult `json:"sla_acknowledge"`
	Resolve     metrics.SLAResult `json:"sla_resolve"`
}

// BreachesOut is list_sla_breaches's answer: open cases whose SLA clocks
// are overdue (most overdue first), then at risk (least time left first).
type BreachesOut struct {
	Now           string      `json:"now"`
	KPIWindow     *KPIWindow  `json:"kpi_window,omitempty" jsonschema:"with from and to: the window of case creation"`
	WindowSLA     []WindowSLA `json:"window_sla,omitempty" jsonschema:"with from and to: per priority, the SLA outcomes of the cases created in the window (closed ones included)"`
	Breached      int         `json:"breached_total"`
	AtRisk        int         `json:"at_risk_total"`
	Items         []SLAItem   `json:"items"`
	NextPageToken string      `json:"next_page_token"`
	Truncated     bool        `json:"truncated" jsonschema:"true when the answer's size budget cut this page short; next_page_token continues after the last row returned"`
}

// WorkloadIn are get_analyst_workload's arguments.
type WorkloadIn struct {
	MaxAnalysts   int    `json:"max_analysts,omitempty" jsonschema:"analysts per page, default 25, at most 200"`
	OnShiftOnly   bool   `json:"on_shift_only,omitempty" jsonschema:"list only analysts on shift now"`
	NextPageToken string `json:"next_page_token,omitempty"`
	// With from and to: each listed analyst's cases created in the window.
	WindowArgs
}

// WindowLoad is an analyst's work among the cases created in a window.
type WindowLoad struct {
	Analyst          string   `json:"analyst"`
	Cases            int64    `json:"cases" jsonschema:"cases created in the window now assigned to the analyst"`
	Done             int64    `json:"done" jsonschema:"of them resolved or closed"`
	MTTRMedian       *float64 `json:"mttr_median_seconds"`
	ResolveMet       int64    `json:"sla_resolve_met"`
	ResolveBreached  int64    `json:"sla_resolve_breached"`
	ResolveAdherence *float64 `json:"sla_resolve_adherence"`
}

// WorkloadOut is get_analyst_workload's answer.
type WorkloadOut struct {
	Now                  string                `json:"now"`
	Open                 int                   `json:"open"`
	Assigned             int                   `json:"assigned"`
	UnassignedByPriority map[string]int        `json:"unassigned_by_priority"`
	AnalystsOnShift      int                   `json:"analysts_on_shift"`
	Analysts             []metrics.AnalystLoad `json:"analysts" jsonschema:"most loaded first; active roster members with no open work are included"`
	AnalystsTotal        int                   `json:"analysts_total"`
	NextPageToken        string                `json:"next_page_token"`
	Truncated            bool                  `json:"truncated" jsonschema:"true when the answer's size budget cut this page short; next_page_token continues after the last row returned"`
	KPIWindow            *KPIWindow            `json:"kpi_window,omitempty" jsonschema:"with from and to: the window of case creation"`
	Window               []WindowLoad          `json:"window_by_analyst,omitempty" jsonschema:"with from and to: the listed analysts' cases created in the window"`
}

// NoisyRulesIn are get_noisy_rules's arguments.
type NoisyRulesIn struct {
	Timeframe string `json:"timeframe,omitempty" jsonschema:"daily, weekly (default), monthly or quarterly, ending today, or with the day of the newest data when it is older"`
	MaxRules  int    `json:"max_rules,omitempty" jsonschema:"rules to return, default 10, at most 100"`
	WindowArgs
}

// NoisyRulesOut is get_noisy_rules's answer.
type NoisyRulesOut struct {
	Window         string               `json:"window"`
	Alerts         int64                `json:"alerts"`
	ConversionRate *float64             `json:"case_conversion_rate" jsonschema:"alerts in a case ÷ alerts; null without alerts"`
	Definition     string               `json:"false_positive_definition"`
	HoursDef       string               `json:"analyst_hours_definition"`
	RulesTotal     int                  `json:"rules_total"`
	Rules          []metrics.RuleResult `json:"rules" jsonschema:"noisiest first: most false positives, then volume"`
	KPIWindow      KPIWindow            `json:"kpi_window"`
	metrics.Basis
}

func (s *server) addManagerTools(srv *sdk.Server) {
	sdk.AddTool(srv, &sdk.Tool{Name: "get_soc_dashboard", Annotations: readOnly("SOC dashboard"),
		Description: "Live queue state: open work by priority, stage and age; SLA at risk and breached; unassigned critical work; analyst load; alert inflow vs. staff on shift."},
		s.dashboard)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_soc_metrics", Annotations: readOnly("SOC metrics"), InputSchema: MetricsInSchema(),
		Description: "MTTD, MTTA, MTTC, MTTR, dwell time, SLA adherence (breaches in flight counted), volumes, dispositions, reopen and escalation rates for the cases created in a window; optional grouping and trend. Figures without data are null."},
		s.metrics)
	sdk.AddTool(srv, &sdk.Tool{Name: "list_sla_breaches", Annotations: readOnly("SLA breaches"),
		Description: "Open cases whose SLA clock (acknowledge or resolve) is overdue, optionally also those at risk; paged."},
		s.breaches)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_analyst_workload", Annotations: readOnly("Analyst workload"),
		Description: "Open cases per analyst (critical ones apart), who is on shift, and unassigned work by priority."},
		s.workload)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_noisy_rules", Annotations: readOnly("Noisy rules"),
		Description: "Detection rules ranked by false positives then volume over a window, with false-positive rate, verdicts and case conversion."},
		s.noisyRules)
}

func queueItem(it metrics.Item) QueueItem {
	return QueueItem{CaseID: strconv.FormatInt(it.CaseID, 10), Source: it.Source, ExternalID: it.ExternalID,
		Title: untrusted(it.Title, shortText), Priority: it.Priority, Stage: it.Stage, Assignee: it.Assignee, AgeSeconds: it.Age}
}

func slaItem(it metrics.SLAItem) SLAItem {
	return SLAItem{QueueItem: queueItem(it.Item), Clock: it.Clock, Status: it.Status, TargetSeconds: it.Target,
		ElapsedSeconds: it.Elapsed, RemainingSeconds: it.Remaining, OverdueSeconds: it.Overdue, Policy: it.Policy}
}

func queueItems(in []metrics.Item, n int) []QueueItem {
	out := []QueueItem{}
	for _, it := range in[:min(n, len(in))] {
		out = append(out, queueItem(it))
	}
	return out
}

func slaItems(in []metrics.SLAItem, n int) []SLAItem {
	out := []SLAItem{}
	for _, it := range in[:min(n, len(in))] {
		out = append(out, slaItem(it))
	}
	return out
}

func (s *server) dashboard(ctx context.Context, _ *sdk.CallToolRequest, in DashboardIn) (*sdk.CallToolResult, DashboardOut, error) {
	n := pageSize(in.MaxItems, 10, 50)
	d, err := s.svc.Dashboard(ctx)
	if err != nil {
		return nil, DashboardOut{}, err
	}
	out := DashboardOut{Now: ts(d.Now), TimeZone: d.TimeZone, Open: d.Open, Queue: []QueueCell{},
		UnassignedByPriority: d.Unassigned, UnassignedCritical: queueItems(d.UnassignedCritical, n),
		UnassignedCritTotal: len(d.UnassignedCritical), AtRisk: slaItems(d.AtRisk, n), AtRiskTotal: len(d.AtRisk),
		Breached: slaItems(d.Breached, n), BreachedTotal: len(d.Breached), Oldest: queueItems(d.Oldest, n),
		Analysts: append([]metrics.AnalystLoad{}, d.Analysts[:min(n, len(d.Analysts))]...), AnalystsTotal: len(d.Analysts), Inflow: d.Inflow,
		Basis: d.Basis}
	if out.UnassignedByPriority == nil {
		out.UnassignedByPriority = map[string]int{}
	}
	for _, c := range d.Queue {
		cell := QueueCell{Priority: c.Priority, Stage: c.Stage, Count: c.Count, ByAge: map[string]int{}, OldestSeconds: c.Oldest}
		for i, l := range metrics.AgeLabels {
			cell.ByAge[l] = c.ByAge[i]
		}
		out.Queue = append(out.Queue, cell)
	}
	return nil, out, nil
}

// MetricsInSchema is get_soc_metrics's input schema, with the enums of
// timeframe and group_by taken from package metrics, as the OpenAPI
// document's are.
func MetricsInSchema() *jsonschema.Schema {
	sch, err := jsonschema.For[MetricsIn](nil)
	if err != nil {
		panic("mcp: schema of MetricsIn: " + err.Error())
	}
	for _, v := range metrics.TimeframeNames() {
		sch.Properties["timeframe"].Enum = append(sch.Properties["timeframe"].Enum, v)
	}
	for _, v := range metrics.GroupBys {
		sch.Properties["group_by"].Enum = append(sch.Properties["group_by"].Enum, v)
	}
	return sch
}

func nonNilGroups(gs []metrics.GroupResult) []metrics.GroupResult {
	out := nonNil(gs)
	for i := range out {
		if out[i].Dispositions == nil {
			out[i].Dispositions = map[string]int64{}
		}
		out[i].KPIs = nonNil(out[i].KPIs)
	}
	return out
}

// toolArgError turns the service's argument errors into tool argument
// errors.
func toolArgError(err error) error {
	if metrics.IsArgError(err) {
		return argError("%v", err)
	}
	return err
}

func (s *server) metrics(ctx context.Context, _ *sdk.CallToolRequest, in MetricsIn) (*sdk.CallToolResult, MetricsOut, error) {
	var out MetricsOut
	wq, err := s.windowQuery(ctx, in.Timeframe, in.From, in.To)
	if err != nil {
		return nil, out, err
	}
	rep, err := s.svc.Performance(ctx, metrics.PerformanceQuery{WindowQuery: wq,
		GroupBy: in.GroupBy, IncludeTests: in.IncludeTests, Trend: in.Trend, Series: in.Trend})
	if err != nil {
		return nil, out, toolArgError(err)
	}
	out = MetricsOut{Window: rep.Window, From: rep.From, To: rep.To, TimeZone: rep.TimeZone, Cohort: rep.Cohort,
		GroupBy: rep.GroupBy, Groups: nonNilGroups(rep.Groups), Previous: []metrics.GroupResult{}, Series: []metrics.Period{},
		Now: rep.Now, Basis: rep.Basis}
	if rep.Previous != nil {
		out.PreviousWindow, out.Previous = rep.Previous.Window, nonNilGroups(rep.Previous.Groups)
	}
	for _, p := range rep.Series {
		p.Result = nonNilGroups([]metrics.GroupResult{p.Result})[0]
		out.Series = append(out.Series, p)
	}
	w, err := s.reportWindow(ctx, rep.From, rep.To)
	if err != nil {
		return nil, out, err
	}
	out.KPIWindow = kpiWindow(w, rep.DataThrough, rep.Now)
	markPartialPeriods(out.Series, rep.DataThrough, w.From.Location())
	return nil, out, nil
}

// breachKey is an SLA clock's place in list_sla_breaches: overdue clocks
// (group 0) before those at risk (group 1), each by due time, which does
// not move as time passes, then case and clock.
type breachKey struct {
	Group int
	Due   int64 // Unix seconds
	Case  int64
	Clock string
}

func (k breachKey) less(o breachKey) bool {
	if k.Group != o.Group {
		return k.Group < o.Group
	}
	if k.Due != o.Due {
		return k.Due < o.Due
	}
	if k.Case != o.Case {
		return k.Case < o.Case
	}
	return k.Clock < o.Clock
}

func (s *server) breaches(ctx context.Context, _ *sdk.CallToolRequest, in BreachesIn) (*sdk.CallToolResult, BreachesOut, error) {
	out := BreachesOut{Items: []SLAItem{}}
	if in.MaxResults < 0 {
		return nil, out, argError("max_results %d: want 1 to 100", in.MaxResults)
	}
	query := BreachesIn{IncludeAtRisk: in.IncludeAtRisk, WindowArgs: in.WindowArgs}
	win, err := s.caseWindow(ctx, in.WindowArgs, metrics.ByPriority)
	if err != nil {
		return nil, out, err
	}
	var after breachKey
	ok, err := parseKeysetToken("breaches", query, in.NextPageToken, &after.Group, &after.Due, &after.Case, &after.Clock)
	if err != nil {
		return nil, out, err
	}
	size := pageSize(in.MaxResults, 20, 100)
	d, err := s.svc.Dashboard(ctx)
	if err != nil {
		return nil, out, err
	}
	type keyed struct {
		key  breachKey
		item metrics.SLAItem
	}
	var all []keyed
	add := func(group int, items []metrics.SLAItem) {
		for _, it := range items {
			if win != nil && !win.holds(d.Now, it.Age) {
				continue
			}
			due := d.Now.Add(time.Duration((it.Target - it.Elapsed) * float64(time.Second))).Round(time.Second).Unix()
			all = append(all, keyed{breachKey{group, due, it.CaseID, it.Clock}, it})
		}
	}
	add(0, d.Breached)
	if in.IncludeAtRisk {
		add(1, d.AtRisk)
	}
	slices.SortStableFunc(all, func(a, b keyed) int {
		switch {
		case a.key.less(b.key):
			return -1
		case b.key.less(a.key):
			return 1
		}
		return 0
	})
	out.Now, out.Breached, out.AtRisk = ts(d.Now), len(d.Breached), len(d.AtRisk)
	if win != nil {
		out.Breached, out.AtRisk = 0, 0
		for _, k := range all {
			if k.key.Group == 0 {
				out.Breached++
			} else {
				out.AtRisk++
			}
		}
		if !in.IncludeAtRisk {
			for _, it := range d.AtRisk {
				if win.holds(d.Now, it.Age) {
					out.AtRisk++
				}
			}
		}
		out.KPIWindow, out.WindowSLA = &win.kpi, []WindowSLA{}
		for _, g := range win.rep.Groups {
			out.WindowSLA = append(out.WindowSLA, WindowSLA{Priority: g.Group, Cases: g.Cases, Acknowledge: g.SLAAcknowledge, Resolve: g.SLAResolve})
		}
	}
	start := 0
	if ok {
		start = len(all)
		for i, k := range all {
			if after.less(k.key) {
				start = i
				break
			}
		}
	}
	page := all[start:min(start+size, len(all))]
	items := make([]SLAItem, 0, len(page))
	for _, k := range page {
		items = append(items, slaItem(k.item))
	}
	if keep := fitBudget(s.answerTokens(), approxTokens(out), items); keep < len(items) {
		items, out.Truncated = items[:keep], true
	}
	out.Items = items
	if n := len(items); n > 0 && start+n < len(all) {
		k := page[n-1].key
		out.NextPageToken = keysetToken("breaches", query, k.Group, k.Due, k.Case, k.Clock)
	}
	return nil, out, nil
}

// loadKey is an analyst's place in get_analyst_workload: most open work
// first, then most critical, then login.
type loadKey struct {
	Open, Critical int
	Analyst        string
}

func (k loadKey) less(o loadKey) bool {
	if k.Open != o.Open {
		return k.Open > o.Open
	}
	if k.Critical != o.Critical {
		return k.Critical > o.Critical
	}
	return k.Analyst < o.Analyst
}

func (s *server) workload(ctx context.Context, _ *sdk.CallToolRequest, in WorkloadIn) (*sdk.CallToolResult, WorkloadOut, error) {
	if in.MaxAnalysts < 0 {
		return nil, WorkloadOut{}, argError("max_analysts %d: want 1 to 200", in.MaxAnalysts)
	}
	query := WorkloadIn{OnShiftOnly: in.OnShiftOnly, WindowArgs: in.WindowArgs}
	win, err := s.caseWindow(ctx, in.WindowArgs, metrics.ByAnalyst)
	if err != nil {
		return nil, WorkloadOut{}, err
	}
	var after loadKey
	ok, err := parseKeysetToken("analysts", query, in.NextPageToken, &after.Open, &after.Critical, &after.Analyst)
	if err != nil {
		return nil, WorkloadOut{}, err
	}
	size := pageSize(in.MaxAnalysts, 25, 200)
	d, err := s.svc.Dashboard(ctx)
	if err != nil {
		return nil, WorkloadOut{}, err
	}
	out := WorkloadOut{Now: ts(d.Now), Open: d.Open, UnassignedByPriority: d.Unassigned, AnalystsOnShift: d.Inflow.AnalystsOnShift,
		Analysts: []metrics.AnalystLoad{}}
	if out.UnassignedByPriority == nil {
		out.UnassignedByPriority = map[string]int{}
	}
	var list []metrics.AnalystLoad
	for _, a := range d.Analysts {
		out.Assigned += a.Open
		if !in.OnShiftOnly || a.OnShift {
			list = append(list, a)
		}
	}
	key := func(a metrics.AnalystLoad) loadKey { return loadKey{a.Open, a.Critical, a.Analyst} }
	slices.SortStableFunc(list, func(a, b metrics.AnalystLoad) int {
		switch {
		case key(a).less(key(b)):
			return -1
		case key(b).less(key(a)):
			return 1
		}
		return 0
	})
	out.AnalystsTotal = len(list)
	start := 0
	if ok {
		start = len(list)
		for i, a := range list {
			if after.less(key(a)) {
				start = i
				break
			}
		}
	}
	rows := list[start:min(start+size, len(list))]
	if keep := fitBudget(s.answerTokens(), approxTokens(out), rows); keep < len(rows) {
		rows, out.Truncated = rows[:keep], true
	}
	out.Analysts = append(out.Analysts, rows...)
	if win != nil {
		out.KPIWindow, out.Window = &win.kpi, []WindowLoad{}
		byName := map[string]metrics.GroupResult{}
		for _, g := range win.rep.Groups {
			byName[g.Group] = g
		}
		for _, a := range rows {
			g, ok := byName[a.Analyst]
			if !ok {
				out.Window = append(out.Window, WindowLoad{Analyst: a.Analyst})
				continue
			}
			wl := WindowLoad{Analyst: a.Analyst, Cases: g.Cases, Done: g.Done, ResolveMet: g.SLAResolve.Met,
				ResolveBreached: g.SLAResolve.Breached, ResolveAdherence: g.SLAResolve.Adherence}
			for _, k := range g.KPIs {
				if k.KPI == metrics.MTTR {
					wl.MTTRMedian = k.Median
				}
			}
			out.Window = append(out.Window, wl)
		}
	}
	if n := len(rows); n > 0 && start+n < len(list) {
		k := key(rows[n-1])
		out.NextPageToken = keysetToken("analysts", query, k.Open, k.Critical, k.Analyst)
	}
	return nil, out, nil
}

func (s *server) noisyRules(ctx context.Context, _ *sdk.CallToolRequest, in NoisyRulesIn) (*sdk.CallToolResult, NoisyRulesOut, error) {
	var out NoisyRulesOut
	wq, err := s.windowQuery(ctx, in.Timeframe, in.From, in.To)
	if err != nil {
		return nil, out, err
	}
	res, err := s.svc.Resolve(ctx, wq)
	if err != nil {
		return nil, out, toolArgError(err)
	}
	rep, err := s.svc.Rules(ctx, metrics.RulesQuery{WindowQuery: dayQuery(res.Window)})
	if err != nil {
		return nil, out, toolArgError(err)
	}
	n := pageSize(in.MaxRules, 10, 100)
	out = NoisyRulesOut{Window: rep.Window, Alerts: rep.Alerts, ConversionRate: rep.ConversionRate, Definition: rep.Definition,
		HoursDef: rep.HoursDef, RulesTotal: len(rep.Rules), Rules: nonNil(rep.Rules[:min(n, len(rep.Rules))]), Basis: rep.Basis,
		KPIWindow: kpiWindow(res.Window, rep.DataThrough, s.opts.Now())}
	for i := range out.Rules {
		if out.Rules[i].Dispositions == nil {
			out.Rules[i].Dispositions = map[string]int64{}
		}
	}
	return nil, out, nil
}

// caseWindow is the cases created in a window, grouped: nil when from
// and to are not given.
type caseWindow struct {
	w   metrics.Window
	kpi KPIWindow
	rep *metrics.Report
}

// holds reports whether a case of the given age at now was created in
// the window.
func (c *caseWindow) holds(now time.Time, age float64) bool {
	created := now.Add(-time.Duration(age * float64(time.Second)))
	return !created.Before(c.w.From) && created.Before(c.w.To)
}

func (s *server) caseWindow(ctx context.Context, wa WindowArgs, groupBy string) (*caseWindow, error) {
	loc, err := s.st.TimeZone(ctx)
	if err != nil {
		return nil, err
	}
	w, explicit, err := parseWindow(wa.From, wa.To, loc)
	if err != nil || !explicit {
		return nil, err
	}
	rep, err := s.svc.Performance(ctx, metrics.PerformanceQuery{WindowQuery: w.Query, GroupBy: groupBy})
	if err != nil {
		return nil, toolArgError(err)
	}
	return &caseWindow{w: w.Window, kpi: kpiWindow(w.Window, rep.DataThrough, rep.Now), rep: rep}, nil
}
