package mcp

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/tech"
)

// PlanStaffingIn are plan_staffing's arguments.
type PlanStaffingIn struct {
	HistoryWeeks       int     `json:"history_weeks,omitempty" jsonschema:"weeks of history to model, ending at the newest alert or case; default 4 (or the server's configuration), at most 52"`
	TargetServiceLevel float64 `json:"target_service_level,omitempty" jsonschema:"override every queue's target P(answered within T), e.g. 0.9; default: the configuration or 0.9"`
	AnswerWithin       string  `json:"answer_within,omitempty" jsonschema:"override every queue's threshold T (Go duration like 15m or seconds); default: the SLA policy's acknowledge target per priority"`
	Simulate           bool    `json:"simulate,omitempty" jsonschema:"validate the proposed schedule by simulation (slower)"`
	ShiftCoverage      bool    `json:"include_shift_coverage,omitempty" jsonschema:"add the hour × weekday grid of heads required, scheduled and expected with today's roster"`
	SkillMatrix        bool    `json:"include_skill_matrix,omitempty" jsonschema:"add skills per analyst, single points of failure per shift and training needs"`
	MaxItems           int     `json:"max_items,omitempty" jsonschema:"entries per list (roster shifts, checks, skill rows), default 20, at most 100"`
	WindowArgs
}

// ScheduleOut is the proposed roster of shifts.
type ScheduleOut struct {
	Shifts     int          `json:"person_shifts_per_week"`
	PaidHours  float64      `json:"paid_hours"`
	FTE        float64      `json:"fte"`
	Cost       float64      `json:"cost" jsonschema:"per week: configured cost per shift, else paid hours"`
	LowerBound float64      `json:"lower_bound" jsonschema:"no roster covering the requirement costs less"`
	Optimal    bool         `json:"optimal"`
	Roster     []ShiftHeads `json:"roster"`
	// RosterTotal counts the shifts before truncation.
	RosterTotal int `json:"roster_total"`
}

// ShiftHeads is the people on one shift pattern.
type ShiftHeads struct {
	Shift string  `json:"shift"`
	Heads int     `json:"heads"`
	Cost  float64 `json:"cost"`
}

// RosterGapsOut is today's roster against the requirement.
type RosterGapsOut struct {
	Analysts    int                     `json:"active_analysts"`
	OnShift     int                     `json:"on_a_shift"`
	Unscheduled []Text                  `json:"unscheduled" jsonschema:"active analysts on no known shift (roster ids)"`
	ExpectedFTE float64                 `json:"expected_fte"`
	ShortHours  float64                 `json:"short_head_hours" jsonschema:"head-hours a week under the requirement"`
	HoursShort  int                     `json:"hours_short" jsonschema:"hours of the 168 under the requirement"`
	Surplus     float64                 `json:"surplus_head_hours"`
	Queues      []staffing.QueueOutcome `json:"queues" jsonschema:"the service level each queue can expect with today's roster"`
	Method      string                  `json:"method"`
}

// SkillRow is one analyst's skills.
type SkillRow struct {
	ID             Text           `json:"analyst_id"`
	Name           Text           `json:"name"`
	Tier           string         `json:"tier"`
	Shift          string         `json:"shift"`
	Levels         map[string]int `json:"levels"`
	Certifications []string       `json:"certifications"`
}

// ShiftSkillOut is one skill requirement on one shift.
type ShiftSkillOut struct {
	Shift    string `json:"shift"`
	Skill    string `json:"skill"`
	MinLevel int    `json:"min_level"`
	Required int    `json:"required"`
	Holders  []Text `json:"holders"`
	Status   string `json:"status" jsonschema:"ok, single point of failure or gap"`
}

// TrainingOut is a skill to build on a shift.
type TrainingOut struct {
	Shift      string `json:"shift"`
	Skill      string `json:"skill"`
	MinLevel   int    `json:"min_level"`
	Missing    int    `json:"people_to_train"`
	Candidates []Text `json:"closest_candidates"`
	Reason     string `json:"reason"`
}

