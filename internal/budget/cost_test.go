package budget

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/staffing/handle"
	"github.com/watchfloor/watchfloor/internal/store"
)

// week is weeksPerMonth written out: 52 weeks over 12 months.
const week = 52.0 / 12

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// checkRow compares one cost line or unit row, column by column.
func checkRow(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d columns, want %d", what, len(got), len(want))
		return
	}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Errorf("%s, column %d: %v, want %v", what, i, got[i], want[i])
		}
	}
}

// pricingConfig has a tool of every pricing model, services and training.
func pricingConfig() Config {
	return Config{
		Currency:  "EUR",
		GBPerDay:  50,
		Endpoints: 1000,
		Tools: []Tool{
			{Name: "SIEM", Pricing: PerGBDay, Price: 120, Period: "year"},
			{Name: "EDR", Pricing: PerEndpoint, Price: 3},
			{Name: "SOAR", Pricing: PerSeat, Price: 90},
			{Name: "TIP", Pricing: Flat, Price: 24000, Period: "year"},
		},
		Services:           []Service{{Name: "IR retainer", Annual: 36000}, {Name: "MSSP", Monthly: 1000, Annual: 1200}},
		TrainingPerAnalyst: 2400,
		Training:           []Service{{Name: "conference", Annual: 6000}},
	}
}

