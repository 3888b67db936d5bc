package mcp

import (
	"context"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/store"
)

func TestWriteTools(t *testing.T) { engines(t, testWriteTools) }

func testWriteTools(t *testing.T, st *store.Store) {
	aud := &memAuditor{}
	cs := connect(t, Options{Store: st, AllowWrites: true, Auditor: aud, Actor: "manager"})
	ctx := context.Background()

	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ann := map[string]*sdk.ToolAnnotations{}
	for _, tl := range tools.Tools {
		ann[tl.Name] = tl.Annotations
	}
	for _, tc := range []struct {
		name                    string
		destructive, idempotent bool
	}{
		{"assign_case", false, true}, {"set_case_priority", false, true}, {"set_case_stage", false, true},
		{"add_case_comment", false, false}, {"close_case", true, true}, {"record_runbook_run", false, false},
	} {
		a := ann[tc.name]
		if a == nil || a.ReadOnlyHint || a.DestructiveHint == nil || *a.DestructiveHint != tc.destructive || a.IdempotentHint != tc.idempotent {
			t.Errorf("%s annotations = %+v", tc.name, a)
		}
	}
	if len(tools.Tools) != 39 {
		t.Fatalf("%d tools with writes, want 39", len(tools.Tools))
	}

	w := call[WriteOut](t, cs, "assign_case", map[string]any{"case_id": "fx/C-1", "assignee": "bob"})
	if !w.Changed || len(w.Events) != 1 || w.Case.Assignee != "bob" || w.Case.ExternalID != "C-1" {
		t.Fatalf("assign = %+v", w)
	}
	// Idempotent: assigning again changes nothing and writes no event.
	w = call[WriteOut](t, cs, "assign_case", map[string]any{"case_id": "fx/C-1", "assignee": "bob"})
	if w.Changed || len(w.Events) != 0 {
		t.Fatalf("second assign = %+v", w)
	}
	w = call[WriteOut](t, cs, "set_case_priority", map[string]any{"case_id": "fx/C-3", "priority": "high"})
	if !w.Changed || w.Case.Priority != "P2" {
		t.Fatalf("priority = %+v", w)
	}
	w = call[WriteOut](t, cs, "set_case_stage", map[string]any{"case_id": "fx/C-3", "stage": "investigating"})
	if w.Case.Stage != "investigating" {
		t.Fatalf("stage = %+v", w)
	}
	w = call[WriteOut](t, cs, "add_case_comment", map[string]any{"case_id": "fx/C-3", "comment": "Escalated to L2"})
	if len(w.Events) != 1 {
		t.Fatalf("comment = %+v", w)
	}
	w = call[WriteOut](t, cs, "close_case", map[string]any{"case_id": "fx/C-2", "disposition": "benign_true_positive", "reason": "travel confirmed"})
	if w.Case.Stage != "closed" || w.Case.Disposition != "benign_true_positive" || len(w.Events) < 3 {
		t.Fatalf("close = %+v", w)
	}
	// Closing again with the same verdict writes nothing, not even a comment.
	w = call[WriteOut](t, cs, "close_case", map[string]any{"case_id": "fx/C-2", "disposition": "benign_true_positive", "reason": "again"})
	if w.Changed || len(w.Events) != 0 {
		t.Fatalf("second close = %+v", w)
	}

	// The log shows the writes with source watchfloor and the actor.
	d := call[GetCaseOut](t, cs, "get_case_full_details", map[string]any{"case_id": "fx/C-3"})
	var found int
	for _, e := range d.Timeline {
		if e.Source == EventSource && e.Actor == "manager" {
			found++
		}
	}
	if found != 2 || len(d.CaseComments) != 1 || d.CaseComments[0].Body.Text != "Escalated to L2" || d.CaseComments[0].Author != "manager" {
		t.Fatalf("C-3 after writes: %d watchfloor events, comments %+v", found, d.CaseComments)
	}
	d = call[GetCaseOut](t, cs, "get_case_full_details", map[string]any{"case_id": "fx/C-2"})
	if last := d.CaseComments[len(d.CaseComments)-1]; last.Body.Text != "Closed as benign_true_positive: travel confirmed" {
		t.Fatalf("close comment = %+v", last)
	}
	if err := st.Check(ctx); err != nil {
		t.Fatalf("store check after writes: %v", err)
	}

	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"set_case_priority", map[string]any{"case_id": "fx/C-1", "priority": "P9"}, `priority "P9"`},
		{"set_case_stage", map[string]any{"case_id": "fx/C-1", "stage": "done-ish"}, "unknown stage"},
		{"add_case_comment", map[string]any{"case_id": "fx/C-1", "comment": "  "}, "comment is empty"},
		{"close_case", map[string]any{"case_id": "fx/C-1", "disposition": "maybe", "reason": "x"}, `disposition "maybe"`},
		{"close_case", map[string]any{"case_id": "fx/C-1", "disposition": "false_positive", "reason": " "}, "reason is required"},
		{"assign_case", map[string]any{"case_id": "fx/nope", "assignee": "bob"}, "not found"},
	} {
		if msg := callErr(t, cs, tc.tool, tc.args); !strings.Contains(msg, tc.want) {
			t.Errorf("%s %v: %q, want %q", tc.tool, tc.args, msg, tc.want)
		}
	}

	// Every attempt was audited, refused ones with their reason.
	if len(aud.entries) != 13 {
		t.Fatalf("%d audit entries, want 13", len(aud.entries))
	}
	first := aud.entries[0]
	if first.Tool != "assign_case" || first.Actor != "manager" || first.Arguments["assignee"] != "bob" || first.Error != "" ||
		len(first.Events) != 1 || first.CaseID == 0 || !first.At.Equal(now) {
		t.Fatalf("first audit entry = %+v", first)
	}
	if aud.entries[1].Error != "" || len(aud.entries[1].Events) != 0 {
		t.Fatalf("no-op audit entry = %+v", aud.entries[1])
	}
	last := aud.entries[12]
	if last.Tool != "assign_case" || last.CaseID != 0 || !strings.Contains(last.Error, "not found") {
		t.Fatalf("last audit entry = %+v", last)
	}
	if e := aud.entries[10]; e.Tool != "close_case" || !strings.Contains(e.Error, "disposition") || e.CaseID == 0 || len(e.Events) != 0 {
		t.Fatalf("refused close audit entry = %+v", e)
	}
}
