package mcp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/store"
)

func TestAnswerBudget(t *testing.T) { engines(t, testAnswerBudget) }

// testAnswerBudget: a list_cases page that would exceed the answer budget
// is cut short with truncated set and a token that continues after the
// last row, so walking the pages still returns every case once, in order.
func testAnswerBudget(t *testing.T, st *store.Store) {
	full := call[ListCasesOut](t, connect(t, Options{Store: st}), "list_cases", nil)
	if full.Truncated || full.NextPageToken != "" || len(full.Cases) < 3 || int64(len(full.Cases)) != full.Total {
		t.Fatalf("default budget: %d of %d cases, truncated %v, next %q", len(full.Cases), full.Total, full.Truncated, full.NextPageToken)
	}

	// Room for exactly the first two rows beside the rest of the answer.
	two := approxTokens(ListCasesOut{Total: full.Total}) + approxTokens(full.Cases[0]) + approxTokens(full.Cases[1]) + 2
	out := call[ListCasesOut](t, connect(t, Options{Store: st, AnswerTokens: two}), "list_cases", nil)
	if len(out.Cases) != 2 || !out.Truncated || out.NextPageToken == "" || out.Total != full.Total ||
		out.Cases[1].ID != full.Cases[1].ID {
		t.Fatalf("budget %d: %d cases, truncated %v, next %q, total %d", two, len(out.Cases), out.Truncated, out.NextPageToken, out.Total)
	}

	// A budget smaller than one row still returns one row per page.
	cs := connect(t, Options{Store: st, AnswerTokens: 1})
	var ids []string
	tok := ""
	for page := 0; ; page++ {
		out := call[ListCasesOut](t, cs, "list_cases", map[string]any{"next_page_token": tok})
		last := len(ids)+1 == len(full.Cases)
		if len(out.Cases) != 1 || out.Truncated == last || (out.NextPageToken == "") != last {
			t.Fatalf("page %d: %d cases, truncated %v, next %q", page, len(out.Cases), out.Truncated, out.NextPageToken)
		}
		ids = append(ids, out.Cases[0].ID)
		if tok = out.NextPageToken; tok == "" {
			break
		}
	}
	for i, c := range full.Cases {
		if ids[i] != c.ID {
			t.Fatalf("paged ids %v differ from one page's at %d (%s)", ids, i, c.ID)
		}
	}
}

func TestAlertAndIoCBudget(t *testing.T) { engines(t, testAlertAndIoCBudget) }

// testAlertAndIoCBudget: get_security_alerts cuts a page at the budget and
// its token continues after the last alert returned;
// get_observable_prevalence, which has no paging, returns the top
// observables that fit and says so.
func testAlertAndIoCBudget(t *testing.T, st *store.Store) {
	alertIDs := func(out GetAlertsOut) string {
		var s []string
		for _, a := range out.Alerts {
			s = append(s, a.ExternalID)
		}
		return strings.Join(s, ",")
	}
	args := map[string]any{"hours_back": 48}
	full := call[GetAlertsOut](t, connect(t, Options{Store: st}), "get_security_alerts", args)
	if full.Truncated || full.NextPageToken != "" || len(full.Alerts) != 5 {
		t.Fatalf("default budget: %s, truncated %v, next %q", alertIDs(full), full.Truncated, full.NextPageToken)
	}
	two := approxTokens(GetAlertsOut{Since: full.Since, AlertsInRange: full.AlertsInRange}) +
		approxTokens(full.Alerts[0]) + approxTokens(full.Alerts[1]) + 2
	cs := connect(t, Options{Store: st, AnswerTokens: two})
	out := call[GetAlertsOut](t, cs, "get_security_alerts", args)
	if alertIDs(out) != "A-5,A-4" || !out.Truncated || out.NextPageToken == "" || out.AlertsInRange != full.AlertsInRange {
		t.Fatalf("budget %d: %s, truncated %v, next %q", two, alertIDs(out), out.Truncated, out.NextPageToken)
	}
	rest := call[GetAlertsOut](t, connect(t, Options{Store: st}), "get_security_alerts",
		map[string]any{"hours_back": 48, "next_page_token": out.NextPageToken})
	if alertIDs(rest) != "A-3,A-2,A-1" || rest.Truncated || rest.NextPageToken != "" {
		t.Fatalf("after the cut: %s, truncated %v, next %q", alertIDs(rest), rest.Truncated, rest.NextPageToken)
	}

	all := call[PrevalenceOut](t, connect(t, Options{Store: st}), "get_observable_prevalence", nil)
	if all.Truncated || len(all.Observables) != 4 {
		t.Fatalf("default budget: %d observables, truncated %v", len(all.Observables), all.Truncated)
	}
	two = approxTokens(PrevalenceOut{Definition: all.Definition, Since: all.Since, AlertsScanned: all.AlertsScanned, Total: all.Total, KPIWindow: all.KPIWindow}) +
		approxTokens(all.Observables[0]) + approxTokens(all.Observables[1]) + 2
	ioc := call[PrevalenceOut](t, connect(t, Options{Store: st, AnswerTokens: two}), "get_observable_prevalence", nil)
	if len(ioc.Observables) != 2 || !ioc.Truncated || ioc.Total != 4 || ioc.AlertsScanned != all.AlertsScanned ||
		ioc.Observables[0].Observable != all.Observables[0].Observable || ioc.Observables[1].Observable != all.Observables[1].Observable {
		t.Fatalf("budget %d: %+v", two, ioc)
	}
	one := call[PrevalenceOut](t, connect(t, Options{Store: st, AnswerTokens: 1}), "get_observable_prevalence", nil)
	if len(one.Observables) != 1 || !one.Truncated {
		t.Fatalf("budget 1: %d observables, truncated %v", len(one.Observables), one.Truncated)
	}
	// Without paging, the schema tells the caller how to narrow the query.
	tools, err := connect(t, Options{Store: st}).ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	schema := ""
	for _, tool := range tools.Tools {
		if tool.Name == "get_observable_prevalence" {
			b, _ := json.Marshal(tool.OutputSchema)
			schema = string(b)
		}
	}
	if !strings.Contains(schema, "lower max_observables or hours_back") {
		t.Fatalf("get_observable_prevalence output schema does not say how to narrow: %s", schema)
	}
}

