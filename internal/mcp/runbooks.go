package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/training"
)

// Runbook resources: the index and one resource per runbook.
const (
	RunbooksURI        = "watchfloor://runbooks"
	RunbookURITemplate = "watchfloor://runbooks/{+id}"
	runbookURIPrefix   = "watchfloor://runbooks/"
)

// runbookBodyText is the budget of a runbook's body, in runes.
const runbookBodyText = 12000

// ListRunbooksIn are list_runbooks's arguments.
type ListRunbooksIn struct {
	Type           string `json:"type,omitempty" jsonschema:"only runbooks of this type: runbook, irp …"`
	IncludeRemoved bool   `json:"include_removed,omitempty" jsonschema:"also runbooks no longer in their folder"`
	MaxResults     int    `json:"max_results,omitempty" jsonschema:"runbooks per page, default 50, at most 200"`
	NextPageToken  string `json:"next_page_token,omitempty"`
}

// RunbookRow is one runbook in a listing.
type RunbookRow struct {
	ID          string `json:"id" jsonschema:"registry id, for get_runbook and the resource watchfloor://runbooks/{id}"`
	Title       Text   `json:"title"`
	Type        string `json:"type"`
	Status      string `json:"status"`
	Version     int    `json:"version"`
	Versions    int    `json:"versions"`
	Steps       int    `json:"steps"`
	BrokenLinks int    `json:"broken_links"`
	ReviewDue   string `json:"review_due" jsonschema:"empty when no review interval is set"`
	Removed     bool   `json:"removed"`
}

// ListRunbooksOut is list_runbooks's answer.
type ListRunbooksOut struct {
	Runbooks      []RunbookRow `json:"runbooks"`
	Total         int          `json:"total"`
	NextPageToken string       `json:"next_page_token"`
	Truncated     bool         `json:"truncated" jsonschema:"true when the answer's size budget cut this page short; next_page_token continues after the last row returned"`
}

// GetRunbookIn are get_runbook's arguments.
type GetRunbookIn struct {
	RunbookID   string `json:"runbook_id" jsonschema:"registry id (or path, title, alias)"`
	Version     int    `json:"version,omitempty" jsonschema:"version to show; default the current one"`
	IncludeBody bool   `json:"include_body,omitempty" jsonschema:"add the Markdown body (untrusted text, cut to 12000 characters)"`
}

// RunbookStep is one step of a runbook version.
type RunbookStep struct {
	Key   string `json:"key" jsonschema:"phase.step, the name runs record"`
	Title Text   `json:"title"`
}

// RunbookPhase is a phase and its steps.
type RunbookPhase struct {
	Title Text          `json:"title"`
	Steps []RunbookStep `json:"steps"`
}

// RunbookLink is a link to another file.
type RunbookLink struct {
	Step       string `json:"step"`
	Target     Text   `json:"target"`
	ResolvesTo string `json:"resolves_to" jsonschema:"the file in the folder; empty when broken"`
	Broken     string `json:"broken" jsonschema:"why it resolves to nothing"`
}

// RunbookVersionRow is one version in a runbook's history.
type RunbookVersionRow struct {
	Version  int    `json:"version"`
	SyncedAt string `json:"synced_at"`
	Steps    int    `json:"steps"`
	Label    Text   `json:"author_label"`
}

// GetRunbookOut is get_runbook's answer.
type GetRunbookOut struct {
	ID                     string              `json:"id"`
	Version                int                 `json:"version"`
	Title                  Text                `json:"title"`
	Type                   string              `json:"type"`
	Status                 string              `json:"status"`
	Path                   string              `json:"path"`
	Owner                  Text                `json:"owner"`
	Tags                   []string            `json:"tags"`
	AppliesTo              runbook.AppliesTo   `json:"applies_to"`
	RequiredSkills         []runbook.SkillNeed `json:"required_skills"`
	RequiredCertifications []string            `json:"required_certifications"`
	ReviewInterval         string              `json:"review_interval"`
	ReviewDue              string              `json:"review_due"`
	Phases                 []RunbookPhase      `json:"phases"`
	Links                  []RunbookLink       `json:"links"`
	Versions               []RunbookVersionRow `json:"versions"`
	Body                   *Text               `json:"body,omitempty"`
}

