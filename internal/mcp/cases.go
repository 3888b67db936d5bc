package mcp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
	"github.com/watchfloor/watchfloor/internal/store"
)

// ListCasesIn are list_cases's arguments (secops-soar names).
type ListCasesIn struct {
	NextPageToken string `json:"next_page_token,omitempty" jsonschema:"token from the previous page; empty for the first page"`
	Status        string `json:"status,omitempty" jsonschema:"'open' (not resolved or closed), 'closed' (resolved or closed), or a source status such as 'In Progress'"`
	Stage         string `json:"stage,omitempty" jsonschema:"one or more stages, comma-separated: new, triage, investigating, contained, resolved, closed"`
	Priority      string `json:"priority,omitempty" jsonschema:"P1 … P5 (or critical, high, medium, low, informational)"`
	Assignee      string `json:"assignee,omitempty" jsonschema:"analyst login, or 'unassigned'"`
	Query         string `json:"query,omitempty" jsonschema:"substring of the title or external id (case-insensitive)"`
	CreatedAfter  string `json:"created_after,omitempty" jsonschema:"RFC 3339 time or YYYY-MM-DD (UTC), inclusive"`
	CreatedBefore string `json:"created_before,omitempty" jsonschema:"RFC 3339 time or YYYY-MM-DD (UTC), exclusive"`
	OrderBy       string `json:"order_by,omitempty" jsonschema:"created_desc (default), created_asc, priority, updated_desc"`
	PageSize      int    `json:"page_size,omitempty" jsonschema:"cases per page, default 20, at most 100"`
}

// CaseRow is one case in a list.
type CaseRow struct {
	ID          string  `json:"id" jsonschema:"Watchfloor case id, for get_case_full_details"`
	Source      string  `json:"source"`
	ExternalID  string  `json:"external_id"`
	Title       Text    `json:"title"`
	Priority    string  `json:"priority"`
	Stage       string  `json:"stage"`
	Status      string  `json:"status"`
	Assignee    string  `json:"assignee"`
	Disposition string  `json:"disposition"`
	CreatedAt   string  `json:"created_at"`
	AgeSeconds  float64 `json:"age_seconds"`
	SLAState    string  `json:"sla_state" jsonschema:"worst SLA clock: overdue, at_risk, on_track (open); breached, met (done); no_target; missing"`
	AlertCount  int64   `json:"alert_count"`
	Tags        []Text  `json:"tags" jsonschema:"the case's tags (a major incident is often tagged so)"`
}

// ListCasesOut is list_cases's answer.
type ListCasesOut struct {
	Cases         []CaseRow `json:"cases"`
	Total         int64     `json:"total" jsonschema:"cases matching the filters, all pages"`
	NextPageToken string    `json:"next_page_token" jsonschema:"empty when this is the last page"`
	Truncated     bool      `json:"truncated" jsonschema:"true when the answer's size budget cut this page short; next_page_token continues after the last row returned"`
}

// GetCaseIn are get_case_full_details's arguments.
type GetCaseIn struct {
	CaseID string `json:"case_id" jsonschema:"Watchfloor case id (from list_cases), or source/external_id"`
}

// CaseDetails is a case's current state.
type CaseDetails struct {
	CaseRow
	Description    Text   `json:"description"`
	Severity       string `json:"severity"`
	Team           string `json:"team"`
	Tags           []Text `json:"tags"`
	UpdatedAt      string `json:"updated_at"`
	AcknowledgedAt string `json:"acknowledged_at"`
	ContainedAt    string `json:"contained_at"`
	ResolvedAt     string `json:"resolved_at"`
	ClosedAt       string `json:"closed_at"`
	ReopenCount    int    `json:"reopen_count"`
}

// Entity is an observable of an alert; its value is untrusted.
type Entity struct {
	Type  string `json:"type"`
	Role  string `json:"role"`
	Value Text   `json:"value"`
}

