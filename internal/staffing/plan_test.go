package staffing

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing/erlang"
	"github.com/watchfloor/watchfloor/internal/store"
)

// stationary is a workload of one queue with the same traffic every hour:
// the textbook 10 erlangs of 180-second items, 80 % within 20 s.
func stationary() *Workload {
	q := Queue{Name: "cases P2", Kind: Cases, Priority: model.P2, ArrivalsPerHour: make([]float64, HoursPerWeek),
		HandleSeconds: 180, Concurrency: 1, EffortSeconds: 180, AnswerWithinSeconds: 20, TargetServiceLevel: 0.8,
		Sources: map[string]Source{}, histScale: 1, baseScale: 1}
	for h := range q.ArrivalsPerHour {
		q.ArrivalsPerHour[h] = 200 // 10 erlangs
	}
	q.WeeklyArrivals = 200 * HoursPerWeek
	return &Workload{TimeZone: "UTC", loc: time.UTC, Until: ts("2026-03-16T00:00:00Z"), Queues: []Queue{q}}
}

func TestSizeAndSchedule(t *testing.T) {
	w := stationary()
	w.Roster = store.Roster{
		Shifts: []model.Shift{
			{Name: "Night", Start: "00:00", Duration: 8 * time.Hour},
			{Name: "Day", Start: "08:00", Duration: 8 * time.Hour, TimeZone: "UTC"},
		},
	}
	for i := 0; i < 28; i++ {
		w.Roster.Analysts = append(w.Roster.Analysts, model.Analyst{ExternalID: "n" + itoa(i), Shift: "Night", Active: true})
	}
	for i := 0; i < 21; i++ {
		w.Roster.Analysts = append(w.Roster.Analysts, model.Analyst{ExternalID: "d" + itoa(i), Shift: "Day", Active: true})
	}
	w.Roster.Analysts = append(w.Roster.Analysts, model.Analyst{ExternalID: "floater", Active: true},
		model.Analyst{ExternalID: "gone", Shift: "Day", Active: false})
	cfg := Config{MaxOccupancy: ptr(1.0), Shrinkage: ptr(0.3), MinHeads: ptr(2), ContractHours: ptr(40.0), Replications: 4,
		Templates: []ShiftTemplate{{Name: "8h", Length: Duration(8 * time.Hour), Starts: []string{"00:00", "08:00", "16:00"}}}}
	p, err := Build(w, cfg, Options{Simulate: true})
	if err != nil {
		t.Fatal(err)
	}
	// 14 agents every hour (the published minimum for 80 % in 20 s), 20
	// heads with 30 % shrinkage.
	for _, h := range p.Hours {
		if h.Agents != 14 || h.Heads != 20 || h.Scheduled != 20 {
			t.Fatalf("%s %s: agents %d heads %d scheduled %d", h.Day, h.Time, h.Agents, h.Heads, h.Scheduled)
		}
	}
	qp := p.Queues[0]
	if qp.AgentHours != 14*168 || qp.PeakAgents != 14 {
		t.Errorf("queue plan: %v agent-hours, peak %d; want 14 × 168 and 14", qp.AgentHours, qp.PeakAgents)
	}
	if math.Abs(qp.PlannedServiceLevel-0.8883500192) > 1e-9 {
		t.Errorf("planned service level %v, want 0.8883500192 (Erlang C, 14 agents)", qp.PlannedServiceLevel)
	}
	if p.HeadHours != 20*168 || p.Schedule.PaidHours != 3360 || p.FTE != 84 || !p.Schedule.Optimal || p.DefaultTemplates {
		t.Errorf("head hours %v paid %v FTE %v optimal %v", p.HeadHours, p.Schedule.PaidHours, p.FTE, p.Schedule.Optimal)
	}

	// Today's roster: 28 on nights and 21 on days, each there 40 of the
	// shift's 56 weekly hours: 20 and 15 heads expected, none 16:00–24:00.
	rc := p.Current
	if rc.Analysts != 50 || rc.OnShift != 49 {
		t.Errorf("roster: %d analysts, %d on a shift; want 50 and 49", rc.Analysts, rc.OnShift)
	}
	if !slices.Equal(rc.Unscheduled, []string{"floater"}) {
		t.Fatalf("unscheduled %v, want [floater]", rc.Unscheduled)
	}
	if math.Abs(*p.Hours[3].Current-20) > 1e-9 || math.Abs(*p.Hours[10].Current-15) > 1e-9 || *p.Hours[20].Current != 0 {
		t.Errorf("expected heads %v %v %v", *p.Hours[3].Current, *p.Hours[10].Current, *p.Hours[20].Current)
	}
	if math.Abs(rc.ShortHours-(56*5+56*20)) > 1e-6 || rc.HoursShort != 112 || math.Abs(rc.ExpectedFTE-(20*56+15*56)/40.0) > 1e-9 {
		t.Errorf("short %v hours short %d FTE %v", rc.ShortHours, rc.HoursShort, rc.ExpectedFTE)
	}
	// SLA consequence: 14 agents at night (0.8884), 10.5 by day (half way
	// between 10, unstable, and 11), none in the evening.
	q := erlang.Queue{ArrivalRate: 200.0 / 3600, AHT: 180}
	sl11, _ := erlang.Evaluate(q, 11, 20)
	want := (56*0.8883500192 + 56*0.5*sl11.ServiceLevel) / 168
	out := rc.Queues[0]
	if math.Abs(out.ServiceLevel-want) > 1e-9 {
		t.Errorf("today's service level %v, want %v", out.ServiceLevel, want)
	}
	if out.HoursBelowTarget != 112 || out.WorstSL != 0 {
		t.Errorf("%d hours below target, worst %v; want 112 and 0 (the empty evenings)", out.HoursBelowTarget, out.WorstSL)
	}

	// The simulation staffs floor(20 × 0.7) = 14 and meets the target.
	v := p.Validation
	if v == nil {
		t.Fatal("no validation")
	}
	if v.Mode != "poisson" || v.Replications != 4 {
		t.Errorf("validation %s with %d replications, want poisson with 4", v.Mode, v.Replications)
	}
	if v.Queues[0].Verdict != Met {
		t.Errorf("verdict %v, want met", v.Queues[0].Verdict)
	}
	if sl := v.Queues[0].ServiceLevel; !sl.Contains(0.8883500192) {
		t.Errorf("simulated service level %+v does not contain Erlang's 0.8883500192", sl)
	}
	if _, err := json.Marshal(p); err != nil {
		t.Errorf("plan does not encode: %v", err)
	}
	g := p.Coverage()
	if len(g.Cells) != 24 {
		t.Fatalf("coverage grid of %d hours, want 24", len(g.Cells))
	}
	if c := g.Cells[20][0]; c.Required != 20 || c.Scheduled != 20 {
		t.Errorf("Monday 20:00: %v required, %v scheduled; want 20 and 20", c.Required, c.Scheduled)
	}
	if cur := *g.Cells[3][0].Current; math.Abs(cur-20) > 1e-9 {
		t.Errorf("Monday 03:00: %v expected today, want 20", cur)
	}
}

