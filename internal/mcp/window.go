package mcp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// maxWindowDays is the longest explicit window a KPI tool measures.
const maxWindowDays = 3660

// WindowArgs are the from and to every KPI tool takes (see parseWindow).
type WindowArgs struct {
	From string `json:"from,omitempty" jsonschema:"first day (see instructions); with to"`
	To   string `json:"to,omitempty" jsonschema:"last day, included; with from"`
}

// window is an explicit window a caller asked for: whole days in the
// organisation's time zone, To excluded.
type window struct {
	metrics.Window
	// Query is the same window as first and last day, for the services
	// that take a metrics.WindowQuery.
	Query metrics.WindowQuery
}

// parseWindow reads a KPI tool's from and to, the one way every KPI tool
// does: both or neither; each a YYYY-MM-DD day in loc or an RFC 3339 time
// (the day it falls on in loc); to is the last day included and may not be
// before from (two RFC 3339 times must be in order); at most maxWindowDays.
// It reports false when neither is given.
func parseWindow(from, to string, loc *time.Location) (window, bool, error) {
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	if from == "" && to == "" {
		return window{}, false, nil
	}
	// day reads one end: its day, and the instant when one was given.
	day := func(name, v string) (time.Time, *time.Time, error) {
		if v == "" {
			return time.Time{}, nil, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			y, m, d := t.In(loc).Date()
			return time.Date(y, m, d, 0, 0, 0, 0, loc), &t, nil
		}
		d, err := time.ParseInLocation(time.DateOnly, v, loc)
		var pe *time.ParseError
		switch {
		case err == nil:
			return d, nil, nil
		case errors.As(err, &pe) && pe.Message != "":
			// A well-formed but impossible day: say why (": day out of range").
			return d, nil, argError("%s %q is not a day (%s): want YYYY-MM-DD or an RFC 3339 time", name, v, strings.TrimPrefix(pe.Message, ": "))
		default:
			return d, nil, argError("%s %q: want YYYY-MM-DD or an RFC 3339 time", name, v)
		}
	}
	// Each given end is checked first, so a mistyped one is named even
	// when its partner is missing.
	f, fAt, err := day("from", from)
	if err != nil {
		return window{}, false, err
	}
	t, tAt, err := day("to", to)
	if err != nil {
		return window{}, false, err
	}
	if from == "" || to == "" {
		return window{}, false, argError("from and to go together: give both (YYYY-MM-DD or RFC 3339), or neither for the default window")
	}
	if t.Before(f) || (fAt != nil && tAt != nil && !tAt.After(*fAt)) {
		return window{}, false, argError("to %s is before from %s: the window must run forward", to, from)
	}
	if y := f.Year(); y < 1970 || t.Year() > 9999 {
		return window{}, false, argError("from %s: want a day from 1970 on", from)
	}
	end := t.AddDate(0, 0, 1)
	if n := (metrics.Window{From: f, To: end}).Days(); n > maxWindowDays {
		return window{}, false, argError("from %s to %s is %d days: at most %d", from, to, n, maxWindowDays)
	}
	return window{Window: metrics.Window{From: f, To: end},
		Query: metrics.WindowQuery{From: f.Format(time.DateOnly), To: t.Format(time.DateOnly)}}, true, nil
}

// windowQuery turns a tool's timeframe and optional from/to into the
// report service's window query.
func (s *server) windowQuery(ctx context.Context, timeframe, from, to string) (metrics.WindowQuery, error) {
	loc, err := s.st.TimeZone(ctx)
	if err != nil {
		return metrics.WindowQuery{}, err
	}
	w, ok, err := parseWindow(from, to, loc)
	if err != nil || !ok {
		return metrics.WindowQuery{Timeframe: timeframe}, err
	}
	w.Query.Timeframe = timeframe
	return w.Query, nil
}

// KPIWindow is what every KPI answer measured and what it stands on: the
// window, its time zone, how fresh the data is, and whether the window is
// complete.
type KPIWindow struct {
	From        string   `json:"from" jsonschema:"first day measured (YYYY-MM-DD, time_zone); for windows in hours the first instant (RFC 3339)"`
	To          string   `json:"to" jsonschema:"last day measured, included; for windows in hours the instant it ends (excluded)"`
	TimeZone    string   `json:"time_zone"`
	DataThrough string   `json:"data_through" jsonschema:"creation time of the newest alert or case not dated in the future: how fresh the data is; empty for an empty store"`
	Partial     bool     `json:"partial" jsonschema:"true when the window runs past the newest data or into the future: its figures are not final"`
	Reasons     []string `json:"partial_reasons" jsonschema:"why the window is partial"`
}

// kpiWindow describes w (To excluded) judged at now, with the data's
// freshness through.
func kpiWindow(w metrics.Window, through, now time.Time) KPIWindow {
	k := KPIWindow{From: w.From.Format(time.DateOnly), To: w.To.AddDate(0, 0, -1).Format(time.DateOnly), TimeZone: w.From.Location().String()}
	k.judge(w.From, w.To, through, now)
	return k
}

