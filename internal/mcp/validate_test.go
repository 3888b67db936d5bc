package mcp

import (
	"context"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestEveryToolValidates: for every tool, unknown enum values, values no
// stored record has, out-of-range numbers and malformed times are refused
// with a tool error that names the argument, never answered with an empty
// or defaulted result. The table must hold every listed tool.
func TestEveryToolValidates(t *testing.T) {
	st := fullDemoStore(t, 7, 100)
	cs := connect(t, Options{Store: st, AllowWrites: true, Auditor: &memAuditor{}, Budget: testBudget, Now: func() time.Time { return demoEnd }})
	rb := call[ListRunbooksOut](t, cs, "list_runbooks", map[string]any{"max_results": 1})
	if len(rb.Runbooks) == 0 {
		t.Fatal("the demo has no runbook")
	}
	runbookID := rb.Runbooks[0].ID
	mi := call[IncidentStatusOut](t, cs, "declare_major_incident", map[string]any{"title": "t", "severity": "SEV2", "case_ids": []string{"1"}})
	table := map[string][]struct {
		args map[string]any
		want string
	}{
		"list_cases": {
			{map[string]any{"stage": "done-ish"}, `invalid argument: stage "done-ish": want one of new, triage`},
			{map[string]any{"priority": "P9"}, `invalid argument: priority "P9"`},
			{map[string]any{"status": "Nope"}, `invalid argument: status "Nope": want one of open, closed`},
			{map[string]any{"assignee": "zed"}, `invalid argument: assignee "zed": no case has it`},
			{map[string]any{"order_by": "random"}, `invalid argument: order_by "random"`},
			{map[string]any{"created_after": "2026-03-01", "created_before": "2026-02-01"}, "invalid argument: created_before 2026-02-01 is not after created_after"},
			{map[string]any{"page_size": 101}, "invalid argument: page_size 101: at most 100"},
		},
		"get_case_full_details": {{map[string]any{"case_id": "x y"}, `invalid argument: case_id "x y"`}},
		"get_security_alerts": {
			{map[string]any{"status_filter": "pending-ish"}, `invalid argument: status_filter "pending-ish": want open, closed`},
			{map[string]any{"severity": "huge"}, "invalid argument: severity"},
			{map[string]any{"hours_back": 9000}, "invalid argument: hours_back 9000: at most 8784"},
			{map[string]any{"max_alerts": -1}, "invalid argument: max_alerts -1"},
		},
		"list_alerts": {
			{map[string]any{"severity": "huge"}, `invalid argument: severity "huge"`},
			{map[string]any{"disposition": "maybe"}, `invalid argument: disposition "maybe"`},
			{map[string]any{"since": "soon"}, `invalid argument: since "soon"`},
			{map[string]any{"page_size": 101}, "invalid argument: page_size 101: at most 100"},
		},
		"get_alert":                 {{map[string]any{"alert_id": "x y"}, `invalid argument: alert_id "x y"`}},
		"get_ioc_matches":           {{map[string]any{"type": "ipv9"}, `invalid argument: type "ipv9"`}, {map[string]any{"min_confidence": 101}, "invalid argument: min_confidence 101"}},
		"get_observable_prevalence": {{map[string]any{"hours_back": 9000}, "invalid argument: hours_back 9000: at most 8784"}, {map[string]any{"max_observables": 101}, "at most 100"}},
		"top_vulnerability_findings": {
			{map[string]any{"state": "sleeping"}, `invalid argument: state "sleeping": want active, inactive, all, or a stored source status`},
			{map[string]any{"severity": "huge"}, "invalid argument: severity"},
		},
		"search_findings": {
			{map[string]any{"finding_class": "misconfig"}, `invalid argument: finding_class "misconfig"`},
			{map[string]any{"state": "sleeping"}, `invalid argument: state "sleeping"`},
			{map[string]any{"page_size": 101}, "at most 100"},
		},
		"get_finding_remediation":   {{map[string]any{"finding_id": "x"}, `invalid argument: finding_id "x"`}, {map[string]any{}, "invalid argument: give finding_id"}},
		"list_major_incidents":      {{map[string]any{"page_size": 101}, "invalid argument: page_size 101: at most 100"}},
		"get_major_incident_status": {{map[string]any{"incident_id": "INC"}, `invalid argument: incident "INC"`}},
		"list_threat_profiles": {
			{map[string]any{"kind": "alien"}, `invalid argument: kind "alien"`},
			{map[string]any{"days_back": 4000}, "invalid argument: days_back 4000: at most 3660"},
			{map[string]any{"limit": 51}, "at most 50"},
		},
		"get_threat_profile": {{map[string]any{"profile_id": "G0007", "days_back": 4000}, "invalid argument: days_back 4000: at most 3660"}},
		"get_soc_dashboard":  {{map[string]any{"max_items": 51}, "invalid argument: max_items 51: at most 50"}},
		"get_soc_metrics": {
			{map[string]any{"timeframe": "yearly"}, `validating "arguments": validating root: validating /properties/timeframe: enum: yearly does not equal any of`},
			{map[string]any{"group_by": "colour"}, "/properties/group_by: enum: colour does not equal any of"},
		},
		"list_sla_breaches":    {{map[string]any{"max_results": 101}, "invalid argument: max_results 101: at most 100"}},
		"get_analyst_workload": {{map[string]any{"max_analysts": 201}, "invalid argument: max_analysts 201: at most 200"}},
		"get_noisy_rules":      {{map[string]any{"timeframe": "yearly"}, `invalid argument: timeframe: unknown timeframe "yearly"`}, {map[string]any{"max_rules": 101}, "at most 100"}},
		"list_runbooks":        {{map[string]any{"type": "recipe"}, `invalid argument: type "recipe": want one of`}, {map[string]any{"max_results": 201}, "at most 200"}},
		"get_runbook":          {{map[string]any{"runbook_id": "nope"}, `invalid argument: runbook "nope" is not in the registry`}},
		"get_runbook_metrics": {
			{map[string]any{"timeframe": "yearly"}, `invalid argument: timeframe: unknown timeframe "yearly"`},
			{map[string]any{"runbook_id": "nope"}, `invalid argument: runbook "nope" is not in the registry`},
			{map[string]any{"max_improvements": 101}, "at most 100"},
		},
		"get_technology_health": {{map[string]any{"last": "a while"}, `invalid argument: last "a while"`}, {map[string]any{"max_rules": 201}, "at most 200"}},
		"get_detection_coverage": {
			{map[string]any{"timeframe": "yearly"}, `invalid argument: timeframe: unknown timeframe "yearly"`},
			{map[string]any{"tactic": "TA9999"}, `invalid argument: tactic "TA9999" is not an ATT&CK tactic`},
			{map[string]any{"technique": "T9999"}, `invalid argument: technique "T9999"`},
			{map[string]any{"max_techniques": 201}, "at most 200"},
		},
		"plan_staffing": {
			{map[string]any{"answer_within": "soon"}, `invalid argument: answer_within "soon"`},
			{map[string]any{"target_service_level": 1.5}, "invalid argument: target_service_level 1.5"},
			{map[string]any{"history_weeks": 53}, "invalid argument: history_weeks 53"},
		},
		"plan_budget":                {{map[string]any{"history_weeks": 53}, "invalid argument: history_weeks 53"}, {map[string]any{"scenarios": []string{"magic"}}, `invalid argument: scenario "magic"`}},
		"assess_team_skills":         {{map[string]any{"history_days": 367}, "invalid argument: history_days 367"}, {map[string]any{"max_plan_items": 101}, "at most 100"}},
		"generate_executive_report":  {{map[string]any{"period": "decade"}, `invalid argument: period: "decade" is not one of week, month, quarter`}},
		"generate_operations_review": {{map[string]any{"from": "2026-03-02", "to": "2026-02-02"}, "invalid argument: to 2026-02-02 is before from 2026-03-02"}},
		"generate_shift_handover":    {{map[string]any{"day": "Monday"}, `invalid argument: day "Monday"`}},
		"develop_soc_roadmap": {
			{map[string]any{"horizon": "forever"}, `invalid argument: horizon "forever"`},
			{map[string]any{"timeframe": "daily"}, `invalid argument: timeframe "daily": want monthly or quarterly`},
		},
		"assign_case":       {{map[string]any{"case_id": "1", "assignee": "zed"}, `invalid argument: assignee "zed" is not an analyst on the roster`}},
		"set_case_priority": {{map[string]any{"case_id": "1", "priority": "P9"}, `invalid argument: priority "P9"`}},
		"set_case_stage":    {{map[string]any{"case_id": "1", "stage": "done-ish"}, "invalid argument: stage"}},
		"add_case_comment":  {{map[string]any{"case_id": "1", "comment": " "}, "invalid argument: comment is empty"}},
		"close_case":        {{map[string]any{"case_id": "1", "disposition": "maybe", "reason": "r"}, `invalid argument: disposition "maybe"`}},
		"declare_major_incident": {
			{map[string]any{"title": "t", "severity": "SEV9"}, `invalid argument: unknown severity "SEV9"`},
			{map[string]any{"title": "t", "severity": "SEV1", "regimes": []string{"mars"}}, `invalid argument: unknown regime "mars" (known: gdpr`},
			{map[string]any{"title": "t", "severity": "SEV1", "aware_at": "soon"}, `invalid argument: aware_at "soon"`},
		},
		"update_major_incident": {
			{map[string]any{"incident_id": mi.IncidentID, "change": "rename"}, `invalid argument: change "rename"`},
			{map[string]any{"incident_id": mi.IncidentID, "change": "event", "event_type": "party"}, `unknown event type "party" (want one of`},
		},
		"record_runbook_run": {
			{map[string]any{"case_id": "1", "runbook": runbookID, "run": "r1", "outcome": "great"}, `invalid argument: outcome "great"`},
			{map[string]any{"case_id": "1", "runbook": runbookID, "run": "r1", "started_at": "soon"}, `invalid argument: started_at "soon"`},
		},
	}
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.Tools {
		if _, ok := table[tool.Name]; !ok {
			t.Errorf("%s: no invalid arguments in the table", tool.Name)
		}
	}
	for tool, cases := range table {
		for _, tc := range cases {
			res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: tool, Arguments: tc.args})
			if err != nil {
				t.Errorf("%s %v: protocol error %v, want a tool error", tool, tc.args, err)
				continue
			}
			if !res.IsError || !strings.Contains(text(res), tc.want) {
				t.Errorf("%s %v: isError %v %q, want %q", tool, tc.args, res.IsError, text(res), tc.want)
			}
		}
	}
}