// AlertRow is one alert.
type AlertRow struct {
	ID             string   `json:"id"`
	Source         string   `json:"source"`
	ExternalID     string   `json:"external_id"`
	Title          Text     `json:"title"`
	Severity       string   `json:"severity"`
	Status         string   `json:"status"`
	Disposition    string   `json:"disposition" jsonschema:"verdict: true_positive, benign_true_positive, false_positive, duplicate, inconclusive, test, or empty"`
	RuleID         string   `json:"rule_id"`
	RuleName       string   `json:"rule_name"`
	CreatedAt      string   `json:"created_at"`
	OccurredAt     string   `json:"occurred_at"`
	CaseID         string   `json:"case_id" jsonschema:"Watchfloor id of the case the alert belongs to, empty when none"`
	CaseExternalID string   `json:"case_external_id"`
	Techniques     []string `json:"techniques"`
	Entities       []Entity `json:"entities"`
}

// Comment is a note on a case.
type Comment struct {
	EventID string `json:"event_id"`
	At      string `json:"at"`
	Author  string `json:"author"`
	Source  string `json:"source"`
	Body    Text   `json:"body"`
}

// TimelineEvent is one entry of a case's log (comments are listed apart),
// or a run of consecutive alert_linked entries summarised in one: Count
// of them from At to LastAt, New naming the first and last alert linked,
// FollowUp the call that lists them.
type TimelineEvent struct {
	EventID  string `json:"event_id" jsonschema:"the entry's event; of a summary, its first"`
	At       string `json:"at"`
	Kind     string `json:"kind"`
	Actor    string `json:"actor"`
	Source   string `json:"source"`
	Old      *Text  `json:"old,omitempty" jsonschema:"the value before, when the entry changed one"`
	New      Text   `json:"new"`
	Count    int    `json:"count,omitempty" jsonschema:"a summary of consecutive alert_linked entries: how many"`
	LastAt   string `json:"last_at,omitempty" jsonschema:"a summary: when the last of them was linked"`
	FollowUp string `json:"follow_up,omitempty" jsonschema:"a summary: the call that lists the case's alerts"`
}

// collapseLinks summarises each run of at least two consecutive
// alert_linked entries of a case's timeline in one entry.
func collapseLinks(caseID int64, evs []model.CaseEvent) []TimelineEvent {
	follow := fmt.Sprintf(`list_alerts {"case_id": "%d"}`, caseID)
	var out []TimelineEvent
	for i := 0; i < len(evs); {
		e := evs[i]
		j := i + 1
		if e.Kind == model.EventAlertLinked {
			for j < len(evs) && evs[j].Kind == model.EventAlertLinked {
				j++
			}
		}
		t := TimelineEvent{EventID: strconv.FormatInt(e.ID, 10), At: ts(e.At), Kind: string(e.Kind), Actor: e.Actor,
			Source: e.Source, New: untrusted(e.New, shortText)}
		if e.Old != "" {
			old := untrusted(e.Old, shortText)
			t.Old = &old
		}
		if n := j - i; n > 1 {
			last := evs[j-1]
			t.Count, t.LastAt, t.FollowUp = n, ts(last.At), follow
			t.Old = nil
			t.New = untrusted(fmt.Sprintf("%d alerts linked, %s … %s", n, e.New, last.New), shortText)
			if last.Actor != e.Actor {
				t.Actor = ""
			}
		}
		out = append(out, t)
		i = j
	}
	return out
}

// SLAClock is one SLA clock of a case, judged now.
type SLAClock struct {
	Status           string  `json:"status"`
	Policy           string  `json:"policy"`
	PolicyVersion    int     `json:"policy_version"`
	Priority         string  `json:"priority"`
	TargetSeconds    float64 `json:"target_seconds"`
	ElapsedSeconds   float64 `json:"elapsed_seconds" jsonschema:"business time the clock ran"`
	PausedSeconds    float64 `json:"paused_seconds"`
	RemainingSeconds float64 `json:"remaining_seconds"`
	OverdueSeconds   float64 `json:"overdue_seconds"`
	Deadline         string  `json:"deadline"`
	Stopped          string  `json:"stopped_at"`
	PausedNow        bool    `json:"paused_now"`
}

