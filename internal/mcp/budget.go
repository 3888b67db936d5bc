package mcp

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The answer budget. Every answer leaves the server through one path
// (server.guard, after marking): definitions repeated inside it are given
// once, at the top, and an answer still larger than the budget has its
// largest lists cut from the end until it fits, with an "answer_budget"
// object saying which lists were cut, how long they were and how to get
// the rest. Paged list tools fit their pages to the budget themselves
// (fitBudget), so their next_page_token continues after the last row
// returned; the cut is the backstop that holds for every tool, including
// tools added later.

// DefaultAnswerTokens is the token budget of one answer when
// Options.AnswerTokens is unset: 6000 tokens, counted as UTF-8 bytes of
// the answer's JSON ÷ 4, so 24,000 bytes of text.
const DefaultAnswerTokens = 6000

// markOverhead is what marking adds to one string at most:
// {"text":…,"untrusted":true} around it.
const markOverhead = len(`{"text":,"untrusted":true}`)

// approxTokens estimates the tokens of v as the answer will carry it:
// UTF-8 bytes of its JSON with every string marked, ÷ 4, rounded up. It
// errs high (strings Watchfloor keeps bare are counted marked) so a page
// fitted with it is never cut again.
func approxTokens(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return (len(b) + 3) / 4
	}
	return (len(b) + markOverhead*countStrings(x) + 3) / 4
}

func countStrings(v any) int {
	switch x := v.(type) {
	case string:
		return 1
	case []any:
		n := 0
		for _, e := range x {
			n += countStrings(e)
		}
		return n
	case map[string]any:
		if x["untrusted"] == true {
			return 0 // marked already
		}
		n := 0
		for _, e := range x {
			n += countStrings(e)
		}
		return n
	}
	return 0
}

// answerTokens is the server's per-answer budget.
func (s *server) answerTokens() int {
	if s.opts.AnswerTokens > 0 {
		return s.opts.AnswerTokens
	}
	return DefaultAnswerTokens
}

// answerBytes is the budget in bytes of answer text.
func (s *server) answerBytes() int { return s.answerTokens() * 4 }

// fitBudget returns how many of items, in order, fit in budget tokens
// beside base (the tokens of the answer without them). At least one is
// kept, so a paged list always moves on.
func fitBudget[T any](budget, base int, items []T) int {
	used := base
	for i := range items {
		used += approxTokens(items[i]) + 1 // and a separating comma, rounded up
		if used > budget && i > 0 {
			return i
		}
	}
	return len(items)
}

// Names of what the budget adds to answers.
const (
	budgetKey      = "answer_budget"
	definitionsKey = "definitions_given_once"
)

// BudgetNote is the "answer_budget" object of an answer that was cut.
type BudgetNote struct {
	LimitBytes int       `json:"limit_bytes"`
	Bytes      int       `json:"bytes" jsonschema:"the answer's size after the cut"`
	Cut        []CutList `json:"cut"`
	How        string    `json:"how" jsonschema:"how to get what was cut"`
}

// CutList is one list the budget shortened.
type CutList struct {
	List     string `json:"list" jsonschema:"where the list is in the answer, e.g. groups or groups[2].kpis"`
	Returned int    `json:"returned"`
	Total    int    `json:"total" jsonschema:"its length before the cut"`
}

const cutHow = "lists are cut from the end, so the rows the tool ranks first are kept: ask again with fewer rows " +
	"(the max_*, limit or page_size argument), a shorter timeframe or from/to window, fewer include_* parts or without trend; " +
	"a list tool's next_page_token continues after its last row returned"

// givenOnce moves every definition nested in an answer (a "definition"
// beside a "kpi", as every KPI summary carries one) to one map at the top,
// keyed by the KPI, so a grouped or trended answer states each once.
func givenOnce(v any) any {
	root, ok := v.(map[string]any)
	if !ok {
		return v
	}
	defs := map[string]any{}
	var walk func(x any)
	walk = func(x any) {
		switch y := x.(type) {
		case []any:
			for _, e := range y {
				walk(e)
			}
		case map[string]any:
			if y["untrusted"] == true {
				return
			}
			if k, ok := y["kpi"].(string); ok {
				if d, ok := y["definition"].(string); ok {
					defs[k] = d
					delete(y, "definition")
				}
			}
			for _, e := range y {
				walk(e)
			}
		}
	}
	for k, e := range root {
		if k != definitionsKey {
			walk(e)
		}
	}
	if len(defs) > 0 {
		root[definitionsKey] = defs
	}
	return root
}

