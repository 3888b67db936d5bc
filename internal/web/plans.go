package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/tech"
)

// errNoBudget answers a budget request on a server without prices.
var errNoBudget = errors.New("the budget plan needs a budget configuration (prices for staff tiers, tools, services): " +
	"start the server with one (serve --plan-config FILE)")

// StaffingResponse is the staffing plan with its hour × weekday coverage.
type StaffingResponse struct {
	*staffing.Plan
	Coverage staffing.CoverageGrid `json:"coverage"`
}

// DefaultTriageTime is the time to triage one alert the staffing page
// assumes when asked to include alert triage and the configuration names
// none (the example configuration's figure; the page says it is assumed).
const DefaultTriageTime = 4 * time.Minute

// triageScope says whether a plan covers alert triage, and on what terms.
type triageScope struct {
	Included bool
	// Time and Share are the triage time per alert and the share of
	// alerts a person looks at (empty share: all of them, the staffing
	// default); Assumed marks a time the page chose, not the
	// configuration.
	Time    string
	Share   string
	Assumed bool
}

// planConfig reads the query parameters shared by the plans into the
// server's staffing configuration: history_weeks, and the alert triage
// switch (triage=include|exclude, triage_time, triage_share).
func (s *Server) planConfig(q url.Values) (staffing.Config, triageScope, error) {
	cfg := s.cfg.Staffing
	var scope triageScope
	weeks, err := intParam(q, "history_weeks", 0, 52)
	if err != nil {
		return cfg, scope, err
	}
	if weeks > 0 {
		cfg.HistoryDays = 7 * weeks
	}
	switch q.Get("triage") {
	case "":
	case "include":
		if cfg.TriageHandleTime == nil {
			d := staffing.Duration(DefaultTriageTime)
			cfg.TriageHandleTime = &d
			scope.Assumed = true
		}
	case "exclude":
		cfg.TriageHandleTime = nil
		var queues []staffing.QueueConfig
		for _, qc := range cfg.Queues {
			if qc.Kind != staffing.Alerts {
				queues = append(queues, qc)
			}
		}
		cfg.Queues = queues
	default:
		return cfg, scope, badRequest{errors.New("triage: want include or exclude")}
	}
	if v := q.Get("triage_time"); v != "" {
		d, err := staffing.ParseDuration(v)
		if err != nil || d <= 0 {
			return cfg, scope, badRequest{errors.New("triage_time: want a positive duration such as 4m or 240")}
		}
		cfg.TriageHandleTime, scope.Assumed = &d, false
	}
	if v := q.Get("triage_share"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f <= 1) {
			return cfg, scope, badRequest{errors.New("triage_share: want a share above 0 and at most 1, such as 0.15")}
		}
		cfg.TriageShare = &f
	}
	scope.Included = cfg.TriageHandleTime != nil
	for _, qc := range cfg.Queues {
		scope.Included = scope.Included || qc.Kind == staffing.Alerts && qc.HandleTime > 0 && !qc.Disabled
	}
	if cfg.TriageHandleTime != nil {
		scope.Time = humanDuration(time.Duration(*cfg.TriageHandleTime).Seconds())
	}
	if cfg.TriageShare != nil {
		scope.Share = percent(*cfg.TriageShare)
	}
	return cfg, scope, nil
}

// staffingPlan builds the staffing plan the query asks for.
func (s *Server) staffingPlan(ctx context.Context, q url.Values) (*StaffingResponse, error) {
	cfg, _, err := s.planConfig(q)
	if err != nil {
		return nil, err
	}
	var within staffing.Duration
	if v := q.Get("answer_within"); v != "" {
		if within, err = staffing.ParseDuration(v); err != nil || within <= 0 {
			return nil, badRequest{fmt.Errorf("answer_within: want a positive duration such as 15m or 900")}
		}
	}
	var target float64
	if v := q.Get("target_service_level"); v != "" {
		if target, err = strconv.ParseFloat(v, 64); err != nil || !(target > 0 && target < 1) {
			return nil, badRequest{fmt.Errorf("target_service_level: want a share between 0 and 1, such as 0.9")}
		}
	}
	opt := staffing.Options{Skills: q.Get("skills") == "true", Simulate: q.Get("simulate") == "true"}
	p, err := staffing.PlanHistory(ctx, s.st, cfg, opt, within, target)
	if err != nil {
		return nil, err
	}
	return &StaffingResponse{Plan: p, Coverage: p.Coverage()}, nil
}

func (s *Server) apiStaffingPlan(w http.ResponseWriter, r *http.Request) {
	p, err := s.staffingPlan(r.Context(), r.URL.Query())
	if errors.Is(err, staffing.ErrNoWorkload) {
		httpError(w, http.StatusNotFound, err.Error())
		return
	}
	s.answer(w, "planning staffing", p, err)
}

