package mcp

import (
	"context"
	"slices"
	"strconv"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/roadmap"
)

// CoverageIn are get_detection_coverage's arguments.
type CoverageIn struct {
	Timeframe     string `json:"timeframe,omitempty" jsonschema:"daily, weekly, monthly or quarterly (default), ending with the day of the newest data"`
	Tactic        string `json:"tactic,omitempty" jsonschema:"only the techniques of this ATT&CK tactic (TA0002, execution or Execution)"`
	Technique     string `json:"technique,omitempty" jsonschema:"only this technique (T1059) with its sub-techniques"`
	IncludeZero   bool   `json:"include_zero,omitempty" jsonschema:"list techniques scored 0 (no rule) too; by default only those with rules or seen in alerts"`
	MaxTechniques int    `json:"max_techniques,omitempty" jsonschema:"techniques to list, default 50, at most 200"`
	WindowArgs
}

// CoverageTechnique is one technique's coverage.
type CoverageTechnique struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Score         int      `json:"score" jsonschema:"0 none … 5 excellent (score_definition)"`
	Label         string   `json:"label"`
	Reasons       []string `json:"reasons"`
	Rules         int      `json:"rules"`
	Fired         int      `json:"fired"`
	Alerts        int64    `json:"alerts"`
	FPRate        *float64 `json:"false_positive_rate"`
	AnalystHours  *float64 `json:"analyst_hours"`
	SeenInAlerts  int64    `json:"seen_in_alerts"`
	Subtechniques []string `json:"subtechniques_with_rules,omitempty" jsonschema:"sub-techniques with rules, as id=score"`
}

// CoverageOut is get_detection_coverage's answer.
type CoverageOut struct {
	Window          string              `json:"window"`
	ScoreDefinition string              `json:"definition"`
	Rules           int                 `json:"rules"`
	ActiveRules     int                 `json:"active_rules"`
	ImportedRules   int                 `json:"imported_rules"`
	FiredRules      int                 `json:"fired_rules"`
	Alerts          int64               `json:"alerts"`
	Tactics         []coverage.Tactic   `json:"tactics"`
	Techniques      []CoverageTechnique `json:"techniques"`
	TotalTechniques int                 `json:"total_techniques" jsonschema:"techniques the filters select, before max_techniques"`
	KPIWindow       KPIWindow           `json:"kpi_window"`
}

// RoadmapIn are develop_soc_roadmap's arguments.
type RoadmapIn struct {
	Horizon   string `json:"horizon,omitempty" jsonschema:"quarters planned: 1q … 8q (default 2q)"`
	Timeframe string `json:"timeframe,omitempty" jsonschema:"analysis window: monthly or quarterly (default), ending with the day of the newest data"`
	WindowArgs
}

// RoadmapOut is develop_soc_roadmap's answer: the roadmap and the window
// it was derived from.
type RoadmapOut struct {
	*roadmap.Roadmap
	KPIWindow KPIWindow `json:"kpi_window"`
}

func (s *server) addStrategyTools(srv *sdk.Server) {
	sdk.AddTool(srv, &sdk.Tool{Name: "get_detection_coverage", Annotations: readOnly("Detection coverage"),
		Description: "Detection coverage per MITRE ATT&CK technique (sub-techniques rolled up): rules present and fired in the window, " +
			"their false-positive rate and analyst hours, alerts carrying the technique, and a 0–5 score with its reasons; per tactic summaries."},
		s.detectionCoverage)
	sdk.AddTool(srv, &sdk.Tool{Name: "develop_soc_roadmap", Annotations: readOnly("SOC roadmap"),
		Description: "The SOC roadmap derived from the data (not saved): coverage gaps for the most relevant threat profiles, SLA shortfalls, " +
			"staffing gaps, noisy rules, automation candidates with their FTE effect, posture findings past remediation time, rules without a " +
			"runbook; each item with evidence ids, the KPI it moves and by how much, effort and a Now/Next/Later quarter; missing inputs named."},
		s.developRoadmap)
}