// SLAClocks are a case's clocks.
type SLAClocks struct {
	Acknowledge SLAClock `json:"acknowledge"`
	Resolve     SLAClock `json:"resolve" jsonschema:"first resolution"`
	ResolveLast SLAClock `json:"resolve_last" jsonschema:"last resolution, running again across reopens"`
}

// GetCaseOut is get_case_full_details's answer. Lists are capped; the
// totals say how much exists.
type GetCaseOut struct {
	CaseDetails    CaseDetails     `json:"case_details"`
	CaseAlerts     []AlertRow      `json:"case_alerts"`
	AlertsTotal    int64           `json:"case_alerts_total"`
	CaseComments   []Comment       `json:"case_comments"`
	Timeline       []TimelineEvent `json:"timeline" jsonschema:"newest first; consecutive alert_linked entries summarised in one; the newest 100 entries"`
	TimelineTotal  int             `json:"timeline_total" jsonschema:"timeline entries, summaries counted once"`
	TimelineEvents int             `json:"timeline_events" jsonschema:"log events behind them (comments apart)"`
	SLA            SLAClocks       `json:"sla"`
	// LogPruned says when and under which policy retention removed the
	// case's log (its comments and timeline), empty when it did not.
	LogPruned string `json:"log_pruned,omitempty" jsonschema:"when and under which retention policy the case's log (comments, timeline) was removed; its SLA clocks and KPIs are as the whole log gave them"`
}

const (
	caseAlertCap   = 5 // the rest: list_alerts with case_id
	commentCap     = 50
	timelineCap    = 100
	defaultCases   = 20
	maxCasesOnPage = 100
)

func (s *server) addCaseTools(srv *sdk.Server) {
	sdk.AddTool(srv, &sdk.Tool{Name: "list_cases", Annotations: readOnly("List cases"),
		Description: "Lists SOC cases with filters (status, stage, priority, assignee, text, creation time), ordered and paged. " +
			"Each case has its id, title, priority, stage, assignee, age, SLA state and alert count; total counts all matches."},
		s.listCases)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_case_full_details", Annotations: readOnly("Case details"),
		Description: "One case in full: case_details, case_alerts (the first 5; list_alerts with case_id lists them all), case_comments, the timeline of its log (runs of linked alerts summarised) and its SLA clocks judged now."},
		s.getCase)
}

// parseTime reads RFC 3339 or a UTC date.
func parseTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	return time.Time{}, argError("%s %q: want an RFC 3339 time or YYYY-MM-DD", name, v)
}

