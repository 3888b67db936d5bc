// Package roadmap develops the SOC roadmap: prioritised items derived from
// the data Watchfloor holds — detection coverage gaps for the threat
// profiles most relevant to the organisation, noisy rules to tune,
// automation candidates with the staffing effect of automating them,
// hours of the week below the staffing requirement, SLA shortfalls,
// posture hot spots and rules without a runbook. Each item cites its
// evidence (ids that resolve, numbers and their definitions), names the
// KPI it should move and by how much, and falls in a Now / Next / Later
// bucket. Where an input is missing the roadmap says which, rather than
// leaving the item out silently.
//
// [Build] is the pure part: it turns a [Data] into a [Roadmap].
// [Service.Develop] gathers the data from the store and the services
// (coverage, intel, metrics, staffing, runbook), saves the roadmap with
// its date, and marks the items of the previous saved roadmap the data no
// longer shows as done.
package roadmap

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/staffing"
)

// Item kinds.
const (
	KindCoverageGap = "coverage_gap"
	KindNoisyRule   = "noisy_rule"
	KindAutomation  = "automation"
	KindStaffing    = "staffing_gap"
	KindSLA         = "sla_shortfall"
	KindPosture     = "posture"
	KindRunbook     = "runbook_gap"
)

// Kinds are the item kinds, in the order the roadmap lists them within a
// bucket.
var Kinds = []string{KindCoverageGap, KindSLA, KindStaffing, KindNoisyRule, KindAutomation, KindPosture, KindRunbook}

// Buckets.
const (
	Now   = "now"
	Next  = "next"
	Later = "later"
)

// Effort classes: S (days, one person), M (weeks), L (a quarter or a
// hire).
const (
	EffortS = "S"
	EffortM = "M"
	EffortL = "L"
)

// Evidence is one fact an item rests on: an id that resolves (a technique,
// threat profile, rule, queue, priority, finding) with the number and what
// it means.
type Evidence struct {
	// Type says what ID names: technique, profile, rule, queue, priority,
	// hour, finding, kpi.
	Type string `json:"type"`
	ID   string `json:"id"`
	// Text is the figure and its definition.
	Text string `json:"text"`
}

// Item is one thing to do.
type Item struct {
	// Key identifies the item across roadmaps: kind and subject.
	Key       string     `json:"key"`
	Kind      string     `json:"kind"`
	Title     string     `json:"title"`
	Rationale string     `json:"rationale"`
	Evidence  []Evidence `json:"evidence"`
	// KPI is the measure the item should move, Effect by how much.
	KPI    string `json:"kpi"`
	Effect string `json:"expected_effect"`
	Effort string `json:"effort"`
	Bucket string `json:"bucket"`
	// Quarter is when: the current quarter for Now, the next for Next,
	// after the horizon for Later.
	Quarter string `json:"quarter"`
	// Weight orders items within a bucket (higher first); its meaning is
	// per kind (relevance points, analyst hours, breaches …).
	Weight float64 `json:"weight"`
	// Since is when a saved roadmap first listed the item (zero: new).
	Since time.Time `json:"since,omitzero"`
}

// Input is one input of the roadmap and whether it was there.
type Input struct {
	Name      string `json:"name"`
	Available bool   `json:"available"`
	// Note says what it held, or what is missing and how to add it.
	Note string `json:"note"`
}

// Previous is an item of the previous saved roadmap and what the data
// shows of it now.
type Previous struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	// Status is "done" (the data no longer shows the problem), "open"
	// (still listed) or "unknown" (its input is missing now).
	Status string `json:"status"`
}

