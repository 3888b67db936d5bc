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

	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/staffing"
)

// errNoBudget answers a budget request on a server without prices.
var errNoBudget = errors.New("the budget plan needs a budget configuration (prices for staff tiers, tools, services): " +
	"start the server with one (serve --plan-config FILE)")

// StaffingResponse is the staffing plan with its hour × weekday coverage.
type StaffingResponse struct {
	*staffing.Plan
	Coverage staffing.CoverageGrid `json:"coverage"`
}

// planConfig reads the query parameters shared by the plans into the
// server's staffing configuration.
func (s *Server) planConfig(q url.Values) (staffing.Config, error) {
	cfg := s.cfg.Staffing
	weeks, err := intParam(q, "history_weeks", 0, 52)
	if err != nil {
		return cfg, err
	}
	if weeks > 0 {
		cfg.HistoryDays = 7 * weeks
	}
	return cfg, nil
}

// staffingPlan builds the staffing plan the query asks for.
func (s *Server) staffingPlan(ctx context.Context, q url.Values) (*StaffingResponse, error) {
	cfg, err := s.planConfig(q)
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
	q := r.URL.Query()
	cfg, err := s.planConfig(q)
	if err != nil {
		s.answer(w, "", nil, err)
		return
	}
	names := q["scenario"]
	if len(names) > 20 {
		httpError(w, http.StatusBadRequest, "scenario: at most 20")
		return
	}
	for _, n := range names {
		if configuredScenario(s.cfg.Budget.Scenarios, n) {
			continue
		}
		if _, err := budget.ParseScenario(n); err != nil {
			httpError(w, http.StatusBadRequest, "scenario: "+err.Error())
			return
		}
	}
	p, err := budget.Build(r.Context(), s.st, cfg, *s.cfg.Budget, names)
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

func (s *Server) staffingPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(w, r, "staffing", "Staffing plan")
	q := r.URL.Query()
	if q.Get("simulate") == "" {
		// The page shows the simulation unless asked not to (the API
		// simulates only when asked: it costs a few hundred milliseconds).
		q.Set("simulate", "true")
	}
	p, err := s.staffingPlan(r.Context(), q)
	if errors.Is(err, staffing.ErrNoWorkload) {
		v.Data = struct{ Empty string }{"Nothing to plan yet: " + err.Error() + "."}
		s.render(w, http.StatusOK, "staffing", v)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var broken []staffing.Check
	for _, c := range p.Checks {
		if !c.Holds {
			broken = append(broken, c)
		}
	}
	cols, rows := p.CoverageText()
	v.Data = struct {
		Empty   string
		P       *staffing.Plan
		Columns []string
		Rows    [][]string
		HeatMap template.HTML
		Broken  []staffing.Check
	}{P: p.Plan, HeatMap: CoverageHeatMap("Coverage by hour of the week: scheduled/required", p.Coverage), Broken: broken, Columns: cols, Rows: rows}
	s.render(w, http.StatusOK, "staffing", v)
}
