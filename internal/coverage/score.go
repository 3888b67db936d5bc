package coverage

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// DefaultMaxFPRate is the highest false-positive rate a firing rule may
// have for its technique to score 4 or 5.
const DefaultMaxFPRate = 0.5

// ScoreDefinition is the detection score, in the spirit of DeTT&CT's
// detection scoring (0 none … 5 excellent), computed from stored rules and
// the window's alerts rather than judged by hand.
const ScoreDefinition = "detection score per technique (sub-techniques rolled up into their parent), from its active rules (deprecated, unsupported and disabled rules do not count) and the window's alerts: " +
	"0 no rule; 1 rules, none stable and none fired in the window (test, experimental or status unknown); " +
	"2 a stable rule, none fired in the window; 3 rules fired in the window but their false-positive rate is above the limit, or none of their alerts has a verdict; " +
	"4 rules fired with a false-positive rate at or under the limit; 5 as 4, with at least one true positive in the window and at least two rules that fired"

// Scores are the score values with their short labels.
var Scores = []string{"none", "poor", "fair", "good", "very good", "excellent"}

// Options tune the score.
type Options struct {
	// MaxFPRate is the false-positive rate limit (DefaultMaxFPRate when 0).
	MaxFPRate float64
}

func (o Options) maxFP() float64 {
	if o.MaxFPRate <= 0 {
		return DefaultMaxFPRate
	}
	return o.MaxFPRate
}

// Technique is the coverage of one ATT&CK technique or sub-technique. A
// technique's figures include its sub-techniques' rules and alerts (each
// rule counted once).
type Technique struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Tactics   []string `json:"tactics"`
	Platforms []string `json:"platforms"`
	Parent    string   `json:"parent,omitempty"`
	// Rules counts the active rules; Stable, Testing (test, experimental or
	// unknown status) split them; Inactive counts the deprecated,
	// unsupported or disabled ones, which cover nothing.
	Rules    int `json:"rules"`
	Stable   int `json:"stable"`
	Testing  int `json:"testing"`
	Inactive int `json:"inactive"`
	// Fired counts the active rules credited alerts in the window; Alerts,
	// FalsePositives, TruePositives and Judged add up their alerts.
	Fired          int      `json:"fired"`
	Alerts         int64    `json:"alerts"`
	FalsePositives int64    `json:"false_positives"`
	TruePositives  int64    `json:"true_positives"`
	Judged         int64    `json:"judged"`
	FPRate         *float64 `json:"false_positive_rate"`
	AnalystHours   *float64 `json:"analyst_hours"`
	// SeenInAlerts counts the window's alerts that carry the technique (or
	// one of its sub-techniques) in their own technique list.
	SeenInAlerts int64    `json:"seen_in_alerts"`
	DataSources  []string `json:"data_sources"`
	// RuleKeys are the active rules' Detection keys, sorted.
	RuleKeys []string `json:"rule_keys"`
	Score    int      `json:"score"`
	Label    string   `json:"label"`
	Reasons  []string `json:"reasons"`
	// Subtechniques holds a parent's sub-techniques' own coverage (only
	// in Report.Techniques).
	Subtechniques []Technique `json:"subtechniques,omitempty"`
}

// Tactic sums the coverage of a tactic's techniques (sub-techniques rolled
// up into their parents).
type Tactic struct {
	ID         string `json:"id"`
	ShortName  string `json:"short_name"`
	Name       string `json:"name"`
	Techniques int    `json:"techniques"`
	// Covered counts the techniques with at least one active rule
	// (score ≥ 1); ByScore the techniques at each score 0…5.
	Covered int      `json:"covered"`
	ByScore [6]int   `json:"by_score"`
	Mean    *float64 `json:"mean_score"`
	Seen    int      `json:"seen_in_alerts"`
}