// Roadmap is a dated, prioritised list of items.
type Roadmap struct {
	ID        int64     `json:"id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Horizon   string    `json:"horizon"`
	Window    string    `json:"window"`
	Quarters  []string  `json:"quarters"`
	Items     []Item    `json:"items"`
	Inputs    []Input   `json:"inputs"`
	// Previous is the last saved roadmap's id and its items' status.
	PreviousID    int64      `json:"previous_id,omitempty"`
	PreviousAt    time.Time  `json:"previous_at,omitzero"`
	PreviousItems []Previous `json:"previous_items"`
	Definitions   []string   `json:"definitions"`
}

// Count returns the number of items of a kind.
func (r *Roadmap) Count(kind string) int {
	n := 0
	for _, it := range r.Items {
		if it.Kind == kind {
			n++
		}
	}
	return n
}

// Thresholds the items are derived with.
type Thresholds struct {
	// Profiles is how many of the most relevant threat profiles coverage
	// gaps are drawn from; Gaps how many gap items at most.
	Profiles, Gaps int
	// NoisyRate and NoisyJudged pick a noisy rule: a false-positive rate
	// above NoisyRate over at least NoisyJudged judged alerts; NoisyItems
	// how many at most.
	NoisyRate   float64
	NoisyJudged int64
	NoisyItems  int
	// Automation candidates: at least AutoAlerts alerts in the window, one
	// verdict on at least AutoConsistency of AutoJudged or more judged
	// alerts, and at most AutoHandle analyst time per worked case.
	AutoAlerts      int64
	AutoJudged      int64
	AutoConsistency float64
	AutoHandle      time.Duration
	AutoItems       int
	// SLATarget is the adherence a priority should reach (met ÷ met +
	// breached).
	SLATarget float64
	// Remediation is the time allowed to remediate a finding, by severity.
	RemediateCritical, RemediateHigh time.Duration
	// RunbookCases is how many cases a rule without a runbook needs to be
	// listed.
	RunbookCases int
}

// DefaultThresholds are the thresholds unless configured.
var DefaultThresholds = Thresholds{Profiles: 10, Gaps: 8, NoisyRate: 0.5, NoisyJudged: 20, NoisyItems: 5,
	AutoAlerts: 100, AutoJudged: 50, AutoConsistency: 0.9, AutoHandle: 30 * time.Minute, AutoItems: 3,
	SLATarget: 0.9, RemediateCritical: 15 * 24 * time.Hour, RemediateHigh: 30 * 24 * time.Hour, RunbookCases: 5}

// FTEEffect is what removing part of a rule's alerts does to the staffing
// requirement (staffing.Workload.ReduceRule, then staffing.Size).
type FTEEffect struct {
	// AlertsPerWeek removed from the triage queues; HeadHours the on-duty
	// hours a week the requirement falls by; FTE that ÷ contract hours.
	AlertsPerWeek float64 `json:"alerts_per_week"`
	HeadHours     float64 `json:"head_hours_per_week"`
	FTE           float64 `json:"fte"`
	// Note says why there is no effect (alert triage not planned …).
	Note string `json:"note,omitempty"`
}

// Data is everything Build reads. A nil or empty input is missing; its
// *Missing field says why.
type Data struct {
	Now     time.Time
	Horizon int // quarters, at least 1
	// Window is the analysis window, WindowDays its length.
	Window     string
	WindowDays float64
	Thresholds Thresholds

	Coverage        *coverage.Report
	CoverageMissing string
	// Threats are the relevant threat profiles, most relevant first.
	Threats        []intel.Ranked
	ThreatsMissing string
	Rules          *metrics.RuleReport
	// Priorities are the window's case KPIs by priority.
	Priorities      []metrics.GroupResult
	SLAPolicies     []string
	Plan            *staffing.Plan
	PlanMissing     string
	Automation      map[string]FTEEffect // by rule key source/rule_id
	Findings        []model.Finding
	FindingsMissing string
	RunbookGaps     []runbook.RuleGap
	RunbooksMissing string
}

// quarterOf names the calendar quarter of t, e.g. "2026-Q4".
func quarterOf(t time.Time) string {
	return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}

// quarters names the horizon's quarters from now's.
func quarters(now time.Time, n int) []string {
	start := time.Date(now.Year(), time.Month((int(now.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
	out := make([]string, n)
	for i := range n {
		out[i] = quarterOf(start.AddDate(0, 3*i, 0))
	}
	return out
}

// perQuarter scales a window figure to a 91-day quarter.
func perQuarter(v, windowDays float64) float64 {
	if windowDays <= 0 {
		return v
	}
	return v * 91 / windowDays
}

// Build derives the roadmap from the data.
func Build(d Data) *Roadmap {
	if d.Horizon < 1 {
		d.Horizon = 1
	}
	if d.Thresholds == (Thresholds{}) {
		d.Thresholds = DefaultThresholds
	}
	r := &Roadmap{CreatedAt: d.Now.UTC(), Horizon: fmt.Sprintf("%dq", d.Horizon), Window: d.Window, Quarters: quarters(d.Now, d.Horizon),
		Items: []Item{}, Inputs: []Input{}, PreviousItems: []Previous{}}
	b := builder{d: d, t: d.Thresholds, r: r}
	b.coverageGaps()
	b.sla()
	b.staffing()
	b.noisyAndAutomation()
	b.posture()
	b.runbooks()
	later := "after " + r.Quarters[len(r.Quarters)-1]
	for i := range r.Items {
		it := &r.Items[i]
		switch it.Bucket {
		case Now:
			it.Quarter = r.Quarters[0]
		case Next:
			if len(r.Quarters) > 1 {
				it.Quarter = r.Quarters[1]
			} else {
				it.Bucket, it.Quarter = Later, later
			}
		default:
			it.Quarter = later
		}
	}
	order := map[string]int{Now: 0, Next: 1, Later: 2}
	sort.SliceStable(r.Items, func(i, j int) bool {
		a, c := r.Items[i], r.Items[j]
		if order[a.Bucket] != order[c.Bucket] {
			return order[a.Bucket] < order[c.Bucket]
		}
		if ka, kc := slices.Index(Kinds, a.Kind), slices.Index(Kinds, c.Kind); ka != kc {
			return ka < kc
		}
		if a.Weight != c.Weight {
			return a.Weight > c.Weight
		}
		return a.Key < c.Key
	})
	r.Definitions = []string{coverage.ScoreDefinition, metrics.FPDefinition, metrics.HoursDefinition,
		fmt.Sprintf("SLA adherence = met ÷ (met + breached), breaches in flight included; target %.0f%%", 100*b.t.SLATarget),
		"per quarter = the window's figure × 91 ÷ the window's days"}
	return r
}

type builder struct {
	d Data
	t Thresholds
	r *Roadmap
}

func (b *builder) input(name string, ok bool, note string) {
	b.r.Inputs = append(b.r.Inputs, Input{Name: name, Available: ok, Note: note})
}

func (b *builder) add(it Item) { b.r.Items = append(b.r.Items, it) }

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

// coverageGaps lists the techniques of the most relevant threat profiles
// that coverage scores GapScore or less, weighted by the relevance of the
// profiles that use them. A technique is judged at the level the profile
// names it: a sub-technique by the rules mapped to it (a PowerShell rule
// does not detect Python), a technique by its rules rolled up.
func (b *builder) coverageGaps() {
	d := b.d
	switch {
	case d.Coverage == nil:
		b.input("detection coverage", false, d.CoverageMissing)
		b.input("threat relevance", len(d.Threats) > 0, d.ThreatsMissing)
		return
	case len(d.Threats) == 0:
		b.input("detection coverage", true, fmt.Sprintf("%d rules, %d active, %d fired in %s", d.Coverage.Rules, d.Coverage.Active, d.Coverage.FiredRules, d.Coverage.Window))
		b.input("threat relevance", false, d.ThreatsMissing)
		return
	}
	b.input("detection coverage", true, fmt.Sprintf("%d rules, %d active, %d fired in %s", d.Coverage.Rules, d.Coverage.Active, d.Coverage.FiredRules, d.Coverage.Window))
	profiles := d.Threats[:min(b.t.Profiles, len(d.Threats))]
	var names []string
	for _, p := range profiles {
		names = append(names, fmt.Sprintf("%s %s (%.1f)", p.ID, p.Name, p.Score))
	}
	b.input("threat relevance", true, fmt.Sprintf("the %d most relevant threat profiles: %s", len(profiles), strings.Join(names, "; ")))
	type gap struct {
		tech   *coverage.Technique
		weight float64
		users  []intel.Ranked
	}
	gaps := map[string]*gap{}
	for _, p := range profiles {
		seen := map[string]bool{}
		for _, id := range p.Techniques {
			id = strings.ToUpper(id)
			if seen[id] {
				continue
			}
			seen[id] = true
			t, ok := d.Coverage.Technique(id)
			if !ok || t.Score > coverage.GapScore {
				continue
			}
			g := gaps[id]
			if g == nil {
				g = &gap{tech: t}
				gaps[id] = g
			}
			g.weight += p.Score
			g.users = append(g.users, p)
		}
	}
	list := make([]*gap, 0, len(gaps))
	for _, g := range gaps {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].weight != list[j].weight {
			return list[i].weight > list[j].weight
		}
		return list[i].tech.ID < list[j].tech.ID
	})
	for i, g := range list {
		if i == b.t.Gaps {
			break
		}
		t := g.tech
		ev := []Evidence{{Type: "technique", ID: t.ID, Text: fmt.Sprintf("%s: coverage score %d (%s) — %s", t.Name, t.Score, t.Label, strings.Join(t.Reasons, "; "))}}
		var who []string
		for _, p := range g.users {
			ev = append(ev, Evidence{Type: "profile", ID: p.ID, Text: fmt.Sprintf("%s uses it; relevance %.1f", p.Name, p.Score)})
			who = append(who, p.Name)
		}
		bucket, effort := Next, EffortM
		switch {
		case t.Score == 0 && (len(g.users) >= 2 || g.users[0].ID == profiles[0].ID):
			bucket = Now
		case t.Score == coverage.GapScore:
			bucket, effort = Later, EffortS
		}
		target := "≥ 2 (a stable rule), ≥ 4 once it fires with a false-positive rate within the limit"
		if t.Score == coverage.GapScore {
			target = "≥ 3: exercise the stable rules (a purple-team test) so they fire, ≥ 4 within the false-positive limit"
		}
		b.add(Item{Key: KindCoverageGap + ":" + t.ID, Kind: KindCoverageGap, Weight: math.Round(g.weight*10) / 10,
			Title:     fmt.Sprintf("Detect %s %s", t.ID, t.Name),
			Rationale: fmt.Sprintf("Used by %s, among the %d threat profiles most relevant to the organisation; coverage scores it %d (%s).", strings.Join(who, ", "), len(profiles), t.Score, t.Label),
			Evidence:  ev, KPI: "detection coverage score of " + t.ID + " (0–5)", Effect: fmt.Sprintf("from %d to %s", t.Score, target),
			Effort: effort, Bucket: bucket})
	}
}

// sla lists the priorities whose resolve or acknowledge adherence is below
// the target.
func (b *builder) sla() {
	d := b.d
	if len(d.Priorities) == 0 {
		b.input("SLA adherence", false, "no cases in the window, or no priority on them")
		return
	}
	if len(d.SLAPolicies) == 0 {
		b.input("SLA adherence", false, metrics.NoPolicyWarning)
		return
	}
	b.input("SLA adherence", true, fmt.Sprintf("%d priorities in %s, judged by %s", len(d.Priorities), d.Window, strings.Join(d.SLAPolicies, "; ")))
	for _, g := range d.Priorities {
		for _, c := range []struct {
			name string
			r    metrics.SLAResult
		}{{"resolve", g.SLAResolve}, {"acknowledge", g.SLAAcknowledge}} {
			if c.r.Adherence == nil || *c.r.Adherence >= b.t.SLATarget {
				continue
			}
			a := *c.r.Adherence
			bucket := Next
			if g.Group == model.P1.String() || g.Group == model.P2.String() {
				bucket = Now
			}
			// Breaches to avoid to reach the target: met' ÷ (met + breached)
			// ≥ target.
			need := int64(math.Ceil(b.t.SLATarget*float64(c.r.Met+c.r.Breached) - float64(c.r.Met)))
			b.add(Item{Key: KindSLA + ":" + g.Group + ":" + c.name, Kind: KindSLA, Weight: float64(c.r.Breached), Bucket: bucket, Effort: EffortM,
				Title:     fmt.Sprintf("Bring %s %s SLA adherence to %.0f%%", g.Group, c.name, 100*b.t.SLATarget),
				Rationale: fmt.Sprintf("%s cases met their %s target %s of the time in %s (%d met, %d breached, %d of them still open).", g.Group, c.name, pct(a), d.Window, c.r.Met, c.r.Breached, c.r.BreachedOpen),
				Evidence: []Evidence{{Type: "priority", ID: g.Group, Text: fmt.Sprintf("%s SLA adherence %s: %d met ÷ (%d met + %d breached)", c.name, pct(a), c.r.Met, c.r.Met, c.r.Breached)},
					{Type: "kpi", ID: "sla_" + c.name, Text: fmt.Sprintf("%d open clocks past 80%% of their target now", c.r.AtRisk)}},
				KPI:    fmt.Sprintf("SLA adherence (%s) %s", c.name, g.Group),
				Effect: fmt.Sprintf("from %s to ≥ %.0f%%: %d fewer breaches a window of this size", pct(a), 100*b.t.SLATarget, need)})
		}
	}
}

// staffing lists the staffing plan's gaps: hours of the week today's
// roster leaves below the requirement and queues below their target.
func (b *builder) staffing() {
	d := b.d
	if d.Plan == nil || d.Plan.Current == nil {
		note := d.PlanMissing
		if note == "" {
			note = "no active analysts on the roster to compare with the plan"
		}
		b.input("staffing", false, note)
		return
	}
	c := d.Plan.Current
	b.input("staffing", true, fmt.Sprintf("%d active analysts (%.1f FTE) against a plan of %.1f FTE, history %s … %s", c.Analysts, c.ExpectedFTE, d.Plan.FTE,
		d.Plan.HistorySince.Format(time.DateOnly), d.Plan.HistoryUntil.Format(time.DateOnly)))
	var below []staffing.QueueOutcome
	for _, q := range c.Queues {
		if q.ServiceLevel < q.TargetServiceLevel {
			below = append(below, q)
		}
	}
	if c.HoursShort == 0 && len(below) == 0 {
		return
	}
	var ev []Evidence
	type short struct {
		h   staffing.HourPlan
		gap float64
	}
	var shorts []short
	for _, h := range d.Plan.Hours {
		if h.Current != nil && float64(h.Heads) > *h.Current+1e-9 {
			shorts = append(shorts, short{h, float64(h.Heads) - *h.Current})
		}
	}
	sort.SliceStable(shorts, func(i, j int) bool { return shorts[i].gap > shorts[j].gap })
	for _, s := range shorts[:min(3, len(shorts))] {
		ev = append(ev, Evidence{Type: "hour", ID: fmt.Sprintf("%s %s", s.h.Day, s.h.Time),
			Text: fmt.Sprintf("%d heads needed, %.1f expected on duty with today's roster", s.h.Heads, *s.h.Current)})
	}
	bucket := Next
	for _, q := range below {
		ev = append(ev, Evidence{Type: "queue", ID: q.Queue, Text: fmt.Sprintf("service level %s with today's roster against a target of %s; %d hours of the week below it (worst %s: %s)",
			pct(q.ServiceLevel), pct(q.TargetServiceLevel), q.HoursBelowTarget, q.WorstHour, pct(q.WorstSL))})
		if strings.Contains(q.Queue, "P1") || strings.Contains(q.Queue, "P2") {
			bucket = Now
		}
	}
	kpi, effect := "hours of the week below the staffing requirement", fmt.Sprintf("from %d to 0 (%.0f head-hours a week to add)", c.HoursShort, c.ShortHours)
	if len(below) > 0 {
		kpi = "service level (P(answered within)) of " + below[0].Queue
		effect = fmt.Sprintf("from %s to ≥ %s; %d hours of the week short, %.0f head-hours a week to add", pct(below[0].ServiceLevel), pct(below[0].TargetServiceLevel), c.HoursShort, c.ShortHours)
	}
	effort := EffortM
	if c.ShortHours/d.Plan.ContractHours >= 0.5 {
		effort = EffortL // at least half a hire
	}
	b.add(Item{Key: KindStaffing + ":roster", Kind: KindStaffing, Weight: math.Round(c.ShortHours*10) / 10, Bucket: bucket, Effort: effort,
		Title: fmt.Sprintf("Cover the %d hours of the week the roster leaves short", c.HoursShort),
		Rationale: fmt.Sprintf("Today's roster is %.0f head-hours a week under the staffing requirement (%.1f FTE at %.0f contract hours); %d queues miss their service-level target with it.",
			c.ShortHours, c.ShortHours/d.Plan.ContractHours, d.Plan.ContractHours, len(below)),
		Evidence: ev, KPI: kpi, Effect: effect})
}

// ruleKey names a rule as the rule report does.
func ruleKey(r metrics.RuleResult) string { return r.Source + "/" + r.RuleID }

func ruleName(r metrics.RuleResult) string {
	if r.RuleName != "" {
		return r.RuleName
	}
	return ruleKey(r)
}

// AutomationCandidates picks, from a rule report, the rules worth
// automating: at least AutoAlerts alerts, one verdict on at least
// AutoConsistency of at least AutoJudged judged alerts, other than false
// positive (a rule that is mostly wrong is tuned, not automated), and at
// most AutoHandle analyst time per worked case. It returns them with the
// dominant verdict's share, highest analyst hours first.
func AutomationCandidates(rules *metrics.RuleReport, t Thresholds) []Candidate {
	var out []Candidate
	if rules == nil {
		return nil
	}
	for _, r := range rules.Rules {
		if r.WithoutAlerts || r.Alerts < t.AutoAlerts || r.Judged < t.AutoJudged || r.AnalystHours == nil || r.Worked == 0 {
			continue
		}
		var top string
		var n int64
		for _, v := range []model.Disposition{model.DispositionTruePositive, model.DispositionBenignPositive, model.DispositionFalsePositive} {
			if c := r.Dispositions[string(v)]; c > n {
				top, n = string(v), c
			}
		}
		share := float64(n) / float64(r.Judged)
		perCase := *r.AnalystHours / float64(r.Worked)
		if top == string(model.DispositionFalsePositive) || share < t.AutoConsistency || perCase > t.AutoHandle.Hours() {
			continue
		}
		out = append(out, Candidate{Rule: r, Verdict: top, Share: share, HoursPerCase: perCase})
	}
	sort.SliceStable(out, func(i, j int) bool { return *out[i].Rule.AnalystHours > *out[j].Rule.AnalystHours })
	if len(out) > t.AutoItems {
		out = out[:t.AutoItems]
	}
	return out
}

// Candidate is a rule worth automating.
type Candidate struct {
	Rule    metrics.RuleResult
	Verdict string
	// Share is the dominant verdict's share of the judged alerts;
	// HoursPerCase the analyst hours per worked case.
	Share        float64
	HoursPerCase float64
}

// noisyAndAutomation lists rules to tune (false-positive rate above the
// limit, most analyst hours first) and rules to automate.
func (b *builder) noisyAndAutomation() {
	d := b.d
	if d.Rules == nil || d.Rules.Alerts == 0 {
		b.input("rule quality", false, "no alerts in the window")
		return
	}
	b.input("rule quality", true, fmt.Sprintf("%d alerts from %d rules in %s", d.Rules.Alerts, len(d.Rules.Rules), d.Window))
	var noisy []metrics.RuleResult
	for _, r := range d.Rules.Rules {
		if !r.WithoutAlerts && r.Judged >= b.t.NoisyJudged && r.FalsePositiveRate != nil && *r.FalsePositiveRate > b.t.NoisyRate {
			noisy = append(noisy, r)
		}
	}
	hoursOf := func(r metrics.RuleResult) float64 {
		if r.AnalystHours == nil {
			return 0
		}
		return *r.AnalystHours
	}
	sort.SliceStable(noisy, func(i, j int) bool {
		if hi, hj := hoursOf(noisy[i]), hoursOf(noisy[j]); hi != hj {
			return hi > hj
		}
		return noisy[i].FalsePositives > noisy[j].FalsePositives
	})
	for i, r := range noisy[:min(b.t.NoisyItems, len(noisy))] {
		fpq := perQuarter(float64(r.FalsePositives), d.WindowDays)
		hq := perQuarter(hoursOf(r), d.WindowDays)
		// Tuning to the limit: FP' ÷ (judged − FP + FP') = limit.
		keep := b.t.NoisyRate * float64(r.Judged-r.FalsePositives) / (1 - b.t.NoisyRate)
		removed := perQuarter(float64(r.FalsePositives)-keep, d.WindowDays)
		bucket := Next
		if i < 2 {
			bucket = Now
		}
		ev := []Evidence{{Type: "rule", ID: ruleKey(r), Text: fmt.Sprintf("%d alerts, %d false positives of %d judged: false-positive rate %s", r.Alerts, r.FalsePositives, r.Judged, pct(*r.FalsePositiveRate))}}
		if r.AnalystHours != nil {
			ev = append(ev, Evidence{Type: "kpi", ID: "analyst_hours", Text: fmt.Sprintf("%.1f analyst hours on %d worked cases in the window, %.0f a quarter", hoursOf(r), r.Worked, hq)})
		}
		b.add(Item{Key: KindNoisyRule + ":" + ruleKey(r), Kind: KindNoisyRule, Weight: math.Round(hq*10) / 10, Bucket: bucket, Effort: EffortS,
			Title:     fmt.Sprintf("Tune “%s”", ruleName(r)),
			Rationale: fmt.Sprintf("%s of its judged alerts are false positives: about %.0f false positives and %.0f analyst hours a quarter.", pct(*r.FalsePositiveRate), fpq, hq),
			Evidence:  ev, KPI: "false-positive rate of " + ruleKey(r),
			Effect: fmt.Sprintf("from %s to ≤ %.0f%%: about %.0f fewer false positives a quarter", pct(*r.FalsePositiveRate), 100*b.t.NoisyRate, removed)})
	}
	for _, c := range AutomationCandidates(d.Rules, b.t) {
		r := c.Rule
		hq := perQuarter(*r.AnalystHours, d.WindowDays)
		ev := []Evidence{{Type: "rule", ID: ruleKey(r), Text: fmt.Sprintf("%d alerts; %s of %d judged are %s", r.Alerts, pct(c.Share), r.Judged, c.Verdict)},
			{Type: "kpi", ID: "analyst_hours", Text: fmt.Sprintf("%.1f analyst hours on %d worked cases (%.0f minutes each) in the window, %.0f a quarter", *r.AnalystHours, r.Worked, 60*c.HoursPerCase, hq)}}
		effect := fmt.Sprintf("about %.0f analyst hours a quarter freed", hq*c.Share)
		if fe, ok := d.Automation[ruleKey(r)]; ok {
			if fe.Note != "" {
				ev = append(ev, Evidence{Type: "kpi", ID: "fte", Text: "staffing model: " + fe.Note})
			} else {
				ev = append(ev, Evidence{Type: "kpi", ID: "fte", Text: fmt.Sprintf("staffing model: %.0f alerts a week fewer to triage, %.1f head-hours a week less required", fe.AlertsPerWeek, fe.HeadHours)})
				effect += fmt.Sprintf("; %.2f FTE less required by the staffing plan", fe.FTE)
			}
		}
		b.add(Item{Key: KindAutomation + ":" + ruleKey(r), Kind: KindAutomation, Weight: math.Round(hq*10) / 10, Bucket: Next, Effort: EffortM,
			Title:     fmt.Sprintf("Automate the handling of “%s”", ruleName(r)),
			Rationale: fmt.Sprintf("Its alerts end the same way (%s %s) and take %.0f minutes of analyst time per case: a playbook can close or enrich them.", pct(c.Share), c.Verdict, 60*c.HoursPerCase),
			Evidence:  ev, KPI: "analyst hours a quarter (and FTE required)", Effect: effect})
	}
}

// posture lists open critical and high findings past their remediation
// time.
func (b *builder) posture() {
	d := b.d
	if len(d.Findings) == 0 {
		note := d.FindingsMissing
		if note == "" {
			note = "no vulnerability or compliance findings stored (ingest OCSF Vulnerability 2002 or Compliance 2003 findings)"
		}
		b.input("posture findings", false, note)
		return
	}
	b.input("posture findings", true, fmt.Sprintf("%d open critical or high findings", len(d.Findings)))
	for _, sev := range []model.Severity{model.SeverityCritical, model.SeverityHigh} {
		limit := b.t.RemediateHigh
		if sev == model.SeverityCritical {
			limit = b.t.RemediateCritical
		}
		var past []model.Finding
		var oldest time.Duration
		for _, f := range d.Findings {
			first := f.FirstSeenAt
			if first.IsZero() {
				first = f.CreatedAt
			}
			if f.Severity != sev || first.IsZero() {
				continue
			}
			if age := d.Now.Sub(first); age > limit {
				past = append(past, f)
				oldest = max(oldest, age)
			}
		}
		if len(past) == 0 {
			continue
		}
		sort.SliceStable(past, func(i, j int) bool { return past[i].CVSS > past[j].CVSS })
		var ev []Evidence
		for _, f := range past[:min(5, len(past))] {
			ev = append(ev, Evidence{Type: "finding", ID: fmt.Sprint(f.ID), Text: fmt.Sprintf("%s on %s, CVSS %.1f, first seen %s", f.Title, f.ResourceName, f.CVSS, f.FirstSeenAt.Format(time.DateOnly))})
		}
		bucket := Next
		if sev == model.SeverityCritical {
			bucket = Now
		}
		b.add(Item{Key: KindPosture + ":" + sev.String(), Kind: KindPosture, Weight: float64(len(past)), Bucket: bucket, Effort: EffortM,
			Title:     fmt.Sprintf("Remediate the %d %s findings past %d days", len(past), sev, int(limit.Hours()/24)),
			Rationale: fmt.Sprintf("%d open %s findings are older than the %d-day remediation time, the oldest %d days.", len(past), sev, int(limit.Hours()/24), int(oldest.Hours()/24)),
			Evidence:  ev, KPI: fmt.Sprintf("open %s findings past their remediation time", sev), Effect: fmt.Sprintf("from %d to 0", len(past))})
	}
}

// runbooks lists rules with cases and no runbook.
func (b *builder) runbooks() {
	d := b.d
	if d.RunbookGaps == nil {
		b.input("runbooks", false, d.RunbooksMissing)
		return
	}
	n := 0
	for _, g := range d.RunbookGaps {
		if g.Cases >= b.t.RunbookCases {
			n++
		}
	}
	b.input("runbooks", true, fmt.Sprintf("%d rules with cases and no runbook, %d of them with at least %d cases", len(d.RunbookGaps), n, b.t.RunbookCases))
	gaps := slices.Clone(d.RunbookGaps)
	sort.SliceStable(gaps, func(i, j int) bool { return gaps[i].Cases > gaps[j].Cases })
	for _, g := range gaps[:min(3, len(gaps))] {
		if g.Cases < b.t.RunbookCases {
			break
		}
		b.add(Item{Key: KindRunbook + ":" + g.ID, Kind: KindRunbook, Weight: float64(g.Cases), Bucket: Next, Effort: EffortS,
			Title:     fmt.Sprintf("Write a runbook for “%s”", g.Name),
			Rationale: fmt.Sprintf("%d cases in %s came from this rule and no runbook applies to it.", g.Cases, d.Window),
			Evidence:  []Evidence{{Type: "rule_id", ID: g.ID, Text: fmt.Sprintf("%d cases, techniques %s", g.Cases, strings.Join(g.Techniques, ", "))}},
			KPI:       "cases handled with a runbook (runbook adoption)", Effect: fmt.Sprintf("%d cases a window of this size gain a runbook", g.Cases)})
	}
}
