package staffing

import (
	"fmt"
	"math"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing/erlang"
	"github.com/watchfloor/watchfloor/internal/staffing/schedule"
	"github.com/watchfloor/watchfloor/internal/staffing/sim"
)

// Options choose the optional parts of a plan.
type Options struct {
	// Simulate validates the proposed schedule by simulation.
	Simulate bool
	// Replay makes the simulation replay the recorded arrivals (one
	// replication per whole week of history) instead of drawing Poisson
	// arrivals from the hourly profile.
	Replay bool
	// Skills adds the skill matrix.
	Skills bool
}

// Plan is a staffing plan: analysts needed per hour of the week, a shift
// schedule that covers them, today's roster against it, a simulation of
// the schedule and the checks of the model's assumptions.
type Plan struct {
	// ServiceLevelDefinition says what every service level in the plan
	// measures.
	ServiceLevelDefinition string    `json:"service_level_definition"`
	TimeZone               string    `json:"time_zone"`
	HistorySince           time.Time `json:"history_since"`
	HistoryUntil           time.Time `json:"history_until"`
	Shrinkage              float64   `json:"shrinkage"`
	MaxOccupancy           float64   `json:"max_occupancy"`
	ContractHours          float64   `json:"contract_hours"`
	MinHeads               int       `json:"min_heads"`
	Growth                 float64   `json:"growth"`
	// Queues summarise each queue over the week.
	Queues []QueuePlan `json:"queues"`
	// Hours are the 168 hours of the week, Monday 00:00 local first.
	Hours []HourPlan `json:"hours"`
	// AgentHours is the productive analyst-hours a week the queues need;
	// HeadHours the on-duty hours with shrinkage.
	AgentHours float64 `json:"agent_hours"`
	HeadHours  float64 `json:"head_hours"`
	// Schedule is the proposed roster of shifts.
	Schedule *schedule.Solution `json:"schedule"`
	// DefaultTemplates is true when no shift templates were configured.
	DefaultTemplates bool `json:"default_templates"`
	// FTE is the schedule's paid hours ÷ contract hours.
	FTE float64 `json:"fte"`
	// Current compares today's roster with the requirement.
	Current *RosterComparison `json:"current_roster,omitempty"`
	// Validation is the simulation of the proposed schedule.
	Validation *Validation `json:"validation,omitempty"`
	// Checks say where the model's assumptions hold and where they break.
	Checks []Check `json:"assumption_checks"`
	// Assumptions are the inputs that are defaults, not data.
	Assumptions []Assumption `json:"assumptions"`
	// Skills is the skill matrix, when asked for.
	Skills *SkillMatrix `json:"skill_matrix,omitempty"`
	// Workload is the model the plan was sized from.
	Workload *Workload `json:"workload"`

	// rates are the queues' offered rates per hour (offeredRates), which
	// sizing and today's roster both evaluate.
	rates [][]float64
}

// QueuePlan is one queue over the week.
type QueuePlan struct {
	Queue               string         `json:"queue"`
	Kind                QueueKind      `json:"kind"`
	Priority            model.Priority `json:"priority"`
	WeeklyArrivals      float64        `json:"weekly_arrivals"`
	HandleSeconds       float64        `json:"handle_seconds"`
	Concurrency         float64        `json:"concurrency"`
	EffortSeconds       float64        `json:"effort_seconds"`
	AnswerWithinSeconds float64        `json:"answer_within_seconds"`
	TargetServiceLevel  float64        `json:"target_service_level"`
	// Model is how the queue is sized: erlang_c_priority on the shared
	// floor, erlang_a on analysts of its own.
	Model string `json:"model"`
	// AgentHours is the analyst-hours a week the queue adds to the floor
	// (on the shared floor: beyond what the queues before it need);
	// PeakAgents the most it adds in any hour.
	AgentHours float64 `json:"agent_hours"`
	PeakAgents int     `json:"peak_agents"`
	// PlannedServiceLevel is the arrival-weighted P(answered within) over
	// the week with the planned agents (Erlang).
	PlannedServiceLevel float64 `json:"planned_service_level"`
	// Measured is the service level the history shows, for comparison.
	Measured *MeasuredSL       `json:"measured,omitempty"`
	Sources  map[string]Source `json:"sources"`
}

