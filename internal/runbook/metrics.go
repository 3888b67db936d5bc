package runbook

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/kpi/sketch"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
)

// Thresholds of the continuous-improvement list. Rates are only judged
// over at least MinRuns runs, comparisons over at least MinCohort cases on
// each side.
const (
	MinRuns      = 5
	MinCohort    = 10
	SkipRateFlag = 0.5
	FailRateFlag = 0.10
	AdoptionFlag = 0.8
)

// Definitions say how each figure of a report is computed.
var Definitions = map[string]string{
	"window":       "runs that started in the window; cases created in the window (organisation time zone) for the with/without comparison",
	"duration":     "first step started → last step finished, of runs that completed (aborted, escalated and failed runs stop early; runs in progress are counted apart); median and p90 are nearest-rank order statistics (exact)",
	"outcome":      "recorded on the run's last record; else completed when every step has a status or the case is resolved (failed if a step's last status is failed); else in progress",
	"skip_rate":    "per step of a version: runs that skipped it (recorded as skipped, or never recorded in a finished run) ÷ finished runs of that version that record steps, aborted runs left out",
	"comparison":   "cases (tests excluded) with a run of the runbook (for a common step, also a completed step of another run that links to it) against cases without one of the same priority and rule; only priority×rule strata with cases on both sides count; SLA adherence over cases whose resolve clock stopped",
	"difference":   "mean MTTR (or MTTA) of the runbook's cases minus that of comparable cases without it, per stratum, weighted by the runbook's resolved (acknowledged) cases in the stratum; margin 1.96 standard errors (Σ w²(s²with/nwith + s²without/nwithout) ÷ (Σ w)², a stratum side of one case taking its cohort's variance); only differences beyond their margin enter the improvement list",
	"coverage":     "a runbook applies to a rule when its applies_to names the rule (id or name), one of its ATT&CK techniques (T1566 covers T1566.001) or its tactic (alert type)",
	"review":       "due at last_reviewed (else when the current version was first synced) plus review_interval",
	"never_used":   "no run recorded in any case log",
	"improvements": fmt.Sprintf("ordered by the cases or runs each concerns; rates need %d runs, comparisons %d cases a side; skipped ≥ %.0f%%, failing ≥ %.0f%%, adoption < %.0f%%", MinRuns, MinCohort, 100*SkipRateFlag, 100*FailRateFlag, 100*AdoptionFlag),
}

// RuleInfo is a detection rule with its volume in the window.
type RuleInfo struct {
	ID         string   `json:"rule_id"`
	Name       string   `json:"name"`
	Tactics    []string `json:"tactics,omitempty"`
	Techniques []string `json:"techniques,omitempty"`
	Alerts     int64    `json:"alerts"`
}

// Covers reports whether a runbook written for a applies to the rule.
func (a AppliesTo) Covers(r RuleInfo) bool {
	for _, x := range a.Rules {
		if strings.EqualFold(x, r.ID) || strings.EqualFold(x, r.Name) {
			return true
		}
	}
	for _, t := range a.Techniques {
		for _, rt := range r.Techniques {
			rt = strings.ToUpper(rt)
			if rt == t || strings.HasPrefix(rt, t+".") {
				return true
			}
		}
	}
	for _, at := range a.AlertTypes {
		for _, tac := range r.Tactics {
			if normType(at) == normType(tac) {
				return true
			}
		}
	}
	return false
}

func normType(s string) string {
	return strings.NewReplacer(" ", "-", "_", "-").Replace(strings.ToLower(strings.TrimSpace(s)))
}

// Input is what a report is built from.
type Input struct {
	Registry *Registry
	// Executions are the runs on the window's cases and the runs that
	// started in the window (runs are counted when they start in it).
	Executions []Execution
	// Facts are the KPI facts of the cases created in the window: all of
	// them, or (see RuleCases) at least those of every rule a case with a
	// run in the window has, in the order of [store.Store.DayFacts] day by
	// day. The comparison reads only the strata of cases with runs.
	Facts []kpi.Facts
	// RuleCases counts, by rule, the window's cases the KPIs count. When
	// nil it is counted from Facts, which must then hold every case.
	RuleCases map[string]int
	// Rules are the rules with alerts or cases in the window.
	Rules []RuleInfo
	// LastRuns is the newest run start of each runbook over all history,
	// by registry id.
	LastRuns   map[string]time.Time
	Unreadable int
	Window     string
	From, To   time.Time
	AsOf       time.Time
}

