package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	wfauth "github.com/watchfloor/watchfloor/internal/auth"
)

// Access is what one tool needs: the permission of the caller's role and
// the REST route that serves the same data or change, if any (the parity
// test holds the two to the same permission).
type Access struct {
	Tool  string
	Perm  wfauth.Permission
	Route string // "METHOD /pattern" of the REST API, "" when none
}

// ToolAccess is the one table of who may list and call each tool. A tool
// missing here is neither listed nor callable, whatever the role.
var ToolAccess = []Access{
	// Individual cases and alerts: attacker-controlled text and personal data.
	{"list_cases", wfauth.ViewRecords, "GET /api/v1/cases"},
	{"get_case_full_details", wfauth.ViewRecords, "GET /api/v1/cases/{source}/{id}"},
	{"get_security_alerts", wfauth.ViewRecords, "GET /api/v1/alerts"},
	{"list_alerts", wfauth.ViewRecords, "GET /api/v1/alerts"},
	{"get_alert", wfauth.ViewRecords, "GET /api/v1/alerts/{source}/{id}"},
	{"get_ioc_matches", wfauth.ViewRecords, "GET /api/v1/intel/matches"},
	{"get_observable_prevalence", wfauth.ViewRecords, "GET /api/v1/intel/indicators"},
	{"top_vulnerability_findings", wfauth.ViewRecords, ""},
	{"search_findings", wfauth.ViewRecords, ""},
	{"get_finding_remediation", wfauth.ViewRecords, ""},
	{"list_major_incidents", wfauth.ViewRecords, "GET /api/v1/incidents"},
	{"get_major_incident_status", wfauth.ViewRecords, "GET /api/v1/incidents/{id}"},
	// Aggregates.
	{"list_threat_profiles", wfauth.ViewDashboard, "GET /api/v1/intel/profiles"},
	{"get_threat_profile", wfauth.ViewDashboard, "GET /api/v1/intel/profiles/{id}"},
	{"get_soc_dashboard", wfauth.ViewDashboard, "GET /api/v1/dashboard"},
	{"get_soc_metrics", wfauth.ViewDashboard, "GET /api/v1/metrics"},
	{"list_sla_breaches", wfauth.ViewDashboard, "GET /api/v1/sla"},
	{"get_analyst_workload", wfauth.ViewDashboard, "GET /api/v1/dashboard"},
	{"get_noisy_rules", wfauth.ViewDashboard, "GET /api/v1/rules"},
	{"list_runbooks", wfauth.ViewDashboard, "GET /api/v1/runbooks"},
	{"get_runbook", wfauth.ViewDashboard, "GET /api/v1/runbooks/{id}"},
	{"get_runbook_metrics", wfauth.ViewDashboard, "GET /api/v1/metrics/runbooks"},
	{"get_technology_health", wfauth.ViewDashboard, "GET /api/v1/tech/health"},
	{"get_detection_coverage", wfauth.ViewDashboard, "GET /api/v1/coverage"},
	// The roster's gaps, skills and costs.
	{"plan_staffing", wfauth.PlanResources, "GET /api/v1/staffing/plan"},
	{"plan_budget", wfauth.PlanResources, "GET /api/v1/budget/plan"},
	{"assess_team_skills", wfauth.PlanResources, "GET /api/v1/training/assessment"},
	{"generate_executive_report", wfauth.PlanResources, "POST /api/v1/reports/executive"},
	{"generate_shift_handover", wfauth.PlanResources, "POST /api/v1/reports/shift"},
	{"generate_operations_review", wfauth.PlanResources, "POST /api/v1/reports/operations"},
	{"develop_soc_roadmap", wfauth.PlanResources, "GET /api/v1/roadmap"},
	// Writes (registered only with Options.AllowWrites).
	{"assign_case", wfauth.WorkCases, ""},
	{"set_case_priority", wfauth.WorkCases, ""},
	{"set_case_stage", wfauth.WorkCases, ""},
	{"add_case_comment", wfauth.WorkCases, ""},
	{"close_case", wfauth.WorkCases, ""},
	{"declare_major_incident", wfauth.ManageIncidents, "POST /api/v1/incidents"},
	{"update_major_incident", wfauth.ManageIncidents, "POST /api/v1/incidents/{id}/updates"},
	{"record_runbook_run", wfauth.IngestData, "POST /api/v1/runbook-runs"},
}

// toolPerm returns the permission a tool needs; false for a tool not in
// ToolAccess.
func toolPerm(name string) (wfauth.Permission, bool) {
	i := slices.IndexFunc(ToolAccess, func(a Access) bool { return a.Tool == name })
	if i < 0 {
		return "", false
	}
	return ToolAccess[i].Perm, true
}

// mayUse reports whether role may list and call tool.
func mayUse(role wfauth.Role, tool string) bool {
	p, ok := toolPerm(tool)
	return ok && role.Can(p)
}

// Caller is who a request acts as: the account (or local user) and its
// role.
type Caller struct {
	Name string
	Role wfauth.Role
}

// roleKey is where HTTPHandler keeps the token's role in auth.TokenInfo.Extra.
const roleKey = "watchfloor_role"

