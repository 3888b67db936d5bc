package mcp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/crisis"
	"github.com/watchfloor/watchfloor/internal/store"
)

// crisisService is the major-incident service the tools use (set by
// addCrisisTools when the options name none).
func (s *server) crisisService() *crisis.Service { return s.opts.Crisis }

// ListIncidentsIn are list_major_incidents's arguments.
type ListIncidentsIn struct {
	OpenOnly      bool   `json:"open_only,omitempty" jsonschema:"only incidents not closed"`
	PageSize      int    `json:"page_size,omitempty" jsonschema:"incidents per page, default 20, at most 100"`
	NextPageToken string `json:"next_page_token,omitempty"`
}

// IncidentRow is an incident in a list, with what needs attention.
type IncidentRow struct {
	IncidentID    string `json:"incident_id" jsonschema:"MI-n: pass it to get_major_incident_status and update_major_incident"`
	Title         Text   `json:"title"`
	Severity      string `json:"severity"`
	Status        string `json:"status" jsonschema:"active, stable or closed"`
	Commander     Text   `json:"commander"`
	DeclaredAt    string `json:"declared_at"`
	ClosedAt      string `json:"closed_at"`
	NextUpdateDue string `json:"next_update_due"`
	UpdateState   string `json:"update_state" jsonschema:"ok, due_soon, overdue or closed"`
	ClocksOverdue int    `json:"clocks_overdue"`
	ClocksAtRisk  int    `json:"clocks_at_risk"`
	NextDeadline  string `json:"next_deadline" jsonschema:"earliest deadline of a running regulatory clock"`
	NextReport    string `json:"next_deadline_report"`
	OverdueTasks  int    `json:"overdue_tasks"`
	Cases         int    `json:"cases"`
}

// ListIncidentsOut is list_major_incidents's answer.
type ListIncidentsOut struct {
	Incidents     []IncidentRow `json:"incidents"`
	NextPageToken string        `json:"next_page_token"`
	Truncated     bool          `json:"truncated" jsonschema:"true when the answer's size budget cut this page short"`
}

// IncidentIn names an incident.
type IncidentIn struct {
	IncidentID string `json:"incident_id" jsonschema:"MI-n or n"`
}

// ClockRow is a regulatory clock.
type ClockRow struct {
	Regime      string  `json:"regime"`
	RegimeName  string  `json:"regime_name"`
	Proposed    bool    `json:"proposed" jsonschema:"the rule is proposed, not in force (CIRCIA)"`
	Report      string  `json:"report"`
	ReportName  string  `json:"report_name"`
	Trigger     string  `json:"trigger" jsonschema:"what starts the clock, and the time limit"`
	TriggeredAt string  `json:"triggered_at"`
	DueAt       string  `json:"due_at"`
	CappedBy    string  `json:"capped_by,omitempty"`
	SubmittedAt string  `json:"submitted_at"`
	State       string  `json:"state" jsonschema:"waiting, running, at_risk, overdue, submitted or late"`
	Remaining   float64 `json:"remaining_seconds,omitempty"`
	Overdue     float64 `json:"overdue_seconds,omitempty"`
	Citation    string  `json:"citation"`
}

// RoleRow is a role and its holders.
type RoleRow struct {
	Role   string `json:"role"`
	People []Text `json:"people"`
}

// IncidentTaskRow is an incident task.
type IncidentTaskRow struct {
	TaskID   int    `json:"task_id"`
	Title    Text   `json:"title"`
	Owner    Text   `json:"owner"`
	Due      string `json:"due"`
	Status   string `json:"status"`
	Overdue  bool   `json:"overdue"`
	FollowUp bool   `json:"follow_up,omitempty"`
}

// EntryRow is a timeline entry.
type EntryRow struct {
	Seq    int64  `json:"seq"`
	At     string `json:"at"`
	Type   string `json:"type"`
	Text   Text   `json:"text"`
	Actor  Text   `json:"actor"`
	Pinned bool   `json:"pinned,omitempty"`
}

