package metrics

import (
	"fmt"
	"time"
)

// Timeframe is a reporting period length.
type Timeframe string

// The timeframes.
const (
	Daily     Timeframe = "daily"
	Weekly    Timeframe = "weekly"
	Monthly   Timeframe = "monthly"
	Quarterly Timeframe = "quarterly"
)

// Timeframes lists the accepted --timeframe values.
var Timeframes = []Timeframe{Daily, Weekly, Monthly, Quarterly}

// ParseTimeframe checks a timeframe name.
func ParseTimeframe(s string) (Timeframe, error) {
	for _, t := range Timeframes {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown timeframe %q (want daily, weekly, monthly or quarterly)", s)
}

// Days is the default window length of a timeframe: the report covers the
// current period and, with --trend-analysis, is compared with the one before.
func (t Timeframe) Days() int {
	switch t {
	case Daily:
		return 1
	case Weekly:
		return 7
	case Monthly:
		return 30
	case Quarterly:
		return 90
	}
	return 30
}

// Key names the period a local day belongs to: "2026-11-26", an ISO week
// "2026-W48" (numbered with the ISO year, so 2024-12-30 is in 2025-W01),
// "2026-11" or "2026-Q4".
func (t Timeframe) Key(d time.Time) string {
	switch t {
	case Weekly:
		y, w := d.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case Monthly:
		return d.Format("2006-01")
	case Quarterly:
		return fmt.Sprintf("%04d-Q%d", d.Year(), (int(d.Month())-1)/3+1)
	}
	return d.Format("2006-01-02")
}

// Bounds returns the period of this timeframe that local day d belongs to,
// as its first day and the day after its last (in d's location).
func (t Timeframe) Bounds(d time.Time) (from, to time.Time) {
	y, m, dd := d.Date()
	loc := d.Location()
	switch t {
	case Weekly:
		// ISO weeks start on Monday.
		back := (int(d.Weekday()) + 6) % 7
		from = time.Date(y, m, dd-back, 0, 0, 0, 0, loc)
		return from, from.AddDate(0, 0, 7)
	case Monthly:
		from = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		return from, from.AddDate(0, 1, 0)
	case Quarterly:
		from = time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, loc)
		return from, from.AddDate(0, 3, 0)
	}
	from = time.Date(y, m, dd, 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 0, 1)
}

// Period is one row of a trend series. A period is Partial when the
// series covers only some of its days (Days of them), or when it is still
// running at the report's "now": its figures are not comparable with the
// whole periods beside it.
type Period struct {
	Period  string      `json:"period"`
	From    string      `json:"from"`
	To      string      `json:"to"` // last day included
	Days    int         `json:"days"`
	Partial bool        `json:"partial"`
	Result  GroupResult `json:"result"`
}

// series buckets the window's days into periods of the request's
// timeframe: every period the window touches, in order, those without
// data included (their figures are null).
func series(req Request, days map[int64]CaseDay) []Period {
	w := req.Window
	var out []Period
	byKey := map[string]int{}
	for d := w.From; d.Before(w.To); d = d.AddDate(0, 0, 1) {
		k := req.Series.Key(d)
		i, ok := byKey[k]
		if !ok {
			from, to := req.Series.Bounds(d)
			i = len(out)
			byKey[k] = i
			out = append(out, Period{Period: k, From: d.Format(time.DateOnly),
				Partial: from.Before(w.From) || to.After(w.To) || to.After(req.Now)})
		}
		out[i].To = d.Format(time.DateOnly)
		out[i].Days++
	}
	merged := make([]CaseDay, len(out))
	for _, d := range sortedKeys(days) {
		i, ok := byKey[req.Series.Key(dayStart(d, w.From.Location()))]
		if !ok {
			continue
		}
		if merged[i] == nil {
			merged[i] = CaseDay{}
		}
		merged[i].merge(CaseDay{ByAll: days[d][ByAll]})
	}
	for i := range out {
		g := merged[i][ByAll][""]
		if g == nil {
			g = newGroup()
		}
		out[i].Result = g.result("all", req.IncludeTests, req.Now)
	}
	return out
}