// SkillMatrixOut is the skill matrix, lists cut to max_items.
type SkillMatrixOut struct {
	Skills              []string        `json:"skills"`
	Analysts            []SkillRow      `json:"analysts"`
	AnalystsTotal       int             `json:"analysts_total"`
	RequirementsAssumed bool            `json:"requirements_assumed" jsonschema:"no requirements configured: every skill on the roster once per shift at level 3"`
	Gaps                []ShiftSkillOut `json:"gaps_and_single_points" jsonschema:"requirements not met or held by one person"`
	GapsTotal           int             `json:"gaps_and_single_points_total"`
	Training            []TrainingOut   `json:"training"`
	TrainingTotal       int             `json:"training_total"`
}

// StaffingQueue is one queue over the week.
type StaffingQueue struct {
	Queue               string                     `json:"queue"`
	Kind                string                     `json:"kind" jsonschema:"alerts (triage) or cases (case work)"`
	Priority            string                     `json:"priority"`
	WeeklyArrivals      float64                    `json:"weekly_arrivals"`
	HandleSeconds       float64                    `json:"handle_seconds" jsonschema:"mean worked time per item"`
	EffortSeconds       float64                    `json:"effort_seconds" jsonschema:"analyst effort per item used for sizing"`
	AnswerWithinSeconds float64                    `json:"answer_within_seconds"`
	TargetServiceLevel  float64                    `json:"target_service_level"`
	AgentHours          float64                    `json:"agent_hours_per_week" jsonschema:"analyst-hours a week the queue adds to the floor of the queues before it"`
	PeakAgents          int                        `json:"peak_agents"`
	PlannedServiceLevel float64                    `json:"planned_service_level"`
	Model               string                     `json:"model" jsonschema:"erlang_c_priority: on the shared floor, served in priority order; erlang_a: on analysts of its own (a patience is set)"`
	Measured            *staffing.MeasuredSL       `json:"measured,omitempty" jsonschema:"the service level the history shows (case queues)"`
	Sources             map[string]staffing.Source `json:"sources" jsonschema:"where each input came from: history, config, sla_policy or assumption"`
}

// PlanStaffingOut is plan_staffing's answer.
type PlanStaffingOut struct {
	ServiceLevelDefinition string                 `json:"service_level_definition"`
	TimeZone               string                 `json:"time_zone"`
	HistorySince           string                 `json:"history_since"`
	HistoryUntil           string                 `json:"history_until"`
	HistoryWeeks           float64                `json:"history_weeks"`
	Shrinkage              float64                `json:"shrinkage"`
	MaxOccupancy           float64                `json:"max_occupancy"`
	MinHeads               int                    `json:"min_heads"`
	AgentHours             float64                `json:"agent_hours_per_week" jsonschema:"productive analyst-hours a week the queues need"`
	HeadHours              float64                `json:"head_hours_per_week" jsonschema:"on-duty hours with shrinkage"`
	Queues                 []StaffingQueue        `json:"queues"`
	Schedule               ScheduleOut            `json:"schedule"`
	Current                *RosterGapsOut         `json:"current_roster,omitempty" jsonschema:"today's roster against the requirement; absent without an active roster"`
	Validation             *staffing.Validation   `json:"validation,omitempty"`
	BrokenAssumptions      []staffing.Check       `json:"broken_assumptions" jsonschema:"where Erlang's assumptions do not hold"`
	ChecksHeld             int                    `json:"checks_held"`
	Assumptions            []staffing.Assumption  `json:"assumptions" jsonschema:"inputs that are defaults, not the organisation's data"`
	Coverage               *staffing.CoverageGrid `json:"shift_coverage,omitempty" jsonschema:"cells[hour][weekday]: heads required, scheduled, and expected with today's roster"`
	SkillMatrix            *SkillMatrixOut        `json:"skill_matrix,omitempty"`
	Truncated              []string               `json:"truncated" jsonschema:"lists cut to max_items; the *_total fields give their full length"`
	KPIWindow              KPIWindow              `json:"kpi_window" jsonschema:"the history modelled"`
}