// IncidentCaseRow is a linked case.
type IncidentCaseRow struct {
	CaseID   string `json:"case_id"`
	Title    Text   `json:"title"`
	Priority string `json:"priority"`
	Stage    string `json:"stage"`
	Alerts   int64  `json:"alerts"`
}

// StakeholderRow is a register entry.
type StakeholderRow struct {
	Name          Text   `json:"name"`
	Audience      string `json:"audience"`
	Channel       string `json:"channel"`
	LastMessageAt string `json:"last_message_at"`
	LastStatus    string `json:"last_status"`
}

// UpdateRow is the latest tactical update.
type UpdateRow struct {
	At         string `json:"at"`
	Conditions Text   `json:"conditions"`
	Actions    Text   `json:"actions"`
	Needs      Text   `json:"needs"`
}

// IncidentStatusOut is get_major_incident_status's answer, and what the
// write tools return.
type IncidentStatusOut struct {
	IncidentID       string            `json:"incident_id"`
	Title            Text              `json:"title"`
	Severity         string            `json:"severity"`
	Status           string            `json:"status"`
	DeclaredAt       string            `json:"declared_at"`
	ClosedAt         string            `json:"closed_at"`
	Now              string            `json:"now"`
	Commander        Text              `json:"commander"`
	Roles            []RoleRow         `json:"roles"`
	VacantRoles      []string          `json:"vacant_roles"`
	Clocks           []ClockRow        `json:"clocks"`
	NextUpdateDue    string            `json:"next_update_due"`
	UpdateState      string            `json:"update_state" jsonschema:"ok, due_soon, overdue or closed"`
	UpdateEvery      float64           `json:"update_every_seconds"`
	LatestUpdate     *UpdateRow        `json:"latest_update"`
	ExecutiveSummary *Text             `json:"executive_summary"`
	Tasks            []IncidentTaskRow `json:"open_tasks" jsonschema:"tasks not done or cancelled, overdue first"`
	Pinned           []EntryRow        `json:"pinned"`
	Timeline         []EntryRow        `json:"recent_timeline" jsonschema:"the newest entries, newest first"`
	TimelineTotal    int               `json:"timeline_total"`
	Stakeholders     []StakeholderRow  `json:"stakeholders"`
	Cases            []IncidentCaseRow `json:"cases"`
	CostTotal        float64           `json:"cost_total"`
	CostCurrency     string            `json:"cost_currency"`
	CostHours        float64           `json:"cost_hours"`
	CostDefinition   string            `json:"cost_definition"`
	// Changed and NewEntries are set by the write tools.
	Changed    bool    `json:"changed,omitempty"`
	NewEntries []int64 `json:"new_entries,omitempty"`
}

const recentEntries = 15

func (s *server) addCrisisTools(srv *sdk.Server) {
	if s.opts.Crisis == nil {
		s.opts.Crisis = &crisis.Service{Store: s.st, Now: s.opts.Now}
	}
	sdk.AddTool(srv, &sdk.Tool{Name: "list_major_incidents", Annotations: readOnly("List major incidents"),
		Description: "Lists declared major incidents, newest first: severity, status, commander, when the next status update is due, " +
			"regulatory clocks overdue and at risk, the next deadline and overdue tasks. Paged."}, s.listIncidents)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_major_incident_status", Annotations: readOnly("Major incident status"),
		Description: "One major incident's war-room picture: roles and vacancies, regulatory clocks (GDPR, NIS2, DORA, SEC 8-K, HIPAA, " +
			"CIRCIA proposed) with due times and states, the next status update, the latest update, open tasks, pinned entries, the " +
			"recent timeline, stakeholders, linked cases and the people cost so far."}, s.incidentStatus)
}

