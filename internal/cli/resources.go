package cli

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/staffing/erlang"
)

// durationFlag is a pflag value holding a duration in Go syntax or plain
// seconds.
type durationFlag struct {
	d   staffing.Duration
	set bool
}

func (f *durationFlag) String() string {
	if !f.set {
		return ""
	}
	return f.d.String()
}

func (f *durationFlag) Set(s string) error {
	d, err := staffing.ParseDuration(s)
	if err != nil {
		return err
	}
	f.d, f.set = d, true
	return nil
}

func (f *durationFlag) Type() string { return "duration" }

// staffSecs formats seconds for people: "20s", "4m30s", "2.5h".
func staffSecs(sec float64) string {
	switch {
	case math.IsInf(sec, 0) || math.IsNaN(sec):
		return "∞"
	case sec < 60:
		return strconv.FormatFloat(math.Round(sec*10)/10, 'f', -1, 64) + "s"
	case sec < 3*3600:
		return time.Duration(math.Round(sec) * float64(time.Second)).String()
	}
	return strconv.FormatFloat(sec/3600, 'f', 1, 64) + "h"
}

func staffPct(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

func staffNum(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

func (a *app) resourcesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "resources",
		Short: "Plan the watch floor: Erlang what-ifs, analysts per hour, shifts, coverage gaps, skills",
	}
	cmd.AddCommand(a.resourcesErlangCommand(), a.resourcesPlanCommand())
	return cmd
}

// erlangOutput is what "resources erlang" prints.
type erlangOutput struct {
	erlang.Result
	// AgentsRequired is the fewest agents meeting the target (--required).
	AgentsRequired *int           `json:"agents_required,omitempty"`
	Target         *erlang.Target `json:"target,omitempty"`
}

