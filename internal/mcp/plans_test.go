package mcp

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// demoStore is a store holding two weeks of the demo simulation ending at
// the fixture's now.
func demoStore(t *testing.T) *store.Store {
	t.Helper()
	st := storetest.Open(t, storetest.SQLitePath(t))
	cfg := demo.Config{Days: 14, AlertsPerDay: 150, End: now.Truncate(time.Hour)}.WithDefaults()
	demotest.Records(t, st, cfg, nil)
	return st
}

func TestPlanStaffing(t *testing.T) {
	st := demoStore(t)
	cs := connect(t, Options{Store: st})
	out := call[PlanStaffingOut](t, cs, "plan_staffing", map[string]any{"history_weeks": 2, "include_shift_coverage": true,
		"include_skill_matrix": true, "max_items": 2, "simulate": true})
	if !strings.HasPrefix(out.ServiceLevelDefinition, "P(answered within T)") {
		t.Errorf("service level definition %q", out.ServiceLevelDefinition)
	}
	if out.HistorySince != "2026-02-24T12:00:00Z" || out.HistoryUntil != "2026-03-10T12:00:00Z" || math.Abs(out.HistoryWeeks-2) > 1e-9 {
		t.Errorf("history %s to %s, %.3f weeks; want the two weeks to the newest data", out.HistorySince, out.HistoryUntil, out.HistoryWeeks)
	}
	var qs []string
	var agentHours float64
	for _, q := range out.Queues {
		qs = append(qs, q.Queue+"/"+q.Priority)
		agentHours += q.AgentHours
		// The demo store's SLA policy gives the thresholds; the share is the default.
		if q.Sources["answer_within"] != staffing.FromSLA || q.TargetServiceLevel != staffing.DefaultTargetServiceLevel {
			t.Errorf("%s: answer within from %q, target %g", q.Queue, q.Sources["answer_within"], q.TargetServiceLevel)
		}
		if q.PlannedServiceLevel < q.TargetServiceLevel {
			t.Errorf("%s: planned service level %.3f below the target %.3f", q.Queue, q.PlannedServiceLevel, q.TargetServiceLevel)
		}
	}
	if got := strings.Join(qs, " "); got != "cases P2/P2 cases P3/P3 cases P4/P4" {
		t.Errorf("queues %s", got)
	}
	if agentHours != out.AgentHours || out.HeadHours < out.AgentHours/(1-out.Shrinkage)-1e-9 {
		t.Errorf("agent hours %.0f (queues sum %.0f), head hours %.0f with shrinkage %.2f", out.AgentHours, agentHours, out.HeadHours, out.Shrinkage)
	}
	sch := out.Schedule
	if len(sch.Roster) != 2 || sch.RosterTotal <= 2 || sch.PaidHours < out.HeadHours || math.Abs(sch.FTE-sch.PaidHours/40) > 1e-9 {
		t.Errorf("schedule: %d of %d shifts listed, %.0f paid hours for %.0f head-hours, FTE %.2f", len(sch.Roster), sch.RosterTotal,
			sch.PaidHours, out.HeadHours, sch.FTE)
	}
	if out.Current == nil || out.Current.Analysts == 0 || len(out.Current.Queues) != len(out.Queues) {
		t.Fatalf("current roster %+v", out.Current)
	}
	if out.Validation == nil || len(out.Validation.Queues) != len(out.Queues) {
		t.Errorf("simulation asked for, got %+v", out.Validation)
	}
	// Demo cases take minutes of active work, so the hourly steady state
	// holds; the few P2 handle times vary less than exponential ones.
	if len(out.BrokenAssumptions) != 1 || out.BrokenAssumptions[0].Assumption != "exponential handle times" {
		t.Errorf("broken assumptions %+v", out.BrokenAssumptions)
	}
	g := out.Coverage
	if g == nil || len(g.Cells) != 24 || len(g.Days) != 7 || g.Days[0] != "Mon" || g.Hours[23] != "23:00" {
		t.Fatalf("coverage grid %+v", g)
	}
	for hr, row := range g.Cells {
		for d, c := range row {
			if len(row) != 7 || c.Required < out.MinHeads || c.Scheduled < c.Required || c.Current == nil {
				t.Fatalf("coverage %s %s: %+v", g.Days[d], g.Hours[hr], c)
			}
		}
	}
	sm := out.SkillMatrix
	if sm == nil || len(sm.Analysts) != 2 || sm.AnalystsTotal != out.Current.Analysts || !sm.RequirementsAssumed {
		t.Fatalf("skill matrix %+v", sm)
	}
	for _, a := range sm.Analysts {
		if !a.ID.Untrusted || !a.Name.Untrusted || a.Name.Text == "" {
			t.Errorf("analyst %+v: names must be marked untrusted", a)
		}
	}
	want := "schedule.roster skill_matrix.analysts"
	if got := strings.Join(out.Truncated, " "); !strings.HasPrefix(got, want) {
		t.Errorf("truncated %q, want it to start with %q", got, want)
	}

	// Overrides apply to every queue and drop the matching assumptions.
	over := call[PlanStaffingOut](t, cs, "plan_staffing", map[string]any{"history_weeks": 2, "target_service_level": 0.95, "answer_within": "10m"})
	for _, q := range over.Queues {
		if q.AnswerWithinSeconds != 600 || q.TargetServiceLevel != 0.95 || q.Sources["answer_within"] != staffing.FromConfig ||
			q.Sources["target_service_level"] != staffing.FromConfig || q.PlannedServiceLevel < 0.95 {
			t.Errorf("%s with overrides: %+v", q.Queue, q)
		}
	}
	for _, a := range over.Assumptions {
		if a.Input == "target_service_level" {
			t.Errorf("overridden target still listed as an assumption: %+v", a)
		}
	}
	if over.AgentHours <= out.AgentHours || over.Coverage != nil || over.SkillMatrix != nil || over.Validation != nil {
		t.Errorf("with a stricter service level: %.0f agent-hours (was %.0f); coverage, skills and simulation not asked for", over.AgentHours, out.AgentHours)
	}

	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"answer_within": "soon"}, "answer_within"},
		{map[string]any{"target_service_level": 1.5}, "target_service_level"},
		{map[string]any{"history_weeks": 60}, "history_weeks"},
	} {
		if msg := callErr(t, cs, "plan_staffing", tc.args); !strings.Contains(msg, tc.want) {
			t.Errorf("%v: error %q does not name %s", tc.args, msg, tc.want)
		}
	}
}

