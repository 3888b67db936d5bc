// Package budget costs the SOC: staff by tier at loaded cost, tools by
// their pricing model (per GB a day ingested, per endpoint, per seat,
// flat), services and training, as monthly and annual totals and as unit
// costs per alert, case, incident and endpoint. Scenarios (automating or
// tuning a rule's alerts, volume growth, faster triage, other shrinkage or
// targets, tools added or dropped) flow through the staffing model, so a
// change in workload becomes a change in analysts and then in cost, shown
// side by side with the baseline.
//
// Prices and salaries are the organisation's: they come from the budget
// configuration, and staff costs fall back to the hourly costs recorded on
// the roster. Nothing is priced from built-in numbers.
package budget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Pricing models of tools.
const (
	PerGBDay    = "per_gb_day"
	PerEndpoint = "per_endpoint"
	PerSeat     = "per_seat"
	Flat        = "flat"
)

// Tool is a product the SOC pays for.
type Tool struct {
	Name    string `yaml:"name" json:"name"`
	Pricing string `yaml:"pricing" json:"pricing"`
	// Price is per unit (GB a day, endpoint, seat; the whole tool when
	// flat) per Period.
	Price  float64 `yaml:"price" json:"price"`
	Period string  `yaml:"period,omitempty" json:"period,omitempty"` // "month" (default) or "year"
	// Quantity overrides the volume the pricing model uses (GB a day,
	// endpoints, seats). Seats default to the planned analysts, so
	// seat-priced tools follow the staffing scenarios.
	Quantity float64 `yaml:"quantity,omitempty" json:"quantity,omitempty"`
}

// Service is a contracted service (MDR, incident-response retainer, pen
// test …).
type Service struct {
	Name    string  `yaml:"name" json:"name"`
	Monthly float64 `yaml:"monthly,omitempty" json:"monthly,omitempty"`
	Annual  float64 `yaml:"annual,omitempty" json:"annual,omitempty"`
}

// TierCost is the loaded cost of an analyst of one tier: salary, benefits,
// employer taxes and overhead.
type TierCost struct {
	Hourly float64 `yaml:"hourly,omitempty" json:"hourly,omitempty"`
	Annual float64 `yaml:"annual,omitempty" json:"annual,omitempty"`
}

// RuleShare is a share of one rule's alerts.
type RuleShare struct {
	Rule  string  `yaml:"rule" json:"rule"`
	Share float64 `yaml:"share" json:"share"`
}

// Scenario is a what-if.
type Scenario struct {
	Name string `yaml:"name" json:"name"`
	// Automate closes a share of a rule's alerts without a person; Tune
	// stops them being raised. Both remove them from triage.
	Automate []RuleShare `yaml:"automate,omitempty" json:"automate,omitempty"`
	Tune     []RuleShare `yaml:"tune,omitempty" json:"tune,omitempty"`
	// Growth replaces the volume growth (0.2 = 20 % more of everything).
	Growth *float64 `yaml:"growth,omitempty" json:"growth,omitempty"`
	// TriageHandleTime, Shrinkage and TargetServiceLevel replace the
	// staffing settings.
	TriageHandleTime   *staffing.Duration `yaml:"triage_handle_time,omitempty" json:"triage_handle_time,omitempty"`
	Shrinkage          *float64           `yaml:"shrinkage,omitempty" json:"shrinkage,omitempty"`
	TargetServiceLevel *float64           `yaml:"target_service_level,omitempty" json:"target_service_level,omitempty"`
	// AddTools are bought and DropTools (by name) cancelled.
	AddTools  []Tool   `yaml:"add_tools,omitempty" json:"add_tools,omitempty"`
	DropTools []string `yaml:"drop_tools,omitempty" json:"drop_tools,omitempty"`
	// GBPerDay replaces the ingest volume.
	GBPerDay *float64 `yaml:"gb_per_day,omitempty" json:"gb_per_day,omitempty"`
}