func (a *app) resourcesErlangCommand() *cobra.Command {
	var arrivals, traffic, targetSL, maxOcc float64
	var agents int
	var required bool
	var aht, within, patience, maxASA durationFlag
	cmd := &cobra.Command{
		Use:   "erlang",
		Short: "Queue what-if: service level, wait and occupancy for a load and a number of analysts",
		Long: `Erlang computes a queue's performance with Erlang C, or Erlang A when
--patience is given (arrivals abandon after an exponentially distributed
patience with that mean).

The load is --arrivals-per-hour with --aht, or --traffic (erlangs) with
--aht. The service level printed is P(answered within T): the share of all
arrivals that an analyst starts on within --answer-within of arriving
(abandoned arrivals count as not answered).

With --required and --target-sl it finds the fewest agents meeting the
target (and --max-occupancy, --max-asa when given) and reports the queue
with them.

Durations take Go syntax (90s, 4m30s, 1h) or plain seconds (20).`,
		Example: `  watchfloor resources erlang --traffic 10 --aht 180 --agents 14 --answer-within 20
  watchfloor resources erlang --arrivals-per-hour 200 --aht 3m --answer-within 20s --required --target-sl 0.8 -o json
  watchfloor resources erlang --arrivals-per-hour 40 --aht 10m --agents 6 --answer-within 1m --patience 5m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fl := cmd.Flags()
			if fl.Changed("arrivals-per-hour") == fl.Changed("traffic") {
				return errors.New("give the load as exactly one of --arrivals-per-hour or --traffic")
			}
			if !aht.set || aht.d <= 0 {
				return errors.New("--aht (mean handle time) is required and must be positive")
			}
			if !within.set {
				return errors.New("--answer-within (the service-level threshold) is required")
			}
			q := erlang.Queue{AHT: aht.d.Seconds(), Patience: patience.d.Seconds()}
			if fl.Changed("traffic") {
				q.ArrivalRate = traffic / q.AHT
			} else {
				q.ArrivalRate = arrivals / 3600
			}
			var out erlangOutput
			if required {
				if fl.Changed("agents") {
					return errors.New("--required finds the number of agents; do not give --agents with it")
				}
				if !fl.Changed("target-sl") {
					return errors.New("--required needs --target-sl (for example 0.8 for 80 %)")
				}
				t := erlang.Target{AnswerWithin: within.d.Seconds(), ServiceLevel: targetSL, MaxOccupancy: maxOcc, MaxASA: maxASA.d.Seconds()}
				r, err := erlang.Required(q, t)
				if err != nil {
					return err
				}
				out.Result, out.AgentsRequired, out.Target = r, &r.Agents, &t
			} else {
				if !fl.Changed("agents") {
					return errors.New("give --agents, or --required with --target-sl to find them")
				}
				r, err := erlang.Evaluate(q, agents, within.d.Seconds())
				if err != nil {
					return err
				}
				out.Result = r
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: erlangJSON(out, patience.set)})
			}
			r := out.Result
			t := output.Table{Title: "Queue (" + strings.ReplaceAll(r.Model, "_", " ") + ")", Columns: []string{"measure", "value"}}
			add := func(k, v string) { t.Rows = append(t.Rows, []string{k, v}) }
			add("arrivals per hour", staffNum(r.ArrivalsPerHour, 3))
			add("traffic (erlangs)", staffNum(r.Traffic, 4))
			add("mean handle time", staffSecs(r.AHT))
			if patience.set {
				add("mean patience", staffSecs(r.Patience))
			}
			if out.AgentsRequired != nil {
				add("agents required", strconv.Itoa(*out.AgentsRequired))
			} else {
				add("agents", strconv.Itoa(r.Agents))
			}
			add("p_wait", staffNum(r.PWait, 10))
			add("service_level", staffNum(r.ServiceLevel, 10)+"  = "+r.ServiceLevelDefinition)
			add("asa_seconds", staffNum(r.ASA, 6))
			add("occupancy", staffNum(r.Occupancy, 6))
			if patience.set {
				add("p_abandon", staffNum(r.PAbandon, 10))
			}
			add("mean queue length", staffNum(r.QueueLength, 6))
			if !r.Stable {
				add("stable", "no: the load is at or above the agents, so the queue grows without bound")
			}
			return a.render(t)
		},
	}
	f := cmd.Flags()
	f.Float64Var(&arrivals, "arrivals-per-hour", 0, "mean arrivals per hour (λ)")
	f.Float64Var(&traffic, "traffic", 0, "offered load in erlangs (A = λ × AHT), instead of --arrivals-per-hour")
	f.Var(&aht, "aht", "mean handle time (Go duration or seconds)")
	f.IntVar(&agents, "agents", 0, "agents (analysts) serving the queue")
	f.Var(&within, "answer-within", "service-level threshold T (Go duration or seconds)")
	f.Var(&patience, "patience", "mean patience before abandoning: selects Erlang A (Go duration or seconds)")
	f.BoolVar(&required, "required", false, "find the fewest agents meeting --target-sl")
	f.Float64Var(&targetSL, "target-sl", 0, "target P(answered within T), between 0 and 1")
	f.Float64Var(&maxOcc, "max-occupancy", 0, "with --required: cap on occupancy (0 to 1)")
	f.Var(&maxASA, "max-asa", "with --required: cap on the average speed of answer")
	return cmd
}

// erlangJSON keeps the JSON output to the fields the question asked for:
// p_abandon only under Erlang A.
func erlangJSON(o erlangOutput, patience bool) any {
	b := map[string]any{
		"model": o.Model, "agents": o.Agents, "traffic_erlangs": o.Traffic, "arrivals_per_hour": o.ArrivalsPerHour,
		"aht_seconds": o.AHT, "answer_within_seconds": o.AnswerWithin, "service_level_definition": o.ServiceLevelDefinition,
		"p_wait": o.PWait, "service_level": o.ServiceLevel, "occupancy": o.Occupancy, "stable": o.Stable,
		"asa_seconds": jsonFinite(o.ASA), "mean_queue_length": jsonFinite(o.QueueLength),
	}
	if patience {
		b["p_abandon"] = o.PAbandon
		b["patience_seconds"] = o.Patience
		b["mean_wait_seconds"] = jsonFinite(o.MeanWait)
	}
	if o.AgentsRequired != nil {
		b["agents_required"] = *o.AgentsRequired
		b["target"] = o.Target
	}
	return b
}

func jsonFinite(v float64) any {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return v
}

// planFlags are the inputs shared by the staffing and budget plans.
type planFlags struct {
	config      string
	historyDays int
	triage      durationFlag
	triageShare float64
	noSimulate  bool
	replay      bool
}

func (pf *planFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&pf.config, "config", "", "YAML file with staffing (and budget) settings; see docs/staffing.md")
	f.IntVar(&pf.historyDays, "history-days", 0, "days of history to model (default 28, or the config's)")
	f.Var(&pf.triage, "triage-time", "mean time to triage one alert: plans alert triage too (Go duration or seconds)")
	f.Float64Var(&pf.triageShare, "triage-share", 0, "share of alerts a person triages, the rest closed by automation (with --triage-time)")
	f.BoolVar(&pf.noSimulate, "no-simulate", false, "skip the simulation of the proposed schedule")
	f.BoolVar(&pf.replay, "replay", false, "simulate the recorded arrivals (one run per week of history) instead of Poisson ones")
}

// staffingConfig reads the configuration file (if any) and applies the
// flags over it.
func (pf *planFlags) staffingConfig(cmd *cobra.Command) (staffing.Config, error) {
	var cfg staffing.Config
	if pf.config != "" {
		var err error
		if cfg, err = staffing.LoadConfig(pf.config); err != nil {
			return cfg, err
		}
	}
	if pf.historyDays > 0 {
		cfg.HistoryDays = pf.historyDays
	}
	if pf.triage.set {
		d := pf.triage.d
		cfg.TriageHandleTime = &d
	}
	if cmd.Flags().Changed("triage-share") {
		v := pf.triageShare
		cfg.TriageShare = &v
	}
	return cfg, cfg.Validate()
}

func (a *app) resourcesPlanCommand() *cobra.Command {
	var pf planFlags
	var showStaffing, showCoverage, showSkills bool
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Analysts needed per hour of the week, a shift schedule, today's gaps and the skill matrix",
		Long: `Plan models the workload from history (arrivals per queue and hour of the
week, case handle times from the event log, the SLA policy's acknowledge
targets), sizes each hour's floor — all queues served in priority order,
each meeting its target (Erlang C with priority waits) — adds shrinkage,
and schedules shifts that cover the result at least cost. It compares
today's roster with the requirement (gaps, and the SLA they leave by
Erlang, by simulation and as measured in the history), simulates the
proposed schedule, and says where Erlang's assumptions break.

--staffing (the default) shows queues, schedule, roster gaps and checks;
--shift-coverage the hour × weekday coverage (scheduled/required, and
today's expected heads after "|", "!" where short); --skill-matrix the
skills per analyst, single points of failure per shift and training needs.
Inputs not measured nor configured are listed as assumptions.`,
		Example: `  watchfloor resources plan --staffing --demo
  watchfloor resources plan --shift-coverage --skill-matrix --config plan.yaml
  watchfloor resources plan --staffing --triage-time 4m --triage-share 0.2 --replay -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := pf.staffingConfig(cmd)
			if err != nil {
				return err
			}
			st, err := a.openRead(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			w, err := staffing.Model(cmd.Context(), st, cfg)
			if err != nil {
				return err
			}
			if len(w.Queues) == 0 {
				return errors.New("no workload to plan: the store has no cases or alerts in the history window (try --demo)")
			}
			p, err := staffing.Build(w, cfg, staffing.Options{Simulate: !pf.noSimulate, Replay: pf.replay, Skills: showSkills})
			if err != nil {
				return err
			}
			if !showStaffing && !showCoverage && !showSkills {
				showStaffing = true
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: planJSON(p, showStaffing, showCoverage, showSkills)})
			}
			if showStaffing {
				if err := a.renderStaffing(p); err != nil {
					return err
				}
			}
			if showCoverage {
				if err := a.renderCoverage(p); err != nil {
					return err
				}
			}
			if showSkills {
				return a.renderSkills(p.Skills)
			}
			return nil
		},
	}
	pf.add(cmd)
	f := cmd.Flags()
	f.BoolVar(&showStaffing, "staffing", false, "queues, analysts needed, schedule, today's gaps and checks (default)")
	f.BoolVar(&showCoverage, "shift-coverage", false, "coverage per hour of the week: scheduled/required and today's roster")
	f.BoolVar(&showSkills, "skill-matrix", false, "skills per analyst, single points of failure per shift, training needs")
	a.addDemoFlag(cmd)
	return cmd
}