func TestSkillMatrix(t *testing.T) {
	w := &Workload{Roster: store.Roster{Analysts: []model.Analyst{
		{ExternalID: "a1", Shift: "Night", Active: true, Skills: []model.Skill{{Name: "alert triage", Level: 3}, {Name: "malware analysis", Level: 2}}},
		{ExternalID: "a2", Shift: "Night", Active: true, Skills: []model.Skill{{Name: "alert triage", Level: 4}}},
		{ExternalID: "b1", Shift: "Day", Active: true, Skills: []model.Skill{{Name: "Alert Triage", Level: 3}, {Name: "malware analysis", Level: 4}}},
		{ExternalID: "x", Shift: "Day", Active: false, Skills: []model.Skill{{Name: "alert triage", Level: 5}}},
	}}}
	m := skillMatrix(w, Config{})
	if !m.RequirementsAssumed || len(m.Requirements) != 3 {
		t.Fatalf("requirements %+v", m.Requirements)
	}
	status := map[string]string{}
	for _, c := range m.Coverage {
		status[c.Shift+"/"+c.Skill] = c.Status
	}
	want := map[string]string{
		"Day/Alert Triage": CoverageSPOF, "Day/alert triage": CoverageSPOF, "Day/malware analysis": CoverageSPOF,
		"Night/Alert Triage": CoverageOK, "Night/alert triage": CoverageOK, "Night/malware analysis": CoverageGap,
	}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("%s: %q, want %q", k, status[k], v)
		}
	}
	var gap *TrainingNeed
	for i := range m.Training {
		if m.Training[i].Shift == "Night" && m.Training[i].Skill == "malware analysis" {
			gap = &m.Training[i]
		}
	}
	if gap == nil {
		t.Fatal("no training need for the night malware gap")
	}
	if gap.Missing != 2 {
		t.Errorf("night malware gap: %d missing, want 2", gap.Missing)
	}
	if len(gap.Candidates) != 2 || gap.Candidates[0] != "a1 (level 2)" {
		t.Errorf("night malware candidates %v, want two, a1 (level 2) first", gap.Candidates)
	}
	if len(m.SinglePoints) != 3 {
		t.Errorf("single points %+v", m.SinglePoints)
	}

	// Configured requirements and a runbook that needs a skill nobody has.
	w.Runbooks = map[string]int{"Isolate host": 5, "Purge email": 2}
	m = skillMatrix(w, Config{Skills: []SkillRequirement{{Skill: "alert triage", MinLevel: 4, PerShift: 1}},
		Runbooks: map[string][]string{"Isolate host": {"windows forensics"}}})
	if m.RequirementsAssumed || len(m.Requirements) != 2 || m.Requirements[1].For != "runbook Isolate host" {
		t.Fatalf("requirements %+v", m.Requirements)
	}
	if len(m.Runbooks) != 2 || !m.Runbooks[1].Unmapped || m.Runbooks[0].Runs != 5 {
		t.Errorf("runbooks %+v", m.Runbooks)
	}
	gaps := 0
	for _, c := range m.Coverage {
		if c.Status == CoverageGap {
			gaps++
		}
	}
	// Day has nobody at triage level 4; no shift has windows forensics.
	if gaps != 3 {
		t.Errorf("gaps %d in %+v", gaps, m.Coverage)
	}
}