// QueueHour is one queue in one hour. Agents is what the queue adds to
// the floor; ServiceLevel and ASASeconds its own with the whole floor;
// Occupancy the floor's (on the shared floor) or its own analysts'.
type QueueHour struct {
	Queue           string  `json:"queue"`
	ArrivalsPerHour float64 `json:"arrivals_per_hour"`
	Agents          int     `json:"agents"`
	ServiceLevel    float64 `json:"service_level"`
	ASASeconds      float64 `json:"asa_seconds"`
	Occupancy       float64 `json:"occupancy"`
}

// HourPlan is one hour of the week.
type HourPlan struct {
	Hour int    `json:"hour_of_week"`
	Day  string `json:"day"`
	Time string `json:"time"`
	// Agents are the productive analysts the queues need; Heads the people
	// on duty that takes with shrinkage (before the minimum).
	Agents int `json:"agents"`
	Heads  int `json:"heads"`
	// Scheduled is the heads on duty in the proposed schedule.
	Scheduled int `json:"scheduled"`
	// Current is the expected heads on duty with today's roster.
	Current *float64    `json:"current,omitempty"`
	Queues  []QueueHour `json:"queues"`
}

// Check is the verdict on one of the model's assumptions.
type Check struct {
	Assumption string `json:"assumption"`
	Queue      string `json:"queue,omitempty"`
	Holds      bool   `json:"holds"`
	Detail     string `json:"detail"`
}

func (c Config) orDefault() (shrink, occ, contract float64, minHeads int) {
	shrink, occ, contract, minHeads = DefaultShrinkage, DefaultMaxOccupancy, DefaultContractHours, DefaultMinHeads
	if c.Shrinkage != nil {
		shrink = *c.Shrinkage
	}
	if c.MaxOccupancy != nil {
		occ = *c.MaxOccupancy
	}
	if c.ContractHours != nil {
		contract = *c.ContractHours
	}
	if c.MinHeads != nil {
		minHeads = *c.MinHeads
	}
	return
}

