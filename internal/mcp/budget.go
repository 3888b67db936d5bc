package mcp

import "encoding/json"

// DefaultAnswerTokens is the approximate token budget of one answer when
// Options.AnswerTokens is unset.
const DefaultAnswerTokens = 8000

// approxTokens estimates the tokens of v as JSON: UTF-8 bytes ÷ 4, rounded up.
func approxTokens(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return (len(b) + 3) / 4
}

// answerTokens is the server's per-answer budget.
func (s *server) answerTokens() int {
	if s.opts.AnswerTokens > 0 {
		return s.opts.AnswerTokens
	}
	return DefaultAnswerTokens
}

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
