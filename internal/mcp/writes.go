package mcp

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// EventSource is the source of the case events the write tools append.
const EventSource = "watchfloor"

// AuditEntry records one write attempt through MCP.
type AuditEntry struct {
	At    time.Time
	Actor string
	// Role is the caller's role (the account's over HTTP, the configured
	// local role on stdio).
	Role   string
	Tool   string
	CaseID int64 // 0 when the case was not found
	// Target names what was written when it is not a case
	// ("incident:MI-3").
	Target string
	// Arguments are the tool's arguments as received (untrusted).
	Arguments map[string]string
	// Events are the ids of the case events (or incident log entries)
	// written; none when refused.
	Events []int64
	// Error is why the write was refused or failed; "" on success.
	Error string
}

// Auditor receives every write attempt. An error from Audit fails the
// tool call (after the write), so a write is never silently unaudited.
type Auditor interface {
	Audit(ctx context.Context, e AuditEntry) error
}

// LogAuditor writes audit entries to a structured log.
type LogAuditor struct {
	Logger *slog.Logger
}

// Audit logs e at info level (warn when the write failed).
func (a LogAuditor) Audit(ctx context.Context, e AuditEntry) error {
	lvl := slog.LevelInfo
	if e.Error != "" {
		lvl = slog.LevelWarn
	}
	a.Logger.Log(ctx, lvl, "mcp write", "tool", e.Tool, "actor", e.Actor, "role", e.Role, "case_id", e.CaseID, "target", e.Target,
		"arguments", e.Arguments, "events", e.Events, "error", e.Error)
	return nil
}

// AssignIn are assign_case's arguments.
type AssignIn struct {
	CaseID   string `json:"case_id"`
	Assignee string `json:"assignee" jsonschema:"analyst login; empty to unassign"`
}

// PriorityIn are set_case_priority's arguments.
type PriorityIn struct {
	CaseID   string `json:"case_id"`
	Priority string `json:"priority" jsonschema:"P1 … P5"`
}

// StageIn are set_case_stage's arguments.
type StageIn struct {
	CaseID string `json:"case_id"`
	Stage  string `json:"stage" jsonschema:"new, triage, investigating, contained, resolved or closed (use close_case to close with a verdict)"`
}

// CommentIn are add_case_comment's arguments.
type CommentIn struct {
	CaseID  string `json:"case_id"`
	Comment string `json:"comment"`
}

// CloseIn are close_case's arguments.
type CloseIn struct {
	CaseID      string `json:"case_id"`
	Disposition string `json:"disposition" jsonschema:"true_positive, benign_true_positive, false_positive, duplicate, inconclusive or test"`
	Reason      string `json:"reason" jsonschema:"why the case is closed; stored as a comment"`
}

// WriteOut is a write tool's answer: the events appended and the case as
// it now stands.
type WriteOut struct {
	Changed bool     `json:"changed" jsonschema:"false when the case already had the requested value"`
	Events  []string `json:"event_ids"`
	Case    CaseRow  `json:"case"`
}

func writeTool(name, title, desc string, destructive, idempotent bool) *sdk.Tool {
	f := false
	return &sdk.Tool{Name: name, Description: desc, Annotations: &sdk.ToolAnnotations{Title: title, ReadOnlyHint: false,
		DestructiveHint: &destructive, IdempotentHint: idempotent, OpenWorldHint: &f}}
}

func (s *server) addWriteTools(srv *sdk.Server) {
	sdk.AddTool(srv, writeTool("assign_case", "Assign case", "Assigns a case to an analyst (empty assignee unassigns). Audited.", false, true),
		func(ctx context.Context, req *sdk.CallToolRequest, in AssignIn) (*sdk.CallToolResult, WriteOut, error) {
			return s.write(ctx, req, "assign_case", in.CaseID, map[string]string{"assignee": in.Assignee},
				func(c *model.Case) ([]change, error) {
					who := strings.TrimSpace(in.Assignee)
					if who != "" {
						if err := s.knownAnalyst(ctx, who); err != nil {
							return nil, err
						}
					}
					return []change{{model.EventAssignee, c.Assignee, who}}, nil
				})
		})
	sdk.AddTool(srv, writeTool("set_case_priority", "Set case priority", "Changes a case's priority (P1 … P5). Audited.", false, true),
		func(ctx context.Context, req *sdk.CallToolRequest, in PriorityIn) (*sdk.CallToolResult, WriteOut, error) {
			return s.write(ctx, req, "set_case_priority", in.CaseID, map[string]string{"priority": in.Priority},
				func(c *model.Case) ([]change, error) {
					p, err := model.ParsePriority(in.Priority)
					if err != nil || !p.Valid() {
						return nil, argError("priority %q: want P1 … P5", in.Priority)
					}
					return []change{{model.EventPriority, c.Priority.String(), p.String()}}, nil
				})
		})
	sdk.AddTool(srv, writeTool("set_case_stage", "Set case stage", "Moves a case to a lifecycle stage. Audited.", false, true),
		func(ctx context.Context, req *sdk.CallToolRequest, in StageIn) (*sdk.CallToolResult, WriteOut, error) {
			return s.write(ctx, req, "set_case_stage", in.CaseID, map[string]string{"stage": in.Stage},
				func(c *model.Case) ([]change, error) {
					st, err := model.ParseStage(in.Stage)
					if err != nil {
						return nil, argError("stage: %v", err)
					}
					return []change{{model.EventStage, string(c.Stage), string(st)}}, nil
				})
		})
	sdk.AddTool(srv, writeTool("add_case_comment", "Comment on case", "Adds a comment to a case's log. Audited.", false, false),
		func(ctx context.Context, req *sdk.CallToolRequest, in CommentIn) (*sdk.CallToolResult, WriteOut, error) {
			return s.write(ctx, req, "add_case_comment", in.CaseID, map[string]string{"comment": in.Comment},
				func(c *model.Case) ([]change, error) {
					if strings.TrimSpace(in.Comment) == "" {
						return nil, argError("comment is empty")
					}
					return []change{{kind: model.EventComment, new: in.Comment}}, nil
				})
		})
	sdk.AddTool(srv, writeTool("close_case", "Close case",
		"Closes a case with a verdict from the disposition taxonomy and a reason (stored as a comment). Audited.", true, true),
		func(ctx context.Context, req *sdk.CallToolRequest, in CloseIn) (*sdk.CallToolResult, WriteOut, error) {
			return s.write(ctx, req, "close_case", in.CaseID, map[string]string{"disposition": in.Disposition, "reason": in.Reason},
				func(c *model.Case) ([]change, error) {
					d := model.Disposition(strings.ToLower(strings.TrimSpace(in.Disposition)))
					if d == model.DispositionNone || !d.Valid() {
						return nil, argError("disposition %q: want one of %s", in.Disposition, dispositionList())
					}
					if strings.TrimSpace(in.Reason) == "" {
						return nil, argError("reason is required to close a case")
					}
					if c.Stage == model.StageClosed && c.Disposition == d {
						return nil, nil // already closed so: nothing to write
					}
					return []change{{model.EventDisposition, string(c.Disposition), string(d)},
						{model.EventStage, string(c.Stage), string(model.StageClosed)},
						{kind: model.EventComment, new: "Closed as " + string(d) + ": " + in.Reason}}, nil
				})
		})
}