func (s *Server) apiBudgetPlan(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Budget == nil {
		httpError(w, http.StatusConflict, errNoBudget.Error())
		return
	}
	p, err := s.budgetPlan(r.Context(), r.URL.Query())
	if errors.Is(err, staffing.ErrNoWorkload) {
		httpError(w, http.StatusNotFound, err.Error())
		return
	}
	s.answer(w, "planning the budget", p, err)
}

// configuredScenario reports whether the budget configuration names the
// scenario (as budget.Build matches it).
func configuredScenario(list []budget.Scenario, name string) bool {
	for _, sc := range list {
		if strings.EqualFold(sc.Name, name) {
			return true
		}
	}
	return false
}

// staffingData is the staffing view.
type staffingData struct {
	Empty        string
	P            *staffing.Plan
	Scope        triageScope
	AlertsWeek   string // alerts a week in the history window
	ToggleURL    string // the plan with triage switched
	Schedule     template.HTML
	Roster       template.HTML
	Days         []string
	ScheduleRows [][]string
	RosterRows   [][]string
	Shifts       []shiftRow
	CostUnit     string
	Broken       []staffing.Check
	Held         int
}

// shiftRow is one shift of the proposed schedule.
type shiftRow struct {
	Label, Heads, PaidHours, Cost string
}

func (s *Server) staffingPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(w, r, "staffing", "Staffing plan")
	q := r.URL.Query()
	if q.Get("simulate") == "" {
		// The page shows the simulation unless asked not to (the API
		// simulates only when asked: it costs a few hundred milliseconds).
		q.Set("simulate", "true")
	}
	_, scope, err := s.planConfig(q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p, err := s.staffingPlan(r.Context(), q)
	if s.planFailed(w, r, v, "staffing", err, func(msg string) any { return staffingData{Empty: msg} }) {
		return
	}
	d := staffingData{P: p.Plan, Scope: scope, Days: p.Coverage.Days}
	var alerts int64
	for _, rv := range p.Workload.Rules {
		alerts += rv.Alerts
	}
	if p.Workload.Weeks > 0 {
		perWeek := float64(alerts) / p.Workload.Weeks
		d.AlertsWeek = decimal(perWeek, 0)
		if perWeek < 10 {
			d.AlertsWeek = decimal(perWeek, 1)
		}
	}
	if scope.Included {
		d.ToggleURL = v.URL("triage", "exclude", "triage_time", "", "triage_share", "")
	} else {
		d.ToggleURL = v.URL("triage", "include")
	}
	for _, c := range p.Checks {
		if c.Holds {
			d.Held++
		} else {
			d.Broken = append(d.Broken, c)
		}
	}
	d.Schedule = ScheduleHeatMap("Proposed schedule: people on duty, scheduled/required", p.Coverage)
	for hr, row := range p.Coverage.Cells {
		sr, rr := []string{p.Coverage.Hours[hr]}, []string{p.Coverage.Hours[hr]}
		for _, c := range row {
			sr = append(sr, fmt.Sprintf("%d of %d", c.Scheduled, c.Required))
			if c.Current != nil {
				cell := fmt.Sprintf("%.1f of %d", *c.Current, c.Required)
				if short := float64(c.Required) - *c.Current; short > 1e-9 {
					cell += fmt.Sprintf(" (%.1f short)", short)
				}
				rr = append(rr, cell)
			}
		}
		d.ScheduleRows = append(d.ScheduleRows, sr)
		if p.Current != nil {
			d.RosterRows = append(d.RosterRows, rr)
		}
	}
	if p.Current != nil {
		d.Roster = RosterHeatMap("Today's roster: expected on duty/required", p.Coverage)
	}
	d.CostUnit = "paid hours"
	for _, t := range s.cfg.Staffing.Templates {
		if t.CostPerShift > 0 {
			d.CostUnit = "cost units (the shift templates' cost_per_shift)"
		}
	}
	for _, a := range p.Schedule.Roster {
		hours := float64(a.Heads) * a.Shift.Length.Hours() * float64(max(len(a.Shift.Days), 1))
		d.Shifts = append(d.Shifts, shiftRow{Label: a.Label, Heads: thousands(int64(a.Heads)), PaidHours: decimal(hours, 0), Cost: decimal(a.Cost, 1)})
	}
	v.Data = d
	s.render(w, http.StatusOK, "staffing", v)
}

// planFailed answers a plan page whose plan failed: with empty's data
// saying there is nothing to plan yet when the history has no work, else
// with the error page. It reports whether err was an error.
func (s *Server) planFailed(w http.ResponseWriter, r *http.Request, v view, page string, err error, empty func(msg string) any) bool {
	switch {
	case errors.Is(err, staffing.ErrNoWorkload):
		v.Data = empty("Nothing to plan yet: " + err.Error() + ".")
		s.render(w, http.StatusOK, page, v)
	case err != nil:
		s.pageError(w, r, err)
	default:
		return false
	}
	return true
}