var dayNames = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// Size computes the analysts the floor needs in each hour and the heads
// on duty with shrinkage: the Erlang part of a plan, without scheduling.
//
// The queues without a patience share one floor that serves them in
// priority order (the order of w.Queues), first come first served within
// a queue: each hour's floor is the fewest analysts with which every
// queue meets its target (erlang.RequiredPriority), so a queue that may
// wait hours rides on the analysts the urgent ones need instead of
// claiming an analyst of its own every hour. Each queue is credited with
// the analysts it adds to the floor of the queues before it. A queue with
// a patience (Erlang A) is sized on its own, on analysts of its own.
func Size(w *Workload, cfg Config) (*Plan, error) {
	shrink, occ, contract, minHeads := cfg.orDefault()
	p := &Plan{
		ServiceLevelDefinition: "P(answered within T): the share of all items that an analyst starts working within the queue's " +
			"answer-within time T of their arrival (queues share one floor served in priority order: Erlang C with Cobham's " +
			"priority waits; Erlang A on analysts of its own where a patience is set, abandoned items counting as not answered)",
		TimeZone: w.TimeZone, HistorySince: w.Since, HistoryUntil: w.Until, Shrinkage: shrink, MaxOccupancy: occ,
		ContractHours: contract, MinHeads: minHeads, Growth: w.Growth, Workload: w, Assumptions: w.Assumptions,
	}
	p.Hours = make([]HourPlan, HoursPerWeek)
	for h := range p.Hours {
		p.Hours[h] = HourPlan{Hour: h, Day: dayNames[h/24], Time: fmt.Sprintf("%02d:00", h%24), Queues: make([]QueueHour, len(w.Queues))}
	}
	p.Queues = make([]QueuePlan, len(w.Queues))
	p.rates = make([][]float64, len(w.Queues))
	for i, q := range w.Queues {
		p.rates[i] = offeredRates(q.ArrivalsPerHour, q.EffortSeconds)
	}
	var shared []int
	for i, q := range w.Queues {
		p.Queues[i] = QueuePlan{Queue: q.Name, Kind: q.Kind, Priority: q.Priority, WeeklyArrivals: q.WeeklyArrivals,
			HandleSeconds: q.HandleSeconds, Concurrency: q.Concurrency, EffortSeconds: q.EffortSeconds,
			AnswerWithinSeconds: q.AnswerWithinSeconds, TargetServiceLevel: q.TargetServiceLevel, Sources: q.Sources,
			Model: erlang.ModelPriority, Measured: q.Measured}
		if q.PatienceSeconds > 0 {
			p.Queues[i].Model = erlang.ModelA
			if err := sizeOwn(p, i, q, occ); err != nil {
				return nil, err
			}
			continue
		}
		shared = append(shared, i)
	}
	if err := sizeShared(p, w, shared, occ); err != nil {
		return nil, err
	}
	for i, q := range w.Queues {
		qp := &p.Queues[i]
		var slWeighted float64
		for h := range p.Hours {
			qh := p.Hours[h].Queues[i]
			qp.AgentHours += float64(qh.Agents)
			qp.PeakAgents = max(qp.PeakAgents, qh.Agents)
			slWeighted += qh.ServiceLevel * q.ArrivalsPerHour[h]
			p.Hours[h].Agents += qh.Agents
		}
		qp.PlannedServiceLevel = 1
		if q.WeeklyArrivals > 0 {
			qp.PlannedServiceLevel = slWeighted / q.WeeklyArrivals
		}
		p.AgentHours += qp.AgentHours
	}
	for h := range p.Hours {
		p.Hours[h].Heads = int(math.Ceil(float64(p.Hours[h].Agents)/(1-shrink) - 1e-9))
		p.HeadHours += float64(p.Hours[h].Heads)
	}
	p.Checks = checks(w)
	return p, nil
}

// sizeOwn sizes queue i on analysts of its own, hour by hour.
func sizeOwn(p *Plan, i int, q Queue, occ float64) error {
	tgt := erlang.Target{AnswerWithin: q.AnswerWithinSeconds, ServiceLevel: q.TargetServiceLevel, MaxOccupancy: occ}
	for h := range p.Hours {
		eq := erlang.Queue{ArrivalRate: p.rates[i][h] / 3600, AHT: q.EffortSeconds, Patience: q.PatienceSeconds}
		r, err := erlang.Required(eq, tgt)
		if err != nil {
			return fmt.Errorf("sizing %s, %s %s: %w", q.Name, p.Hours[h].Day, p.Hours[h].Time, err)
		}
		p.Hours[h].Queues[i] = QueueHour{Queue: q.Name, ArrivalsPerHour: q.ArrivalsPerHour[h], Agents: r.Agents,
			ServiceLevel: r.ServiceLevel, ASASeconds: r.ASA, Occupancy: r.Occupancy}
	}
	return nil
}

