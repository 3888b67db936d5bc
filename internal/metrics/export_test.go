package metrics

// DayByDay returns an engine that adds a window's alert days one by one,
// never through spans of days: the oracle of spans.
func DayByDay(st Store) *Engine { return &Engine{Store: st, noSpans: true} }
