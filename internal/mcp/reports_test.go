package mcp

import (
	"context"
	"encoding/json"
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
	out := call[ExecutiveReportOut](t, cs, "generate_executive_report", map[string]any{"period": "week"})
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