// PlanBudgetIn are plan_budget's arguments.
type PlanBudgetIn struct {
	Scenarios    []string `json:"scenarios,omitempty" jsonschema:"scenarios beside the baseline: configured names or inline specs such as automate:RULE=0.3, tune:RULE=0.5, growth:0.2, triage-time:4m, shrinkage:0.35, target-sl:0.95 (join parts with +); default: every configured scenario"`
	HistoryWeeks int      `json:"history_weeks,omitempty" jsonschema:"weeks of history to model; default 4 (or the server's configuration), at most 52"`
	WindowArgs
}

// PlanBudgetOut is plan_budget's answer: the budget plan.
type PlanBudgetOut struct {
	*budget.Plan
	KPIWindow KPIWindow `json:"kpi_window" jsonschema:"the history modelled"`
}

func (s *server) addPlanTools(srv *sdk.Server) {
	sdk.AddTool(srv, &sdk.Tool{Name: "plan_staffing", Annotations: readOnly("Staffing plan"),
		Description: "Analysts needed per hour of the week for all queues as one floor served in priority order (Erlang C with " +
			"priority waits, from history), a least-cost shift schedule, today's roster gaps and their SLA consequence (Erlang, " +
			"simulated and measured), where the model's assumptions break; optionally the hour × weekday coverage and the skill matrix."},
		s.planStaffing)
	sdk.AddTool(srv, &sdk.Tool{Name: "plan_budget", Annotations: readOnly("SOC operations budget"),
		Description: "SOC operations budget: staff by tier, tools, services and training; monthly and annual totals; unit costs; " +
			"scenarios (automation, tuning, growth …) costed through the staffing model beside the baseline. Needs a budget " +
			"configuration on the server."},
		s.planBudget)
}

// historyDays turns history_weeks into the configuration's history days.
// history sets the history a plan models: from and to when given, else
// history_weeks ending at the newest data.
func (s *server) history(ctx context.Context, cfg *staffing.Config, weeks int, wa WindowArgs) error {
	if weeks < 0 || weeks > 52 {
		return argError("history_weeks %d: want 1 to 52", weeks)
	}
	loc, err := s.st.TimeZone(ctx)
	if err != nil {
		return err
	}
	w, explicit, err := parseWindow(wa.From, wa.To, loc)
	switch {
	case err != nil:
		return err
	case explicit && weeks > 0:
		return argError("history_weeks and from/to both set the history: give one")
	case explicit && w.Days() > 7*52:
		return argError("from %s to %s is %d days: a plan models at most 52 weeks", wa.From, wa.To, w.Days())
	case explicit:
		cfg.HistoryDays, cfg.HistoryUntil = w.Days(), w.To
	case weeks > 0:
		cfg.HistoryDays = 7 * weeks
	}
	return nil
}

// historyWindow describes the history a plan modelled.
func (s *server) historyWindow(ctx context.Context, since, until time.Time) (KPIWindow, error) {
	loc, err := s.st.TimeZone(ctx)
	if err != nil {
		return KPIWindow{}, err
	}
	through, err := s.dataThrough(ctx)
	if err != nil {
		return KPIWindow{}, err
	}
	return kpiSpan(since, until, through, s.opts.Now(), loc), nil
}