// Report is the runbook program's effectiveness over a window.
type Report struct {
	Window        string            `json:"window"`
	From          time.Time         `json:"from"`
	To            time.Time         `json:"to"`
	AsOf          time.Time         `json:"as_of"`
	Definitions   map[string]string `json:"definitions"`
	Runs          int               `json:"runs"`
	CasesWithRuns int               `json:"cases_with_runs"`
	// Unreadable counts runbook events that are not execution records.
	Unreadable   int           `json:"unreadable_events"`
	Runbooks     []Stats       `json:"runbooks"`
	Unregistered []NameCount   `json:"unregistered"`
	RulesWithout []RuleGap     `json:"rules_without_runbook"`
	TypesWithout []TypeGap     `json:"alert_types_without_runbook"`
	Overdue      []Review      `json:"overdue_for_review"`
	NeverUsed    []Unused      `json:"never_used"`
	Improvements []Improvement `json:"improvements"`
}

// Durations summarise run or case durations, in seconds.
type Durations struct {
	Count  int     `json:"count"`
	Median float64 `json:"median_seconds"`
	P90    float64 `json:"p90_seconds"`
	Mean   float64 `json:"mean_seconds"`
	// Open counts items not finished (never in the figures): runs in
	// progress, cases not yet acknowledged or resolved.
	Open int `json:"open"`
}

func summarize(secs []float64, open int) Durations {
	d := Durations{Count: len(secs), Open: open}
	if len(secs) == 0 {
		return d
	}
	s := append([]float64(nil), secs...)
	sort.Float64s(s)
	var sum float64
	for _, v := range s {
		sum += v
	}
	d.Mean = sum / float64(len(s))
	d.Median = sketch.ExactQuantile(s, 0.5)
	d.P90 = sketch.ExactQuantile(s, 0.9)
	return d
}

// Stats is one registered runbook's use and effect.
type Stats struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Type    string `json:"type"`
	Status  string `json:"status,omitempty"`
	Version int    `json:"version"`
	Runs    int    `json:"runs"`
	// InPlans counts, for a common step, the completed steps of other
	// runbooks' runs that link to it (it ran inside a plan).
	InPlans  int            `json:"in_plans"`
	Cases    int            `json:"cases"`
	Analysts int            `json:"analysts"`
	Outcomes map[string]int `json:"outcomes"`
	Duration Durations      `json:"duration"`
	Versions []VersionStats `json:"versions"`
	// Comparison is nil when no case created in the window ran it.
	Comparison  *Comparison `json:"comparison,omitempty"`
	LastRun     time.Time   `json:"last_run,omitzero"`
	ReviewDue   time.Time   `json:"review_due,omitzero"`
	Overdue     bool        `json:"overdue"`
	BrokenLinks int         `json:"broken_links"`
	Steps       int         `json:"steps"`
}

// VersionStats are a runbook's runs measured against one version.
type VersionStats struct {
	Version  int            `json:"version"`
	SyncedAt time.Time      `json:"synced_at"`
	Runs     int            `json:"runs"`
	Outcomes map[string]int `json:"outcomes"`
	Duration Durations      `json:"duration"`
	// StepRuns are the finished runs that record steps, aborted ones left
	// out: the skip rates' denominator.
	StepRuns int         `json:"step_runs"`
	Steps    []StepStats `json:"steps"`
}

// StepStats is one step of a version over its runs.
type StepStats struct {
	Key       string   `json:"key"`
	Title     string   `json:"title"`
	Completed int      `json:"completed"`
	Failed    int      `json:"failed"`
	Skipped   int      `json:"skipped"`
	SkipRate  *float64 `json:"skip_rate"` // null without finished runs
}

// Cohort is a set of cases' KPIs.
type Cohort struct {
	Cases int       `json:"cases"`
	MTTR  Durations `json:"mttr"`
	MTTA  Durations `json:"mtta"`
	// SLA of the resolve clock, over cases whose clock stopped.
	SLAMet       int      `json:"sla_met"`
	SLABreached  int      `json:"sla_breached"`
	SLAAdherence *float64 `json:"sla_adherence"`
	Reopened     int      `json:"reopened"`
}