// kpiSpan describes a window of instants [since, until), as the tools
// windowed in hours measure.
func kpiSpan(since, until, through, now time.Time, loc *time.Location) KPIWindow {
	k := KPIWindow{From: ts(since), To: ts(until), TimeZone: loc.String()}
	k.judge(since, until, through, now)
	return k
}

// judge says whether [start, end) is complete at now with data through.
func (k *KPIWindow) judge(start, end, through, now time.Time) {
	k.DataThrough, k.Reasons = ts(through), []string{}
	if end.After(now.Add(time.Second)) {
		k.Reasons = append(k.Reasons, fmt.Sprintf("the window ends %s, after now (%s): it is still running", ts(end), ts(now)))
	}
	switch {
	case through.IsZero():
		k.Reasons = append(k.Reasons, "the store holds no alert or case")
	case through.Before(start):
		k.Reasons = append(k.Reasons, fmt.Sprintf("the newest data (%s) is older than the window: nothing in it was measured", ts(through)))
	case end.After(through.Add(time.Second)):
		k.Reasons = append(k.Reasons, fmt.Sprintf("the window runs past the newest data (%s)", ts(through)))
	}
	k.Partial = len(k.Reasons) > 0
}

// dataThrough is when the newest alert or case not dated in the future
// was created.
func (s *server) dataThrough(ctx context.Context) (time.Time, error) {
	return s.st.NewestRecord(ctx, s.opts.Now().Add(metrics.FutureSkew))
}

// kpiWindowOf describes w for an answer whose service did not report the
// data's freshness.
func (s *server) kpiWindowOf(ctx context.Context, w metrics.Window) (KPIWindow, error) {
	through, err := s.dataThrough(ctx)
	if err != nil {
		return KPIWindow{}, err
	}
	return kpiWindow(w, through, s.opts.Now()), nil
}

// dayWindow is the window of whole days in loc holding [from, to).
func dayWindow(from, to time.Time, loc *time.Location) metrics.Window {
	day := func(t time.Time) time.Time {
		y, m, d := t.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	end := day(to.Add(-time.Nanosecond)).AddDate(0, 0, 1)
	return metrics.Window{From: day(from), To: end}
}

// markPartialPeriods flags the series periods that run past the newest
// data (the service flags those still running at now).
func markPartialPeriods(ps []metrics.Period, through time.Time, loc *time.Location) {
	for i := range ps {
		last, err := time.ParseInLocation(time.DateOnly, ps[i].To, loc)
		if err != nil {
			continue
		}
		if through.IsZero() || last.AddDate(0, 0, 1).After(through.Add(time.Second)) {
			ps[i].Partial = true
		}
	}
}

// dayQuery is a resolved window as the explicit days of a window query,
// so a second service measures the very same days.
func dayQuery(w metrics.Window) metrics.WindowQuery {
	return metrics.WindowQuery{From: w.From.Format(time.DateOnly), To: w.To.AddDate(0, 0, -1).Format(time.DateOnly)}
}

// reportWindow is the window of a report's first and last day.
func (s *server) reportWindow(ctx context.Context, from, to string) (metrics.Window, error) {
	loc, err := s.st.TimeZone(ctx)
	if err != nil {
		return metrics.Window{}, err
	}
	f, err := time.ParseInLocation(time.DateOnly, from, loc)
	if err != nil {
		return metrics.Window{}, fmt.Errorf("report window %q: %w", from, err)
	}
	t, err := time.ParseInLocation(time.DateOnly, to, loc)
	if err != nil {
		return metrics.Window{}, fmt.Errorf("report window %q: %w", to, err)
	}
	return metrics.Window{From: f, To: t.AddDate(0, 0, 1)}, nil
}

// resolve resolves a KPI tool's window: from and to when given, else the
// timeframe's (def when empty) default window.
func (s *server) resolve(ctx context.Context, timeframe string, def metrics.Timeframe, wa WindowArgs) (metrics.Resolved, error) {
	if timeframe == "" {
		timeframe = string(def)
	}
	wq, err := s.windowQuery(ctx, timeframe, wa.From, wa.To)
	if err != nil {
		return metrics.Resolved{}, err
	}
	res, err := s.svc.Resolve(ctx, wq)
	return res, toolArgError(err)
}

// explicitDays reads from and to as the first and last day of a window
// query; both empty when neither is given.
func (s *server) explicitDays(ctx context.Context, wa WindowArgs) (metrics.WindowQuery, error) {
	loc, err := s.st.TimeZone(ctx)
	if err != nil {
		return metrics.WindowQuery{}, err
	}
	w, _, err := parseWindow(wa.From, wa.To, loc)
	return w.Query, err
}