// RunbookMetricsIn are get_runbook_metrics's arguments.
type RunbookMetricsIn struct {
	Timeframe       string `json:"timeframe,omitempty" jsonschema:"monthly or quarterly (default), or daily/weekly, ending with the day of the newest data"`
	RunbookID       string `json:"runbook_id,omitempty" jsonschema:"only this runbook, with its versions and step skip rates"`
	MaxRunbooks     int    `json:"max_runbooks,omitempty" jsonschema:"runbooks listed, most runs first; default 15, at most 100"`
	MaxImprovements int    `json:"max_improvements,omitempty" jsonschema:"improvement items listed; default 10, at most 100"`
	WindowArgs
}

// RunbookMetricsOut is get_runbook_metrics's answer. Text from runbook
// files (titles, evidence naming steps) is untrusted.
type RunbookMetricsOut struct {
	Window           string                 `json:"window"`
	Definitions      map[string]string      `json:"definitions"`
	Runs             int                    `json:"runs"`
	CasesWithRuns    int                    `json:"cases_with_runs"`
	Runbooks         []RunbookStatsOut      `json:"runbooks"`
	RunbooksTotal    int                    `json:"runbooks_total"`
	Improvements     []ImprovementOut       `json:"improvements"`
	ImprovementTotal int                    `json:"improvements_total"`
	RulesWithout     []runbook.RuleGap      `json:"rules_without_runbook" jsonschema:"at most 20, most cases first"`
	RulesWithoutAll  int                    `json:"rules_without_runbook_total"`
	TypesWithout     []runbook.TypeGap      `json:"alert_types_without_runbook"`
	Overdue          []runbook.Review       `json:"overdue_for_review"`
	NeverUsed        []runbook.Unused       `json:"never_used"`
	Unregistered     []runbook.NameCount    `json:"unregistered"`
	StepDetail       []runbook.VersionStats `json:"versions,omitempty" jsonschema:"with runbook_id: each version's runs and step skip rates"`
	KPIWindow        KPIWindow              `json:"kpi_window"`
}

// RunbookStatsOut is one runbook's figures.
type RunbookStatsOut struct {
	ID         string              `json:"id"`
	Title      Text                `json:"title"`
	Type       string              `json:"type"`
	Version    int                 `json:"version"`
	Runs       int                 `json:"runs"`
	InPlans    int                 `json:"in_plans"`
	Cases      int                 `json:"cases"`
	Outcomes   map[string]int      `json:"outcomes"`
	Duration   runbook.Durations   `json:"duration"`
	Comparison *runbook.Comparison `json:"comparison,omitempty"`
	LastRun    string              `json:"last_run"`
	ReviewDue  string              `json:"review_due"`
	Overdue    bool                `json:"overdue"`
}

// ImprovementOut is one improvement item.
type ImprovementOut struct {
	Kind     string `json:"kind"`
	Runbook  string `json:"runbook"`
	Rule     string `json:"rule"`
	Step     string `json:"step"`
	Action   Text   `json:"action"`
	Evidence Text   `json:"evidence"`
	Affected int    `json:"affected" jsonschema:"cases or runs it concerns; the list is ordered by it"`
}

// AssessTeamIn are assess_team_skills's arguments.
type AssessTeamIn struct {
	CertificationTracking bool `json:"certification_tracking,omitempty" jsonschema:"add every certification's status and renewals that would open a gap"`
	HistoryDays           int  `json:"history_days,omitempty" jsonschema:"days of history for exposure and individual context; default 28, at most 366"`
	MaxPlanItems          int  `json:"max_plan_items,omitempty" jsonschema:"training plan items, most SLA exposure removed first; default 15, at most 100"`
	IncludeAnalysts       bool `json:"include_analysts,omitempty" jsonschema:"add each analyst's skills with the context of their work (tier, queue mix, runbook mix) beside their speed"`
	WindowArgs
}

// AssessTeamOut is assess_team_skills's answer, program views first: the
// assessment with its plan cut to max_plan_items (plan_total says how
// many there are) and the analysts only when asked for.
type AssessTeamOut struct {
	training.Assessment
	PlanTotal int       `json:"plan_total"`
	KPIWindow KPIWindow `json:"kpi_window" jsonschema:"the history measured"`
}