func (s *server) listIncidents(ctx context.Context, _ *sdk.CallToolRequest, in ListIncidentsIn) (*sdk.CallToolResult, ListIncidentsOut, error) {
	out := ListIncidentsOut{Incidents: []IncidentRow{}}
	query := in
	query.NextPageToken, query.PageSize = "", 0
	var after store.IncidentCursor
	ok, err := parseKeysetToken("incidents", query, in.NextPageToken, &after.DeclaredAt, &after.ID)
	if err != nil {
		return nil, out, err
	}
	cursor := &after
	if !ok {
		cursor = nil
	}
	size := pageSize(in.PageSize, 20, 100)
	items, err := s.crisisService().ListAfter(ctx, in.OpenOnly, size+1, cursor)
	if err != nil {
		return nil, out, err
	}
	more := len(items) > size
	items = items[:min(len(items), size)]
	var rows []IncidentRow
	for _, it := range items {
		rows = append(rows, IncidentRow{IncidentID: it.Ref, Title: untrusted(it.Title, shortText), Severity: it.Severity, Status: string(it.Status),
			Commander: untrusted(it.Commander, shortText), DeclaredAt: ts(it.DeclaredAt), ClosedAt: tsp(it.ClosedAt),
			NextUpdateDue: tsp(it.NextUpdate.DueAt), UpdateState: it.NextUpdate.State, ClocksOverdue: it.ClocksOverdue,
			ClocksAtRisk: it.ClocksAtRisk, NextDeadline: tsp(it.NextDeadline), NextReport: it.NextDeadlineReport,
			OverdueTasks: it.OverdueTasks, Cases: it.Cases})
	}
	if keep := fitBudget(s.answerTokens(), approxTokens(out), rows); keep < len(rows) {
		rows, out.Truncated, more = rows[:keep], true, true
	}
	out.Incidents = nonNil(rows)
	if more && len(rows) > 0 {
		last := items[len(rows)-1]
		out.NextPageToken = keysetToken("incidents", query, last.DeclaredAt, last.ID)
	}
	return nil, out, nil
}

func tsp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ts(*t)
}

// incidentError turns crisis refusals into tool argument errors.
func incidentError(err error) error {
	if errors.Is(err, crisis.ErrInvalid) || errors.Is(err, crisis.ErrNotFound) {
		return argError("%v", err)
	}
	return err
}

func (s *server) incidentStatus(ctx context.Context, _ *sdk.CallToolRequest, in IncidentIn) (*sdk.CallToolResult, IncidentStatusOut, error) {
	out, err := s.statusOut(ctx, in.IncidentID)
	return nil, out, err
}