// Config is the budget configuration (the "budget" key of the plan file).
type Config struct {
	Currency string `yaml:"currency,omitempty" json:"currency,omitempty"`
	// Tiers are loaded costs by tier ("L1", "L2", "L3" …); a tier not
	// listed uses the mean hourly cost of its analysts on the roster.
	Tiers map[string]TierCost `yaml:"tiers,omitempty" json:"tiers,omitempty"`
	// Mix is the tier mix of planned analysts (shares, normalised);
	// default: today's roster.
	Mix map[string]float64 `yaml:"mix,omitempty" json:"mix,omitempty"`
	// GBPerDay is the ingest volume; Endpoints the endpoints covered.
	GBPerDay  float64   `yaml:"gb_per_day,omitempty" json:"gb_per_day,omitempty"`
	Endpoints float64   `yaml:"endpoints,omitempty" json:"endpoints,omitempty"`
	Tools     []Tool    `yaml:"tools,omitempty" json:"tools,omitempty"`
	Services  []Service `yaml:"services,omitempty" json:"services,omitempty"`
	// TrainingPerAnalyst is the annual training budget per analyst;
	// Training lists other training costs.
	TrainingPerAnalyst float64    `yaml:"training_per_analyst,omitempty" json:"training_per_analyst,omitempty"`
	Training           []Service  `yaml:"training,omitempty" json:"training,omitempty"`
	Scenarios          []Scenario `yaml:"scenarios,omitempty" json:"scenarios,omitempty"`
}