// TestPrice costs three hand-built columns: today's roster (4 L1, 2 L2),
// the staffing plan (5.25 FTE, 10 % growth) and a scenario (3 FTE, more
// ingest, TIP dropped, a quantity-priced NDR added).
func TestPrice(t *testing.T) {
	cfg := pricingConfig()
	ndr := Tool{Name: "NDR", Pricing: PerGBDay, Price: 10, Quantity: 5}
	inputs := []columnInput{
		{name: "today's roster", byTier: map[string]float64{"L1": 4, "L2": 2}, gb: 50, tools: cfg.Tools},
		{name: "staffing plan", byTier: map[string]float64{"L1": 3.5, "L2": 1.75}, gb: 50, tools: cfg.Tools, growth: 0.1},
		{name: "leaner", byTier: map[string]float64{"L1": 2, "L2": 1}, gb: 80, tools: append(slices.Clone(cfg.Tools[:3]), ndr), growth: 0.1},
	}
	p := &Plan{}
	p.price(inputs, map[string]float64{"L1": 50, "L2": 80}, 40, cfg, volumes{alertsWeekly: 280, casesMonthly: 150, endpoints: 1000})

	lines := map[string]Line{}
	var names []string
	for _, l := range p.Lines {
		lines[l.Name] = l
		names = append(names, l.Name)
	}
	wantNames := []string{"analysts L1", "analysts L2", "EDR", "NDR", "SIEM", "SOAR", "TIP", "IR retainer", "MSSP",
		"training per analyst", "conference"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("lines %v, want %v", names, wantNames)
	}
	// Staff: FTE × hourly × 40 h × 52/12.
	checkRow(t, "analysts L1", lines["analysts L1"].Monthly, []float64{4 * 50 * 40 * week, 3.5 * 50 * 40 * week, 2 * 50 * 40 * week})
	checkRow(t, "analysts L2", lines["analysts L2"].Monthly, []float64{2 * 80 * 40 * week, 1.75 * 80 * 40 * week, 1 * 80 * 40 * week})
	// Tools: EDR 3 × 1000 endpoints; NDR 10 × its own quantity 5, only
	// where bought; SIEM 120 a year per GB a day (10 a month) × 50 or 80;
	// SOAR 90 per seat, one per analyst rounded up (6, 6, 3); TIP 24,000
	// a year, dropped in the scenario.
	checkRow(t, "EDR", lines["EDR"].Monthly, []float64{3000, 3000, 3000})
	checkRow(t, "NDR", lines["NDR"].Monthly, []float64{0, 0, 50})
	checkRow(t, "SIEM", lines["SIEM"].Monthly, []float64{500, 500, 800})
	checkRow(t, "SOAR", lines["SOAR"].Monthly, []float64{540, 540, 270})
	checkRow(t, "TIP", lines["TIP"].Monthly, []float64{2000, 2000, 0})
	// Services and training: monthly + annual ÷ 12; 2,400 a year per FTE.
	checkRow(t, "IR retainer", lines["IR retainer"].Monthly, []float64{3000, 3000, 3000})
	checkRow(t, "MSSP", lines["MSSP"].Monthly, []float64{1100, 1100, 1100})
	checkRow(t, "training per analyst", lines["training per analyst"].Monthly, []float64{1200, 1050, 600})
	checkRow(t, "conference", lines["conference"].Monthly, []float64{500, 500, 500})
	for name, want := range map[string]string{
		"analysts L1": "FTE × 50.00/h loaded × 40 h/week × 52/12",
		"SIEM":        "120.00 per GB/day per year × budget.gb_per_day",
		"EDR":         "3.00 per endpoint per month × budget.endpoints",
		"SOAR":        "90.00 per seat per month × one seat per analyst",
		"TIP":         "24000.00 per tool per year × flat",
		"NDR":         "10.00 per GB/day per month × configured quantity",
	} {
		if got := lines[name].Basis; got != want {
			t.Errorf("%s basis %q, want %q", name, got, want)
		}
	}

	// Totals: staff 14,400, 12,600 and 7,200 hours a week's worth …
	wantMonthly := []float64{
		62400 + 3000 + 0 + 500 + 540 + 2000 + 3000 + 1100 + 1200 + 500, // 74,240
		54600 + 3000 + 0 + 500 + 540 + 2000 + 3000 + 1100 + 1050 + 500, // 66,290
		31200 + 3000 + 50 + 800 + 270 + 0 + 3000 + 1100 + 600 + 500,    // 40,520
	}
	if len(p.Columns) != 3 {
		t.Fatalf("%d columns, want 3", len(p.Columns))
	}
	for i, c := range p.Columns {
		if !near(c.Monthly, wantMonthly[i]) {
			t.Errorf("%s monthly %v, want %v", c.Name, c.Monthly, wantMonthly[i])
		}
		if !near(c.Annual, 12*wantMonthly[i]) {
			t.Errorf("%s annual %v, want %v", c.Name, c.Annual, 12*wantMonthly[i])
		}
		if want := 12 * (wantMonthly[i] - wantMonthly[1]); !near(c.DeltaAnnual, want) {
			t.Errorf("%s delta %v, want %v (against the staffing plan)", c.Name, c.DeltaAnnual, want)
		}
		if want := []float64{6, 5.25, 3}[i]; c.FTE != want {
			t.Errorf("%s FTE %v, want %v", c.Name, c.FTE, want)
		}
	}

	// Unit costs: the month's cost over the month's units, which grow
	// with the column's growth; no incidents means no cost per incident.
	units := map[string]Unit{}
	for _, u := range p.Units {
		units[u.Name] = u
	}
	alerts := []float64{280 * week, 280 * week * 1.1, 280 * week * 1.1}
	checkRow(t, "alerts a month", units["per alert"].PerMonth, alerts)
	checkRow(t, "cost per alert", units["per alert"].Cost, []float64{74240 / alerts[0], 66290 / alerts[1], 40520 / alerts[2]})
	checkRow(t, "cases a month", units["per case"].PerMonth, []float64{150, 165, 165})
	checkRow(t, "cost per case", units["per case"].Cost, []float64{74240.0 / 150, 66290.0 / 165, 40520.0 / 165})
	checkRow(t, "cost per incident", units["per incident (true-positive case)"].Cost, []float64{0, 0, 0})
	checkRow(t, "cost per endpoint", units["per endpoint"].Cost, []float64{74.24, 66.29, 40.52})

	// Without endpoints there is no cost per endpoint.
	p = &Plan{}
	p.price(inputs[:2], map[string]float64{"L1": 50, "L2": 80}, 40, Config{}, volumes{alertsWeekly: 1})
	for _, u := range p.Units {
		if u.Name == "per endpoint" {
			t.Error("a cost per endpoint without endpoints")
		}
	}
}