func (s *server) detectionCoverage(ctx context.Context, _ *sdk.CallToolRequest, in CoverageIn) (*sdk.CallToolResult, CoverageOut, error) {
	var out CoverageOut
	res, err := s.resolve(ctx, in.Timeframe, metrics.Quarterly, in.WindowArgs)
	if err != nil {
		return nil, out, err
	}
	rep, err := coverage.NewService(s.st, s.svc).Report(ctx, coverage.Query{WindowQuery: dayQuery(res.Window)})
	if err != nil {
		return nil, out, toolArgError(err)
	}
	out = CoverageOut{Window: rep.Window, ScoreDefinition: rep.Definition, Rules: rep.Rules, ActiveRules: rep.Active, ImportedRules: rep.Imported,
		FiredRules: rep.FiredRules, Alerts: rep.Alerts, Tactics: rep.Tactics, Techniques: []CoverageTechnique{},
		KPIWindow: kpiWindow(res.Window, res.Basis.DataThrough, s.opts.Now())}
	tactic := ""
	if in.Tactic != "" {
		cat, err := s.catalog()
		if err != nil {
			return nil, out, err
		}
		ta, ok := cat.Tactic(in.Tactic)
		if !ok {
			return nil, out, argError("tactic %q is not an ATT&CK tactic", in.Tactic)
		}
		tactic = ta.ShortName
	}
	var only *coverage.Technique
	if in.Technique != "" {
		t, ok := rep.Technique(in.Technique)
		if !ok {
			return nil, out, argError("technique %q is not an active ATT&CK technique", in.Technique)
		}
		only = t
	}
	limit := pageSize(in.MaxTechniques, 50, 200)
	add := func(t coverage.Technique) {
		out.TotalTechniques++
		if len(out.Techniques) >= limit {
			return
		}
		ct := CoverageTechnique{ID: t.ID, Name: t.Name, Score: t.Score, Label: t.Label, Reasons: t.Reasons, Rules: t.Rules, Fired: t.Fired,
			Alerts: t.Alerts, FPRate: t.FPRate, AnalystHours: t.AnalystHours, SeenInAlerts: t.SeenInAlerts}
		for _, sub := range t.Subtechniques {
			if sub.Rules > 0 {
				ct.Subtechniques = append(ct.Subtechniques, sub.ID+"="+strconv.Itoa(sub.Score))
			}
		}
		out.Techniques = append(out.Techniques, ct)
	}
	if only != nil {
		add(*only)
		return nil, out, nil
	}
	for _, t := range rep.Techniques {
		if (tactic == "" || slices.Contains(t.Tactics, tactic)) && (in.IncludeZero || t.Score > 0 || t.SeenInAlerts > 0) {
			add(t)
		}
	}
	return nil, out, nil
}

func (s *server) developRoadmap(ctx context.Context, _ *sdk.CallToolRequest, in RoadmapIn) (*sdk.CallToolResult, RoadmapOut, error) {
	var out RoadmapOut
	h := 2
	if in.Horizon != "" {
		var err error
		if h, err = roadmap.ParseHorizon(in.Horizon); err != nil {
			return nil, out, argError("%v", err)
		}
	}
	switch in.Timeframe {
	case "", string(metrics.Monthly), string(metrics.Quarterly):
	default:
		return nil, out, argError("timeframe %q: want monthly or quarterly (or from and to)", in.Timeframe)
	}
	res, err := s.resolve(ctx, in.Timeframe, metrics.Quarterly, in.WindowArgs)
	if err != nil {
		return nil, out, err
	}
	svc := &roadmap.Service{Store: s.st, Metrics: s.svc, Staffing: s.opts.Staffing}
	rm, err := svc.Develop(ctx, roadmap.Query{Horizon: h, WindowQuery: dayQuery(res.Window)})
	if err != nil {
		return nil, out, toolArgError(err)
	}
	return nil, RoadmapOut{Roadmap: rm, KPIWindow: kpiWindow(res.Window, res.Basis.DataThrough, s.opts.Now())}, nil
}