// RecordRunIn are record_runbook_run's arguments.
type RecordRunIn struct {
	CaseID     string   `json:"case_id" jsonschema:"Watchfloor case id or source/external_id"`
	Runbook    string   `json:"runbook" jsonschema:"registered runbook id, path, title or alias"`
	Run        string   `json:"run" jsonschema:"names the run; later records with the same name add to it"`
	Version    int      `json:"version,omitempty" jsonschema:"version run; default the current one"`
	Completed  []string `json:"completed,omitempty" jsonschema:"steps completed, by key (2.3) or title"`
	Skipped    []string `json:"skipped,omitempty"`
	Failed     []string `json:"failed,omitempty"`
	Outcome    string   `json:"outcome,omitempty" jsonschema:"completed, failed, aborted or escalated; none while in progress"`
	StartedAt  string   `json:"started_at,omitempty" jsonschema:"RFC 3339"`
	FinishedAt string   `json:"finished_at,omitempty" jsonschema:"RFC 3339"`
}

// RecordRunOut is record_runbook_run's answer: the events appended, the
// case, and the run as the log now has it.
type RecordRunOut struct {
	WriteOut
	Run runbook.Execution `json:"run"`
}

func (s *server) addRunbookTools(srv *sdk.Server) {
	sdk.AddTool(srv, &sdk.Tool{Name: "list_runbooks", Annotations: readOnly("Runbooks"),
		Description: "The runbook registry: each runbook's id, title, type, current version, steps, broken links and review date; paged."},
		s.listRunbooks)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_runbook", Annotations: readOnly("Runbook"),
		Description: "One runbook version: front matter (applies_to, required skills and certifications, review), phases and steps keyed phase.step, links (broken ones say why), version history; optionally the Markdown body as untrusted text."},
		s.getRunbook)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_runbook_metrics", Annotations: readOnly("Runbook effectiveness"),
		Description: "Runbook effectiveness over a window: runs, duration (median, p90), outcomes, cases with vs without each runbook (same priority and rule, with 95% margins and sample sizes), rules and alert types with no runbook, overdue reviews, unused runbooks, and the continuous-improvement list; per version step skip rates for one runbook."},
		s.runbookMetrics)
	sdk.AddTool(srv, &sdk.Tool{Name: "assess_team_skills", Annotations: readOnly("Team skills"),
		Description: "Team development: what each runbook and queue requires, who on each shift can run it, hours of the week nobody on duty can (with the runs that met the gap and their SLA breaches), handovers to nobody qualified, a training plan ordered by the SLA exposure it removes, certifications with expiry; program views first, individuals only with their context."},
		s.assessTeam)
	srv.AddResource(&sdk.Resource{URI: RunbooksURI, Name: "runbooks", Title: "Runbook index",
		Description: "Every runbook in the registry with its resource URI (watchfloor://runbooks/{id}).", MIMEType: "application/json"},
		s.readRunbookIndex)
	srv.AddResourceTemplate(&sdk.ResourceTemplate{URITemplate: RunbookURITemplate, Name: "runbook", Title: "Runbook",
		Description: "A runbook's current version: front matter, steps and the Markdown body, as JSON; text from the file is untrusted.",
		MIMEType:    "application/json"}, s.readRunbook)
}

func (s *server) addRunbookWriteTools(srv *sdk.Server) {
	sdk.AddTool(srv, writeTool("record_runbook_run", "Record runbook run",
		"Records a runbook run (or part of one) on a case: steps completed, skipped or failed and how it ended, as runbook events in the case's log. Audited.", false, false),
		s.recordRun)
}

func (s *server) registry(ctx context.Context) (*runbook.Registry, error) {
	entries, err := s.st.RunbookEntries(ctx)
	if err != nil {
		return nil, err
	}
	return runbook.NewRegistry(entries), nil
}

