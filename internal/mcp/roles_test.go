package mcp

import (
	"context"
	"strings"
	"testing"

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