// Comparison sets the cases a runbook ran on against comparable cases
// without it (same priority and rule).
type Comparison struct {
	Strata  int    `json:"strata"`
	With    Cohort `json:"with"`
	Without Cohort `json:"without"`
	// UnmatchedWith counts the runbook's cases whose priority and rule
	// have no case without it (left out of both cohorts).
	UnmatchedWith int `json:"unmatched_with"`
	// Adoption is With.Cases ÷ (With.Cases + Without.Cases).
	Adoption       *float64 `json:"adoption"`
	MTTRDifference *float64 `json:"mttr_difference_seconds"`
	MTTADifference *float64 `json:"mtta_difference_seconds"`
	// The differences' 95 % margins (1.96 standard errors): a difference
	// within its margin is not told apart from none.
	MTTRMargin *float64 `json:"mttr_difference_margin_seconds"`
	MTTAMargin *float64 `json:"mtta_difference_margin_seconds"`
}

// Significant reports whether a difference lies outside its margin.
func Significant(diff, margin *float64) bool {
	return diff != nil && margin != nil && math.Abs(*diff) > *margin
}

// NameCount is a runbook name recorded in case logs that no registered
// runbook has.
type NameCount struct {
	Name  string `json:"name"`
	Runs  int    `json:"runs"`
	Cases int    `json:"cases"`
}

// RuleGap is a rule no runbook applies to.
type RuleGap struct {
	RuleInfo
	Cases int `json:"cases"`
	// CasesWithRuns are its cases on which a runbook written for
	// detections (one with an applies_to) ran anyway: its applies_to may
	// be incomplete.
	CasesWithRuns int `json:"cases_with_runs"`
}

// TypeGap is an alert type (ATT&CK tactic) none of whose rules has a
// runbook.
type TypeGap struct {
	Type   string `json:"type"`
	Rules  int    `json:"rules"`
	Alerts int64  `json:"alerts"`
	Cases  int    `json:"cases"`
}

// Review is a runbook past its review date.
type Review struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Due         time.Time `json:"due"`
	DaysOverdue int       `json:"days_overdue"`
	Runs        int       `json:"runs"`
}

// Unused is a registered runbook with no run in any case log.
type Unused struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
}

// Improvement kinds.
const (
	ImproveNoRunbook    = "write_runbook"
	ImproveSkippedStep  = "review_skipped_step"
	ImproveFailing      = "fix_failing_runs"
	ImproveSlower       = "review_slower_cases"
	ImproveAdoption     = "raise_adoption"
	ImproveOverdue      = "review_overdue"
	ImproveUnregistered = "register_runbook"
	ImproveBrokenLinks  = "fix_links"
	ImproveNoSteps      = "number_steps"
	ImproveNeverUsed    = "retire_or_train"
)

var kindOrder = []string{ImproveNoRunbook, ImproveSlower, ImproveAdoption, ImproveFailing, ImproveSkippedStep, ImproveOverdue,
	ImproveUnregistered, ImproveBrokenLinks, ImproveNoSteps, ImproveNeverUsed}