// caller names who sent a request: the bearer token's account and role
// over HTTP, else the local user with the configured role.
func (s *server) caller(extra *sdk.RequestExtra) Caller {
	if extra != nil && extra.TokenInfo != nil {
		c := Caller{Name: extra.TokenInfo.UserID}
		if r, ok := extra.TokenInfo.Extra[roleKey].(string); ok {
			c.Role = wfauth.Role(r)
		}
		return c // an unknown or missing role holds no permission
	}
	return Caller{Name: s.opts.Actor, Role: s.opts.Role}
}

func tokenInfo(c Caller) *auth.TokenInfo {
	return &auth.TokenInfo{UserID: c.Name, Extra: map[string]any{roleKey: string(c.Role)}}
}

// guard enforces the caller's role on every request: tools/list and
// prompts/list show only what the role may use, tools/call and prompts/get
// refuse the rest (a refused write tool is audited like any write). It
// also marks every answer's source text (see marker) and shows the output
// schemas marked the same way.
func (s *server) guard(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		switch r := req.(type) {
		case *sdk.CallToolRequest:
			c := s.caller(r.Extra)
			name := ""
			if r.Params != nil {
				name = r.Params.Name
			}
			_, known := toolPerm(name)
			if known && !mayUse(c.Role, name) {
				msg := fmt.Sprintf("your role (%s) may not use %s", roleName(c.Role), name)
				if s.isWriteTool(name) {
					e := AuditEntry{At: s.opts.Now().UTC(), Actor: c.Name, Role: string(c.Role), Tool: name,
						Arguments: auditArgs(r.Params.Arguments), Error: msg}
					if err := s.opts.Auditor.Audit(ctx, e); err != nil {
						msg += " (and auditing the attempt failed: " + err.Error() + ")"
					}
				}
				return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: msg}}}, nil
			}
			if !known {
				// Not in the access table: unknown to every caller, as the SDK
				// answers for a tool that does not exist.
				return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("unknown tool %q", name)}
			}
			if err := s.mark.load(ctx, next, r.Session); err != nil {
				return nil, err
			}
			if msg := s.mark.checkInts(name, r.Params.Arguments); msg != "" {
				return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: msg}}}, nil
			}
		case *sdk.GetPromptRequest:
			c := s.caller(r.Extra)
			if r.Params != nil && !promptAllowed(c.Role, r.Params.Name) {
				return nil, invalidParams("prompt %s needs tools your role (%s) may not use", r.Params.Name, roleName(c.Role))
			}
		}
		res, err := next(ctx, method, req)
		if err != nil {
			return res, err
		}
		switch r := req.(type) {
		case *sdk.CallToolRequest:
			if cr, ok := res.(*sdk.CallToolResult); ok && !cr.IsError && cr.StructuredContent != nil {
				if err := s.mark.load(ctx, next, r.Session); err != nil {
					return nil, err
				}
				v, _, err := s.mark.answer(r.Params.Name, cr.StructuredContent)
				if err != nil {
					return nil, err
				}
				v, text, err := fit(givenOnce(v), s.answerBytes())
				if err != nil {
					return nil, err
				}
				// The answer's text replaces what the tool gave, but for its
				// links to resources (a report tool's whole report).
				content := []sdk.Content{&sdk.TextContent{Text: string(text)}}
				for _, c := range cr.Content {
					if l, ok := c.(*sdk.ResourceLink); ok {
						content = append(content, l)
					}
				}
				cr.StructuredContent, cr.Content = v, content
			}
		case *sdk.ListToolsRequest:
			if lr, ok := res.(*sdk.ListToolsResult); ok {
				role := s.caller(r.Extra).Role
				var tools []*sdk.Tool
				for _, t := range lr.Tools {
					if mayUse(role, t.Name) {
						c := *t
						c.OutputSchema = s.mark.toolSchema(t)
						tools = append(tools, &c)
					}
				}
				lr.Tools = nonNil(tools)
			}
		case *sdk.ListPromptsRequest:
			if lr, ok := res.(*sdk.ListPromptsResult); ok {
				role := s.caller(r.Extra).Role
				lr.Prompts = slices.DeleteFunc(slices.Clone(lr.Prompts), func(p *sdk.Prompt) bool { return !promptAllowed(role, p.Name) })
			}
		}
		return res, err
	}
}

func roleName(r wfauth.Role) string {
	if r == "" {
		return "none"
	}
	return string(r)
}

// isWriteTool reports whether name is one of the write tools.
func (s *server) isWriteTool(name string) bool {
	p, ok := toolPerm(name)
	return ok && (p == wfauth.WorkCases || p == wfauth.ManageIncidents || p == wfauth.IngestData)
}

// auditArgs renders a call's raw arguments for the audit log: each
// top-level argument as its JSON text (strings unquoted).
func auditArgs(raw json.RawMessage) map[string]string {
	out := map[string]string{}
	var m map[string]json.RawMessage
	if len(raw) == 0 {
		return out
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		out["arguments"] = string(raw)
		return out
	}
	for k, v := range m {
		var str string
		if json.Unmarshal(v, &str) == nil {
			out[k] = str
		} else {
			out[k] = string(v)
		}
	}
	return out
}

// has returns whether a tool is registered on this server and open to role.
func (s *server) has(role wfauth.Role) func(tool string) bool {
	return func(tool string) bool {
		return mayUse(role, tool) && (!s.isWriteTool(tool) || s.opts.AllowWrites)
	}
}