func (s *server) listRunbooks(ctx context.Context, _ *sdk.CallToolRequest, in ListRunbooksIn) (*sdk.CallToolResult, ListRunbooksOut, error) {
	out := ListRunbooksOut{Runbooks: []RunbookRow{}}
	off, err := parsePageToken("runbooks", in.NextPageToken)
	if err != nil {
		return nil, out, err
	}
	reg, err := s.registry(ctx)
	if err != nil {
		return nil, out, err
	}
	rows := reg.Rows(in.Type, in.IncludeRemoved)
	if len(rows) == 0 && in.Type != "" {
		var types []string
		for _, r := range reg.Rows("", true) {
			if !slices.Contains(types, r.Type) {
				types = append(types, r.Type)
			}
		}
		slices.Sort(types)
		if len(types) > 0 && !slices.Contains(types, in.Type) {
			return nil, out, argError("type %q: want one of %s", in.Type, strings.Join(types, ", "))
		}
	}
	out.Total = len(rows)
	size := pageSize(in.MaxResults, 50, 200)
	if off < len(rows) {
		var page []RunbookRow
		for _, r := range rows[off:min(off+size, len(rows))] {
			page = append(page, RunbookRow{ID: r.ID, Title: untrusted(r.Title, shortText), Type: r.Type, Status: r.Status, Version: r.Version,
				Versions: r.Versions, Steps: r.Steps, BrokenLinks: r.BrokenLinks, ReviewDue: ts(r.ReviewDue), Removed: r.Removed})
		}
		if keep := fitBudget(s.answerTokens(), approxTokens(out), page); keep < len(page) {
			page, out.Truncated = page[:keep], true
		}
		out.Runbooks = page
	}
	if next := off + len(out.Runbooks); next < len(rows) && len(out.Runbooks) > 0 {
		out.NextPageToken = pageToken("runbooks", next)
	}
	return nil, out, nil
}

func (s *server) getRunbook(ctx context.Context, _ *sdk.CallToolRequest, in GetRunbookIn) (*sdk.CallToolResult, GetRunbookOut, error) {
	var out GetRunbookOut
	reg, err := s.registry(ctx)
	if err != nil {
		return nil, out, err
	}
	e := reg.Lookup(in.RunbookID)
	if e == nil {
		return nil, out, argError("runbook %q is not in the registry (see list_runbooks)", in.RunbookID)
	}
	v := e.Current()
	if in.Version != 0 {
		if v = e.Version(in.Version); v == nil {
			return nil, out, argError("runbook %s has versions 1 to %d", e.ID, len(e.Versions))
		}
	}
	out = runbookOut(e, v)
	if in.IncludeBody {
		b := untrusted(v.Doc.Body, runbookBodyText)
		out.Body = &b
	}
	return nil, out, nil
}

// runbookOut describes one version; text from the file is untrusted.
func runbookOut(e *runbook.Entry, v *runbook.Version) GetRunbookOut {
	d := v.Doc
	out := GetRunbookOut{ID: e.ID, Version: v.Version, Title: untrusted(d.Title, shortText), Type: d.Type, Status: d.Status, Path: d.Path,
		Owner: untrusted(d.Owner, shortText), Tags: nonNil(d.Tags), AppliesTo: d.AppliesTo, RequiredSkills: nonNil(d.RequiredSkills),
		RequiredCertifications: nonNil(d.RequiredCertifications), ReviewInterval: d.ReviewInterval.String(), ReviewDue: ts(e.ReviewDue()),
		Phases: []RunbookPhase{}, Links: []RunbookLink{}, Versions: []RunbookVersionRow{}}
	for _, p := range d.Phases {
		ph := RunbookPhase{Title: untrusted(p.Title, shortText), Steps: []RunbookStep{}}
		for _, st := range p.Steps {
			ph.Steps = append(ph.Steps, RunbookStep{Key: st.Key, Title: untrusted(st.Title, shortText)})
		}
		out.Phases = append(out.Phases, ph)
	}
	for _, l := range d.Links {
		out.Links = append(out.Links, RunbookLink{Step: l.Step, Target: untrusted(l.Target, shortText), ResolvesTo: l.Path, Broken: l.Broken})
	}
	for _, x := range e.Versions {
		out.Versions = append(out.Versions, RunbookVersionRow{Version: x.Version, SyncedAt: ts(x.SyncedAt), Steps: len(x.Doc.Steps()),
			Label: untrusted(x.Doc.Label, shortText)})
	}
	return out
}

