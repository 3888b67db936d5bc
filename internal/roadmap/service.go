package roadmap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/posture"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Service develops roadmaps from the store and the services.
type Service struct {
	Store   *store.Store
	Metrics *metrics.Service
	// Staffing is the staffing configuration the plan is sized with (the
	// zero value: defaults, each reported as an assumption by the plan).
	Staffing staffing.Config
}

// Query asks for a roadmap.
type Query struct {
	// Horizon is the number of quarters planned (1 when 0); see
	// ParseHorizon.
	Horizon int
	// WindowQuery is the analysis window (quarterly when empty).
	metrics.WindowQuery
	// Save stores the roadmap with its date.
	Save bool
	// Thresholds are DefaultThresholds when zero.
	Thresholds Thresholds
}

// ParseHorizon reads a horizon: "2q", "2" or "6m" (in whole quarters,
// 1 to 8).
func ParseHorizon(s string) (int, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	var n int
	var unit string
	if _, err := fmt.Sscanf(v, "%d%s", &n, &unit); err != nil {
		if _, err := fmt.Sscanf(v, "%d", &n); err != nil {
			return 0, fmt.Errorf("horizon %q: want a number of quarters such as 2q", s)
		}
	}
	switch unit {
	case "", "q":
	case "m":
		if n%3 != 0 {
			return 0, fmt.Errorf("horizon %q: months must make whole quarters", s)
		}
		n /= 3
	default:
		return 0, fmt.Errorf("horizon %q: want quarters (2q) or months (6m)", s)
	}
	if n < 1 || n > 8 {
		return 0, fmt.Errorf("horizon %q: between 1 and 8 quarters", s)
	}
	return n, nil
}

// inputOf names the input each kind of item comes from.
var inputOf = map[string]string{KindCoverageGap: "threat relevance", KindSLA: "SLA adherence", KindStaffing: "staffing",
	KindNoisyRule: "rule quality", KindAutomation: "rule quality", KindPosture: "posture findings", KindRunbook: "runbooks"}

// findingOpen leaves out findings that are closed, by the same statuses
// as the posture figures (so an SCC finding muted or an ASFF one archived
// is not a hot spot).
func findingOpen(f model.Finding) bool { return !posture.Closed(f.Status) }