// Platform sums the coverage of the techniques that apply to an ATT&CK
// platform.
type Platform struct {
	Name       string   `json:"name"`
	Techniques int      `json:"techniques"`
	Covered    int      `json:"covered"`
	ByScore    [6]int   `json:"by_score"`
	Mean       *float64 `json:"mean_score"`
}

// Report is coverage over a window.
type Report struct {
	Window        string  `json:"window"`
	ATTACKVersion string  `json:"attack_version"`
	Definition    string  `json:"score_definition"`
	MaxFPRate     float64 `json:"max_false_positive_rate"`
	FPDefinition  string  `json:"false_positive_definition"`
	HoursDef      string  `json:"analyst_hours_definition"`
	metrics.Basis
	// Rules counts the detections (active and not); Imported those from
	// imported content; Linked the imported ones matched to a rule stored
	// with alerts; FiredRules the active ones credited alerts.
	Rules      int `json:"rules"`
	Active     int `json:"active_rules"`
	Imported   int `json:"imported_rules"`
	Linked     int `json:"linked_rules"`
	FiredRules int `json:"fired_rules"`
	// UnknownTechniques are technique IDs rules name that the catalog does
	// not hold.
	UnknownTechniques []string `json:"unknown_techniques"`
	// Alerts in the window, and those whose rule matches no stored or
	// imported rule (by rule).
	Alerts       int64                `json:"alerts"`
	UnlinkedRule []metrics.RuleResult `json:"unlinked_alert_rules"`
	// Techniques are the catalog's active techniques (parents, each with
	// its sub-techniques), sorted by ID.
	Techniques []Technique `json:"techniques"`
	Tactics    []Tactic    `json:"tactics"`
	Platforms  []Platform  `json:"platforms"`
	// Detections are the rules with their window figures.
	Detections []*Detection `json:"detections"`
}

// Technique returns a technique's or sub-technique's row.
func (r *Report) Technique(id string) (*Technique, bool) {
	id = strings.ToUpper(strings.TrimSpace(id))
	parent, _, _ := strings.Cut(id, ".")
	i, ok := slices.BinarySearchFunc(r.Techniques, parent, func(t Technique, id string) int { return strings.Compare(t.ID, id) })
	if !ok {
		return nil, false
	}
	t := &r.Techniques[i]
	if id == parent {
		return t, true
	}
	for j := range t.Subtechniques {
		if t.Subtechniques[j].ID == id {
			return &t.Subtechniques[j], true
		}
	}
	return nil, false
}

// Input is what Compute needs.
type Input struct {
	Catalog *attack.Catalog
	// Rules are the rules stored with alerts, Imported the imported
	// content, Report the window's rule report from the KPI engine.
	Rules    []model.Rule
	Imported []store.ImportedRule
	Report   *metrics.RuleReport
	// TechniqueSets are the window's alerts grouped by their technique
	// lists (metrics.Engine.TechniqueSets).
	TechniqueSets []store.TechniqueSet
	Options       Options
}

// acc accumulates one technique's rules.
type acc struct {
	rules    map[*Detection]bool
	inactive map[*Detection]bool
	seen     int64
}

