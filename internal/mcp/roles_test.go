package mcp

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	wfauth "github.com/watchfloor/watchfloor/internal/auth"
)

// TestToolAccessCoversEveryTool: every tool the server registers (with the
// write tools) has exactly one entry in ToolAccess, and the table names no
// tool that does not exist.
func TestToolAccessCoversEveryTool(t *testing.T) {
	st := fixture(t)
	srv, err := newServer(Options{Store: st, AllowWrites: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ct, stt := sdk.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, stt, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	lt, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, tl := range lt.Tools {
		registered[tl.Name] = true
		if _, ok := toolPerm(tl.Name); !ok {
			t.Errorf("tool %s has no entry in ToolAccess, so no role may use it", tl.Name)
		}
		if tl.Annotations.ReadOnlyHint == isWrite(tl.Name) {
			t.Errorf("tool %s: read-only hint %v disagrees with the access table", tl.Name, tl.Annotations.ReadOnlyHint)
		}
	}
	seen := map[string]bool{}
	for _, a := range ToolAccess {
		if seen[a.Tool] {
			t.Errorf("%s listed twice in ToolAccess", a.Tool)
		}
		seen[a.Tool] = true
		if !registered[a.Tool] {
			t.Errorf("ToolAccess names %s, which the server does not register", a.Tool)
		}
	}
}

// isWrite reports whether the access table treats a tool as a write.
func isWrite(name string) bool { return (&server{}).isWriteTool(name) }

// TestLocalRole: on stdio the configured role decides, like a token's over
// HTTP: an analyst is not offered the plans and is refused them when it
// calls them anyway; a refused write is audited with the caller's role.
func TestLocalRole(t *testing.T) {
	st := fixture(t)
	aud := &memAuditor{}
	cs := connect(t, Options{Store: st, Role: wfauth.Analyst, Actor: "ana", AllowWrites: true, Auditor: aud})
	lt, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range lt.Tools {
		if tl.Name == "plan_staffing" || tl.Name == "plan_budget" || tl.Name == "record_runbook_run" {
			t.Errorf("analyst offered %s", tl.Name)
		}
	}
	for _, name := range []string{"plan_staffing", "plan_budget", "assess_team_skills"} {
		if msg := callErr(t, cs, name, nil); msg != "your role (analyst) may not use "+name {
			t.Errorf("%s: %q", name, msg)
		}
	}
	msg := callErr(t, cs, "record_runbook_run", map[string]any{"case_id": "fx/C-1", "runbook_id": "x"})
	if !strings.Contains(msg, "your role (analyst) may not use record_runbook_run") {
		t.Errorf("record_runbook_run: %q", msg)
	}
	if len(aud.entries) != 1 || aud.entries[0].Actor != "ana" || aud.entries[0].Role != "analyst" ||
		aud.entries[0].Tool != "record_runbook_run" || aud.entries[0].Arguments["case_id"] != "fx/C-1" || aud.entries[0].Error == "" {
		t.Fatalf("audit = %+v", aud.entries)
	}
	// What the role may do still works, and is audited with the role.
	call[WriteOut](t, cs, "add_case_comment", map[string]any{"case_id": "fx/C-1", "comment": "seen"})
	if len(aud.entries) != 2 || aud.entries[1].Role != "analyst" || aud.entries[1].Error != "" {
		t.Fatalf("audit = %+v", aud.entries)
	}
	// A tool that does not exist is a protocol error, as the SDK answers.
	if _, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "drop_tables"}); err == nil ||
		!strings.Contains(err.Error(), `unknown tool "drop_tables"`) {
		t.Errorf("unknown tool: %v", err)
	}
	// A viewer sees aggregates only.
	vs := connect(t, Options{Store: st, Role: wfauth.Viewer})
	if msg := callErr(t, vs, "list_cases", nil); msg != "your role (viewer) may not use list_cases" {
		t.Errorf("viewer list_cases: %q", msg)
	}
	call[DashboardOut](t, vs, "get_soc_dashboard", nil)
}

// TestHTTPSessionsExpire: a session left idle past the limit is closed;
// its id is then unknown (404) and the client starts a new session.
func TestHTTPSessionsExpire(t *testing.T) {
	srv, err := NewServer(Options{Store: fixture(t)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseSHA256Tokens("ops:"+sha256hex("tok"), wfauth.Analyst)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(HTTPHandlerIdle(srv, v, nil, 20*time.Millisecond))
	defer hs.Close()
	post := func(session, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, hs.URL, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := post("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("initialize: %d, session %q", resp.StatusCode, id)
	}
	time.Sleep(300 * time.Millisecond) // well past the idle limit
	if resp := post(id, `{"jsonrpc":"2.0","id":2,"method":"ping"}`); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("ping on an idle session: %d, want 404", resp.StatusCode)
	}
}

// TestArgumentChecks: sizes below zero or above the most a tool allows,
// and an assignee who is not on the roster, are refused with the reason.
func TestArgumentChecks(t *testing.T) {
	cs := connect(t, Options{Store: fixture(t), AllowWrites: true, Auditor: &memAuditor{}})
	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"list_cases", map[string]any{"page_size": -5}, "invalid argument: page_size -5: want 0 (the default) or more"},
		{"list_cases", map[string]any{"page_size": 500}, "invalid argument: page_size 500: at most 100"},
		{"get_noisy_rules", map[string]any{"max_rules": 101}, "invalid argument: max_rules 101: at most 100"},
		{"get_security_alerts", map[string]any{"hours_back": -1}, "invalid argument: hours_back -1: want 0 (the default) or more"},
		{"assign_case", map[string]any{"case_id": "fx/C-1", "assignee": "mallory"}, `assignee "mallory" is not an analyst on the roster`},
		{"assign_case", map[string]any{"case_id": "fx/C-1", "assignee": "carol"}, `assignee "carol" is not active`},
	} {
		if msg := callErr(t, cs, tc.tool, tc.args); !strings.Contains(msg, tc.want) {
			t.Errorf("%s %v: %q, want %q", tc.tool, tc.args, msg, tc.want)
		}
	}
	call[WriteOut](t, cs, "assign_case", map[string]any{"case_id": "fx/C-1", "assignee": "bob"})
	call[ListCasesOut](t, cs, "list_cases", map[string]any{"page_size": 100})

	// An explicit window on the KPI tools: dates or RFC 3339 times (their
	// UTC date); both ends or neither.
	m := call[MetricsOut](t, cs, "get_soc_metrics", map[string]any{"from": "2026-03-08", "to": "2026-03-10T23:00:00Z"})
	if m.From != "2026-03-08" || m.To != "2026-03-10" || m.DataThrough.IsZero() {
		t.Errorf("metrics window %s…%s, data through %v", m.From, m.To, m.DataThrough)
	}
	r := call[NoisyRulesOut](t, cs, "get_noisy_rules", map[string]any{"from": "2026-03-09", "to": "2026-03-10"})
	if !strings.Contains(r.Window, "2026-03-09") || r.HoursDef == "" {
		t.Errorf("noisy rules window %q, hours definition %q", r.Window, r.HoursDef)
	}
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"from": "2026-03-08"}, "from and to go together"},
		{map[string]any{"from": "last week", "to": "2026-03-10"}, `from "last week"`},
	} {
		if msg := callErr(t, cs, "get_soc_metrics", tc.args); !strings.Contains(msg, tc.want) {
			t.Errorf("get_soc_metrics %v: %q, want %q", tc.args, msg, tc.want)
		}
	}
}