// statusOut builds the compact status of an incident.
func (s *server) statusOut(ctx context.Context, ref string) (IncidentStatusOut, error) {
	var out IncidentStatusOut
	if strings.TrimSpace(ref) == "" {
		return out, argError("incident_id is required")
	}
	v, err := s.crisisService().Status(ctx, ref)
	if err != nil {
		return out, incidentError(err)
	}
	out = IncidentStatusOut{IncidentID: v.Ref, Title: untrusted(v.Title, shortText), Severity: v.Severity, Status: string(v.Status),
		DeclaredAt: ts(v.DeclaredAt), ClosedAt: tsp(v.ClosedAt), Now: ts(v.Now), Commander: untrusted(v.Commander, shortText),
		VacantRoles: nonNil(v.VacantRoles), NextUpdateDue: tsp(v.NextUpdate.DueAt), UpdateState: v.NextUpdate.State,
		UpdateEvery: v.NextUpdate.EverySeconds, TimelineTotal: len(v.Timeline), CostTotal: v.Cost.Total, CostCurrency: v.Cost.Currency,
		CostHours: v.Cost.Hours, CostDefinition: v.Cost.Definition, Roles: []RoleRow{}, Clocks: []ClockRow{}, Tasks: []IncidentTaskRow{},
		Pinned: []EntryRow{}, Timeline: []EntryRow{}, Stakeholders: []StakeholderRow{}, Cases: []IncidentCaseRow{}}
	for _, r := range v.Roles {
		row := RoleRow{Role: string(r.Role)}
		for _, p := range r.People {
			row.People = append(row.People, untrusted(p, shortText))
		}
		out.Roles = append(out.Roles, row)
	}
	for _, c := range v.Clocks {
		out.Clocks = append(out.Clocks, ClockRow{Regime: c.Regime, RegimeName: c.RegimeName, Proposed: c.Proposed, Report: c.Report,
			ReportName: c.ReportName, Trigger: c.Trigger + " + " + c.Within, TriggeredAt: tsp(c.TriggeredAt), DueAt: tsp(c.DueAt),
			CappedBy: c.CappedBy, SubmittedAt: tsp(c.SubmittedAt), State: string(c.State), Remaining: c.RemainingSeconds,
			Overdue: c.OverdueSeconds, Citation: c.Citation})
	}
	if u := v.Tactical; u != nil {
		out.LatestUpdate = &UpdateRow{At: ts(u.At), Conditions: untrusted(u.Conditions, longText), Actions: untrusted(u.Actions, longText),
			Needs: untrusted(u.Needs, longText)}
	}
	if e := v.Executive; e != nil {
		t := untrusted(e.Summary, longText)
		out.ExecutiveSummary = &t
	}
	for _, overdueFirst := range []bool{true, false} {
		for _, t := range v.Tasks {
			if !t.Done() && t.Overdue(v.Now) == overdueFirst {
				out.Tasks = append(out.Tasks, IncidentTaskRow{TaskID: t.ID, Title: untrusted(t.Title, shortText), Owner: untrusted(t.Owner, shortText),
					Due: ts(t.Due), Status: t.Status, Overdue: overdueFirst, FollowUp: t.FollowUp})
			}
		}
	}
	entry := func(e crisis.Entry) EntryRow {
		return EntryRow{Seq: e.Seq, At: ts(e.At), Type: e.Type, Text: untrusted(e.Text, longText), Actor: untrusted(e.Actor, shortText), Pinned: e.Pinned}
	}
	for _, e := range v.Pinned {
		out.Pinned = append(out.Pinned, entry(e))
	}
	for i := len(v.Timeline) - 1; i >= 0 && len(out.Timeline) < recentEntries; i-- {
		out.Timeline = append(out.Timeline, entry(v.Timeline[i]))
	}
	for _, st := range v.Stakeholders {
		out.Stakeholders = append(out.Stakeholders, StakeholderRow{Name: untrusted(st.Name, shortText), Audience: st.Audience, Channel: st.Channel,
			LastMessageAt: tsp(st.LastMessageAt), LastStatus: st.LastStatus})
	}
	for _, c := range v.Cases {
		out.Cases = append(out.Cases, IncidentCaseRow{CaseID: strconv.FormatInt(c.ID, 10), Title: untrusted(c.Title, shortText),
			Priority: c.Priority, Stage: c.Stage, Alerts: c.Alerts})
	}
	// Keep the answer in its budget: the oldest timeline entries go first.
	for len(out.Timeline) > 1 && approxTokens(out) > s.answerTokens() {
		out.Timeline = out.Timeline[:len(out.Timeline)-1]
	}
	return out, nil
}

// DeclareIncidentIn are declare_major_incident's arguments.
type DeclareIncidentIn struct {
	Title     string   `json:"title,omitempty" jsonschema:"what the incident is; default: the first case's title"`
	Severity  string   `json:"severity" jsonschema:"SEV1, SEV2 or SEV3 (or the organisation's names)"`
	CaseIDs   []string `json:"case_ids,omitempty" jsonschema:"linked cases: Watchfloor case ids or source/external_id"`
	AwareAt   string   `json:"aware_at,omitempty" jsonschema:"RFC 3339: when the organisation became aware (starts GDPR, NIS2, HIPAA clocks)"`
	Regimes   []string `json:"regimes,omitempty" jsonschema:"gdpr, nis2, dora, sec, hipaa, circia"`
	Commander string   `json:"commander,omitempty" jsonschema:"incident commander; default: the caller"`
}