func (s *server) planStaffing(ctx context.Context, _ *sdk.CallToolRequest, in PlanStaffingIn) (*sdk.CallToolResult, PlanStaffingOut, error) {
	var out PlanStaffingOut
	cfg := s.opts.Staffing
	if err := s.history(ctx, &cfg, in.HistoryWeeks, in.WindowArgs); err != nil {
		return nil, out, err
	}
	var within staffing.Duration
	if in.AnswerWithin != "" {
		d, err := staffing.ParseDuration(in.AnswerWithin)
		if err != nil || d <= 0 {
			return nil, out, argError("answer_within %q: want a positive duration such as 15m or 900", in.AnswerWithin)
		}
		within = d
	}
	if in.TargetServiceLevel < 0 || in.TargetServiceLevel >= 1 {
		return nil, out, argError("target_service_level %g: want a share between 0 and 1, e.g. 0.9", in.TargetServiceLevel)
	}
	p, err := staffing.PlanHistory(ctx, s.st, cfg, staffing.Options{Simulate: in.Simulate, Skills: in.SkillMatrix}, within, in.TargetServiceLevel)
	if err != nil {
		return nil, out, err
	}
	out = staffingOut(p, pageSize(in.MaxItems, 20, 100), in.ShiftCoverage)
	if out.KPIWindow, err = s.historyWindow(ctx, p.HistorySince, p.HistoryUntil); err != nil {
		return nil, out, err
	}
	return nil, out, nil
}

// staffingOut is the plan's compact answer with lists cut to n.
func staffingOut(p *staffing.Plan, n int, coverage bool) PlanStaffingOut {
	out := PlanStaffingOut{ServiceLevelDefinition: p.ServiceLevelDefinition, TimeZone: p.TimeZone,
		HistorySince: ts(p.HistorySince), HistoryUntil: ts(p.HistoryUntil), HistoryWeeks: p.Workload.Weeks,
		Shrinkage: p.Shrinkage, MaxOccupancy: p.MaxOccupancy, MinHeads: p.MinHeads, AgentHours: p.AgentHours, HeadHours: p.HeadHours,
		Queues: []StaffingQueue{}, Validation: p.Validation, BrokenAssumptions: []staffing.Check{},
		Assumptions: nonNil(p.Assumptions), Truncated: []string{}}
	cut := func(name string, total int) int {
		if total > n {
			out.Truncated = append(out.Truncated, name)
		}
		return min(n, total)
	}
	for _, q := range p.Queues {
		out.Queues = append(out.Queues, StaffingQueue{Queue: q.Queue, Kind: string(q.Kind), Priority: q.Priority.String(),
			WeeklyArrivals: q.WeeklyArrivals, HandleSeconds: q.HandleSeconds, EffortSeconds: q.EffortSeconds,
			AnswerWithinSeconds: q.AnswerWithinSeconds, TargetServiceLevel: q.TargetServiceLevel, AgentHours: q.AgentHours,
			PeakAgents: q.PeakAgents, PlannedServiceLevel: q.PlannedServiceLevel, Model: q.Model, Measured: q.Measured, Sources: q.Sources})
	}
	sol := p.Schedule
	out.Schedule = ScheduleOut{Shifts: sol.Shifts, PaidHours: sol.PaidHours, FTE: p.FTE, Cost: sol.Cost, LowerBound: sol.LowerBound,
		Optimal: sol.Optimal, Roster: []ShiftHeads{}, RosterTotal: len(sol.Roster)}
	for _, a := range sol.Roster[:cut("schedule.roster", len(sol.Roster))] {
		out.Schedule.Roster = append(out.Schedule.Roster, ShiftHeads{Shift: a.Label, Heads: a.Heads, Cost: a.Cost})
	}
	if c := p.Current; c != nil {
		g := &RosterGapsOut{Analysts: c.Analysts, OnShift: c.OnShift, Unscheduled: texts(c.Unscheduled, cut("current_roster.unscheduled", len(c.Unscheduled))),
			ExpectedFTE: c.ExpectedFTE, ShortHours: c.ShortHours, HoursShort: c.HoursShort, Surplus: c.SurplusHours,
			Queues: nonNil(c.Queues), Method: c.Method}
		out.Current = g
	}
	var broken []staffing.Check
	for _, c := range p.Checks {
		if c.Holds {
			out.ChecksHeld++
		} else {
			broken = append(broken, c)
		}
	}
	out.BrokenAssumptions = nonNil(broken[:cut("broken_assumptions", len(broken))])
	if coverage {
		g := p.Coverage()
		out.Coverage = &g
	}
	if m := p.Skills; m != nil {
		sm := &SkillMatrixOut{Skills: nonNil(m.Skills), Analysts: []SkillRow{}, AnalystsTotal: len(m.Analysts),
			RequirementsAssumed: m.RequirementsAssumed, Gaps: []ShiftSkillOut{}, Training: []TrainingOut{}, TrainingTotal: len(m.Training)}
		for _, a := range m.Analysts[:cut("skill_matrix.analysts", len(m.Analysts))] {
			lv := a.Levels
			if lv == nil {
				lv = map[string]int{}
			}
			sm.Analysts = append(sm.Analysts, SkillRow{ID: untrusted(a.ID, shortText), Name: untrusted(a.Name, shortText), Tier: a.Tier,
				Shift: a.Shift, Levels: lv, Certifications: nonNil(a.Certifications)})
		}
		var gaps []staffing.ShiftSkill
		for _, c := range m.Coverage {
			if c.Status != staffing.CoverageOK {
				gaps = append(gaps, c)
			}
		}
		sm.GapsTotal = len(gaps)
		for _, c := range gaps[:cut("skill_matrix.gaps_and_single_points", len(gaps))] {
			sm.Gaps = append(sm.Gaps, ShiftSkillOut{Shift: c.Shift, Skill: c.Skill, MinLevel: c.MinLevel, Required: c.Required,
				Holders: texts(c.Holders, len(c.Holders)), Status: c.Status})
		}
		for _, t := range m.Training[:cut("skill_matrix.training", len(m.Training))] {
			sm.Training = append(sm.Training, TrainingOut{Shift: t.Shift, Skill: t.Skill, MinLevel: t.MinLevel, Missing: t.Missing,
				Candidates: texts(t.Candidates, len(t.Candidates)), Reason: t.Reason})
		}
		out.SkillMatrix = sm
	}
	return out
}