// Compute scores every active technique of the catalog (see
// ScoreDefinition) and sums tactics and platforms.
func Compute(in Input) *Report {
	cat := in.Catalog
	var rr []metrics.RuleResult
	rep := &Report{ATTACKVersion: attack.EmbeddedVersion, Definition: ScoreDefinition, MaxFPRate: in.Options.maxFP(),
		FPDefinition: metrics.FPDefinition, HoursDef: metrics.HoursDefinition, UnknownTechniques: []string{}}
	if in.Report != nil {
		rr, rep.Window, rep.Basis, rep.Alerts = in.Report.Rules, in.Report.Window, in.Report.Basis, in.Report.Alerts
	}
	linked := Link(in.Rules, in.Imported, rr)
	rep.Detections, rep.UnlinkedRule = linked.Detections, linked.Unlinked
	rep.Imported = len(in.Imported)
	accs := map[string]*acc{}
	get := func(id string) *acc {
		a := accs[id]
		if a == nil {
			a = &acc{rules: map[*Detection]bool{}, inactive: map[*Detection]bool{}}
			accs[id] = a
		}
		return a
	}
	unknown := map[string]bool{}
	for _, d := range linked.Detections {
		rep.Rules++
		if d.Format != "" && d.Source != "" {
			rep.Linked++
		}
		if d.Active {
			rep.Active++
			if d.Fired() {
				rep.FiredRules++
			}
		}
		for _, ref := range d.Techniques {
			t, ok := cat.Technique(ref)
			if !ok || t.Revoked || t.Deprecated {
				unknown[strings.ToUpper(ref)] = true
				continue
			}
			ids := []string{t.ID}
			if t.Parent != "" {
				ids = append(ids, t.Parent)
			}
			for _, id := range ids {
				a := get(id)
				if d.Active {
					a.rules[d] = true
				} else {
					a.inactive[d] = true
				}
			}
		}
	}
	for _, ts := range in.TechniqueSets {
		ids := map[string]bool{}
		for _, ref := range ts.Techniques {
			if t, ok := cat.Technique(ref); ok {
				ids[t.ID] = true
				if t.Parent != "" {
					ids[t.Parent] = true
				}
			}
		}
		for id := range ids {
			get(id).seen += ts.Alerts
		}
	}
	for id := range unknown {
		rep.UnknownTechniques = append(rep.UnknownTechniques, id)
	}
	sort.Strings(rep.UnknownTechniques)

	maxFP := in.Options.maxFP()
	byParent := map[string]int{}
	for _, t := range cat.Techniques() {
		if t.IsSubtechnique {
			continue
		}
		byParent[t.ID] = len(rep.Techniques)
		rep.Techniques = append(rep.Techniques, row(cat, t, accs[t.ID], maxFP))
	}
	for _, t := range cat.Techniques() {
		if !t.IsSubtechnique {
			continue
		}
		if i, ok := byParent[t.Parent]; ok {
			rep.Techniques[i].Subtechniques = append(rep.Techniques[i].Subtechniques, row(cat, t, accs[t.ID], maxFP))
		}
	}
	rep.Tactics = tactics(cat, rep.Techniques)
	rep.Platforms = platforms(rep.Techniques)
	return rep
}

// row scores one technique from its accumulated rules.
func row(cat *attack.Catalog, t attack.Technique, a *acc, maxFP float64) Technique {
	out := Technique{ID: t.ID, Name: cat.FullName(t), Tactics: t.Tactics, Platforms: t.Platforms, Parent: t.Parent,
		DataSources: []string{}, RuleKeys: []string{}, Reasons: []string{}}
	if a == nil {
		a = &acc{}
	}
	out.Inactive = len(a.inactive)
	out.SeenInAlerts = a.seen
	var hours float64
	var worked bool
	for d := range a.rules {
		out.Rules++
		out.RuleKeys = append(out.RuleKeys, d.Key)
		out.DataSources = append(out.DataSources, d.DataSources...)
		if d.Status == model.RuleStable {
			out.Stable++
		} else {
			out.Testing++
		}
		if d.Fired() {
			out.Fired++
			out.Alerts += d.Alerts
			out.FalsePositives += d.FalsePositives
			out.TruePositives += d.TruePositives
			out.Judged += d.Judged
			if d.AnalystHours != nil {
				hours += *d.AnalystHours
				worked = true
			}
		}
	}
	sort.Strings(out.RuleKeys)
	slices.Sort(out.DataSources)
	out.DataSources = slices.Compact(out.DataSources)
	out.FPRate = metrics.Ratio(out.FalsePositives, out.Judged)
	if worked {
		out.AnalystHours = &hours
	}
	out.Score, out.Reasons = score(out, maxFP)
	out.Label = Scores[out.Score]
	return out
}