func (s *server) runbookMetrics(ctx context.Context, _ *sdk.CallToolRequest, in RunbookMetricsIn) (*sdk.CallToolResult, RunbookMetricsOut, error) {
	var out RunbookMetricsOut
	if in.Timeframe == "" {
		in.Timeframe = string(metrics.Quarterly)
	}
	wq, err := s.windowQuery(ctx, in.Timeframe, in.From, in.To)
	if err != nil {
		return nil, out, err
	}
	res, err := s.svc.Resolve(ctx, wq)
	if err != nil {
		return nil, out, toolArgError(err)
	}
	w := res.Window
	rules, err := s.eng.Rules(ctx, w)
	if err != nil {
		return nil, out, err
	}
	rep, err := runbook.Measure(ctx, s.st, w.String(), w.From, w.To, s.opts.Now(), rules.RuleVolumes())
	if err != nil {
		return nil, out, err
	}
	out = RunbookMetricsOut{Window: rep.Window, Definitions: rep.Definitions, Runs: rep.Runs, CasesWithRuns: rep.CasesWithRuns,
		Runbooks: []RunbookStatsOut{}, Improvements: []ImprovementOut{}, RulesWithout: rep.RulesWithout[:min(20, len(rep.RulesWithout))],
		RulesWithoutAll: len(rep.RulesWithout), TypesWithout: rep.TypesWithout, Overdue: rep.Overdue, NeverUsed: rep.NeverUsed,
		Unregistered: rep.Unregistered, ImprovementTotal: len(rep.Improvements), KPIWindow: kpiWindow(w, res.Basis.DataThrough, s.opts.Now())}
	if in.RunbookID != "" {
		if !rep.Only(in.RunbookID) {
			return nil, out, argError("runbook %q is not in the registry (see list_runbooks)", in.RunbookID)
		}
		out.StepDetail = rep.Runbooks[0].Versions
	}
	stats := rep.Runbooks
	out.RunbooksTotal = len(stats)
	for _, st := range stats[:min(pageSize(in.MaxRunbooks, 15, 100), len(stats))] {
		out.Runbooks = append(out.Runbooks, RunbookStatsOut{ID: st.ID, Title: untrusted(st.Title, shortText), Type: st.Type, Version: st.Version,
			Runs: st.Runs, InPlans: st.InPlans, Cases: st.Cases, Outcomes: st.Outcomes, Duration: st.Duration, Comparison: st.Comparison,
			LastRun: ts(st.LastRun), ReviewDue: ts(st.ReviewDue), Overdue: st.Overdue})
	}
	for _, im := range rep.Improvements[:min(pageSize(in.MaxImprovements, 10, 100), len(rep.Improvements))] {
		out.Improvements = append(out.Improvements, ImprovementOut{Kind: im.Kind, Runbook: im.Runbook, Rule: im.Rule, Step: im.Step,
			Action: untrusted(im.Action, longText), Evidence: untrusted(im.Evidence, longText), Affected: im.Affected})
	}
	return nil, out, nil
}

func (s *server) assessTeam(ctx context.Context, _ *sdk.CallToolRequest, in AssessTeamIn) (*sdk.CallToolResult, AssessTeamOut, error) {
	var out AssessTeamOut
	if in.HistoryDays < 0 || in.HistoryDays > 366 {
		return nil, out, argError("history_days %d: want 1 to 366", in.HistoryDays)
	}
	opt := training.Options{At: s.opts.Now(), Staffing: s.opts.Staffing, Certifications: in.CertificationTracking, HistoryDays: in.HistoryDays}
	loc, err := s.st.TimeZone(ctx)
	if err != nil {
		return nil, out, err
	}
	w, explicit, err := parseWindow(in.From, in.To, loc)
	switch {
	case err != nil:
		return nil, out, err
	case explicit && in.HistoryDays > 0:
		return nil, out, argError("history_days and from/to both set the history: give one")
	case explicit && w.Days() > 366:
		return nil, out, argError("from %s to %s is %d days: at most 366", in.From, in.To, w.Days())
	case explicit:
		opt.HistoryDays, opt.HistoryUntil = w.Days(), w.To
	}
	as, err := training.Assess(ctx, s.st, opt)
	if err != nil {
		return nil, out, err
	}
	n := pageSize(in.MaxPlanItems, 15, 100)
	out = AssessTeamOut{Assessment: *as, PlanTotal: len(as.Plan)}
	if out.KPIWindow, err = s.kpiWindowOf(ctx, dayWindow(as.HistoryFrom, as.HistoryTo, loc)); err != nil {
		return nil, out, err
	}
	out.Plan = as.Plan[:min(n, len(as.Plan))]
	out.Certifications = nonNil(as.Certifications)
	if !in.IncludeAnalysts {
		out.Analysts = []training.Profile{}
	}
	return nil, out, nil
}