// givenOnceSchema rewrites a schema for givenOnce: nested KPI summaries
// lose their definition, the top gains the map.
func givenOnceSchema(s map[string]any) map[string]any {
	found := false
	var walk func(x map[string]any)
	walk = func(x map[string]any) {
		if x == nil {
			return
		}
		if it, ok := x["items"].(map[string]any); ok {
			walk(it)
		}
		if ap, ok := x["additionalProperties"].(map[string]any); ok {
			walk(ap)
		}
		props, _ := x["properties"].(map[string]any)
		if props == nil {
			return
		}
		if _, k := props["kpi"]; k {
			if _, d := props["definition"]; d {
				found = true
				np := make(map[string]any, len(props))
				for n, p := range props {
					if n != "definition" {
						np[n] = p
					}
				}
				x["properties"] = np
				props = np
				if req, ok := x["required"].([]any); ok {
					x["required"] = slices.DeleteFunc(slices.Clone(req), func(r any) bool { return r == "definition" })
				}
			}
		}
		for _, p := range props {
			if pm, ok := p.(map[string]any); ok {
				walk(pm)
			}
		}
	}
	props, _ := s["properties"].(map[string]any)
	for _, p := range props {
		if pm, ok := p.(map[string]any); ok {
			walk(pm)
		}
	}
	if found && props != nil {
		props[definitionsKey] = map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"},
			"description": "each KPI's definition, given once for the whole answer"}
	}
	return s
}

// budgetSchema adds the budget note to a tool's output schema.
func budgetSchema(s map[string]any) map[string]any {
	props, _ := s["properties"].(map[string]any)
	if props == nil {
		return s
	}
	props[budgetKey] = map[string]any{"type": "object",
		"description": "set when the answer was cut to its size budget: limit_bytes, bytes, cut (list, returned, total), how"}
	return s
}

// fit cuts an answer's largest lists until its JSON is within limit
// bytes; it returns the answer and its JSON.
func fit(v any, limit int) (any, []byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the answer: %w", err)
	}
	root, ok := v.(map[string]any)
	if len(b) <= limit || !ok {
		return v, b, nil
	}
	note := &BudgetNote{LimitBytes: limit, How: cutHow}
	root[budgetKey] = note
	totals := map[string]int{}
	// refresh writes the cuts so far, and the size, into the note.
	refresh := func() error {
		note.Cut = note.Cut[:0]
		for path, total := range totals {
			if n := lenAt(root, path); n > 0 { // 0: its row went in a later cut
				note.Cut = append(note.Cut, CutList{List: path, Returned: n, Total: total})
			}
		}
		slices.SortFunc(note.Cut, func(a, b CutList) int { return strings.Compare(a.List, b.List) })
		for range 3 { // the note's own size settles
			if b, err = json.Marshal(root); err != nil {
				return fmt.Errorf("encoding the answer: %w", err)
			}
			note.Bytes = len(b)
		}
		return nil
	}
	for range 256 {
		if err := refresh(); err != nil {
			return nil, nil, err
		}
		over := len(b) - limit
		if over <= 0 {
			break
		}
		path, l, set := largestList(root)
		if l == nil {
			break // nothing left to cut: one row of each list
		}
		if _, ok := totals[path]; !ok {
			totals[path] = len(l)
		}
		// Drop rows from the end until the excess is gone, or half the
		// list, so cuts spread over the large lists; one row is kept.
		lb, _ := json.Marshal(l)
		target := min(over+64, max(len(lb)/2, 1)) // 64: room for the note's new entry
		keep, freed := len(l), 0
		for keep > 1 && freed < target {
			keep--
			eb, _ := json.Marshal(l[keep])
			freed += len(eb) + 1
		}
		set(l[:keep])
	}
	b, err = json.Marshal(root)
	return root, b, err
}

// largestList finds the list to cut next: the one with more than one row
// whose JSON, less its first row, is largest, a short list (five rows or
// fewer: shifts, queues) weighing half, so long lists of detail go before
// the few rows an answer is built around. It returns a function that
// replaces the list in the answer.
func largestList(root map[string]any) (string, []any, func([]any)) {
	var bestPath string
	var best []any
	var bestSet func([]any)
	bestSize := 0
	var walk func(x any, p string, set func([]any))
	walk = func(x any, p string, set func([]any)) {
		switch y := x.(type) {
		case []any:
			if len(y) > 1 {
				b, _ := json.Marshal(y)
				score := len(b) * (len(y) - 1) / len(y)
				if len(y) <= 5 {
					score /= 2
				}
				if score > bestSize {
					bestPath, best, bestSet, bestSize = p, y, set, score
				}
			}
			for i, e := range y {
				walk(e, p+"["+strconv.Itoa(i)+"]", func(n []any) { y[i] = n })
			}
		case map[string]any:
			if y["untrusted"] == true {
				return
			}
			for k, e := range y {
				if p == "" && k == budgetKey {
					continue
				}
				q := k
				if p != "" {
					q = p + "." + k
				}
				walk(e, q, func(n []any) { y[k] = n })
			}
		}
	}
	walk(root, "", nil)
	return bestPath, best, bestSet
}

// lenAt returns the length of the list at path.
func lenAt(v any, path string) int {
	var n int
	var walk func(x any, p string)
	walk = func(x any, p string) {
		switch y := x.(type) {
		case []any:
			if p == path {
				n = len(y)
				return
			}
			for i, e := range y {
				walk(e, p+"["+strconv.Itoa(i)+"]")
			}
		case map[string]any:
			for k, e := range y {
				q := k
				if p != "" {
					q = p + "." + k
				}
				walk(e, q)
			}
		}
	}
	walk(v, "")
	return n
}