// skillsPage shows the skill matrix, each shift's coverage of the
// required skills, single points of failure and training needs.
func (s *Server) skillsPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(w, r, "staffing", "Skills and training")
	q := r.URL.Query()
	q.Set("skills", "true")
	q.Set("simulate", "false")
	p, err := s.staffingPlan(r.Context(), q)
	if s.planFailed(w, r, v, "skills", err, func(msg string) any { return struct{ Empty string }{msg} }) {
		return
	}
	m := p.Skills
	if m == nil {
		m = &staffing.SkillMatrix{}
	}
	type matrixRow struct {
		ID, Name, Tier, Shift string
		Levels                []int
		Certifications        string
	}
	var rows []matrixRow
	for _, a := range m.Analysts {
		row := matrixRow{ID: a.ID, Name: a.Name, Tier: a.Tier, Shift: a.Shift, Certifications: strings.Join(a.Certifications, ", ")}
		for _, sk := range m.Skills {
			lvl := 0
			for k, l := range a.Levels {
				if strings.EqualFold(k, sk) {
					lvl = l
				}
			}
			row.Levels = append(row.Levels, lvl)
		}
		rows = append(rows, row)
	}
	v.Data = struct {
		Empty string
		M     *staffing.SkillMatrix
		Rows  []matrixRow
	}{M: m, Rows: rows}
	s.render(w, http.StatusOK, "skills", v)
}

// budgetView is the budget page: the plan with its columns side by side.
type budgetView struct {
	Empty    string
	P        *budget.Plan
	Sections []budgetSection
	Chart    *Figure
	Names    string
}

// budgetSection is a category's cost lines.
type budgetSection struct {
	Category string
	Lines    []budget.Line
}

func (s *Server) budgetPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(w, r, "budget", "SOC budget")
	if s.cfg.Budget == nil {
		v.Data = budgetView{Empty: errNoBudget.Error() + "."}
		s.render(w, http.StatusOK, "budget", v)
		return
	}
	p, err := s.budgetPlan(r.Context(), r.URL.Query())
	if s.planFailed(w, r, v, "budget", err, func(msg string) any { return budgetView{Empty: msg} }) {
		return
	}
	d := budgetView{P: p}
	idx := map[string]int{}
	for _, l := range p.Lines {
		i, ok := idx[l.Category]
		if !ok {
			i = len(d.Sections)
			idx[l.Category] = i
			d.Sections = append(d.Sections, budgetSection{Category: l.Category})
		}
		d.Sections[i].Lines = append(d.Sections[i].Lines, l)
	}
	var labels []string
	for _, c := range p.Columns {
		labels = append(labels, c.Name)
	}
	var series []ChartSeries
	for _, sec := range d.Sections {
		vals := make([]float64, len(p.Columns))
		for _, l := range sec.Lines {
			for i, m := range l.Monthly {
				if i < len(vals) {
					vals[i] += 12 * m / 1000
				}
			}
		}
		series = append(series, ChartSeries{Name: sec.Category, Values: vals})
	}
	unit := " k" + p.Currency
	c := Chart{ID: "budget", Title: "Cost a year by category (thousands of " + p.Currency + ")", Unit: unit, Labels: labels, Series: series, Stacked: true,
		Desc: "Annual cost of today's roster, the staffing plan and each scenario, stacked by category.", Font: 13, Width: 960, Height: 320}
	f := figure(c, "bar", func(x float64) string { return decimal(x, 0) + unit }, "")
	f.Columns[0] = "Column"
	f.Wide = true
	d.Chart = &f
	v.Data = d
	s.render(w, http.StatusOK, "budget", v)
}

// budgetPlan builds the budget plan with the scenarios the query names
// (all configured ones when it names none).
func (s *Server) budgetPlan(ctx context.Context, q url.Values) (*budget.Plan, error) {
	cfg, _, err := s.planConfig(q)
	if err != nil {
		return nil, err
	}
	names := q["scenario"]
	if len(names) > 20 {
		return nil, badRequest{errors.New("scenario: at most 20")}
	}
	for _, n := range names {
		if configuredScenario(s.cfg.Budget.Scenarios, n) {
			continue
		}
		if _, err := budget.ParseScenario(n); err != nil {
			return nil, badRequest{fmt.Errorf("scenario: %w", err)}
		}
	}
	bcfg, fromInventory, err := tech.BudgetWithInventory(ctx, s.st, *s.cfg.Budget)
	if err != nil {
		return nil, err
	}
	p, err := budget.Build(ctx, s.st, cfg, bcfg, names)
	if err == nil && len(fromInventory) > 0 {
		p.Notes = append(p.Notes, tech.InventoryNote(fromInventory))
	}
	return p, err
}