func (s *server) caseQuery(ctx context.Context, in ListCasesIn) (store.CaseQuery, error) {
	var q store.CaseQuery
	switch st := strings.ToLower(strings.TrimSpace(in.Status)); st {
	case "":
	case "open", "opened":
		q.Open = true
	case "closed", "done":
		q.Stages = []model.Stage{model.StageResolved, model.StageClosed}
	default:
		// A source status: refuse one no stored case has, naming those
		// that exist, rather than answer an empty list.
		known, err := s.st.CaseStatuses(ctx)
		if err != nil {
			return q, err
		}
		if !slices.Contains(known, st) {
			return q, argError("status %q: want one of %s", in.Status, strings.Join(append([]string{"open", "closed"}, known...), ", "))
		}
		q.Status = in.Status
	}
	if in.Stage != "" {
		var stages []model.Stage
		for _, v := range strings.Split(in.Stage, ",") {
			st, err := model.ParseStage(v)
			if err != nil {
				return q, argError("stage %q: want one of %s", v, stageNames())
			}
			stages = append(stages, st)
		}
		if q.Stages != nil { // status=closed and stage: both must hold
			var both []model.Stage
			for _, a := range stages {
				if a.Done() {
					both = append(both, a)
				}
			}
			if both == nil {
				both = []model.Stage{"-"}
			}
			stages = both
		}
		q.Stages = stages
	}
	if in.Priority != "" {
		p, err := model.ParsePriority(in.Priority)
		if err != nil || !p.Valid() {
			return q, argError("priority %q: want P1 … P5", in.Priority)
		}
		q.Priority = p
	}
	if strings.EqualFold(in.Assignee, "unassigned") {
		q.Unassigned = true
	} else {
		q.Assignee = in.Assignee
	}
	q.Query = in.Query
	var err error
	if q.CreatedAfter, err = parseTime("created_after", in.CreatedAfter); err != nil {
		return q, err
	}
	if q.CreatedBefore, err = parseTime("created_before", in.CreatedBefore); err != nil {
		return q, err
	}
	if !q.CreatedAfter.IsZero() && !q.CreatedBefore.IsZero() && !q.CreatedBefore.After(q.CreatedAfter) {
		return q, argError("created_before %s is not after created_after %s", in.CreatedBefore, in.CreatedAfter)
	}
	q.OrderBy = in.OrderBy
	if q.OrderBy != "" && !slices.Contains(store.CaseOrders, q.OrderBy) {
		return q, argError("order_by %q: want one of %s", in.OrderBy, strings.Join(store.CaseOrders, ", "))
	}
	return q, nil
}

func (s *server) listCases(ctx context.Context, _ *sdk.CallToolRequest, in ListCasesIn) (*sdk.CallToolResult, ListCasesOut, error) {
	var out ListCasesOut
	q, err := s.caseQuery(ctx, in)
	if err != nil {
		return nil, out, err
	}
	query := in
	query.NextPageToken, query.PageSize = "", 0
	var after store.CaseCursor
	ok, err := parseKeysetToken("cases", query, in.NextPageToken, &after.Key, &after.Created, &after.ID)
	if err != nil {
		return nil, out, err
	}
	if ok {
		q.After = &after
	}
	size := pageSize(in.PageSize, defaultCases, maxCasesOnPage)
	q.Limit = size + 1 // one more, to know whether a next page exists
	cases, total, err := s.st.SearchCases(ctx, q)
	if err != nil {
		return nil, out, err
	}
	if total == 0 && q.Assignee != "" {
		// No case has it: refuse a name that is not on the roster either,
		// rather than answer an empty list.
		if err := s.rosterAnalyst(ctx, "assignee", q.Assignee); err != nil {
			return nil, out, err
		}
	}
	more := len(cases) > size
	cases = cases[:min(len(cases), size)]
	rows, err := s.caseRows(ctx, cases)
	if err != nil {
		return nil, out, err
	}
	out.Total = total
	if keep := fitBudget(s.answerTokens(), approxTokens(out), rows); keep < len(rows) {
		rows, out.Truncated = rows[:keep], true
	}
	out.Cases = rows
	if len(rows) > 0 && (out.Truncated || more) {
		c := store.CursorOf(q.OrderBy, cases[len(rows)-1])
		out.NextPageToken = keysetToken("cases", query, c.Key, c.Created, c.ID)
	}
	return nil, out, nil
}