// sizeShared sizes the shared floor of the queues idx (in priority order)
// hour by hour: the floor for the first k queues is found from the floor
// for the first k−1, and the difference credited to queue k.
func sizeShared(p *Plan, w *Workload, idx []int, occ float64) error {
	if len(idx) == 0 {
		return nil
	}
	classes := make([]erlang.Class, len(idx))
	targets := make([]erlang.Target, len(idx))
	for h := range p.Hours {
		for j, i := range idx {
			q := w.Queues[i]
			classes[j] = erlang.Class{ArrivalRate: p.rates[i][h] / 3600, AHT: q.EffortSeconds, AnswerWithin: q.AnswerWithinSeconds}
			targets[j] = erlang.Target{ServiceLevel: q.TargetServiceLevel, MaxOccupancy: occ}
			if q.ArrivalsPerHour[h] == 0 {
				// Nothing of this queue arrives this hour: its work carried
				// over from earlier hours loads the floor, but it has no
				// arrivals whose service level the hour must meet.
				targets[j].ServiceLevel = 0
			}
		}
		floor := 0
		var rs []erlang.Result
		for k := range idx {
			n, r, err := erlang.RequiredPriority(classes[:k+1], targets[:k+1], floor)
			if err != nil {
				return fmt.Errorf("sizing the shared floor up to %s, %s %s: %w", w.Queues[idx[k]].Name, p.Hours[h].Day, p.Hours[h].Time, err)
			}
			p.Hours[h].Queues[idx[k]].Agents = n - floor
			floor, rs = n, r
		}
		for j, i := range idx {
			p.Hours[h].Queues[i] = QueueHour{Queue: w.Queues[i].Name, ArrivalsPerHour: w.Queues[i].ArrivalsPerHour[h],
				Agents: p.Hours[h].Queues[i].Agents, ServiceLevel: rs[j].ServiceLevel, ASASeconds: rs[j].ASA, Occupancy: rs[j].Occupancy}
		}
	}
	return nil
}

// Build makes a complete plan: sizing, a schedule, today's roster against
// the requirement, and optionally a simulation and the skill matrix.
func Build(w *Workload, cfg Config, opt Options) (*Plan, error) {
	p, err := Size(w, cfg)
	if err != nil {
		return nil, err
	}
	tpl, def := cfg.templates()
	p.DefaultTemplates = def
	if def {
		p.Assumptions = append(append([]Assumption(nil), p.Assumptions...), Assumption{Input: "shift_templates",
			Value: "8h, 10h and 12h shifts at any hour", Note: "no shift templates configured; each shift is costed at its paid hours"})
	}
	req := make([]int, HoursPerWeek)
	for h := range p.Hours {
		req[h] = p.Hours[h].Heads
	}
	sol, err := schedule.Solve(schedule.Problem{Required: req, MinHeads: p.MinHeads, Templates: tpl})
	if err != nil {
		return nil, fmt.Errorf("scheduling: %w", err)
	}
	p.Schedule = &sol
	p.FTE = sol.PaidHours / p.ContractHours
	for h := range p.Hours {
		p.Hours[h].Scheduled = sol.Coverage[h].Scheduled
	}
	if p.Current, err = compareRoster(p, w); err != nil {
		return nil, err
	}
	if opt.Simulate {
		staff := make([]int, HoursPerWeek)
		planned := make([]float64, len(p.Queues))
		for h := range staff {
			staff[h] = int(math.Floor(float64(p.Hours[h].Scheduled)*(1-p.Shrinkage) + 1e-9))
		}
		for i, q := range p.Queues {
			planned[i] = q.PlannedServiceLevel
		}
		if p.Validation, err = simulate(w, cfg, staff, planned, opt.Replay); err != nil {
			return nil, fmt.Errorf("simulating the proposed schedule: %w", err)
		}
		p.Validation.Staffing = "the proposed schedule's heads on duty less shrinkage (rounded down) " + p.Validation.Staffing
		if p.Current != nil {
			if err := simulateRoster(p.Current, w, cfg, opt.Replay); err != nil {
				return nil, fmt.Errorf("simulating today's roster: %w", err)
			}
		}
	}
	if opt.Skills {
		p.Skills = skillMatrix(w, cfg)
	}
	return p, nil
}