func dispositionList() string {
	var names []string
	for _, d := range model.Dispositions {
		names = append(names, string(d))
	}
	return strings.Join(names, ", ")
}

// change is one event a write tool wants; it is skipped when old equals
// new (except comments).
type change struct {
	kind     model.EventKind
	old, new string
}

// write resolves the case, turns the tool's changes into case events,
// applies them and audits the attempt, successful or not.
func (s *server) write(ctx context.Context, req *sdk.CallToolRequest, tool, caseID string, args map[string]string,
	plan func(*model.Case) ([]change, error)) (*sdk.CallToolResult, WriteOut, error) {
	out := WriteOut{Events: []string{}}
	args["case_id"] = caseID
	who := s.actor(req)
	entry := AuditEntry{At: s.opts.Now().UTC(), Actor: who.Name, Role: string(who.Role), Tool: tool, Arguments: args}
	fail := func(err error) (*sdk.CallToolResult, WriteOut, error) {
		entry.Error = err.Error()
		if aerr := s.opts.Auditor.Audit(ctx, entry); aerr != nil {
			return nil, out, fmt.Errorf("%v (and auditing failed: %v)", err, aerr)
		}
		return nil, out, err
	}
	c, err := s.findCase(ctx, caseID)
	if err != nil {
		return fail(err)
	}
	entry.CaseID = c.ID
	changes, err := plan(&c)
	if err != nil {
		return fail(err)
	}
	var evs []model.CaseEvent
	// A random key per write: two writes in the same instant are distinct events.
	key := rand.Text()
	for i, ch := range changes {
		if ch.kind != model.EventComment && ch.old == ch.new {
			continue
		}
		evs = append(evs, model.CaseEvent{CaseID: c.ID, ExternalID: fmt.Sprintf("mcp:%s:%d", key, i),
			At: entry.At, Actor: entry.Actor, Source: EventSource, Kind: ch.kind, Old: ch.old, New: ch.new})
	}
	if len(evs) > 0 {
		before, err := s.st.CaseEvents(ctx, c.ID)
		if err != nil {
			return fail(err)
		}
		res, err := s.st.Apply(ctx, &store.Batch{Events: evs})
		if err != nil {
			return fail(fmt.Errorf("writing case events: %w", err))
		}
		if len(res.Rejects) > 0 {
			return fail(fmt.Errorf("case events rejected: %v", res.Rejects[0].Err))
		}
		after, err := s.st.CaseEvents(ctx, c.ID)
		if err != nil {
			return fail(err)
		}
		known := map[int64]bool{}
		for _, e := range before {
			known[e.ID] = true
		}
		for _, e := range after {
			if !known[e.ID] {
				entry.Events = append(entry.Events, e.ID)
				out.Events = append(out.Events, strconv.FormatInt(e.ID, 10))
			}
		}
		out.Changed = len(out.Events) > 0
	}
	if c, err = s.st.CaseByID(ctx, c.ID); err != nil {
		return fail(err)
	}
	rows, err := s.caseRows(ctx, []model.Case{c})
	if err != nil {
		return fail(err)
	}
	out.Case = rows[0]
	if err := s.opts.Auditor.Audit(ctx, entry); err != nil {
		return nil, out, fmt.Errorf("the change was written but auditing it failed: %w", err)
	}
	return nil, out, nil
}

// knownAnalyst refuses an assignee who is not an active analyst on the
// roster (by login).
func (s *server) knownAnalyst(ctx context.Context, login string) error {
	list, err := s.st.Analysts(ctx)
	if err != nil {
		return err
	}
	for _, a := range list {
		if a.ExternalID == login {
			if !a.Active {
				return argError("assignee %q is not active on the roster", login)
			}
			return nil
		}
	}
	return argError("assignee %q is not an analyst on the roster (get_analyst_workload lists them by login)", login)
}