// UpdateIncidentIn are update_major_incident's arguments: one change per
// call.
type UpdateIncidentIn struct {
	IncidentID string `json:"incident_id"`
	Change     string `json:"change" jsonschema:"status_update, event, role, task or close"`
	// status_update
	Conditions string `json:"conditions,omitempty" jsonschema:"status_update, tactical form: the situation now (with actions and needs)"`
	Actions    string `json:"actions,omitempty" jsonschema:"status_update, tactical form: what is being done"`
	Needs      string `json:"needs,omitempty" jsonschema:"status_update, tactical form: what is needed; none when nothing"`
	Summary    string `json:"summary,omitempty" jsonschema:"status_update: executive summary"`
	Severity   string `json:"severity,omitempty" jsonschema:"status_update: new severity"`
	Status     string `json:"status,omitempty" jsonschema:"status_update: active or stable"`
	// event
	EventType string `json:"event_type,omitempty" jsonschema:"event: aware, reasonable-belief, classified-major, materiality-determined, ransom-paid, notified, decision, action, observation or communication"`
	At        string `json:"at,omitempty" jsonschema:"event or role: RFC 3339 time it happened (default now)"`
	Regime    string `json:"regime,omitempty" jsonschema:"event: the regime of a trigger or submission"`
	Report    string `json:"report,omitempty" jsonschema:"event notified: the report submitted"`
	Reference string `json:"reference,omitempty" jsonschema:"event notified: the authority's reference"`
	Text      string `json:"text,omitempty" jsonschema:"event: what was decided, done, seen or said"`
	Pin       bool   `json:"pin,omitempty" jsonschema:"event: pin the entry"`
	// role
	Role     string `json:"role,omitempty" jsonschema:"role: commander, deputy, scribe, comms, tech-lead, liaison, participant or observer"`
	Person   string `json:"person,omitempty" jsonschema:"role: who takes (or releases) it"`
	Handover bool   `json:"handover,omitempty" jsonschema:"role: hand a single role over from its holder"`
	Release  bool   `json:"release,omitempty" jsonschema:"role: release instead of assign"`
	// task
	TaskID     int    `json:"task_id,omitempty" jsonschema:"task: the task to change; 0 adds one"`
	TaskTitle  string `json:"task_title,omitempty" jsonschema:"task: title of a new task"`
	TaskOwner  string `json:"task_owner,omitempty"`
	TaskDue    string `json:"task_due,omitempty" jsonschema:"task: RFC 3339 due time"`
	TaskStatus string `json:"task_status,omitempty" jsonschema:"task: open, in_progress, done or cancelled"`
	// close
	HandoverTo string `json:"handover_to,omitempty" jsonschema:"close: who takes over open tasks and the post-incident review"`
}

func (s *server) addCrisisWriteTools(srv *sdk.Server) {
	sdk.AddTool(srv, writeTool("declare_major_incident", "Declare major incident",
		"Declares a major incident linked to cases, with its severity, regulatory regimes and awareness time; the caller commands it "+
			"unless commander names another. Audited.", false, false), s.declareIncident)
	sdk.AddTool(srv, writeTool("update_major_incident", "Update major incident",
		"Makes one change to a major incident: a status update (conditions/actions/needs or an executive summary, with severity or "+
			"status changes), an event (regulatory trigger, submission, or decision/action/observation/communication entry), a role "+
			"assignment or hand-over, a task, or closing with a hand-over. Refused changes write nothing. Audited.", true, false), s.updateIncident)
}

// incidentWrite runs a write and audits the attempt, successful or not.
func (s *server) incidentWrite(ctx context.Context, req *sdk.CallToolRequest, tool string, args map[string]string,
	run func(actor crisis.Actor) (*crisis.Incident, int64, error)) (*sdk.CallToolResult, IncidentStatusOut, error) {
	var out IncidentStatusOut
	who := s.actor(req)
	entry := AuditEntry{At: s.opts.Now().UTC(), Actor: who.Name, Role: string(who.Role), Tool: tool, Arguments: args}
	inc, before, err := run(crisis.Actor{Name: entry.Actor, Source: "mcp"})
	if inc != nil {
		entry.Target = "incident:" + inc.Ref
		for seq := before + 1; seq <= inc.LastSeq; seq++ {
			entry.Events = append(entry.Events, seq)
		}
	}
	if err == nil {
		out, err = s.statusOut(ctx, inc.Ref)
		out.NewEntries, out.Changed = entry.Events, len(entry.Events) > 0
	}
	if err != nil {
		err = incidentError(err)
		entry.Error = err.Error()
	}
	if aerr := s.opts.Auditor.Audit(ctx, entry); aerr != nil {
		if err != nil {
			return nil, out, fmt.Errorf("%v (and auditing failed: %v)", err, aerr)
		}
		return nil, out, fmt.Errorf("the change was written but auditing it failed: %w", aerr)
	}
	return nil, out, err
}