// planJSON is the plan with only the parts asked for.
func planJSON(p *staffing.Plan, staffingView, coverage, skills bool) any {
	out := map[string]any{"service_level_definition": p.ServiceLevelDefinition, "time_zone": p.TimeZone,
		"assumptions": p.Assumptions, "history_since": p.HistorySince, "history_until": p.HistoryUntil}
	if staffingView {
		out["plan"] = p
	}
	if coverage {
		out["coverage"] = p.Coverage()
	}
	if skills {
		out["skill_matrix"] = p.Skills
	}
	return out
}

func (a *app) renderStaffing(p *staffing.Plan) error {
	w := p.Workload
	a.printf("Staffing plan from %s to %s (%s), %.1f weeks of history\n", fmtTime(w.Since), fmtTime(w.Until), p.TimeZone, w.Weeks)
	a.printf("Service level: %s\n\n", p.ServiceLevelDefinition)
	t := output.Table{Title: "Queues", Columns: []string{"queue", "per week", "handle", "concurrency", "effort",
		"answer within", "target", "agent-h/wk", "peak", "planned SL"}}
	if p.Current != nil {
		t.Columns = append(t.Columns, "today's SL")
	}
	if p.Validation != nil {
		t.Columns = append(t.Columns, "simulated SL (95% CI)", "verdict")
	}
	for i, q := range p.Queues {
		row := []string{q.Queue, staffNum(q.WeeklyArrivals, 1), staffSecs(q.HandleSeconds),
			staffNum(q.Concurrency, 2), staffSecs(q.EffortSeconds), staffSecs(q.AnswerWithinSeconds), staffPct(q.TargetServiceLevel),
			staffNum(q.AgentHours, 0), strconv.Itoa(q.PeakAgents), staffPct(q.PlannedServiceLevel)}
		if p.Current != nil {
			row = append(row, staffPct(p.Current.Queues[i].ServiceLevel))
		}
		if p.Validation != nil {
			v := p.Validation.Queues[i]
			row = append(row, fmt.Sprintf("%s [%s, %s]", staffPct(v.ServiceLevel.Mean), staffPct(v.ServiceLevel.Low), staffPct(v.ServiceLevel.High)), v.Verdict)
		}
		t.Rows = append(t.Rows, row)
	}
	if err := a.render(t); err != nil {
		return err
	}
	a.printf("\nNeeded on the floor: %.0f analyst-hours a week; %.0f on duty with %.0f%% shrinkage (at least %d at any hour).\n",
		p.AgentHours, p.HeadHours, 100*p.Shrinkage, p.MinHeads)
	s := p.Schedule
	status := "optimal"
	if !s.Optimal {
		status = fmt.Sprintf("within %.1f%% of the optimum", 100*(s.Cost-s.LowerBound)/math.Max(s.LowerBound, 1e-9))
	}
	a.printf("Proposed schedule: %d shifts a week, %.0f paid hours = %.1f FTE at %.0f h/week; cost %s (%s; lower bound %s).\n\n",
		s.Shifts, s.PaidHours, p.FTE, p.ContractHours, staffNum(s.Cost, 1), status, staffNum(s.LowerBound, 1))
	rt := output.Table{Title: "Schedule (people per shift)", Columns: []string{"shift", "heads", "cost"}}
	for _, as := range s.Roster {
		rt.Rows = append(rt.Rows, []string{as.Label, strconv.Itoa(as.Heads), staffNum(as.Cost, 1)})
	}
	if err := a.render(rt); err != nil {
		return err
	}
	if c := p.Current; c != nil {
		a.printf("\nToday's roster: %d active analysts (%d on a shift), %.1f FTE on duty; %.0f head-hours a week short of the requirement "+
			"in %d of 168 hours, %.0f over.\n", c.Analysts, c.OnShift, c.ExpectedFTE, c.ShortHours, c.HoursShort, c.SurplusHours)
		if len(c.Unscheduled) > 0 {
			a.printf("Not on any known shift: %s\n", output.Terminal(strings.Join(c.Unscheduled, ", ")))
		}
		gt := output.Table{Title: "SLA with today's roster", Columns: []string{"queue", "target", "expected SL", "simulated SL (95% CI)",
			"measured SL", "hours below target", "worst hour", "worst SL"}}
		for _, q := range c.Queues {
			simulated, measured := "-", "-"
			if q.Simulated != nil {
				simulated = fmt.Sprintf("%s [%s, %s]", staffPct(q.Simulated.Mean), staffPct(q.Simulated.Low), staffPct(q.Simulated.High))
			}
			if q.Measured != nil {
				measured = fmt.Sprintf("%s of %d", staffPct(q.Measured.ServiceLevel), q.Measured.Cases)
			}
			gt.Rows = append(gt.Rows, []string{q.Queue, staffPct(q.TargetServiceLevel), staffPct(q.ServiceLevel), simulated, measured,
				strconv.Itoa(q.HoursBelowTarget), q.WorstHour, staffPct(q.WorstSL)})
		}
		a.println()
		if err := a.render(gt); err != nil {
			return err
		}
		a.println("Expected: Erlang on today's expected heads; simulated: today's roster through the simulation; " +
			"measured: cases resolved in the window acknowledged within the answer-within time of creation.")
	}
	if v := p.Validation; v != nil {
		a.printf("\nSimulation (%s, %d replications, %d items): occupancy %s [%s, %s], mean queue %.2f [%.2f, %.2f]; %s.\n",
			v.Mode, v.Replications, v.Arrivals, staffPct(v.Occupancy.Mean), staffPct(v.Occupancy.Low), staffPct(v.Occupancy.High),
			v.QueueLength.Mean, v.QueueLength.Low, v.QueueLength.High, v.Staffing)
	}
	ct := output.Table{Title: "Where Erlang's assumptions break", Columns: []string{"queue", "assumption", "detail"}}
	held := 0
	for _, c := range p.Checks {
		if c.Holds {
			held++
			continue
		}
		ct.Rows = append(ct.Rows, []string{c.Queue, c.Assumption, c.Detail})
	}
	a.println()
	if len(ct.Rows) > 0 {
		if err := a.render(ct); err != nil {
			return err
		}
	}
	a.printf("%d of %d checks hold (-o json lists them all).\n", held, len(p.Checks))
	if len(p.Assumptions) > 0 {
		at := output.Table{Title: "Assumptions (defaults, not your data: set them in --config)", Columns: []string{"input", "value", "note"}}
		for _, as := range p.Assumptions {
			at.Rows = append(at.Rows, []string{as.Input, as.Value, as.Note})
		}
		a.println()
		if err := a.render(at); err != nil {
			return err
		}
	}
	for _, n := range w.Notes {
		a.println("\nNote: " + output.Terminal(n))
	}
	return nil
}