// Develop gathers the data, builds the roadmap, marks the previous saved
// roadmap's items, and saves it when asked.
func (s *Service) Develop(ctx context.Context, q Query) (*Roadmap, error) {
	if q.Timeframe == "" && q.From == "" {
		q.Timeframe = string(metrics.Quarterly)
	}
	if q.Horizon == 0 {
		q.Horizon = 1
	}
	d := Data{Now: s.Metrics.Now(), Horizon: q.Horizon, Thresholds: q.Thresholds}
	if d.Thresholds == (Thresholds{}) {
		d.Thresholds = DefaultThresholds
	}
	res, err := s.Metrics.Resolve(ctx, q.WindowQuery)
	if err != nil {
		return nil, err
	}
	w := res.Window
	d.Window, d.WindowDays = w.String(), w.To.Sub(w.From).Hours()/24
	if d.Rules, err = s.Metrics.Rules(ctx, metrics.RulesQuery{WindowQuery: q.WindowQuery}); err != nil {
		return nil, fmt.Errorf("roadmap: rule report: %w", err)
	}
	if d.Coverage, err = coverage.NewService(s.Store, s.Metrics).Report(ctx, coverage.Query{WindowQuery: q.WindowQuery}); err != nil {
		return nil, fmt.Errorf("roadmap: coverage: %w", err)
	}
	if d.Coverage.Rules == 0 {
		d.Coverage, d.CoverageMissing = nil, "no detection rules: none stored with alerts and none imported (watchfloor coverage import DIR)"
	}
	if err := s.threats(ctx, &d, w); err != nil {
		return nil, err
	}
	perf, err := s.Metrics.Performance(ctx, metrics.PerformanceQuery{WindowQuery: q.WindowQuery, GroupBy: metrics.ByPriority})
	if err != nil {
		return nil, fmt.Errorf("roadmap: performance: %w", err)
	}
	d.Priorities, d.SLAPolicies = perf.Groups, perf.SLAPolicies
	if err := s.staffing(ctx, &d); err != nil {
		return nil, err
	}
	if err := s.findings(ctx, &d); err != nil {
		return nil, err
	}
	rb, err := runbook.Measure(ctx, s.Store, w.String(), w.From, w.To, d.Now, d.Rules.RuleVolumes())
	if err != nil {
		return nil, fmt.Errorf("roadmap: runbooks: %w", err)
	}
	if len(rb.Runbooks) == 0 {
		d.RunbooksMissing = "no runbooks in the registry (watchfloor runbooks sync DIR)"
	} else {
		d.RunbookGaps = append([]runbook.RuleGap{}, rb.RulesWithout...)
	}
	r := Build(d)
	if err := s.previous(ctx, r); err != nil {
		return nil, err
	}
	if q.Save {
		doc, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		if r.ID, err = s.Store.SaveRoadmap(ctx, r.CreatedAt, r.Horizon, doc); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// threats ranks the threat profiles over the window.
func (s *Service) threats(ctx context.Context, d *Data, w metrics.Window) error {
	end := w.To.Add(-time.Second)
	if now := s.Metrics.Now(); now.Before(end) {
		end = now
	}
	isvc := &intel.Service{Store: s.Store, Engine: s.Metrics.Engine(), Now: func() time.Time { return end }}
	rk, err := isvc.Rank(ctx, intel.RankQuery{Days: max(1, int(math.Round(d.WindowDays))), Relevant: true, Limit: d.Thresholds.Profiles})
	if err != nil {
		return fmt.Errorf("roadmap: threat profiles: %w", err)
	}
	if len(rk.Profiles) == 0 {
		d.ThreatsMissing = "no threat profile scored as relevant: set the organisation profile (watchfloor intel org --sectors … --regions … --platforms …) or pull threat intelligence"
		return nil
	}
	d.Threats = rk.Profiles
	return nil
}

// staffing sizes the staffing plan and the effect of automating each
// automation candidate.
func (s *Service) staffing(ctx context.Context, d *Data) error {
	w, err := staffing.Model(ctx, s.Store, s.Staffing)
	if err != nil {
		return fmt.Errorf("roadmap: staffing model: %w", err)
	}
	if len(w.Queues) == 0 {
		d.PlanMissing = "no cases or alerts in the staffing history window to plan from"
		return nil
	}
	if d.Plan, err = staffing.Build(w, s.Staffing, staffing.Options{}); err != nil {
		if errors.Is(err, staffing.ErrNoWorkload) {
			d.Plan, d.PlanMissing = nil, err.Error()
			return nil
		}
		return fmt.Errorf("roadmap: staffing plan: %w", err)
	}
	cands := AutomationCandidates(d.Rules, d.Thresholds)
	if len(cands) == 0 {
		return nil
	}
	base, err := staffing.Size(w, s.Staffing)
	if err != nil {
		return fmt.Errorf("roadmap: staffing size: %w", err)
	}
	d.Automation = map[string]FTEEffect{}
	for _, c := range cands {
		key := ruleKey(c.Rule)
		w2 := w.Clone()
		removed, err := w2.ReduceRule(c.Rule.RuleID, c.Share)
		if err != nil || removed == 0 {
			d.Automation[key] = FTEEffect{Note: "alert triage is not in the staffing plan (set triage_handle_time in the staffing configuration), so automating its alerts changes no requirement"}
			continue
		}
		p2, err := staffing.Size(w2, s.Staffing)
		if err != nil {
			return fmt.Errorf("roadmap: staffing without %s: %w", key, err)
		}
		hh := base.HeadHours - p2.HeadHours
		d.Automation[key] = FTEEffect{AlertsPerWeek: removed, HeadHours: hh, FTE: hh / base.ContractHours}
	}
	return nil
}

// findings reads the open critical and high findings.
func (s *Service) findings(ctx context.Context, d *Data) error {
	all, err := s.Store.Findings(ctx, store.FindingFilter{MinSeverity: model.SeverityHigh, Limit: 10000})
	if err != nil {
		return fmt.Errorf("roadmap: findings: %w", err)
	}
	for _, f := range all {
		if findingOpen(f) {
			d.Findings = append(d.Findings, f)
		}
	}
	if len(all) > 0 && len(d.Findings) == 0 {
		d.FindingsMissing = fmt.Sprintf("no open critical or high finding among the %d stored", len(all))
	}
	return nil
}

// previous marks the items of the last saved roadmap: open when still
// listed (the new item keeps the date it was first listed), done when its
// input is there and no longer shows it, unknown when its input is
// missing now.
func (s *Service) previous(ctx context.Context, r *Roadmap) error {
	docs, err := s.Store.Roadmaps(ctx, true)
	if err != nil || len(docs) == 0 {
		return err
	}
	last := docs[len(docs)-1]
	var prev Roadmap
	if err := json.Unmarshal(last.Doc, &prev); err != nil {
		return fmt.Errorf("roadmap %d: %w", last.ID, err)
	}
	r.PreviousID, r.PreviousAt = last.ID, last.At
	MarkPrevious(r, &prev)
	return nil
}

// MarkPrevious compares r with the previous roadmap prev.
func MarkPrevious(r, prev *Roadmap) {
	now := map[string]int{}
	for i, it := range r.Items {
		now[it.Key] = i
	}
	avail := map[string]bool{}
	for _, in := range r.Inputs {
		avail[in.Name] = in.Available
	}
	r.PreviousItems = []Previous{}
	for _, it := range prev.Items {
		p := Previous{Key: it.Key, Title: it.Title}
		switch i, ok := now[it.Key]; {
		case ok:
			p.Status = "open"
			since := it.Since
			if since.IsZero() {
				since = prev.CreatedAt
			}
			r.Items[i].Since = since
		case avail[inputOf[it.Kind]]:
			p.Status = "done"
		default:
			p.Status = "unknown"
		}
		r.PreviousItems = append(r.PreviousItems, p)
	}
}

// Saved returns the saved roadmaps (without their documents), oldest
// first.
func (s *Service) Saved(ctx context.Context) ([]store.Document, error) {
	return s.Store.Roadmaps(ctx, false)
}