func parseOptionalTime(name, v string) (time.Time, error) {
	if strings.TrimSpace(v) == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, argError("%s %q: want RFC 3339", name, v)
	}
	return t, nil
}

func (s *server) recordRun(ctx context.Context, req *sdk.CallToolRequest, in RecordRunIn) (*sdk.CallToolResult, RecordRunOut, error) {
	out := RecordRunOut{WriteOut: WriteOut{Events: []string{}}}
	args := map[string]string{"runbook": in.Runbook, "run": in.Run, "version": strconv.Itoa(in.Version), "outcome": in.Outcome,
		"completed": strings.Join(in.Completed, ","), "skipped": strings.Join(in.Skipped, ","), "failed": strings.Join(in.Failed, ","),
		"started_at": in.StartedAt, "finished_at": in.FinishedAt}
	var runbookID string
	_, w, err := s.write(ctx, req, "record_runbook_run", in.CaseID, args, func(c *model.Case) ([]change, error) {
		r := runbook.Record{Runbook: in.Runbook, Version: in.Version, Run: in.Run, Completed: in.Completed, Skipped: in.Skipped,
			Failed: in.Failed, Outcome: in.Outcome}
		var err error
		if r.StartedAt, err = parseOptionalTime("started_at", in.StartedAt); err != nil {
			return nil, err
		}
		if r.FinishedAt, err = parseOptionalTime("finished_at", in.FinishedAt); err != nil {
			return nil, err
		}
		reg, err := s.registry(ctx)
		if err != nil {
			return nil, err
		}
		recs, err := r.Records(reg)
		if err != nil {
			return nil, argError("%v", err)
		}
		runbookID = recs[0].Runbook
		var changes []change
		for _, rec := range recs {
			b, err := json.Marshal(rec)
			if err != nil {
				return nil, fmt.Errorf("encoding execution record: %w", err)
			}
			changes = append(changes, change{kind: model.EventRunbook, new: string(b)})
		}
		return changes, nil
	})
	out.WriteOut = w
	if err != nil {
		return nil, out, err
	}
	c, err := s.st.CaseByRef(ctx, in.CaseID)
	if err != nil {
		return nil, out, err
	}
	reg, err := s.registry(ctx)
	if err != nil {
		return nil, out, err
	}
	log, err := s.st.CaseEvents(ctx, c.ID)
	if err != nil {
		return nil, out, err
	}
	for _, x := range runbook.CaseRuns(reg, c, log) {
		if x.Runbook == runbookID && x.Run == strings.TrimSpace(in.Run) {
			out.Run = x
		}
	}
	return nil, out, nil
}

// RunbookIndexEntry is one runbook in the index resource.
type RunbookIndexEntry struct {
	URI     string `json:"uri"`
	ID      string `json:"id"`
	Title   Text   `json:"title"`
	Type    string `json:"type"`
	Version int    `json:"version"`
}

func (s *server) readRunbookIndex(ctx context.Context, _ *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
	reg, err := s.registry(ctx)
	if err != nil {
		return nil, err
	}
	index := []RunbookIndexEntry{}
	for _, r := range reg.Rows("", false) {
		index = append(index, RunbookIndexEntry{URI: runbookURIPrefix + r.ID, ID: r.ID, Title: untrusted(r.Title, shortText), Type: r.Type, Version: r.Version})
	}
	b, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the runbook index: %w", err)
	}
	return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: RunbooksURI, MIMEType: "application/json", Text: string(b)}}}, nil
}

func (s *server) readRunbook(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
	uri := req.Params.URI
	id, ok := strings.CutPrefix(uri, runbookURIPrefix)
	if !ok || id == "" {
		return nil, sdk.ResourceNotFoundError(uri)
	}
	reg, err := s.registry(ctx)
	if err != nil {
		return nil, err
	}
	e := reg.Get(id)
	if e == nil {
		return nil, sdk.ResourceNotFoundError(uri)
	}
	out := runbookOut(e, e.Current())
	body := untrusted(e.Current().Doc.Body, runbookBodyText)
	out.Body = &body
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding runbook %s: %w", id, err)
	}
	return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}, nil
}