// checks tests the assumptions behind the Erlang sizing against the data.
func checks(w *Workload) []Check {
	var out []Check
	for _, q := range w.Queues {
		for _, d := range q.Dispersion {
			bursty := d.PValue < 0.01 && d.Index > 1.2
			c := Check{Assumption: "Poisson arrivals", Queue: q.Name, Holds: !bursty}
			if bursty {
				c.Detail = fmt.Sprintf("arrivals are bursty at the scale of %s: index of dispersion %.2f (Poisson: 1; p = %.2g over %d degrees of freedom). "+
					"Erlang understates the waits; compare the simulation replaying history (--replay)", d.Scale, d.Index, d.PValue, d.DF)
			} else {
				c.Detail = fmt.Sprintf("index of dispersion %.2f at the scale of %s (p = %.2g): consistent with Poisson arrivals", d.Index, d.Scale, d.PValue)
			}
			out = append(out, c)
		}
		if q.Handle != nil && q.Handle.N > 1 {
			cv := q.Handle.CV
			ok := cv >= 0.5 && cv <= 1.5
			c := Check{Assumption: "exponential handle times", Queue: q.Name, Holds: ok}
			factor := (1 + cv*cv) / 2
			if ok {
				c.Detail = fmt.Sprintf("handle-time CV %.2f over %d items, close enough to 1", cv, q.Handle.N)
			} else {
				c.Detail = fmt.Sprintf("handle-time CV %.2f over %d items (exponential: 1): waits scale by about (1+CV²)/2 = %.2f (Allen–Cunneen); "+
					"the simulation draws the measured handle times", cv, q.Handle.N, factor)
			}
			out = append(out, c)
		}
		if q.EffortSeconds > 1800 {
			out = append(out, Check{Assumption: "steady state within each hour", Queue: q.Name, Holds: false,
				Detail: fmt.Sprintf("an item takes %.1f analyst-hours, longer than half the hourly interval: work carries over between hours. "+
					"Each hour is sized with the load carried into it (modified offered load), still in steady state within the hour, "+
					"so the hourly Erlang figures are approximate (conservative at peaks); the simulation carries the work itself", q.EffortSeconds/3600)})
		}
		if math.Abs(q.TrendPerWeek) > 0.02 && math.Abs(q.TrendZ) > 2 {
			out = append(out, Check{Assumption: "stationary volume", Queue: q.Name, Holds: false,
				Detail: fmt.Sprintf("volume changes by %+.1f %% a week over the history window (%.1f standard errors); set growth to plan ahead",
					100*q.TrendPerWeek, q.TrendZ)})
		}
	}
	var shared []Queue
	for _, q := range w.Queues {
		if q.PatienceSeconds == 0 {
			shared = append(shared, q)
		}
	}
	if len(shared) > 1 {
		lo, hi := shared[0], shared[0]
		var lam, work float64
		for _, q := range shared {
			if q.EffortSeconds < lo.EffortSeconds {
				lo = q
			}
			if q.EffortSeconds > hi.EffortSeconds {
				hi = q
			}
			lam += q.WeeklyArrivals
			work += q.WeeklyArrivals * q.EffortSeconds
		}
		ratio := hi.EffortSeconds / lo.EffortSeconds
		c := Check{Assumption: "one floor for all queues", Holds: ratio <= 2}
		if c.Holds {
			c.Detail = fmt.Sprintf("%d queues share one floor in priority order; their handle times are within a factor of %.1f, "+
				"so the floor is sized with their mean (Cobham's priority waits are exact for equal handle times)", len(shared), ratio)
		} else {
			mean := 0.0
			if lam > 0 {
				mean = work / lam
			}
			c.Detail = fmt.Sprintf("%d queues share one floor in priority order, sized with their mean handle time %s; handle times "+
				"differ by a factor of %.1f (%s for %s, %s for %s), so the priority waits are approximate; the simulation gives each "+
				"item its own measured handle time", len(shared), fmtSeconds(mean), ratio, fmtSeconds(hi.EffortSeconds), hi.Name,
				fmtSeconds(lo.EffortSeconds), lo.Name)
		}
		out = append(out, c)
	}
	return out
}

