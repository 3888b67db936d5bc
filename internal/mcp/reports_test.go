package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	wfauth "github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/store"
)

func TestGenerateExecutiveReport(t *testing.T) { engines(t, testGenerateExecutiveReport) }

// testGenerateExecutiveReport: the tool answers the Markdown (marked
// untrusted) and the resource that keeps it; the resource and the history
// index read it back for a manager and refuse a viewer.
func testGenerateExecutiveReport(t *testing.T, st *store.Store) {
	cs := connect(t, Options{Store: st})
	out := call[ReportOut](t, cs, "generate_executive_report", map[string]any{"period": "week"})
	if out.ID == 0 || out.URI != "watchfloor://reports/1" || len(out.Lines) < 20 || out.Lines[0] != "# Executive security operations summary" ||
		!slices.Contains(out.Lines, "## Headline figures") {
		t.Fatalf("answer %+v", out)
	}
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "generate_executive_report", Arguments: map[string]any{"period": "week"}})
	if err != nil || res.IsError {
		t.Fatal(err, res)
	}
	if raw, _ := json.Marshal(res.StructuredContent); !strings.Contains(string(raw), `{"text":"# Executive security operations summary","untrusted":true}`) {
		t.Errorf("the Markdown lines are not marked untrusted: %.300s", raw)
	}
	if r, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "generate_executive_report", Arguments: map[string]any{"period": "fortnight"}}); err == nil && !r.IsError {
		t.Errorf("period fortnight accepted")
	}
	rr, err := cs.ReadResource(context.Background(), &sdk.ReadResourceParams{URI: out.URI})
	if err != nil || len(rr.Contents) != 1 || !strings.Contains(rr.Contents[0].Text, `"text": "## Headline figures"`) {
		t.Fatalf("reading %s: %v %+v", out.URI, err, rr)
	}
	idx, err := cs.ReadResource(context.Background(), &sdk.ReadResourceParams{URI: ReportsURI})
	if err != nil || !strings.Contains(idx.Contents[0].Text, `"total": 2`) || !strings.Contains(idx.Contents[0].Text, "watchfloor://reports/2") {
		t.Fatalf("index: %v %+v", err, idx)
	}
	viewer := connect(t, Options{Store: st, Role: wfauth.Viewer})
	if _, err := viewer.ReadResource(context.Background(), &sdk.ReadResourceParams{URI: out.URI}); err == nil {
		t.Errorf("a viewer read a stored report")
	}
	if r, err := viewer.CallTool(context.Background(), &sdk.CallToolParams{Name: "generate_executive_report", Arguments: map[string]any{}}); err == nil && !r.IsError {
		t.Errorf("a viewer generated a report")
	}
}

func TestGenerateShiftAndReview(t *testing.T) { engines(t, testGenerateShiftAndReview) }

// testGenerateShiftAndReview: the handover and the review answer their
// Markdown (marked untrusted) with a link to the resource that keeps the
// whole report; a small answer budget cuts the lines from the end and says
// where the rest is; viewers may neither generate nor read them.
func testGenerateShiftAndReview(t *testing.T, st *store.Store) {
	ctx := context.Background()
	cs := connect(t, Options{Store: st})
	for i, c := range []struct {
		tool, first string
		args        map[string]any
	}{
		{"generate_shift_handover", "# Shift handover", map[string]any{}},
		{"generate_operations_review", "# Weekly operations review", map[string]any{"from": "2026-02-23", "to": "2026-03-01"}},
	} {
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: c.tool, Arguments: c.args})
		if err != nil || res.IsError {
			t.Fatalf("%s: %v %+v", c.tool, err, res)
		}
		var out ReportOut
		if err := DecodeAnswer(res.StructuredContent, &out); err != nil {
			t.Fatal(err)
		}
		uri := fmt.Sprintf("watchfloor://reports/%d", i+1)
		if out.URI != uri || out.Lines[0] != c.first || len(out.Lines) != out.LinesTotal || out.More != "" {
			t.Errorf("%s: %+v", c.tool, out)
		}
		if len(res.Content) != 2 {
			t.Fatalf("%s: %d contents, want the answer and a resource link", c.tool, len(res.Content))
		}
		if l, ok := res.Content[1].(*sdk.ResourceLink); !ok || l.URI != uri || l.MIMEType != "application/json" {
			t.Errorf("%s: second content %#v", c.tool, res.Content[1])
		}
		rr, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: uri})
		if err != nil {
			t.Fatal(err)
		}
		var whole struct {
			Kind  string `json:"kind"`
			Lines []Text `json:"markdown_lines"`
		}
		if err := json.Unmarshal([]byte(rr.Contents[0].Text), &whole); err != nil || len(whole.Lines) != out.LinesTotal || whole.Lines[0].Text != c.first ||
			!whole.Lines[0].Untrusted {
			t.Errorf("%s resource: %d lines, %v", c.tool, len(whole.Lines), err)
		}
	}
	// A budget of 250 tokens (1,000 bytes) holds the headroom and the title.
	small := connect(t, Options{Store: st, AnswerTokens: 400})
	res, err := small.CallTool(ctx, &sdk.CallToolParams{Name: "generate_operations_review", Arguments: map[string]any{"from": "2026-02-23", "to": "2026-03-01"}})
	if err != nil || res.IsError {
		t.Fatal(err, res)
	}
	var cut ReportOut
	if err := DecodeAnswer(res.StructuredContent, &cut); err != nil {
		t.Fatal(err)
	}
	text := res.Content[0].(*sdk.TextContent).Text
	if len(text) > 1600 || len(cut.Lines) == 0 || len(cut.Lines) >= cut.LinesTotal ||
		cut.More != fmt.Sprintf("the answer budget holds the first %d of the report's %d Markdown lines: read the resource %s for the whole report", len(cut.Lines), cut.LinesTotal, cut.URI) {
		t.Errorf("cut answer (%d bytes): %+v", len(text), cut)
	}
	viewer := connect(t, Options{Store: st, Role: wfauth.Viewer})
	for _, tool := range []string{"generate_shift_handover", "generate_operations_review"} {
		if r, err := viewer.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: map[string]any{}}); err == nil && !r.IsError {
			t.Errorf("a viewer called %s", tool)
		}
	}
	if _, err := viewer.ReadResource(ctx, &sdk.ReadResourceParams{URI: "watchfloor://reports/1"}); err == nil {
		t.Errorf("a viewer read a stored handover")
	}
}