func itoa(i int) string { return string(rune('a'+i/26)) + string(rune('a'+i%26)) }

// emptyHistory is a store with nothing in it.
type emptyHistory struct{}

func (emptyHistory) WorkloadAlertArrivals(context.Context, time.Time, time.Time) ([]store.ArrivalBucket, error) {
	return nil, nil
}
func (emptyHistory) WorkloadCaseArrivals(context.Context, time.Time, time.Time) ([]store.ArrivalBucket, error) {
	return nil, nil
}
func (emptyHistory) WorkloadHandleSummary(context.Context, time.Time, time.Time, []string, time.Duration,
	map[model.Priority]time.Duration) (store.HandleSummary, error) {
	return store.HandleSummary{}, nil
}
func (emptyHistory) WorkloadRuleVolumes(context.Context, time.Time, time.Time) ([]store.RuleVolume, error) {
	return nil, nil
}
func (emptyHistory) WorkloadRoster(context.Context) (store.Roster, error)           { return store.Roster{}, nil }
func (emptyHistory) WorkloadSLAPolicies(context.Context) ([]model.SLAPolicy, error) { return nil, nil }
func (emptyHistory) WorkloadSpan(context.Context) (time.Time, time.Time, error) {
	return time.Time{}, time.Time{}, nil
}