func (a *app) renderCoverage(p *staffing.Plan) error {
	cols, rows := p.CoverageText()
	title := "Coverage by hour of the week: scheduled/required"
	if p.Current != nil {
		title += " | today's expected heads (! = short)"
	}
	a.println()
	return a.render(output.Table{Title: title, Columns: cols, Rows: rows})
}

func (a *app) renderSkills(m *staffing.SkillMatrix) error {
	if m == nil {
		return nil
	}
	t := output.Table{Title: "Skill matrix (level 1–5)", Columns: append([]string{"analyst", "tier", "shift"}, m.Skills...)}
	t.Columns = append(t.Columns, "certifications")
	for _, an := range m.Analysts {
		row := []string{an.ID, an.Tier, an.Shift}
		for _, s := range m.Skills {
			v := ""
			for k, lvl := range an.Levels {
				if strings.EqualFold(k, s) {
					v = strconv.Itoa(lvl)
				}
			}
			row = append(row, v)
		}
		t.Rows = append(t.Rows, append(row, strings.Join(an.Certifications, ", ")))
	}
	a.println()
	if err := a.render(t); err != nil {
		return err
	}
	title := "Coverage per shift"
	if m.RequirementsAssumed {
		title += " (no requirements configured: every skill on the roster, once per shift at level 3)"
	}
	ct := output.Table{Title: title, Columns: []string{"shift", "skill", "min level", "required", "holders", "status"}}
	for _, c := range m.Coverage {
		ct.Rows = append(ct.Rows, []string{c.Shift, c.Skill, strconv.Itoa(c.MinLevel), strconv.Itoa(c.Required),
			strings.Join(c.Holders, ", "), c.Status})
	}
	a.println()
	if err := a.render(ct); err != nil {
		return err
	}
	tt := output.Table{Title: "Training needs", Columns: []string{"shift", "skill", "to level", "people to train", "closest candidates", "why"}}
	for _, n := range m.Training {
		tt.Rows = append(tt.Rows, []string{n.Shift, n.Skill, strconv.Itoa(n.MinLevel), strconv.Itoa(n.Missing), strings.Join(n.Candidates, ", "), n.Reason})
	}
	a.println()
	if err := a.render(tt); err != nil {
		return err
	}
	if len(m.Runbooks) > 0 {
		rb := output.Table{Title: "Runbooks run in the history window", Columns: []string{"runbook", "runs", "skills needed"}}
		runbooks := append([]staffing.RunbookNeed(nil), m.Runbooks...)
		sort.SliceStable(runbooks, func(i, j int) bool { return runbooks[i].Runs > runbooks[j].Runs })
		for _, r := range runbooks {
			need := strings.Join(r.Skills, ", ")
			if r.Unmapped {
				need = "not mapped (set runbooks in --config)"
			}
			rb.Rows = append(rb.Rows, []string{r.Runbook, strconv.Itoa(r.Runs), need})
		}
		a.println()
		return a.render(rb)
	}
	return nil
}