// RosterComparison is today's roster against the requirement.
type RosterComparison struct {
	// Analysts counts active analysts; OnShift those on a known shift.
	Analysts int `json:"analysts"`
	OnShift  int `json:"on_shift"`
	// Unscheduled lists active analysts without a known shift.
	Unscheduled []string `json:"unscheduled,omitempty"`
	// Availability is the share of its shift hours an analyst works
	// (contract hours ÷ the shift's weekly hours, at most 1), per shift.
	Availability map[string]float64 `json:"availability"`
	// ExpectedFTE is the roster's on-duty hours ÷ contract hours.
	ExpectedFTE float64 `json:"expected_fte"`
	// ShortHours are the head-hours a week under the requirement (after the
	// minimum heads); SurplusHours over it.
	ShortHours   float64        `json:"short_hours"`
	SurplusHours float64        `json:"surplus_hours"`
	HoursShort   int            `json:"hours_short"`
	Queues       []QueueOutcome `json:"queues"`
	Method       string         `json:"method"`
	// Simulation is today's roster simulated like the proposed schedule.
	Simulation *Validation `json:"simulation,omitempty"`

	agents []float64 // expected analysts available per hour, after shrinkage
}

// QueueOutcome is the SLA a queue can expect with today's roster.
type QueueOutcome struct {
	Queue              string  `json:"queue"`
	TargetServiceLevel float64 `json:"target_service_level"`
	// ServiceLevel is the arrival-weighted P(answered within) over the
	// week with the analysts the roster leaves for this queue.
	ServiceLevel float64 `json:"service_level"`
	// HoursBelowTarget counts hours with arrivals below the target.
	HoursBelowTarget int     `json:"hours_below_target"`
	WorstHour        string  `json:"worst_hour,omitempty"`
	WorstSL          float64 `json:"worst_service_level"`
	// Simulated is the service level the simulation of today's roster
	// achieves, with its 95 % confidence interval.
	Simulated *sim.Stat `json:"simulated_service_level,omitempty"`
	// Measured is the service level the history shows.
	Measured *MeasuredSL `json:"measured,omitempty"`
}

// compareRoster lays today's roster over the week and works out the gaps
// and their SLA consequence.
func compareRoster(p *Plan, w *Workload) (*RosterComparison, error) {
	ro := w.Roster
	rc := &RosterComparison{Availability: map[string]float64{},
		Method: "expected heads on duty per hour = analysts on each shift × the share of the shift's hours their contract covers; " +
			"the analysts available after shrinkage serve the queues as one floor in priority order (queues with a patience first " +
			"take up to their own requirement); a service level with a fractional number of analysts interpolates between the " +
			"whole numbers"}
	shifts := map[string]model.Shift{}
	for _, s := range ro.Shifts {
		shifts[s.Name] = s
	}
	cover := map[string][]float64{}
	expected := make([]float64, HoursPerWeek)
	ref := w.Until
	if ref.IsZero() {
		ref = time.Now()
	}
	for _, a := range ro.Analysts {
		if !a.Active {
			continue
		}
		rc.Analysts++
		s, ok := shifts[a.Shift]
		if !ok {
			rc.Unscheduled = append(rc.Unscheduled, a.ExternalID)
			continue
		}
		cv, ok := cover[s.Name]
		if !ok {
			var err error
			if cv, err = shiftCoverage(s, w.loc, ref); err != nil {
				return nil, err
			}
			cover[s.Name] = cv
			rc.Availability[s.Name] = availability(s, p.ContractHours)
		}
		rc.OnShift++
		for h := range expected {
			expected[h] += cv[h] * rc.Availability[s.Name]
		}
	}
	if rc.Analysts == 0 {
		return nil, nil
	}
	var onDuty float64
	for h := range p.Hours {
		v := expected[h]
		p.Hours[h].Current = &v
		onDuty += v
		need := float64(max(p.Hours[h].Heads, p.MinHeads))
		if v < need-1e-9 {
			rc.ShortHours += need - v
			rc.HoursShort++
		} else {
			rc.SurplusHours += v - need
		}
	}
	rc.ExpectedFTE = onDuty / p.ContractHours
	// SLA consequence.
	out := make([]QueueOutcome, len(w.Queues))
	weighted := make([]float64, len(w.Queues))
	for i, q := range w.Queues {
		out[i] = QueueOutcome{Queue: q.Name, TargetServiceLevel: q.TargetServiceLevel, WorstSL: 1, Measured: q.Measured}
	}
	agents := make([]float64, HoursPerWeek)
	for h := range p.Hours {
		agents[h] = expected[h] * (1 - p.Shrinkage)
		sls, err := rosterSL(p, w, h, agents[h])
		if err != nil {
			return nil, err
		}
		for i, q := range w.Queues {
			lam := q.ArrivalsPerHour[h]
			if lam == 0 {
				continue
			}
			sl := sls[i]
			weighted[i] += sl * lam
			if sl < q.TargetServiceLevel {
				out[i].HoursBelowTarget++
			}
			if sl < out[i].WorstSL {
				out[i].WorstSL = sl
				out[i].WorstHour = p.Hours[h].Day + " " + p.Hours[h].Time
			}
		}
	}
	for i, q := range w.Queues {
		out[i].ServiceLevel = 1
		if q.WeeklyArrivals > 0 {
			out[i].ServiceLevel = weighted[i] / q.WeeklyArrivals
		}
	}
	rc.agents = agents
	rc.Queues = out
	return rc, nil
}