// TestConfiguredOnly plans from configuration alone: no history, no
// roster, every input configured or assumed.
func TestConfiguredOnly(t *testing.T) {
	cfg := Config{MaxOccupancy: ptr(1.0), TargetServiceLevel: ptr(0.8), Shrinkage: ptr(0.0), MinHeads: ptr(0), Replications: 3,
		Queues: []QueueConfig{{Kind: Cases, Priority: model.P2, ArrivalsPerHour: 200, HandleTime: Duration(3 * time.Minute), AnswerWithin: Duration(20 * time.Second)}}}
	w, err := Model(context.Background(), emptyHistory{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	q := w.Queue(Cases, model.P2)
	if len(w.Queues) != 1 || q.WeeklyArrivals != 200*168 || q.EffortSeconds != 180 || q.Sources["arrivals"] != FromConfig ||
		q.Sources["handle_time"] != FromConfig || q.Sources["target_service_level"] != FromConfig {
		t.Fatalf("workload %+v", w.Queues)
	}
	p, err := Build(w, cfg, Options{Simulate: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Hours[100].Agents != 14 || p.Hours[100].Heads != 14 || p.Current != nil || p.Validation.Queues[0].Verdict == Missed {
		t.Errorf("hour 100: %+v, current %+v, validation %+v", p.Hours[100], p.Current, p.Validation)
	}
	if _, err := Build(w, cfg, Options{Simulate: true, Replay: true}); err == nil {
		t.Error("replay without recorded arrivals gave no error")
	}
}

// TestSharedFloor sizes two queues that share the floor and one with a
// patience on analysts of its own, every hour alike (60-second items,
// 90 % target, no occupancy cap). By hand, with Cobham's priority waits:
//
//   - P1 alone (1/120 per second, A = 0.5, 90 % within 30 s): one agent
//     gives 1 − 0.5·e^(−30/120) = 0.611; two give C(2, 0.5) = 0.1 and
//     1 − 0.1·e^(−30·2·0.75/60) = 0.953, so P1 needs 2.
//   - With P4 (1/600 per second, within 24 h) on the same two agents:
//     A = 0.6, C(2, 0.6) = 0.202247/1.460674 = 0.138462, P1 keeps
//     1 − 0.138462·e^(−0.75) = 0.93460 and P4 is answered within the day:
//     P4 adds no one. Sized on its own P4 would claim an agent every hour.
//   - The P2 queue with a 5-minute patience is sized by Erlang A apart.
func TestSharedFloor(t *testing.T) {
	mk := func(name string, p model.Priority, perSecond, within, patience float64) Queue {
		q := Queue{Name: name, Kind: Cases, Priority: p, ArrivalsPerHour: make([]float64, HoursPerWeek), HandleSeconds: 60,
			Concurrency: 1, EffortSeconds: 60, AnswerWithinSeconds: within, TargetServiceLevel: 0.9, PatienceSeconds: patience,
			Sources: map[string]Source{}, histScale: 1, baseScale: 1}
		for h := range q.ArrivalsPerHour {
			q.ArrivalsPerHour[h] = perSecond * 3600
		}
		q.WeeklyArrivals = perSecond * 3600 * HoursPerWeek
		return q
	}
	w := &Workload{TimeZone: "UTC", loc: time.UTC, Until: ts("2026-03-16T00:00:00Z"), Queues: []Queue{
		mk("cases P1", model.P1, 1.0/120, 30, 0),
		mk("cases P2", model.P2, 1.0/120, 30, 300),
		mk("cases P4", model.P4, 1.0/600, 86400, 0),
	}}
	// Five analysts on a round-the-clock shift whose contract covers it
	// all: five heads, 2.5 agents with half of the time shrunk.
	w.Roster = store.Roster{Shifts: []model.Shift{{Name: "All", Start: "00:00", Duration: 24 * time.Hour}}}
	for i := 0; i < 5; i++ {
		w.Roster.Analysts = append(w.Roster.Analysts, model.Analyst{ExternalID: "a" + itoa(i), Shift: "All", Active: true})
	}
	cfg := Config{MaxOccupancy: ptr(1.0), Shrinkage: ptr(0.5), MinHeads: ptr(1), ContractHours: ptr(168.0)}
	p, err := Build(w, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	own, err := erlang.Required(erlang.Queue{ArrivalRate: 1.0 / 120, AHT: 60, Patience: 300}, erlang.Target{AnswerWithin: 30, ServiceLevel: 0.9, MaxOccupancy: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range p.Hours {
		q := h.Queues
		if q[0].Agents != 2 || q[1].Agents != own.Agents || q[2].Agents != 0 || h.Agents != 2+own.Agents ||
			math.Abs(q[0].ServiceLevel-0.93460) > 5e-6 || q[2].ServiceLevel < 1-1e-12 || math.Abs(q[0].Occupancy-0.3) > 1e-12 {
			t.Fatalf("%s %s: %+v", h.Day, h.Time, q)
		}
	}
	if p.Queues[0].Model != erlang.ModelPriority || p.Queues[1].Model != erlang.ModelA || p.Queues[2].AgentHours != 0 {
		t.Errorf("queues %+v", p.Queues)
	}
	// Today: 2.5 agents; P2 takes its own first, the shared floor gets the
	// rest. With own.Agents = 2 that is half an agent: half of P1's 0.533
	// (one agent, A = 0.6: 1 − 0.6·e^(−30·(1 − 0.5)/60)).
	if own.Agents != 2 {
		t.Fatalf("Erlang A needs %d agents for P2; the hand figures below assume 2", own.Agents)
	}
	rc := p.Current
	want := 0.5 * (1 - 0.6*math.Exp(-0.25))
	if math.Abs(rc.Queues[0].ServiceLevel-want) > 1e-9 || rc.Queues[0].HoursBelowTarget != 168 {
		t.Errorf("today's P1 %+v, want %v", rc.Queues[0], want)
	}
	var sepAgents int
	for _, q := range w.Queues {
		r, _ := erlang.Required(erlang.Queue{ArrivalRate: q.ArrivalsPerHour[0] / 3600, AHT: 60, Patience: q.PatienceSeconds},
			erlang.Target{AnswerWithin: q.AnswerWithinSeconds, ServiceLevel: 0.9, MaxOccupancy: 1})
		sepAgents += r.Agents
	}
	if sepAgents != p.Hours[0].Agents+1 {
		t.Errorf("sized one by one: %d agents, shared: %d", sepAgents, p.Hours[0].Agents)
	}
}