// LoadConfig reads the "budget" key of a YAML file.
func LoadConfig(path string) (Config, error) {
	var cfg Config
	if err := staffing.LoadSection(path, "budget", &cfg); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// DecodeConfig reads the "budget" key of a YAML document; unknown keys are
// errors.
func DecodeConfig(r io.Reader, name string) (Config, error) {
	var cfg Config
	if err := staffing.DecodeSection(r, name, "budget", &cfg); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// Validate checks the configuration.
func (c Config) Validate() error {
	for i, t := range c.Tools {
		if err := t.check(); err != nil {
			return fmt.Errorf("tools[%d]: %w", i, err)
		}
	}
	for i, s := range c.Scenarios {
		if s.Name == "" {
			return fmt.Errorf("scenarios[%d] has no name", i)
		}
		for _, t := range s.AddTools {
			if err := t.check(); err != nil {
				return fmt.Errorf("scenario %q: %w", s.Name, err)
			}
		}
		for _, r := range append(append([]RuleShare(nil), s.Automate...), s.Tune...) {
			if r.Rule == "" || r.Share < 0 || r.Share > 1 {
				return fmt.Errorf("scenario %q: rule shares need a rule and a share between 0 and 1", s.Name)
			}
		}
	}
	for tier, tc := range c.Tiers {
		if tc.Hourly < 0 || tc.Annual < 0 || tc.Hourly > 0 && tc.Annual > 0 {
			return fmt.Errorf("tier %s: give either an hourly or an annual loaded cost", tier)
		}
	}
	for tier, v := range c.Mix {
		if v < 0 || math.IsNaN(v) {
			return fmt.Errorf("mix: tier %s has a negative share", tier)
		}
	}
	if c.GBPerDay < 0 || c.Endpoints < 0 || c.TrainingPerAnalyst < 0 {
		return errors.New("gb_per_day, endpoints and training_per_analyst must not be negative")
	}
	return nil
}

func (t Tool) check() error {
	switch t.Pricing {
	case PerGBDay, PerEndpoint, PerSeat, Flat:
	default:
		return fmt.Errorf("tool %q: pricing %q, want %s, %s, %s or %s", t.Name, t.Pricing, PerGBDay, PerEndpoint, PerSeat, Flat)
	}
	if t.Name == "" || t.Price < 0 || t.Quantity < 0 {
		return fmt.Errorf("tool %q: needs a name and non-negative price and quantity", t.Name)
	}
	if t.Period != "" && t.Period != "month" && t.Period != "year" {
		return fmt.Errorf("tool %q: period %q, want month or year", t.Name, t.Period)
	}
	return nil
}

// History is what the budget reads from the store besides the staffing
// model's inputs.
type History interface {
	staffing.History
	WorkloadCaseCounts(ctx context.Context, since, until time.Time) (store.CaseCounts, error)
}

// Line is one cost line, per column.
type Line struct {
	Category string `json:"category"` // staff, tools, services, training
	Name     string `json:"name"`
	// Basis says how the line is priced.
	Basis   string    `json:"basis"`
	Monthly []float64 `json:"monthly"`
}

// Column is the baseline or one scenario.
type Column struct {
	Name string `json:"name"`
	// Changes lists what the scenario changes.
	Changes []string `json:"changes,omitempty"`
	// FTE are the analysts the column pays for, by tier.
	FTE       float64            `json:"fte"`
	FTEByTier map[string]float64 `json:"fte_by_tier"`
	// Monthly and Annual are the totals; DeltaAnnual the difference from
	// the baseline.
	Monthly     float64 `json:"monthly"`
	Annual      float64 `json:"annual"`
	DeltaAnnual float64 `json:"delta_annual"`
	// StaffingPlanFTE is the FTE the staffing plan asks for (absent for
	// today's roster).
	Notes []string `json:"notes,omitempty"`
}

// Unit is a unit cost per column.
type Unit struct {
	Name string `json:"name"`
	// PerMonth is the monthly count of units.
	PerMonth []float64 `json:"per_month"`
	Cost     []float64 `json:"cost"`
}

// NoCurrency is a plan's currency when the budget configuration names
// none.
const NoCurrency = "(currency not set)"

// Plan is the SOC operations budget.
type Plan struct {
	Currency string   `json:"currency"`
	Columns  []Column `json:"columns"`
	Lines    []Line   `json:"lines"`
	Units    []Unit   `json:"unit_costs"`
	// Sources say where prices and volumes came from.
	Sources []string `json:"sources"`
	// Assumptions are the staffing plan's defaults, which every column
	// inherits.
	Assumptions []staffing.Assumption `json:"assumptions"`
	Notes       []string              `json:"notes,omitempty"`
	// HistorySince and HistoryUntil are the history modelled.
	HistorySince time.Time `json:"history_since,omitzero"`
	HistoryUntil time.Time `json:"history_until,omitzero"`
}

// weeksPerMonth converts weekly figures to monthly ones.
const weeksPerMonth = 52.0 / 12

// Build costs today's roster, the staffing plan and each scenario. Only
// the named scenarios are built (all configured ones when names is empty);
// a name that is not configured is read as an inline scenario (see
// ParseScenario).
func Build(ctx context.Context, h History, scfg staffing.Config, bcfg Config, names []string) (*Plan, error) {
	if err := bcfg.Validate(); err != nil {
		return nil, err
	}
	// Scenarios that change the model's inputs model the same history
	// again: it is read once.
	mh := staffing.Memo(h)
	w, err := staffing.Model(ctx, mh, scfg)
	if err != nil {
		return nil, err
	}
	if len(w.Queues) == 0 {
		return nil, staffing.ErrNoWorkload
	}
	scenarios := bcfg.Scenarios
	if len(names) > 0 {
		scenarios = nil
		for _, n := range names {
			sc, ok := findScenario(bcfg.Scenarios, n)
			if !ok {
				if sc, err = ParseScenario(n); err != nil {
					return nil, err
				}
			}
			scenarios = append(scenarios, sc)
		}
	}
	counts, err := h.WorkloadCaseCounts(ctx, w.Since, w.Until)
	if err != nil {
		return nil, err
	}
	contract := contractHours(scfg)
	costs, tierSrc, err := tierCosts(w.Roster, bcfg, contract)
	if err != nil {
		return nil, err
	}
	mix, mixSrc := tierMix(w.Roster, bcfg)
	p := &Plan{Currency: bcfg.Currency, Assumptions: w.Assumptions, Notes: append([]string(nil), w.Notes...),
		HistorySince: w.Since, HistoryUntil: w.Until}
	if p.Currency == "" {
		p.Currency = NoCurrency
	}
	p.Sources = append(p.Sources, tierSrc...)
	p.Sources = append(p.Sources, mixSrc)
	if len(bcfg.Tools) == 0 {
		p.Notes = append(p.Notes, "No tools configured: tool costs are not in these totals (add budget.tools).")
	}
	if bcfg.Endpoints == 0 {
		p.Notes = append(p.Notes, "No endpoint count configured: no cost per endpoint (set budget.endpoints).")
	}

	// Today's roster.
	var alertsWeekly float64
	for _, v := range w.Rules {
		alertsWeekly += float64(v.Alerts)
	}
	alertsWeekly /= math.Max(w.Weeks, 1e-9)
	casesMonthly := float64(counts.Cases) / math.Max(w.Weeks, 1e-9) * weeksPerMonth
	incMonthly := float64(counts.Incidents) / math.Max(w.Weeks, 1e-9) * weeksPerMonth
	today := columnInput{name: "today's roster", byTier: map[string]float64{}, gb: bcfg.GBPerDay, tools: bcfg.Tools, growth: 0}
	for _, a := range w.Roster.Analysts {
		if a.Active {
			today.byTier[tierOf(a)]++
		}
	}
	// Baseline: the staffing plan.
	base, err := planColumn("staffing plan", w, scfg, bcfg, mix, nil)
	if err != nil {
		return nil, err
	}
	inputs := []columnInput{today, base}
	for _, sc := range scenarios {
		ci, err := scenarioColumn(ctx, mh, sc, w, scfg, bcfg, mix)
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", sc.Name, err)
		}
		inputs = append(inputs, ci)
	}
	vol := volumes{alertsWeekly: alertsWeekly, casesMonthly: casesMonthly, incidentsMonthly: incMonthly, endpoints: bcfg.Endpoints}
	p.price(inputs, costs, contract, bcfg, vol)
	return p, nil
}

// volumes are the work the unit costs divide by: alerts a week and cases
// and incidents a month in the history window (before growth), and the
// endpoints covered.
type volumes struct {
	alertsWeekly, casesMonthly, incidentsMonthly, endpoints float64
}

// price fills the plan's cost lines, column totals and unit costs from
// what each column pays for: staff by tier at its loaded hourly cost for
// the contract hours, tools by pricing model, services and training.
// Column 1 (the staffing plan) is the baseline of the deltas.
func (p *Plan) price(inputs []columnInput, costs map[string]float64, contract float64, bcfg Config, vol volumes) {
	tiers := map[string]bool{}
	for _, ci := range inputs {
		for t := range ci.byTier {
			tiers[t] = true
		}
	}
	tierNames := slices.Sorted(maps.Keys(tiers))
	n := len(inputs)
	for _, t := range tierNames {
		l := Line{Category: "staff", Name: "analysts " + t, Monthly: make([]float64, n),
			Basis: fmt.Sprintf("FTE × %s/h loaded × %.0f h/week × 52/12", money(costs[t]), contract)}
		for i, ci := range inputs {
			l.Monthly[i] = ci.byTier[t] * costs[t] * contract * weeksPerMonth
		}
		p.Lines = append(p.Lines, l)
	}
	toolNames := map[string]bool{}
	for _, ci := range inputs {
		for _, t := range ci.tools {
			toolNames[t.Name] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(toolNames)) {
		l := Line{Category: "tools", Name: name, Monthly: make([]float64, n)}
		for i, ci := range inputs {
			for _, t := range ci.tools {
				if t.Name != name {
					continue
				}
				qty, unit, from := t.Quantity, "", "configured quantity"
				switch t.Pricing {
				case PerGBDay:
					unit = "GB/day"
					if qty == 0 {
						qty, from = ci.gb, "budget.gb_per_day"
					}
				case PerEndpoint:
					unit = "endpoint"
					if qty == 0 {
						qty, from = bcfg.Endpoints, "budget.endpoints"
					}
				case PerSeat:
					unit = "seat"
					if qty == 0 {
						qty, from = math.Ceil(ci.fte()-1e-9), "one seat per analyst"
					}
				case Flat:
					qty, unit, from = 1, "tool", "flat"
				}
				price := t.Price
				per := "month"
				if t.Period == "year" {
					price /= 12
					per = "year"
				}
				l.Monthly[i] += price * qty
				if l.Basis == "" {
					l.Basis = fmt.Sprintf("%s per %s per %s × %s", money(t.Price), unit, per, from)
				}
			}
		}
		p.Lines = append(p.Lines, l)
	}
	for _, s := range bcfg.Services {
		l := Line{Category: "services", Name: s.Name, Basis: "contract", Monthly: make([]float64, n)}
		for i := range inputs {
			l.Monthly[i] = s.Monthly + s.Annual/12
		}
		p.Lines = append(p.Lines, l)
	}
	if bcfg.TrainingPerAnalyst > 0 {
		l := Line{Category: "training", Name: "training per analyst", Basis: fmt.Sprintf("FTE × %s a year", money(bcfg.TrainingPerAnalyst)),
			Monthly: make([]float64, n)}
		for i, ci := range inputs {
			l.Monthly[i] = ci.fte() * bcfg.TrainingPerAnalyst / 12
		}
		p.Lines = append(p.Lines, l)
	}
	for _, s := range bcfg.Training {
		l := Line{Category: "training", Name: s.Name, Basis: "contract", Monthly: make([]float64, n)}
		for i := range inputs {
			l.Monthly[i] = s.Monthly + s.Annual/12
		}
		p.Lines = append(p.Lines, l)
	}
	for i, ci := range inputs {
		c := Column{Name: ci.name, Changes: ci.changes, FTE: ci.fte(), FTEByTier: ci.byTier, Notes: ci.notes}
		for _, l := range p.Lines {
			c.Monthly += l.Monthly[i]
		}
		c.Annual = 12 * c.Monthly
		p.Columns = append(p.Columns, c)
	}
	for i := range p.Columns {
		p.Columns[i].DeltaAnnual = p.Columns[i].Annual - p.Columns[1].Annual
	}
	// Unit costs.
	unit := func(name string, perMonth func(ci columnInput) float64) {
		u := Unit{Name: name, PerMonth: make([]float64, n), Cost: make([]float64, n)}
		for i, ci := range inputs {
			u.PerMonth[i] = perMonth(ci)
			if u.PerMonth[i] > 0 {
				u.Cost[i] = p.Columns[i].Monthly / u.PerMonth[i]
			}
		}
		p.Units = append(p.Units, u)
	}
	unit("per alert", func(ci columnInput) float64 { return vol.alertsWeekly * weeksPerMonth * (1 + ci.growth) })
	unit("per case", func(ci columnInput) float64 { return vol.casesMonthly * (1 + ci.growth) })
	unit("per incident (true-positive case)", func(ci columnInput) float64 { return vol.incidentsMonthly * (1 + ci.growth) })
	if vol.endpoints > 0 {
		unit("per endpoint", func(columnInput) float64 { return vol.endpoints })
	}
}

// columnInput is what one column pays for.
type columnInput struct {
	name    string
	changes []string
	notes   []string
	byTier  map[string]float64
	gb      float64
	tools   []Tool
	growth  float64
}

func (c columnInput) fte() float64 {
	var s float64
	for _, v := range c.byTier {
		s += v
	}
	return s
}

func contractHours(c staffing.Config) float64 {
	if c.ContractHours != nil {
		return *c.ContractHours
	}
	return staffing.DefaultContractHours
}

// planColumn sizes and schedules w and costs the resulting FTE.
func planColumn(name string, w *staffing.Workload, scfg staffing.Config, bcfg Config, mix map[string]float64, changes []string) (columnInput, error) {
	p, err := staffing.Build(w, scfg, staffing.Options{})
	if err != nil {
		return columnInput{}, err
	}
	ci := columnInput{name: name, changes: changes, byTier: map[string]float64{}, gb: bcfg.GBPerDay, tools: bcfg.Tools, growth: w.Growth}
	for t, share := range mix {
		ci.byTier[t] = p.FTE * share
	}
	return ci, nil
}

// scenarioColumn applies a scenario to a copy of the workload and the
// configurations and costs the result.
func scenarioColumn(ctx context.Context, h staffing.History, sc Scenario, base *staffing.Workload, scfg staffing.Config, bcfg Config, mix map[string]float64) (columnInput, error) {
	w := base.Clone()
	var changes, notes []string
	if sc.Growth != nil || sc.TriageHandleTime != nil {
		// Growth and triage time are inputs of the workload model: model
		// it again with them.
		if sc.Growth != nil {
			g := *sc.Growth
			scfg.Growth = &g
			changes = append(changes, fmt.Sprintf("volume growth %+.0f%%", 100*g))
		}
		if sc.TriageHandleTime != nil {
			d := *sc.TriageHandleTime
			scfg.TriageHandleTime = &d
			changes = append(changes, "triage time "+d.String())
		}
		var err error
		if w, err = staffing.Model(ctx, h, scfg); err != nil {
			return columnInput{}, err
		}
	}
	for _, r := range sc.Automate {
		removed, err := w.ReduceRule(r.Rule, r.Share)
		if err != nil {
			return columnInput{}, err
		}
		changes = append(changes, fmt.Sprintf("automation closes %.0f%% of %s (%.0f alerts a week fewer to triage)", 100*r.Share, r.Rule, removed))
	}
	for _, r := range sc.Tune {
		removed, err := w.ReduceRule(r.Rule, r.Share)
		if err != nil {
			return columnInput{}, err
		}
		changes = append(changes, fmt.Sprintf("tuning removes %.0f%% of %s (%.0f alerts a week fewer to triage)", 100*r.Share, r.Rule, removed))
	}
	if (len(sc.Automate) > 0 || len(sc.Tune) > 0) && !hasAlerts(w) {
		notes = append(notes, "automation and tuning change no staffing here: alert triage is not planned (set staffing.triage_handle_time)")
	}
	if sc.Shrinkage != nil {
		v := *sc.Shrinkage
		scfg.Shrinkage = &v
		changes = append(changes, fmt.Sprintf("shrinkage %.0f%%", 100*v))
	}
	if sc.TargetServiceLevel != nil {
		v := *sc.TargetServiceLevel
		for i := range w.Queues {
			w.Queues[i].TargetServiceLevel = v
		}
		changes = append(changes, fmt.Sprintf("target service level %.0f%%", 100*v))
	}
	ci, err := planColumn(sc.Name, w, scfg, bcfg, mix, changes)
	if err != nil {
		return ci, err
	}
	ci.notes = notes
	if sc.GBPerDay != nil {
		ci.gb = *sc.GBPerDay
		ci.changes = append(ci.changes, fmt.Sprintf("ingest %.0f GB/day", ci.gb))
	}
	drop := map[string]bool{}
	for _, d := range sc.DropTools {
		drop[d] = true
		ci.changes = append(ci.changes, "drop "+d)
	}
	ci.tools = nil
	for _, t := range bcfg.Tools {
		if !drop[t.Name] {
			ci.tools = append(ci.tools, t)
		}
	}
	for _, t := range sc.AddTools {
		ci.tools = append(ci.tools, t)
		ci.changes = append(ci.changes, "add "+t.Name)
	}
	return ci, nil
}

func hasAlerts(w *staffing.Workload) bool {
	for _, q := range w.Queues {
		if q.Kind == staffing.Alerts {
			return true
		}
	}
	return false
}

func findScenario(list []Scenario, name string) (Scenario, bool) {
	for _, s := range list {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Scenario{}, false
}

// ParseScenario reads an inline scenario, "kind:value":
//
//	automate:RULE=SHARE   automation closes SHARE (0–1) of RULE's alerts
//	tune:RULE=SHARE       tuning stops SHARE of RULE's alerts
//	growth:G              volume changes by G (0.2 = +20 %)
//	triage-time:D         mean triage time D (Go duration or seconds)
//	shrinkage:S           shrinkage S
//	target-sl:S           target service level S for every queue
//
// Several parts can be joined with "+", as one scenario.
func ParseScenario(spec string) (Scenario, error) {
	sc := Scenario{Name: spec}
	for _, part := range strings.Split(spec, "+") {
		kind, val, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return sc, fmt.Errorf("scenario %q is neither configured nor of the form kind:value (automate:RULE=0.3, tune:RULE=0.5, "+
				"growth:0.2, triage-time:4m, shrinkage:0.35, target-sl:0.95)", spec)
		}
		num := func() (float64, error) {
			v, err := strconv.ParseFloat(val, 64)
			if err != nil || math.IsNaN(v) {
				return 0, fmt.Errorf("scenario %q: %q is not a number", spec, val)
			}
			return v, nil
		}
		switch kind {
		case "automate", "tune":
			rule, share, ok := strings.Cut(val, "=")
			v, err := strconv.ParseFloat(share, 64)
			if !ok || err != nil || rule == "" || v < 0 || v > 1 {
				return sc, fmt.Errorf("scenario %q: want %s:RULE=SHARE with SHARE between 0 and 1", spec, kind)
			}
			if kind == "automate" {
				sc.Automate = append(sc.Automate, RuleShare{Rule: rule, Share: v})
			} else {
				sc.Tune = append(sc.Tune, RuleShare{Rule: rule, Share: v})
			}
		case "growth":
			v, err := num()
			if err != nil || v <= -1 {
				return sc, fmt.Errorf("scenario %q: growth must be a number above -1", spec)
			}
			sc.Growth = &v
		case "triage-time":
			d, err := staffing.ParseDuration(val)
			if err != nil || d <= 0 {
				return sc, fmt.Errorf("scenario %q: triage-time needs a positive duration", spec)
			}
			sc.TriageHandleTime = &d
		case "shrinkage":
			v, err := num()
			if err != nil || v < 0 || v >= 1 {
				return sc, fmt.Errorf("scenario %q: shrinkage must be between 0 and 1", spec)
			}
			sc.Shrinkage = &v
		case "target-sl":
			v, err := num()
			if err != nil || v <= 0 || v >= 1 {
				return sc, fmt.Errorf("scenario %q: target-sl must be between 0 and 1", spec)
			}
			sc.TargetServiceLevel = &v
		default:
			return sc, fmt.Errorf("scenario %q: unknown kind %q", spec, kind)
		}
	}
	return sc, nil
}

func tierOf(a model.Analyst) string {
	if a.Tier == "" {
		return "untiered"
	}
	return string(a.Tier)
}

// tierCosts returns the loaded hourly cost per tier: configured, else the
// mean of the roster's hourly costs for the tier.
func tierCosts(ro store.Roster, c Config, contract float64) (map[string]float64, []string, error) {
	out := map[string]float64{}
	sum, n := map[string]float64{}, map[string]int{}
	for _, a := range ro.Analysts {
		if a.Active && a.HourlyCost > 0 {
			sum[tierOf(a)] += a.HourlyCost
			n[tierOf(a)]++
		}
	}
	var src []string
	tiers := map[string]bool{}
	for _, a := range ro.Analysts {
		if a.Active {
			tiers[tierOf(a)] = true
		}
	}
	for t := range c.Tiers {
		tiers[t] = true
	}
	for t := range c.Mix {
		tiers[t] = true
	}
	for _, t := range slices.Sorted(maps.Keys(tiers)) {
		switch tc, ok := c.Tiers[t]; {
		case ok && tc.Hourly > 0:
			out[t] = tc.Hourly
			src = append(src, fmt.Sprintf("%s loaded cost %s/h from the budget configuration", t, money(tc.Hourly)))
		case ok && tc.Annual > 0:
			out[t] = tc.Annual / (contract * 52)
			src = append(src, fmt.Sprintf("%s loaded cost %s a year from the budget configuration", t, money(tc.Annual)))
		case n[t] > 0:
			out[t] = sum[t] / float64(n[t])
			src = append(src, fmt.Sprintf("%s loaded cost %s/h: mean hourly cost of %d %s analysts on the roster", t, money(out[t]), n[t], t))
		default:
			return nil, nil, fmt.Errorf("no cost for %s analysts: the roster records no hourly cost for them; set budget.tiers.%s", t, t)
		}
	}
	return out, src, nil
}

// tierMix returns the tier shares of planned analysts.
func tierMix(ro store.Roster, c Config) (map[string]float64, string) {
	mix := map[string]float64{}
	src := "tier mix of planned analysts from the budget configuration"
	if len(c.Mix) > 0 {
		for t, v := range c.Mix {
			mix[t] = v
		}
	} else {
		for _, a := range ro.Analysts {
			if a.Active {
				mix[tierOf(a)]++
			}
		}
		src = "tier mix of planned analysts as on today's roster"
	}
	var total float64
	for _, v := range mix {
		total += v
	}
	if total == 0 {
		return map[string]float64{"untiered": 1}, "no tiers on the roster: planned analysts are untiered"
	}
	for t := range mix {
		mix[t] /= total
	}
	return mix, src
}

func money(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
