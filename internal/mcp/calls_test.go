package mcp

import (
	"context"
	"maps"
	"strconv"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// toolCall is one call of a tool.
type toolCall struct {
	tool string
	args map[string]any
}

// largestArgs builds a tool's largest arguments from its input schema:
// every size at the most its description allows, every window at its
// longest, every optional part (include_*, trend …) switched on.
func largestArgs(schema any) map[string]any {
	args := map[string]any{}
	m, _ := schema.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	for name, p := range props {
		prop, _ := p.(map[string]any)
		desc, _ := prop["description"].(string)
		switch prop["type"] {
		case "integer":
			if sm := atMost.FindStringSubmatch(desc); sm != nil {
				n, _ := strconv.Atoi(sm[1])
				args[name] = n
			}
			switch name {
			case "hours_back":
				args[name] = 90 * 24
			case "days_back":
				args[name] = 365
			}
		case "boolean":
			if name != "simulate" { // a slower check, not a larger answer
				args[name] = true
			}
		case "string":
			if name == "timeframe" {
				args[name] = "quarterly"
			}
		}
	}
	return args
}

// everyCall lists calls that together reach every tool the session offers:
// each with its largest arguments (get_soc_metrics once per grouping), the
// detail tools on records found through the list tools, then the write
// tools (last, since they change the store).
func everyCall(t *testing.T, cs *sdk.ClientSession) []toolCall {
	t.Helper()
	ctx := context.Background()
	lt, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	var calls, writes []toolCall
	first := func(tool string, args map[string]any, pick func(map[string]any) string) string {
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: args})
		if err != nil || res.IsError {
			t.Fatalf("%s: %v %v", tool, err, res)
		}
		m, _ := res.StructuredContent.(map[string]any)
		return pick(m)
	}
	firstOf := func(list string, key string) func(map[string]any) string {
		return func(m map[string]any) string {
			rows, _ := m[list].([]any)
			if len(rows) == 0 {
				return "" // nothing to show details of: the call is left out
			}
			v, _ := rows[0].(map[string]any)[key].(string)
			return v
		}
	}
	for _, tl := range lt.Tools {
		has[tl.Name] = true
		largest := largestArgs(tl.InputSchema)
		with := func(extra map[string]any) map[string]any {
			a := maps.Clone(largest)
			maps.Copy(a, extra)
			return a
		}
		if !tl.Annotations.ReadOnlyHint {
			continue
		}
		switch tl.Name {
		case "get_soc_metrics":
			calls = append(calls, toolCall{tl.Name, largest})
			for _, g := range metrics.GroupBys {
				calls = append(calls, toolCall{tl.Name, with(map[string]any{"group_by": g})})
			}
			continue
		case "get_case_full_details":
			id := first("list_cases", nil, firstOf("cases", "id"))
			if id != "" {
				calls = append(calls, toolCall{tl.Name, with(map[string]any{"case_id": id})})
			}
			continue
		case "get_finding_remediation":
			id := first("search_findings", nil, firstOf("findings", "id"))
			if id != "" {
				calls = append(calls, toolCall{tl.Name, with(map[string]any{"finding_id": id})})
			}
			continue
		case "get_threat_profile":
			id := first("list_threat_profiles", nil, firstOf("profiles", "id"))
			if id != "" {
				calls = append(calls, toolCall{tl.Name, with(map[string]any{"profile_id": id})})
			}
			continue
		case "get_runbook":
			id := first("list_runbooks", nil, firstOf("runbooks", "id"))
			if id != "" {
				calls = append(calls, toolCall{tl.Name, with(map[string]any{"runbook_id": id})})
			}
			continue
		case "get_alert":
			id := first("list_alerts", nil, firstOf("alerts", "id"))
			if id != "" {
				calls = append(calls, toolCall{tl.Name, with(map[string]any{"alert_id": id})})
			}
			continue
		case "generate_operations_review":
			// Its largest: the review of every day the demo holds.
			calls = append(calls, toolCall{tl.Name, largest}, toolCall{tl.Name, map[string]any{"from": "2025-01-01", "to": "2026-03-02"}})
			continue
		case "get_major_incident_status":
			id := first("list_major_incidents", nil, firstOf("incidents", "incident_id"))
			if id != "" {
				calls = append(calls, toolCall{tl.Name, with(map[string]any{"incident_id": id})})
			}
			continue
		}
		calls = append(calls, toolCall{tl.Name, largest})
		if strings.HasPrefix(tl.Name, "list_") || strings.HasPrefix(tl.Name, "get_") || strings.HasPrefix(tl.Name, "search_") {
			calls = append(calls, toolCall{tl.Name, map[string]any{}}) // and its defaults
		}
	}
	if has["add_case_comment"] {
		id := first("list_cases", map[string]any{"status": "open"}, firstOf("cases", "id"))
		inc := first("list_major_incidents", nil, firstOf("incidents", "incident_id"))
		writes = []toolCall{
			{"add_case_comment", map[string]any{"case_id": id, "comment": "checked"}},
			{"set_case_priority", map[string]any{"case_id": id, "priority": "P2"}},
			{"set_case_stage", map[string]any{"case_id": id, "stage": "contained"}},
			{"assign_case", map[string]any{"case_id": id, "assignee": ""}},
			{"declare_major_incident", map[string]any{"case_ids": []string{id}, "severity": "SEV2"}},
			{"close_case", map[string]any{"case_id": id, "disposition": "true_positive", "reason": "done"}},
		}
		if inc != "" {
			writes = append(writes, toolCall{"update_major_incident", map[string]any{"incident_id": inc, "change": "event",
				"event_type": "observation", "text": "seen"}})
		}
		if has["record_runbook_run"] {
			// A store without runbooks (the benchmark fixtures) has nothing to record a run of.
			if rb := first("list_runbooks", nil, firstOf("runbooks", "id")); rb != "" {
				writes = append(writes, toolCall{"record_runbook_run", map[string]any{"case_id": id, "runbook": rb, "run": "r9",
					"completed": []string{"1.1"}}})
			}
		}
	}
	return append(calls, writes...)
}