// Improvement is one item of the continuous-improvement list.
type Improvement struct {
	Kind     string `json:"kind"`
	Runbook  string `json:"runbook,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Step     string `json:"step,omitempty"`
	Action   string `json:"action"`
	Evidence string `json:"evidence"`
	// Affected is the number of cases or runs the item concerns; the list
	// is ordered by it.
	Affected int `json:"affected"`
}

type stratum struct {
	prio model.Priority
	rule string
}

// Build computes the report.
func Build(in Input) *Report {
	rep := &Report{Window: in.Window, From: in.From, To: in.To, AsOf: in.AsOf, Definitions: Definitions, Unreadable: in.Unreadable,
		Runbooks: []Stats{}, Unregistered: []NameCount{}, RulesWithout: []RuleGap{}, TypesWithout: []TypeGap{}, Overdue: []Review{},
		NeverUsed: []Unused{}, Improvements: []Improvement{}}
	inWindow := func(x *Execution) bool { return !x.StartedAt.Before(in.From) && x.StartedAt.Before(in.To) }

	// Runs in the window, by runbook; every case's runbooks.
	byRunbook := map[string][]*Execution{}
	unreg := map[string]*NameCount{}
	unregCases := map[string]map[int64]bool{}
	caseRunbooks := map[int64]map[string]bool{}
	casesWithRuns := map[int64]bool{}
	inPlans := map[string]int{}
	for i := range in.Executions {
		x := &in.Executions[i]
		if x.Registered {
			ran := caseRunbooks[x.CaseID]
			if ran == nil {
				ran = map[string]bool{}
				caseRunbooks[x.CaseID] = ran
			}
			ran[x.Runbook] = true
			// A completed step that runs another runbook (a common step, a
			// sub-plan) runs that runbook on the case too.
			for _, id := range linkedRuns(in.Registry, x) {
				ran[id] = true
				if inWindow(x) {
					inPlans[id]++
				}
			}
		}
		if !inWindow(x) {
			continue
		}
		rep.Runs++
		casesWithRuns[x.CaseID] = true
		if !x.Registered {
			n := unreg[x.Runbook]
			if n == nil {
				n = &NameCount{Name: x.Runbook}
				unreg[x.Runbook], unregCases[x.Runbook] = n, map[int64]bool{}
			}
			n.Runs++
			unregCases[x.Runbook][x.CaseID] = true
			continue
		}
		byRunbook[x.Runbook] = append(byRunbook[x.Runbook], x)
	}
	rep.CasesWithRuns = len(casesWithRuns)
	for name, n := range unreg {
		n.Cases = len(unregCases[name])
		rep.Unregistered = append(rep.Unregistered, *n)
	}
	sort.Slice(rep.Unregistered, func(i, j int) bool {
		a, b := rep.Unregistered[i], rep.Unregistered[j]
		if a.Runs != b.Runs {
			return a.Runs > b.Runs
		}
		return a.Name < b.Name
	})

	facts := make([]*kpi.Facts, 0, len(in.Facts))
	for i := range in.Facts {
		if !in.Facts[i].Excluded {
			facts = append(facts, &in.Facts[i])
		}
	}

	for _, e := range in.Registry.Entries {
		if !e.RemovedAt.IsZero() && len(byRunbook[e.ID]) == 0 {
			continue
		}
		st := stats(e, byRunbook[e.ID])
		st.InPlans = inPlans[e.ID]
		st.Comparison = compare(e.ID, facts, caseRunbooks)
		st.LastRun = in.LastRuns[e.ID]
		if due := e.ReviewDue(); !due.IsZero() {
			st.ReviewDue, st.Overdue = due, due.Before(in.AsOf)
			if st.Overdue {
				rep.Overdue = append(rep.Overdue, Review{ID: e.ID, Title: st.Title, Due: due,
					DaysOverdue: int(in.AsOf.Sub(due).Hours() / 24), Runs: st.Runs})
			}
		}
		if st.LastRun.IsZero() && e.RemovedAt.IsZero() {
			rep.NeverUsed = append(rep.NeverUsed, Unused{ID: e.ID, Title: st.Title, Type: st.Type, CreatedAt: e.CreatedAt})
		}
		rep.Runbooks = append(rep.Runbooks, st)
	}
	sort.SliceStable(rep.Runbooks, func(i, j int) bool {
		if rep.Runbooks[i].Runs != rep.Runbooks[j].Runs {
			return rep.Runbooks[i].Runs > rep.Runbooks[j].Runs
		}
		return rep.Runbooks[i].ID < rep.Runbooks[j].ID
	})
	sort.SliceStable(rep.Overdue, func(i, j int) bool { return rep.Overdue[i].Due.Before(rep.Overdue[j].Due) })

	coverage(rep, in, facts, caseRunbooks)
	improvements(rep, in)
	return rep
}

// stats measures one runbook's runs in the window.
func stats(e *Entry, runs []*Execution) Stats {
	cur := e.Current()
	st := Stats{ID: e.ID, Title: cur.Doc.Title, Type: cur.Doc.Type, Status: cur.Doc.Status, Version: cur.Version, Runs: len(runs),
		Outcomes: map[string]int{}, Versions: []VersionStats{}, Steps: len(cur.Doc.Steps())}
	for _, l := range cur.Doc.Links {
		if l.Broken != "" {
			st.BrokenLinks++
		}
	}
	cases, analysts := map[int64]bool{}, map[string]bool{}
	var secs []float64
	open := 0
	byVersion := map[int][]*Execution{}
	for _, x := range runs {
		cases[x.CaseID] = true
		for _, a := range x.Analysts {
			analysts[a] = true
		}
		st.Outcomes[x.Outcome]++
		switch x.Outcome {
		case OutcomeInProgress:
			open++
		case OutcomeCompleted:
			secs = append(secs, x.Duration().Seconds())
		}
		byVersion[x.Version] = append(byVersion[x.Version], x)
	}
	st.Cases, st.Analysts, st.Duration = len(cases), len(analysts), summarize(secs, open)
	for _, v := range e.Versions {
		xs := byVersion[v.Version]
		if len(xs) == 0 {
			continue
		}
		st.Versions = append(st.Versions, versionStats(&v, xs))
	}
	return st
}

func versionStats(v *Version, runs []*Execution) VersionStats {
	vs := VersionStats{Version: v.Version, SyncedAt: v.SyncedAt, Runs: len(runs), Outcomes: map[string]int{}, Steps: []StepStats{}}
	steps := v.Doc.Steps()
	idx := map[string]int{}
	for i, s := range steps {
		vs.Steps = append(vs.Steps, StepStats{Key: s.Key, Title: s.Title})
		idx[s.Key] = i
	}
	var secs []float64
	open := 0
	for _, x := range runs {
		vs.Outcomes[x.Outcome]++
		if x.Outcome == OutcomeInProgress {
			open++
			continue
		}
		if x.Outcome == OutcomeCompleted {
			secs = append(secs, x.Duration().Seconds())
		}
		if !x.StepDetail || x.Outcome == OutcomeAborted {
			continue // an aborted run stops by design: its later steps are not skipped
		}
		vs.StepRuns++
		for _, sr := range x.Steps {
			i, ok := idx[sr.Key]
			if sr.Key == "" || !ok {
				continue
			}
			switch sr.Status {
			case StepCompleted:
				vs.Steps[i].Completed++
			case StepFailed:
				vs.Steps[i].Failed++
			case StepSkipped:
				vs.Steps[i].Skipped++
			}
		}
	}
	vs.Duration = summarize(secs, open)
	if vs.StepRuns > 0 {
		for i := range vs.Steps {
			r := float64(vs.Steps[i].Skipped) / float64(vs.StepRuns)
			vs.Steps[i].SkipRate = &r
		}
	}
	return vs
}

// compare sets the window's cases that ran the runbook against the cases
// of the same priority and rule that did not.
func compare(id string, facts []*kpi.Facts, caseRunbooks map[int64]map[string]bool) *Comparison {
	with := map[stratum][]*kpi.Facts{}
	without := map[stratum][]*kpi.Facts{}
	for _, f := range facts {
		k := stratum{f.Priority, f.Rule}
		if caseRunbooks[f.CaseID][id] {
			with[k] = append(with[k], f)
		}
	}
	if len(with) == 0 {
		return nil
	}
	for _, f := range facts {
		k := stratum{f.Priority, f.Rule}
		if _, ok := with[k]; ok && !caseRunbooks[f.CaseID][id] {
			without[k] = append(without[k], f)
		}
	}
	c := &Comparison{}
	var wf, wo []*kpi.Facts
	var matched []stratum
	keys := make([]stratum, 0, len(with))
	for k := range with {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].prio != keys[j].prio {
			return keys[i].prio < keys[j].prio
		}
		return keys[i].rule < keys[j].rule
	})
	for _, k := range keys {
		if len(without[k]) == 0 {
			c.UnmatchedWith += len(with[k])
			continue
		}
		c.Strata++
		matched = append(matched, k)
		wf, wo = append(wf, with[k]...), append(wo, without[k]...)
	}
	c.With, c.Without = cohort(wf), cohort(wo)
	if n := c.With.Cases + c.Without.Cases; n > 0 {
		a := float64(c.With.Cases) / float64(n)
		c.Adoption = &a
	}
	c.MTTRDifference, c.MTTRMargin = difference(matched, with, without, resolveSpan)
	c.MTTADifference, c.MTTAMargin = difference(matched, with, without, ackSpan)
	return c
}

// moments are a sample's size, mean and variance (n−1).
type moments struct {
	n        int
	mean, vr float64
}

func momentsOf(fs []*kpi.Facts, sp func(*kpi.Facts) (float64, bool)) moments {
	var xs []float64
	for _, f := range fs {
		if v, ok := sp(f); ok {
			xs = append(xs, v)
		}
	}
	m := moments{n: len(xs)}
	if m.n == 0 {
		return m
	}
	for _, v := range xs {
		m.mean += v
	}
	m.mean /= float64(m.n)
	if m.n > 1 {
		for _, v := range xs {
			m.vr += (v - m.mean) * (v - m.mean)
		}
		m.vr /= float64(m.n - 1)
	}
	return m
}

// difference is the stratified difference of means (with − without),
// weighted by the with side's measured cases, and its 95 % margin.
func difference(strata []stratum, with, without map[stratum][]*kpi.Facts, sp func(*kpi.Facts) (float64, bool)) (*float64, *float64) {
	var all [2][]*kpi.Facts
	for _, k := range strata {
		all[0], all[1] = append(all[0], with[k]...), append(all[1], without[k]...)
	}
	pooled := [2]moments{momentsOf(all[0], sp), momentsOf(all[1], sp)}
	var num, den, vr float64
	for _, k := range strata {
		mw, mo := momentsOf(with[k], sp), momentsOf(without[k], sp)
		if mw.n == 0 || mo.n == 0 {
			continue
		}
		if mw.n == 1 {
			mw.vr = pooled[0].vr
		}
		if mo.n == 1 {
			mo.vr = pooled[1].vr
		}
		w := float64(mw.n)
		num += w * (mw.mean - mo.mean)
		den += w
		vr += w * w * (mw.vr/float64(mw.n) + mo.vr/float64(mo.n))
	}
	if den == 0 {
		return nil, nil
	}
	d, m := num/den, 1.96*math.Sqrt(vr)/den
	return &d, &m
}

// resolveSpan and ackSpan are a case's MTTR and MTTA: seconds, and false
// while open. Negative spans (clock skew) count as zero.
func resolveSpan(f *kpi.Facts) (float64, bool) { return span(f.Created, f.Resolve) }
func ackSpan(f *kpi.Facts) (float64, bool)     { return span(f.Created, f.Ack) }

func span(from, to time.Time) (float64, bool) {
	if from.IsZero() || to.IsZero() {
		return 0, false
	}
	return math.Max(0, to.Sub(from).Seconds()), true
}

func cohort(fs []*kpi.Facts) Cohort {
	c := Cohort{Cases: len(fs)}
	var r, a []float64
	openR, openA := 0, 0
	for _, f := range fs {
		if v, ok := resolveSpan(f); ok {
			r = append(r, v)
		} else if !f.Created.IsZero() {
			openR++
		}
		if v, ok := ackSpan(f); ok {
			a = append(a, v)
		} else if !f.Created.IsZero() {
			openA++
		}
		if !f.Resolve.IsZero() {
			switch f.SLAResolve {
			case sla.StatusMet:
				c.SLAMet++
			case sla.StatusBreached:
				c.SLABreached++
			}
		}
		if f.Reopens > 0 {
			c.Reopened++
		}
	}
	c.MTTR, c.MTTA = summarize(r, openR), summarize(a, openA)
	if n := c.SLAMet + c.SLABreached; n > 0 {
		v := float64(c.SLAMet) / float64(n)
		c.SLAAdherence = &v
	}
	return c
}

// coverage lists the rules and alert types no runbook applies to.
func coverage(rep *Report, in Input, facts []*kpi.Facts, caseRunbooks map[int64]map[string]bool) {
	specific := map[string]bool{}
	for _, e := range in.Registry.Entries {
		specific[e.ID] = !e.Current().Doc.AppliesTo.IsZero()
	}
	cases := in.RuleCases
	if cases == nil {
		cases = map[string]int{}
		for _, f := range facts {
			cases[f.Rule]++
		}
	}
	withRuns := map[string]int{}
	for _, f := range facts {
		for id := range caseRunbooks[f.CaseID] {
			if specific[id] {
				withRuns[f.Rule]++
				break
			}
		}
	}
	var live []AppliesTo
	for _, e := range in.Registry.Entries {
		if e.RemovedAt.IsZero() {
			live = append(live, e.Current().Doc.AppliesTo)
		}
	}
	types := map[string]*TypeGap{}
	typeCovered := map[string]bool{}
	for _, r := range in.Rules {
		covered := false
		for _, a := range live {
			if a.Covers(r) {
				covered = true
				break
			}
		}
		for _, t := range r.Tactics {
			k := normType(t)
			if types[k] == nil {
				types[k] = &TypeGap{Type: k}
			}
			types[k].Rules++
			types[k].Alerts += r.Alerts
			types[k].Cases += cases[r.ID]
			typeCovered[k] = typeCovered[k] || covered
		}
		if !covered {
			rep.RulesWithout = append(rep.RulesWithout, RuleGap{RuleInfo: r, Cases: cases[r.ID], CasesWithRuns: withRuns[r.ID]})
		}
	}
	sort.SliceStable(rep.RulesWithout, func(i, j int) bool {
		a, b := rep.RulesWithout[i], rep.RulesWithout[j]
		if a.Cases != b.Cases {
			return a.Cases > b.Cases
		}
		if a.Alerts != b.Alerts {
			return a.Alerts > b.Alerts
		}
		return a.ID < b.ID
	})
	for k, t := range types {
		if !typeCovered[k] {
			rep.TypesWithout = append(rep.TypesWithout, *t)
		}
	}
	sort.Slice(rep.TypesWithout, func(i, j int) bool {
		a, b := rep.TypesWithout[i], rep.TypesWithout[j]
		if a.Cases != b.Cases {
			return a.Cases > b.Cases
		}
		return a.Type < b.Type
	})
}

func pct(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }

// improvements derives the continuous-improvement list from the report.
func improvements(rep *Report, in Input) {
	add := func(im Improvement) { rep.Improvements = append(rep.Improvements, im) }
	for _, g := range rep.RulesWithout {
		if g.Cases == 0 {
			continue
		}
		add(Improvement{Kind: ImproveNoRunbook, Rule: g.ID, Affected: g.Cases,
			Action:   fmt.Sprintf("write a runbook for rule %s %q (or name it in an existing runbook's applies_to)", g.ID, g.Name),
			Evidence: fmt.Sprintf("%d cases and %d alerts in the window, no runbook applies", g.Cases, g.Alerts)})
	}
	for _, st := range rep.Runbooks {
		if c := st.Comparison; c != nil && c.With.MTTR.Count >= MinCohort && c.Without.MTTR.Count >= MinCohort && Significant(c.MTTRDifference, c.MTTRMargin) {
			d := *c.MTTRDifference
			ev := fmt.Sprintf("MTTR %s ± %s vs comparable cases (%d with, %d without, %d priority×rule strata)", signedDuration(d),
				signedDuration(*c.MTTRMargin)[1:], c.With.MTTR.Count, c.Without.MTTR.Count, c.Strata)
			switch {
			case d > 0:
				add(Improvement{Kind: ImproveSlower, Runbook: st.ID, Affected: c.With.Cases, Evidence: ev,
					Action: "review the runbook: its cases resolve slower than comparable cases handled without it"})
			case d < 0 && c.Adoption != nil && *c.Adoption < AdoptionFlag:
				add(Improvement{Kind: ImproveAdoption, Runbook: st.ID, Affected: c.Without.Cases, Evidence: ev + ", adoption " + pct(*c.Adoption),
					Action: "raise adoption: its cases resolve faster, yet most comparable cases are handled without it (train, automate the trigger)"})
			}
		}
		finished := st.Runs - st.Outcomes[OutcomeInProgress]
		if failed := st.Outcomes[OutcomeFailed]; finished >= MinRuns && float64(failed)/float64(finished) >= FailRateFlag {
			add(Improvement{Kind: ImproveFailing, Runbook: st.ID, Affected: failed,
				Action:   "find why runs fail (tooling, missing access, unclear steps)",
				Evidence: fmt.Sprintf("%d of %d finished runs failed (%s)", failed, finished, pct(float64(failed)/float64(finished)))})
		}
		if len(st.Versions) > 0 {
			v := st.Versions[len(st.Versions)-1]
			if v.StepRuns >= MinRuns {
				for _, s := range v.Steps {
					if s.SkipRate != nil && *s.SkipRate >= SkipRateFlag {
						add(Improvement{Kind: ImproveSkippedStep, Runbook: st.ID, Step: s.Key, Affected: s.Skipped,
							Action:   fmt.Sprintf("step %s %q is mostly skipped: make it optional, merge it, or find why", s.Key, s.Title),
							Evidence: fmt.Sprintf("skipped in %d of %d finished runs of version %d (%s)", s.Skipped, v.StepRuns, v.Version, pct(*s.SkipRate))})
					}
				}
			}
		}
		if st.BrokenLinks > 0 {
			add(Improvement{Kind: ImproveBrokenLinks, Runbook: st.ID, Affected: st.Runs,
				Action:   "fix the links to other runbooks that resolve to nothing",
				Evidence: fmt.Sprintf("%d broken links in version %d", st.BrokenLinks, st.Version)})
		}
		if st.Steps == 0 && st.Runs > 0 {
			add(Improvement{Kind: ImproveNoSteps, Runbook: st.ID, Affected: st.Runs,
				Action:   "number the runbook's steps so runs can be followed and skipped steps measured",
				Evidence: fmt.Sprintf("%d runs, no numbered or checkbox steps", st.Runs)})
		}
	}
	for _, r := range rep.Overdue {
		add(Improvement{Kind: ImproveOverdue, Runbook: r.ID, Affected: r.Runs, Action: "review the runbook",
			Evidence: fmt.Sprintf("review was due %s (%d days ago); %d runs in the window", r.Due.Format(time.DateOnly), r.DaysOverdue, r.Runs)})
	}
	for _, u := range rep.Unregistered {
		add(Improvement{Kind: ImproveUnregistered, Runbook: u.Name, Affected: u.Runs,
			Action:   "add the runbook to the registry (or an alias to the runbook it is)",
			Evidence: fmt.Sprintf("%d runs on %d cases name it, no registered runbook has that id, title or alias", u.Runs, u.Cases)})
	}
	for _, u := range rep.NeverUsed {
		add(Improvement{Kind: ImproveNeverUsed, Runbook: u.ID, Affected: 0,
			Action:   "retire it, or train the team and link it where it applies",
			Evidence: "no run in any case log since it was registered on " + u.CreatedAt.Format(time.DateOnly)})
	}
	rank := map[string]int{}
	for i, k := range kindOrder {
		rank[k] = i
	}
	sort.SliceStable(rep.Improvements, func(i, j int) bool {
		a, b := rep.Improvements[i], rep.Improvements[j]
		if a.Affected != b.Affected {
			return a.Affected > b.Affected
		}
		return rank[a.Kind] < rank[b.Kind]
	})
}

// signedDuration writes seconds as "+2h 05m" or "−12m".
func signedDuration(sec float64) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "−", -sec
	}
	d := time.Duration(sec * float64(time.Second)).Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h > 0 {
		return fmt.Sprintf("%s%dh %02dm", sign, h, m)
	}
	return fmt.Sprintf("%s%dm", sign, m)
}

// linkedRuns lists the common steps a run ran through its completed
// steps' links. Links to other runbooks (alternatives a triage step names,
// the plan a step hands over to) do not count as running them.
func linkedRuns(reg *Registry, x *Execution) []string {
	if !x.StepDetail {
		return nil
	}
	e := reg.Get(x.Runbook)
	if e == nil {
		return nil
	}
	v := e.Version(x.Version)
	if v == nil {
		return nil
	}
	done := map[string]bool{}
	for _, s := range x.Steps {
		if s.Key != "" && s.Status == StepCompleted {
			done[s.Key] = true
		}
	}
	var out []string
	for _, l := range v.Doc.Links {
		if l.Path == "" || !done[l.Step] {
			continue
		}
		if t := reg.Lookup(l.Path); t != nil && t.ID != x.Runbook && isCommonStep(t.Current().Doc) && !slices.Contains(out, t.ID) {
			out = append(out, t.ID)
		}
	}
	return out
}

// isCommonStep reports whether a runbook is a common step: tagged
// common_step (the bank's convention) or common-step.
func isCommonStep(d *Document) bool {
	for _, t := range d.Tags {
		if n := normType(t); n == "common-step" || n == "common-steps" {
			return true
		}
	}
	return false
}

// Only keeps one runbook's figures in the report; false when it has none
// for id.
func (r *Report) Only(id string) bool {
	for _, st := range r.Runbooks {
		if st.ID == id {
			r.Runbooks = []Stats{st}
			return true
		}
	}
	return false
}
