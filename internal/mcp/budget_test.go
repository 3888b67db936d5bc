package mcp

import (
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
	if len(out.Cases) != 2 || !out.Truncated || out.NextPageToken != pageToken("cases", 2) || out.Total != full.Total ||
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

func TestFitBudget(t *testing.T) {
	items := []string{"aaaaaa", "bbbbbb", "cccccc"} // 8 bytes of JSON each: 2 tokens, 3 with the comma
	for _, tc := range []struct{ budget, base, want int }{
		{100, 0, 3}, {9, 0, 3}, {8, 0, 2}, {6, 0, 2}, {5, 0, 1}, {1, 0, 1}, {10, 4, 2}, {0, 50, 1},
	} {
		if got := fitBudget(tc.budget, tc.base, items); got != tc.want {
			t.Errorf("fitBudget(%d, %d) = %d, want %d", tc.budget, tc.base, got, tc.want)
		}
	}
	if got := fitBudget(10, 0, []string{}); got != 0 {
		t.Errorf("empty list keeps %d", got)
	}
}