// availability is the share of a shift's weekly hours a person with the
// given contract hours works (a shift without days runs every day).
func availability(s model.Shift, contractHours float64) float64 {
	return math.Min(1, contractHours/(s.Duration.Hours()*float64(len(s.Weekdays()))))
}

// rosterSL is each queue's service level in hour h with avail analysts
// (fractional: an expected number): the queues with analysts of their own
// take up to their requirement first, in order; the shared floor gets the
// rest. A fractional floor interpolates between the whole numbers around
// it.
func rosterSL(p *Plan, w *Workload, h int, avail float64) ([]float64, error) {
	out := make([]float64, len(w.Queues))
	left := avail
	var idx []int
	var classes []erlang.Class
	for i, q := range w.Queues {
		if q.PatienceSeconds == 0 {
			idx = append(idx, i)
			classes = append(classes, erlang.Class{ArrivalRate: p.rates[i][h] / 3600, AHT: q.EffortSeconds, AnswerWithin: q.AnswerWithinSeconds})
			continue
		}
		give := math.Min(left, float64(p.Hours[h].Queues[i].Agents))
		left -= give
		eq := erlang.Queue{ArrivalRate: p.rates[i][h] / 3600, AHT: q.EffortSeconds, Patience: q.PatienceSeconds}
		sl, err := interpolate(give, func(n int) ([]float64, error) {
			r, err := erlang.Evaluate(eq, n, q.AnswerWithinSeconds)
			return []float64{r.ServiceLevel}, err
		})
		if err != nil {
			return nil, fmt.Errorf("%s with today's roster: %w", q.Name, err)
		}
		out[i] = sl[0]
	}
	if len(idx) == 0 {
		return out, nil
	}
	sls, err := interpolate(left, func(n int) ([]float64, error) {
		rs, err := erlang.EvaluatePriority(classes, n)
		v := make([]float64, len(rs))
		for j, r := range rs {
			v[j] = r.ServiceLevel
		}
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("the shared floor with today's roster: %w", err)
	}
	for j, i := range idx {
		out[i] = sls[j]
	}
	return out, nil
}

// fmtSeconds formats seconds as a duration to the second.
func fmtSeconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Second).String()
}