// texts marks the first n strings as untrusted.
func texts(in []string, n int) []Text {
	out := []Text{}
	for _, v := range in[:min(n, len(in))] {
		out = append(out, untrusted(v, shortText))
	}
	return out
}

// errNoBudget is plan_budget's answer on a server without a budget
// configuration.
var errNoBudget = errors.New("plan_budget needs a budget configuration (prices for staff tiers, tools, services): " +
	"start the server with one (watchfloor mcp --plan-config FILE, or serve --plan-config FILE); the tool does not read files named by the caller")

func (s *server) planBudget(ctx context.Context, _ *sdk.CallToolRequest, in PlanBudgetIn) (*sdk.CallToolResult, PlanBudgetOut, error) {
	if s.opts.Budget == nil {
		return nil, PlanBudgetOut{}, errNoBudget
	}
	cfg := s.opts.Staffing
	if err := s.history(ctx, &cfg, in.HistoryWeeks, in.WindowArgs); err != nil {
		return nil, PlanBudgetOut{}, err
	}
	if len(in.Scenarios) > 20 {
		return nil, PlanBudgetOut{}, argError("%d scenarios: at most 20", len(in.Scenarios))
	}
	for _, n := range in.Scenarios {
		configured := slices.ContainsFunc(s.opts.Budget.Scenarios, func(sc budget.Scenario) bool { return strings.EqualFold(sc.Name, n) })
		if _, err := budget.ParseScenario(n); err != nil && !configured {
			return nil, PlanBudgetOut{}, argError("%v", err)
		}
	}
	bcfg, fromInventory, err := tech.BudgetWithInventory(ctx, s.st, *s.opts.Budget)
	if err != nil {
		return nil, PlanBudgetOut{}, err
	}
	p, err := budget.Build(ctx, s.st, cfg, bcfg, in.Scenarios)
	if err != nil {
		return nil, PlanBudgetOut{}, err
	}
	if len(fromInventory) > 0 {
		p.Notes = append(p.Notes, tech.InventoryNote(fromInventory))
	}
	kw, err := s.historyWindow(ctx, p.HistorySince, p.HistoryUntil)
	if err != nil {
		return nil, PlanBudgetOut{}, err
	}
	return nil, PlanBudgetOut{Plan: p, KPIWindow: kw}, nil
}