func TestFitBudget(t *testing.T) {
	items := []int{12345678, 23456789, 34567890} // 8 bytes of JSON each: 2 tokens, 3 with the comma
	for _, tc := range []struct{ budget, base, want int }{
		{100, 0, 3}, {9, 0, 3}, {8, 0, 2}, {6, 0, 2}, {5, 0, 1}, {1, 0, 1}, {10, 4, 2}, {0, 50, 1},
	} {
		if got := fitBudget(tc.budget, tc.base, items); got != tc.want {
			t.Errorf("fitBudget(%d, %d) = %d, want %d", tc.budget, tc.base, got, tc.want)
		}
	}
	// A string is counted as it will be marked: "ab" is 4 bytes, 30 more
	// as {"text":"ab","untrusted":true}: 8 tokens.
	if got := approxTokens("ab"); got != 8 {
		t.Errorf("approxTokens(\"ab\") = %d, want 8", got)
	}
	if got := approxTokens(Text{Untrusted: true, Text: "ab"}); got != 8 {
		t.Errorf("approxTokens(marked \"ab\") = %d, want 8", got)
	}
	if got := fitBudget(10, 0, []string{}); got != 0 {
		t.Errorf("empty list keeps %d", got)
	}
}

// TestFit: an answer over the limit loses rows from the end of its largest
// list first, then of the next, keeps at least one row of each, and says
// what it cut; an answer within the limit is left alone.
func TestFit(t *testing.T) {
	row := func(n int) map[string]any { return map[string]any{"v": strings.Repeat("x", n)} } // {"v":"xx…"}: n+8 bytes
	list := func(k, n int) []any {
		var l []any
		for range k {
			l = append(l, row(n))
		}
		return l
	}
	small := map[string]any{"a": list(3, 2)}
	v, b, err := fit(small, 100)
	if err != nil || string(b) != `{"a":[{"v":"xx"},{"v":"xx"},{"v":"xx"}]}` || v.(map[string]any)["answer_budget"] != nil {
		t.Fatalf("within the limit: %s %v", b, err)
	}
	// big: 10 rows of 100 bytes (1,000 bytes with commas) beside 4 of 20.
	ans := map[string]any{"big": list(10, 92), "small": list(4, 12), "n": 7}
	v, b, err = fit(ans, 700)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 700 {
		t.Fatalf("%d bytes, over 700: %s", len(b), b)
	}
	out := v.(map[string]any)
	note := out["answer_budget"].(*BudgetNote)
	if len(out["big"].([]any)) >= 10 || len(out["small"].([]any)) != 4 || out["n"] != 7 ||
		len(note.Cut) != 1 || note.Cut[0] != (CutList{List: "big", Returned: len(out["big"].([]any)), Total: 10}) ||
		note.Bytes != len(b) || note.LimitBytes != 700 || !strings.Contains(note.How, "next_page_token") {
		t.Fatalf("cut answer %s", b)
	}
	// Nothing fits: every list keeps one row, and the note says so.
	v, b, _ = fit(map[string]any{"big": list(3, 500)}, 100)
	if got := len(v.(map[string]any)["big"].([]any)); got != 1 || !strings.Contains(string(b), `"returned":1,"total":3`) {
		t.Fatalf("one row kept: %s", b)
	}
}

// TestGivenOnce: KPI definitions nested in groups and periods move to one
// map at the top, and the schema says so.
func TestGivenOnce(t *testing.T) {
	kpi := func(k string) map[string]any {
		return map[string]any{"kpi": k, "definition": "def of " + k, "count": 1}
	}
	v := givenOnce(map[string]any{"groups": []any{
		map[string]any{"group": "a", "kpis": []any{kpi("mttr"), kpi("mtta")}},
		map[string]any{"group": "b", "kpis": []any{kpi("mttr")}},
	}})
	b, _ := json.Marshal(v)
	want := `{"definitions_given_once":{"mtta":"def of mtta","mttr":"def of mttr"},"groups":[{"group":"a","kpis":[{"count":1,"kpi":"mttr"},` +
		`{"count":1,"kpi":"mtta"}]},{"group":"b","kpis":[{"count":1,"kpi":"mttr"}]}]}`
	if string(b) != want {
		t.Fatalf("givenOnce = %s\nwant %s", b, want)
	}
	s := givenOnceSchema(map[string]any{"type": "object", "properties": map[string]any{"groups": map[string]any{"type": "array",
		"items": map[string]any{"type": "object", "properties": map[string]any{"kpis": map[string]any{"type": "array",
			"items": map[string]any{"type": "object", "required": []any{"kpi", "definition"},
				"properties": map[string]any{"kpi": map[string]any{"type": "string"}, "definition": map[string]any{"type": "string"}}}}}}}}})
	b, _ = json.Marshal(s)
	if strings.Contains(string(b), `"definition"`) || !strings.Contains(string(b), `"definitions_given_once"`) {
		t.Fatalf("schema = %s", b)
	}
}