func TestPlanBudget(t *testing.T) {
	st := demoStore(t)
	msg := callErr(t, connect(t, Options{Store: st}), "plan_budget", map[string]any{"scenarios": []string{"growth:0.5"}})
	if !strings.Contains(msg, "needs a budget configuration") {
		t.Errorf("without a budget configuration: %q", msg)
	}
	bcfg := &budget.Config{Currency: "EUR", Tiers: map[string]budget.TierCost{"L1": {Annual: 60000}, "L2": {Annual: 80000}, "L3": {Annual: 110000}},
		Tools: []budget.Tool{{Name: "SIEM", Pricing: budget.Flat, Price: 10000}}}
	cs := connect(t, Options{Store: st, Budget: bcfg, Staffing: staffing.Config{HistoryDays: 14}})
	// The two weeks of demo case work keep most hours at the minimum heads,
	// so the growth scenario has to be large to need more analysts.
	out := call[PlanBudgetOut](t, cs, "plan_budget", map[string]any{"scenarios": []string{"growth:3"}})
	if out.Plan == nil || out.Currency != "EUR" || len(out.Columns) != 3 {
		t.Fatalf("budget %+v", out.Plan)
	}
	var names []string
	for _, c := range out.Columns {
		names = append(names, c.Name)
		if math.Abs(c.Annual-12*c.Monthly) > 1e-6 {
			t.Errorf("%s: annual %.2f is not 12 × monthly %.2f", c.Name, c.Annual, c.Monthly)
		}
	}
	if got := strings.Join(names, " | "); got != "today's roster | staffing plan | growth:3" {
		t.Errorf("columns %s", got)
	}
	// The demo roster: 9 L1, 4 L2, 1 L3.
	today, plan, grow := out.Columns[0], out.Columns[1], out.Columns[2]
	if today.FTE != 14 || today.FTEByTier["L1"] != 9 || today.Annual != 9*60000+4*80000+110000+12*10000 {
		t.Errorf("today's roster: %.1f FTE %v, %.0f a year", today.FTE, today.FTEByTier, today.Annual)
	}
	if grow.FTE <= plan.FTE || grow.DeltaAnnual <= 0 || plan.DeltaAnnual != 0 {
		t.Errorf("growth of 300%%: %.1f FTE vs %.1f, delta %.0f (plan delta %.0f)", grow.FTE, plan.FTE, grow.DeltaAnnual, plan.DeltaAnnual)
	}
	if msg := callErr(t, cs, "plan_budget", map[string]any{"scenarios": []string{"grow-a-lot"}}); !strings.Contains(msg, "grow-a-lot") {
		t.Errorf("unknown scenario: %q", msg)
	}
}
