package metrics

import (
	"fmt"
	"sort"
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

// Period is one row of a trend series.
type Period struct {
	Period string      `json:"period"`
	Result GroupResult `json:"result"`
}

// series buckets the window's days into periods of the request's timeframe.
func series(req Request, days map[int64]CaseDay) []Period {
	loc := req.Window.From.Location()
	byKey := map[string]CaseDay{}
	for d, cd := range days {
		k := req.Series.Key(dayStart(d, loc))
		if byKey[k] == nil {
			byKey[k] = CaseDay{}
		}
		byKey[k].merge(CaseDay{ByAll: cd[ByAll]})
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Period, 0, len(keys))
	for _, k := range keys {
		g := byKey[k][ByAll][""]
		if g == nil {
			g = newGroup()
		}
		out = append(out, Period{Period: k, Result: g.result("all", req.IncludeTests)})
	}
	return out
}