func TestTierCosts(t *testing.T) {
	ro := store.Roster{Analysts: []model.Analyst{
		{ExternalID: "a1", Tier: model.TierL1, Active: true, HourlyCost: 50},
		{ExternalID: "a2", Tier: model.TierL1, Active: true, HourlyCost: 60},
		{ExternalID: "a3", Tier: model.TierL2, Active: true},
		{ExternalID: "a4", Tier: model.TierL3, HourlyCost: 100}, // inactive
		{ExternalID: "a5", Active: true, HourlyCost: 30},
	}}
	// L2 at 83,200 a year over 40 h × 52 weeks is 40/h.
	costs, src, err := tierCosts(ro, Config{Tiers: map[string]TierCost{"L2": {Annual: 83200}}}, 40)
	if err != nil {
		t.Fatal(err)
	}
	for tier, want := range map[string]float64{"L1": 55, "L2": 40, "untiered": 30} {
		if costs[tier] != want {
			t.Errorf("%s cost %v, want %v", tier, costs[tier], want)
		}
	}
	if _, ok := costs["L3"]; ok {
		t.Error("an inactive analyst's tier was costed")
	}
	wantSrc := []string{
		"L1 loaded cost 55.00/h: mean hourly cost of 2 L1 analysts on the roster",
		"L2 loaded cost 83200.00 a year from the budget configuration",
		"untiered loaded cost 30.00/h: mean hourly cost of 1 untiered analysts on the roster",
	}
	if !slices.Equal(src, wantSrc) {
		t.Errorf("sources\n got %q\nwant %q", src, wantSrc)
	}
	// A configured hourly cost wins over the roster.
	costs, _, err = tierCosts(ro, Config{Tiers: map[string]TierCost{"L1": {Hourly: 70}, "L2": {Hourly: 90}}}, 40)
	if err != nil || costs["L1"] != 70 || costs["L2"] != 90 {
		t.Errorf("configured hourly costs: %v, %v", costs, err)
	}
	// L2 has no cost on the roster and none configured; a mix naming L3
	// needs a cost for L3.
	if _, _, err := tierCosts(ro, Config{}, 40); err == nil || !strings.Contains(err.Error(), "set budget.tiers.L2") {
		t.Errorf("no L2 cost: error %v", err)
	}
	if _, _, err := tierCosts(ro, Config{Tiers: map[string]TierCost{"L2": {Hourly: 1}}, Mix: map[string]float64{"L3": 1}}, 40); err == nil ||
		!strings.Contains(err.Error(), "no cost for L3 analysts") {
		t.Errorf("mix with an uncosted tier: error %v", err)
	}
}

func TestTierMix(t *testing.T) {
	ro := store.Roster{Analysts: []model.Analyst{
		{Tier: model.TierL1, Active: true}, {Tier: model.TierL1, Active: true}, {Tier: model.TierL2, Active: true},
		{Active: true}, {Tier: model.TierL3},
	}}
	tests := []struct {
		name string
		ro   store.Roster
		cfg  Config
		want map[string]float64
		src  string
	}{
		{"configured, normalised", ro, Config{Mix: map[string]float64{"L1": 3, "L2": 1}}, map[string]float64{"L1": 0.75, "L2": 0.25},
			"tier mix of planned analysts from the budget configuration"},
		{"today's active roster", ro, Config{}, map[string]float64{"L1": 0.5, "L2": 0.25, "untiered": 0.25},
			"tier mix of planned analysts as on today's roster"},
		{"nobody on the roster", store.Roster{}, Config{}, map[string]float64{"untiered": 1},
			"no tiers on the roster: planned analysts are untiered"},
	}
	for _, tt := range tests {
		mix, src := tierMix(tt.ro, tt.cfg)
		if len(mix) != len(tt.want) {
			t.Errorf("%s: mix %v, want %v", tt.name, mix, tt.want)
		}
		for k, v := range tt.want {
			if mix[k] != v {
				t.Errorf("%s: %s share %v, want %v", tt.name, k, mix[k], v)
			}
		}
		if src != tt.src {
			t.Errorf("%s: source %q, want %q", tt.name, src, tt.src)
		}
	}
}

// fakeHistory is two weeks (Monday 2 March 2026 on) of a small SOC: rule
// R1 raises 10 P2 alerts and R2 5 P3 alerts every day at 09:00; one P2
// case a day at 10:00, each worked for 30 minutes and resolved; one of the
// 14 cases is an incident. Four L1 at 50/h and two L2 at 80/h work a
// daily 08:00–16:00 shift.
type fakeHistory struct{}