// interpolate evaluates f at the whole numbers around x and interpolates
// linearly between them.
func interpolate(x float64, f func(int) ([]float64, error)) ([]float64, error) {
	lo := math.Floor(x)
	a, err := f(int(lo))
	if err != nil || x == lo {
		return a, err
	}
	b, err := f(int(lo) + 1)
	if err != nil {
		return nil, err
	}
	frac := x - lo
	for i := range a {
		a[i] = (1-frac)*a[i] + frac*b[i]
	}
	return a, nil
}

// shiftCoverage returns, per hour of the week in loc, the share of the hour
// a shift covers, for the week containing ref (shifts in another time zone
// are converted at that week's offsets).
func shiftCoverage(s model.Shift, loc *time.Location, ref time.Time) ([]float64, error) {
	out := make([]float64, HoursPerWeek)
	sloc, start, err := s.Clock(loc)
	if err != nil {
		return nil, err
	}
	days := s.Weekdays()
	// Monday 00:00 of the reference week, in the shift's zone.
	r := ref.In(sloc)
	monday := time.Date(r.Year(), r.Month(), r.Day(), 0, 0, 0, 0, sloc).AddDate(0, 0, -((int(r.Weekday()) + 6) % 7))
	for _, d := range days {
		day := monday.AddDate(0, 0, (int(d)+6)%7)
		from := day.Add(start)
		to := from.Add(s.Duration)
		// Walk the shift in quarter hours; each adds a quarter of an hour
		// to the local hour of the week it falls in (wrapping the week).
		for t := from; t.Before(to); t = t.Add(15 * time.Minute) {
			step := math.Min(15, to.Sub(t).Minutes()) / 60
			out[hourOfWeek(t, loc)] += step
		}
	}
	return out, nil
}

// heatRows formats the hour × weekday grid of a per-hour value.
func heatRows(f func(h int) string) [][]string {
	rows := make([][]string, 24)
	for hr := 0; hr < 24; hr++ {
		row := []string{fmt.Sprintf("%02d:00", hr)}
		for d := 0; d < 7; d++ {
			row = append(row, f(d*24+hr))
		}
		rows[hr] = row
	}
	return rows
}

// CoverageGrid is the hour × weekday heat map of required, scheduled and
// current heads, for tables and dashboards: Rows[hour][day].
type CoverageGrid struct {
	Days  []string         `json:"days"`
	Hours []string         `json:"hours"`
	Cells [][]CoverageCell `json:"cells"`
}

// CoverageCell is one hour of one weekday.
type CoverageCell struct {
	Required  int      `json:"required"`
	Scheduled int      `json:"scheduled"`
	Current   *float64 `json:"current,omitempty"`
}

// Coverage returns the plan's coverage as an hour × weekday grid.
func (p *Plan) Coverage() CoverageGrid {
	g := CoverageGrid{Days: dayNames[:]}
	for hr := 0; hr < 24; hr++ {
		g.Hours = append(g.Hours, fmt.Sprintf("%02d:00", hr))
		row := make([]CoverageCell, 7)
		for d := 0; d < 7; d++ {
			h := p.Hours[d*24+hr]
			row[d] = CoverageCell{Required: max(h.Heads, p.MinHeads), Scheduled: h.Scheduled, Current: h.Current}
		}
		g.Cells = append(g.Cells, row)
	}
	return g
}

// CoverageText renders the grid as table rows: "scheduled/required", and
// today's expected heads after a bar when known.
func (p *Plan) CoverageText() (columns []string, rows [][]string) {
	columns = append([]string{"hour"}, dayNames[:]...)
	rows = heatRows(func(h int) string {
		hp := p.Hours[h]
		s := fmt.Sprintf("%d/%d", hp.Scheduled, max(hp.Heads, p.MinHeads))
		if hp.Current != nil {
			mark := ""
			if *hp.Current < float64(max(hp.Heads, p.MinHeads))-1e-9 {
				mark = "!"
			}
			s += fmt.Sprintf(" | %.1f%s", *hp.Current, mark)
		}
		return s
	})
	return columns, rows
}