func (s *server) declareIncident(ctx context.Context, req *sdk.CallToolRequest, in DeclareIncidentIn) (*sdk.CallToolResult, IncidentStatusOut, error) {
	args := map[string]string{"title": in.Title, "severity": in.Severity, "case_ids": strings.Join(in.CaseIDs, ","), "aware_at": in.AwareAt,
		"regimes": strings.Join(in.Regimes, ","), "commander": in.Commander}
	return s.incidentWrite(ctx, req, "declare_major_incident", args, func(actor crisis.Actor) (*crisis.Incident, int64, error) {
		aware, err := parseTime("aware_at", in.AwareAt)
		if err != nil {
			return nil, 0, err
		}
		inc, err := s.crisisService().Declare(ctx, actor, crisis.DeclareInput{Title: in.Title, Severity: in.Severity, Cases: in.CaseIDs,
			AwareAt: aware, Regimes: in.Regimes, Commander: in.Commander})
		return inc, 0, err
	})
}

func (s *server) updateIncident(ctx context.Context, req *sdk.CallToolRequest, in UpdateIncidentIn) (*sdk.CallToolResult, IncidentStatusOut, error) {
	args := map[string]string{"incident_id": in.IncidentID, "change": in.Change}
	for k, v := range map[string]string{"conditions": in.Conditions, "actions": in.Actions, "needs": in.Needs, "summary": in.Summary,
		"severity": in.Severity, "status": in.Status, "event_type": in.EventType, "at": in.At, "regime": in.Regime, "report": in.Report,
		"reference": in.Reference, "text": in.Text, "role": in.Role, "person": in.Person, "task_title": in.TaskTitle, "task_owner": in.TaskOwner,
		"task_due": in.TaskDue, "task_status": in.TaskStatus, "handover_to": in.HandoverTo} {
		if v != "" {
			args[k] = v
		}
	}
	if in.TaskID != 0 {
		args["task_id"] = strconv.Itoa(in.TaskID)
	}
	return s.incidentWrite(ctx, req, "update_major_incident", args, func(actor crisis.Actor) (*crisis.Incident, int64, error) {
		svc := s.crisisService()
		before, err := svc.Get(ctx, in.IncidentID)
		if err != nil {
			return nil, 0, err
		}
		at, err := parseTime("at", in.At)
		if err != nil {
			return before, before.LastSeq, err
		}
		var inc *crisis.Incident
		switch in.Change {
		case "status_update":
			inc, err = svc.PostUpdate(ctx, actor, before.Ref, crisis.UpdateInput{Conditions: in.Conditions, Actions: in.Actions, Needs: in.Needs,
				Summary: in.Summary, Severity: in.Severity, Status: in.Status, At: at})
		case "event":
			inc, err = svc.RecordEvent(ctx, actor, before.Ref, crisis.EventInput{Type: in.EventType, At: at, Text: in.Text, Regime: in.Regime,
				Report: in.Report, Reference: in.Reference, Pin: in.Pin})
		case "role":
			inc, err = svc.AssignRole(ctx, actor, before.Ref, crisis.RoleInput{Role: in.Role, Person: in.Person, Handover: in.Handover,
				Release: in.Release, At: at})
		case "task":
			var due time.Time
			if due, err = parseTime("task_due", in.TaskDue); err == nil {
				inc, err = svc.Task(ctx, actor, before.Ref, crisis.TaskInput{ID: in.TaskID, Title: in.TaskTitle, Owner: in.TaskOwner, Due: due,
					Status: in.TaskStatus})
			}
		case "close":
			inc, err = svc.Close(ctx, actor, before.Ref, crisis.CloseInput{Handover: in.HandoverTo, Summary: in.Summary, At: at})
		default:
			err = argError("change %q: want status_update, event, role, task or close", in.Change)
		}
		if inc == nil {
			inc = before
		}
		return inc, before.LastSeq, err
	})
}