// caseRows adds alert counts and SLA states to cases.
func (s *server) caseRows(ctx context.Context, cases []model.Case) ([]CaseRow, error) {
	counts, err := s.st.CaseAlertCounts(ctx, cases)
	if err != nil {
		return nil, err
	}
	pols, err := s.st.Policies(ctx)
	if err != nil {
		return nil, err
	}
	ev := sla.Evaluator{Policies: pols}
	now := s.opts.Now()
	rows := make([]CaseRow, 0, len(cases))
	for i := range cases {
		c := &cases[i]
		evs, err := s.st.CaseEvents(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		r, _, err := s.st.CaseClocks(ctx, c, evs, ev, now)
		if err != nil {
			return nil, err
		}
		row := caseRow(c, now)
		row.SLAState = worstClock(r.Acknowledge, r.Resolve)
		row.AlertCount = counts[c.ID]
		rows = append(rows, row)
	}
	return rows, nil
}

func caseRow(c *model.Case, now time.Time) CaseRow {
	r := CaseRow{ID: strconv.FormatInt(c.ID, 10), Source: c.Source, ExternalID: c.ExternalID, Title: untrusted(c.Title, shortText),
		Priority: c.Priority.String(), Stage: string(c.Stage), Status: c.Status, Assignee: c.Assignee,
		Disposition: string(c.Disposition), CreatedAt: ts(c.CreatedAt), Tags: []Text{}}
	for _, t := range c.Tags[:min(len(c.Tags), 10)] {
		r.Tags = append(r.Tags, untrusted(t, shortText))
	}
	if !c.CreatedAt.IsZero() {
		end := now
		if c.Stage.Done() && !c.LastEventAt.IsZero() {
			end = c.LastEventAt
		}
		r.AgeSeconds = max(0, end.Sub(c.CreatedAt).Seconds())
	}
	return r
}

// clockRank orders SLA statuses from worst to best.
var clockRank = map[sla.Status]int{sla.StatusOverdue: 0, sla.StatusBreached: 1, sla.StatusAtRisk: 2,
	sla.StatusOnTrack: 3, sla.StatusMet: 4, sla.StatusNoTarget: 5, sla.StatusMissing: 6}

func worstClock(cs ...sla.Clock) string {
	best := sla.StatusMissing
	for _, c := range cs {
		if r, ok := clockRank[c.Status]; ok && r < clockRank[best] {
			best = c.Status
		}
	}
	return string(best)
}

// findCase resolves a case_id argument: a store id or source/external_id.
func (s *server) findCase(ctx context.Context, id string) (model.Case, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return model.Case{}, argError("case_id is required")
	}
	var c model.Case
	var err error
	if n, perr := strconv.ParseInt(id, 10, 64); perr == nil {
		c, err = s.st.CaseByID(ctx, n)
	} else if src, ext, ok := strings.Cut(id, "/"); ok {
		c, err = s.st.CaseByExternalID(ctx, src, ext)
	} else {
		return c, argError("case_id %q: want a Watchfloor case id or source/external_id", id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return c, fmt.Errorf("case %q not found", id)
	}
	return c, err
}

func (s *server) getCase(ctx context.Context, _ *sdk.CallToolRequest, in GetCaseIn) (*sdk.CallToolResult, GetCaseOut, error) {
	var out GetCaseOut
	c, err := s.findCase(ctx, in.CaseID)
	if err != nil {
		return nil, out, err
	}
	now := s.opts.Now()
	evs, err := s.st.CaseEvents(ctx, c.ID)
	if err != nil {
		return nil, out, err
	}
	pols, err := s.st.Policies(ctx)
	if err != nil {
		return nil, out, err
	}
	r, pruned, err := s.st.CaseClocks(ctx, &c, evs, sla.Evaluator{Policies: pols}, now)
	if err != nil {
		return nil, out, err
	}
	if pruned != nil {
		out.LogPruned = pruned.Note()
	}
	counts, err := s.st.CaseAlertCounts(ctx, []model.Case{c})
	if err != nil {
		return nil, out, err
	}
	alerts, err := s.st.CaseAlerts(ctx, c, caseAlertCap)
	if err != nil {
		return nil, out, err
	}
	d := CaseDetails{CaseRow: caseRow(&c, now), Description: untrusted(c.Description, longText),
		Severity: c.Severity.String(), Team: c.Team, Tags: []Text{}, UpdatedAt: ts(c.UpdatedAt),
		AcknowledgedAt: ts(c.AcknowledgedAt), ContainedAt: ts(c.ContainedAt), ResolvedAt: ts(c.ResolvedAt),
		ClosedAt: ts(c.ClosedAt), ReopenCount: c.ReopenCount}
	d.SLAState, d.AlertCount = worstClock(r.Acknowledge, r.Resolve), counts[c.ID]
	for _, t := range c.Tags {
		d.Tags = append(d.Tags, untrusted(t, shortText))
	}
	out.CaseDetails, out.AlertsTotal = d, counts[c.ID]
	out.CaseAlerts = make([]AlertRow, 0, len(alerts))
	for i := range alerts {
		out.CaseAlerts = append(out.CaseAlerts, alertRow(&alerts[i]))
	}
	out.CaseComments, out.Timeline = []Comment{}, []TimelineEvent{}
	var logged []model.CaseEvent
	for _, e := range evs {
		if e.Kind == model.EventComment {
			out.CaseComments = append(out.CaseComments, Comment{EventID: strconv.FormatInt(e.ID, 10), At: ts(e.At), Author: e.Actor,
				Source: e.Source, Body: untrusted(e.New, longText)})
			continue
		}
		logged = append(logged, e)
	}
	timeline := collapseLinks(c.ID, logged)
	// The newest entries matter most when a log is long.
	if n := len(out.CaseComments); n > commentCap {
		out.CaseComments = out.CaseComments[n-commentCap:]
	}
	out.TimelineTotal = len(timeline)
	out.TimelineEvents = len(logged)
	if n := len(timeline); n > timelineCap {
		timeline = timeline[n-timelineCap:]
	}
	// Newest first: the answer's budget cuts lists from the end, so what it
	// leaves off is the oldest.
	slices.Reverse(timeline)
	out.Timeline = nonNil(timeline)
	out.SLA = SLAClocks{Acknowledge: slaClock(r.Acknowledge), Resolve: slaClock(r.Resolve), ResolveLast: slaClock(r.ResolveLast)}
	return nil, out, nil
}

func slaClock(c sla.Clock) SLAClock {
	return SLAClock{Status: string(c.Status), Policy: c.Policy, PolicyVersion: c.Version, Priority: c.Priority.String(),
		TargetSeconds: c.Target.Seconds(), ElapsedSeconds: c.Elapsed.Seconds(), PausedSeconds: c.Paused.Seconds(),
		RemainingSeconds: c.Remaining.Seconds(), OverdueSeconds: c.Overdue.Seconds(), Deadline: ts(c.Deadline),
		Stopped: ts(c.Stop), PausedNow: c.PausedNow}
}

func alertRow(a *model.Alert) AlertRow {
	r := AlertRow{ID: strconv.FormatInt(a.ID, 10), Source: a.Source, ExternalID: a.ExternalID, Title: untrusted(a.Title, shortText),
		Severity: a.Severity.String(), Status: a.Status, Disposition: string(a.Disposition), RuleID: a.RuleID,
		RuleName: a.RuleName, CreatedAt: ts(a.CreatedAt), OccurredAt: ts(a.OccurredAt), CaseExternalID: a.CaseExternalID,
		Techniques: nonNil(a.Techniques), Entities: make([]Entity, 0, len(a.Entities))}
	if a.CaseID > 0 {
		r.CaseID = strconv.FormatInt(a.CaseID, 10)
	}
	for _, e := range a.Entities {
		r.Entities = append(r.Entities, Entity{Type: e.Type, Role: e.Role, Value: untrusted(e.Value, shortText)})
	}
	return r
}

// stageNames lists the stages a stage argument accepts.
func stageNames() string {
	names := make([]string, len(model.Stages))
	for i, v := range model.Stages {
		names[i] = string(v)
	}
	return strings.Join(names, ", ")
}

// rosterAnalyst refuses a login that is not on the roster (active or not)
// and that no stored case has.
func (s *server) rosterAnalyst(ctx context.Context, name, login string) error {
	list, err := s.st.Analysts(ctx)
	if err != nil {
		return err
	}
	for _, a := range list {
		if strings.EqualFold(a.ExternalID, login) {
			return nil
		}
	}
	return argError("%s %q: no case has it and no analyst on the roster has that login (get_analyst_workload lists them), or 'unassigned'", name, login)
}