// score applies ScoreDefinition to a technique's figures and says why.
func score(t Technique, maxFP float64) (int, []string) {
	var reasons []string
	if t.Inactive > 0 {
		reasons = append(reasons, fmt.Sprintf("%s deprecated, unsupported or disabled: not counted", count(t.Inactive, "rule")))
	}
	if t.Rules == 0 {
		return 0, append(reasons, "no active rule maps to the technique")
	}
	reasons = append(reasons, fmt.Sprintf("%s (%d stable, %d test, experimental or of unknown status)", count(t.Rules, "active rule"), t.Stable, t.Testing))
	if t.SeenInAlerts > 0 {
		reasons = append(reasons, fmt.Sprintf("%s in the window carry the technique", count64(t.SeenInAlerts, "alert")))
	}
	if t.Fired == 0 {
		if t.Stable == 0 {
			return 1, append(reasons, "none is stable and none fired in the window")
		}
		return 2, append(reasons, "none fired in the window")
	}
	reasons = append(reasons, fmt.Sprintf("%d fired in the window: %s", t.Fired, count64(t.Alerts, "alert")))
	if t.FPRate == nil {
		return 3, append(reasons, "none of their alerts has a verdict, so their false-positive rate is not known")
	}
	fp := fmt.Sprintf("false-positive rate %.1f%% (%d of %d judged)", *t.FPRate*100, t.FalsePositives, t.Judged)
	if *t.FPRate > maxFP {
		return 3, append(reasons, fmt.Sprintf("%s is above the %.0f%% limit", fp, maxFP*100))
	}
	reasons = append(reasons, fmt.Sprintf("%s is within the %.0f%% limit", fp, maxFP*100))
	if t.TruePositives == 0 {
		return 4, append(reasons, "no true positive in the window")
	}
	if t.Fired < 2 {
		return 4, append(reasons, fmt.Sprintf("%s; only one rule fired", count64(t.TruePositives, "true positive")))
	}
	return 5, append(reasons, fmt.Sprintf("%s; %d rules fired", count64(t.TruePositives, "true positive"), t.Fired))
}

func count(n int, what string) string { return count64(int64(n), what) }

func count64(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// summary accumulates a tactic's or platform's techniques.
type summary struct {
	n, covered, seen int
	byScore          [6]int
	sum              int
}

func (s *summary) add(t *Technique) {
	s.n++
	s.byScore[t.Score]++
	s.sum += t.Score
	if t.Score > 0 {
		s.covered++
	}
	if t.SeenInAlerts > 0 {
		s.seen++
	}
}

func (s *summary) mean() *float64 {
	if s.n == 0 {
		return nil
	}
	m := float64(s.sum) / float64(s.n)
	return &m
}

func tactics(cat *attack.Catalog, techs []Technique) []Tactic {
	sums := map[string]*summary{}
	for i := range techs {
		for _, ta := range techs[i].Tactics {
			s := sums[ta]
			if s == nil {
				s = &summary{}
				sums[ta] = s
			}
			s.add(&techs[i])
		}
	}
	var out []Tactic
	for _, ta := range cat.Tactics() {
		s := sums[ta.ShortName]
		if s == nil {
			s = &summary{}
		}
		out = append(out, Tactic{ID: ta.ID, ShortName: ta.ShortName, Name: ta.Name, Techniques: s.n, Covered: s.covered,
			ByScore: s.byScore, Mean: s.mean(), Seen: s.seen})
	}
	return out
}

func platforms(techs []Technique) []Platform {
	sums := map[string]*summary{}
	for i := range techs {
		for _, p := range techs[i].Platforms {
			s := sums[p]
			if s == nil {
				s = &summary{}
				sums[p] = s
			}
			s.add(&techs[i])
		}
	}
	out := []Platform{}
	for _, p := range sortedKeys(sums) {
		s := sums[p]
		out = append(out, Platform{Name: p, Techniques: s.n, Covered: s.covered, ByScore: s.byScore, Mean: s.mean()})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