var since = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func (fakeHistory) WorkloadAlertArrivals(_ context.Context, from, to time.Time) ([]store.ArrivalBucket, error) {
	var out []store.ArrivalBucket
	for d := 0; d < 14; d++ {
		at := since.AddDate(0, 0, d).Add(9 * time.Hour)
		out = append(out, store.ArrivalBucket{Start: at, Priority: model.P2, Count: 10}, store.ArrivalBucket{Start: at, Priority: model.P3, Count: 5})
	}
	return out, nil
}

func (fakeHistory) WorkloadCaseArrivals(context.Context, time.Time, time.Time) ([]store.ArrivalBucket, error) {
	var out []store.ArrivalBucket
	for d := 0; d < 14; d++ {
		out = append(out, store.ArrivalBucket{Start: since.AddDate(0, 0, d).Add(10 * time.Hour), Priority: model.P2, Count: 1})
	}
	return out, nil
}

func (fakeHistory) WorkloadHandleSummary(_ context.Context, _, _ time.Time, _ []string, _ time.Duration,
	ackWithin map[model.Priority]time.Duration) (store.HandleSummary, error) {
	var out []handle.Time
	for d := 0; d < 14; d++ {
		c := since.AddDate(0, 0, d).Add(10 * time.Hour)
		out = append(out, handle.Time{CaseID: int64(d + 1), Priority: model.P2, ArrivalPriority: model.P2, Created: c,
			Start: c.Add(5 * time.Minute), End: c.Add(time.Hour), Active: 30 * time.Minute})
	}
	return store.SummariseHandleTimes(out, ackWithin), nil
}

func (fakeHistory) WorkloadRuleVolumes(context.Context, time.Time, time.Time) ([]store.RuleVolume, error) {
	return []store.RuleVolume{
		{RuleID: "R1", RuleName: "Brute force", Priority: model.P2, Alerts: 140},
		{RuleID: "R2", RuleName: "Port scan", Priority: model.P3, Alerts: 70},
	}, nil
}

func (fakeHistory) WorkloadRoster(context.Context) (store.Roster, error) {
	ro := store.Roster{Shifts: []model.Shift{{Name: "day", Start: "08:00", Duration: 8 * time.Hour}}}
	for i, tier := range []model.Tier{model.TierL1, model.TierL1, model.TierL1, model.TierL1, model.TierL2, model.TierL2} {
		cost := 50.0
		if tier == model.TierL2 {
			cost = 80
		}
		ro.Analysts = append(ro.Analysts, model.Analyst{ExternalID: string(rune('a' + i)), Tier: tier, Shift: "day", Active: true, HourlyCost: cost})
	}
	return ro, nil
}

func (fakeHistory) WorkloadSLAPolicies(context.Context) ([]model.SLAPolicy, error) { return nil, nil }

func (fakeHistory) WorkloadSpan(context.Context) (time.Time, time.Time, error) {
	return since, since.AddDate(0, 0, 14).Add(-time.Hour), nil
}

func (fakeHistory) WorkloadCaseCounts(context.Context, time.Time, time.Time) (store.CaseCounts, error) {
	return store.CaseCounts{Cases: 14, Incidents: 1}, nil
}

// TestBuildScenarios builds the budget of the fake SOC with a scenario of
// each kind and checks what each changes.
func TestBuildScenarios(t *testing.T) {
	scfg := staffing.Config{HistoryDays: 14, TriageHandleTime: ptr(staffing.Duration(4 * time.Minute)), MinHeads: ptr(1)}
	cfg := pricingConfig()
	cfg.Scenarios = []Scenario{
		{Name: "automate R1", Automate: []RuleShare{{Rule: "R1", Share: 0.5}}, DropTools: []string{"TIP"}},
		{Name: "growth", Growth: ptr(0.2), GBPerDay: ptr(80.0), AddTools: []Tool{{Name: "NDR", Pricing: Flat, Price: 500}}},
	}
	p, err := Build(context.Background(), fakeHistory{}, scfg, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range p.Columns {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"today's roster", "staffing plan", "automate R1", "growth"}) {
		t.Fatalf("columns %v", names)
	}
	today, plan, auto, growth := p.Columns[0], p.Columns[1], p.Columns[2], p.Columns[3]
	if today.FTE != 6 || today.FTEByTier["L1"] != 4 || today.FTEByTier["L2"] != 2 {
		t.Errorf("today's roster FTE %v by tier %v, want 6 (4 L1, 2 L2)", today.FTE, today.FTEByTier)
	}
	// Planned analysts follow today's mix, two L1 for each L2.
	for _, c := range p.Columns[1:] {
		if !near(c.FTEByTier["L1"], 2*c.FTEByTier["L2"]) || !near(c.FTE, c.FTEByTier["L1"]+c.FTEByTier["L2"]) {
			t.Errorf("%s FTE %v by tier %v, want L1 = 2 × L2", c.Name, c.FTE, c.FTEByTier)
		}
	}
	// R1 raised 140 alerts in two weeks: 70 a week, half of them
	// automated away.
	if want := []string{"automation closes 50% of R1 (35 alerts a week fewer to triage)", "drop TIP"}; !slices.Equal(auto.Changes, want) {
		t.Errorf("automation changes %q, want %q", auto.Changes, want)
	}
	if auto.FTE > plan.FTE {
		t.Errorf("automating alerts raised the FTE: %v > %v", auto.FTE, plan.FTE)
	}
	if want := []string{"volume growth +20%", "ingest 80 GB/day", "add NDR"}; !slices.Equal(growth.Changes, want) {
		t.Errorf("growth changes %q, want %q", growth.Changes, want)
	}
	if growth.FTE < plan.FTE {
		t.Errorf("20 %% more volume lowered the FTE: %v < %v", growth.FTE, plan.FTE)
	}
	lines := map[string][]float64{}
	for _, l := range p.Lines {
		lines[l.Name] = l.Monthly
	}
	for i, c := range p.Columns {
		checkRow(t, c.Name+" L1 staff", lines["analysts L1"][i:i+1], []float64{c.FTEByTier["L1"] * 50 * 40 * week})
		checkRow(t, c.Name+" L2 staff", lines["analysts L2"][i:i+1], []float64{c.FTEByTier["L2"] * 80 * 40 * week})
		checkRow(t, c.Name+" seats", lines["SOAR"][i:i+1], []float64{90 * math.Ceil(c.FTE-1e-9)})
	}
	checkRow(t, "TIP", lines["TIP"], []float64{2000, 2000, 0, 2000})
	checkRow(t, "SIEM", lines["SIEM"], []float64{500, 500, 500, 800})
	checkRow(t, "NDR", lines["NDR"], []float64{0, 0, 0, 500})
	// Units: 210 alerts and 14 cases in two weeks (105 and 7 a week), one
	// incident (0.5 a week); growth scales
	// the scenario's units by 1.2.
	units := map[string]Unit{}
	for _, u := range p.Units {
		units[u.Name] = u
	}
	checkRow(t, "alerts a month", units["per alert"].PerMonth, []float64{105 * week, 105 * week, 105 * week, 105 * week * 1.2})
	checkRow(t, "cases a month", units["per case"].PerMonth, []float64{7 * week, 7 * week, 7 * week, 7 * week * 1.2})
	checkRow(t, "incidents a month", units["per incident (true-positive case)"].PerMonth,
		[]float64{0.5 * week, 0.5 * week, 0.5 * week, 0.5 * week * 1.2})
	checkRow(t, "cost per incident", units["per incident (true-positive case)"].Cost,
		[]float64{today.Monthly / (0.5 * week), plan.Monthly / (0.5 * week), auto.Monthly / (0.5 * week), growth.Monthly / (0.6 * week)})
	if p.Currency != "EUR" {
		t.Errorf("currency %q", p.Currency)
	}
}

func TestBuildErrors(t *testing.T) {
	scfg := staffing.Config{HistoryDays: 14, TriageHandleTime: ptr(staffing.Duration(4 * time.Minute))}
	if _, err := Build(context.Background(), fakeHistory{}, scfg, pricingConfig(), []string{"automate:R9=0.5"}); err == nil ||
		!strings.Contains(err.Error(), `scenario "automate:R9=0.5"`) || !strings.Contains(err.Error(), "R9") {
		t.Errorf("unknown rule: %v", err)
	}
	bad := pricingConfig()
	bad.Tools = append(bad.Tools, Tool{Name: "X", Pricing: "per_byte", Price: 1})
	if _, err := Build(context.Background(), fakeHistory{}, scfg, bad, nil); err == nil {
		t.Error("an unknown pricing model was accepted")
	}
}

func ptr[T any](v T) *T { return &v }
