package metrics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// ServiceStore is what the report service reads; *store.Store implements
// it.
type ServiceStore interface {
	Store
	DashboardStore
	// NewestRecord is when the newest alert or case created at or before
	// notAfter was created (zero when there is none).
	NewestRecord(ctx context.Context, notAfter time.Time) (time.Time, error)
	// FutureRecords counts the alerts and cases created after after.
	FutureRecords(ctx context.Context, after time.Time) (store.FutureDated, error)
	// SLAPolicies returns every stored SLA policy version.
	SLAPolicies(ctx context.Context) ([]store.StoredPolicy, error)
}

// FutureSkew is how far ahead of the clock a record may be dated before it
// counts as future-dated: such records are stored, flagged and counted, and
// never move a default window.
const FutureSkew = model.FutureSkew

// SeriesPeriods is how many periods a trend series shows.
const SeriesPeriods = 8

// Service is Watchfloor's one report service: every surface (CLI, web
// pages, REST API, MCP tools, Prometheus) asks it for windows, reports,
// rule quality and the live dashboard, so a number means the same thing
// wherever it is shown. It resolves windows (default windows end at the
// present, or at the newest data when the data is older, never in the
// future), trend series with their partial periods, and the basis of every
// report: how fresh the data is, the future-dated records left out of
// windows, and the SLA policy versions that judged it. One Service (and its
// Engine's cache of day aggregates, checked against the store's versions
// at every report) serves a whole process. It is safe for concurrent use.
type Service struct {
	st   ServiceStore
	now  func() time.Time
	eng  *Engine
	work OpenWork
}

// NewService returns the report service of a store; now is the clock
// (time.Now when nil).
func NewService(st ServiceStore, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, now: now, eng: &Engine{Store: st}}
}

// Engine is the service's engine, for reads the service does not wrap.
func (s *Service) Engine() *Engine { return s.eng }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now().UTC() }

// ArgError is a report request the caller got wrong: an unknown timeframe
// or grouping, a malformed date. Surfaces answer it as a bad request.
type ArgError struct {
	Field string
	Err   error
}

func (e *ArgError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *ArgError) Unwrap() error { return e.Err }

func argErr(field, format string, args ...any) error {
	return &ArgError{Field: field, Err: fmt.Errorf(format, args...)}
}

// WindowQuery asks for a report window: a timeframe's default window, or
// explicit first and last days.
type WindowQuery struct {
	// Timeframe is daily, weekly (when empty), monthly or quarterly.
	Timeframe string
	// From and To are the first and last day (YYYY-MM-DD, organisation
	// time zone, To included); both or neither.
	From, To string
}

// Resolved is a resolved window and what it stands on.
type Resolved struct {
	Window    Window
	Timeframe Timeframe
	Basis     Basis
}

// Basis is what a report stands on: how fresh its data is, what was left
// out of windows, and which SLA policy versions judged it.
type Basis struct {
	// DataThrough is when the newest alert or case not dated in the
	// future was created: how fresh the data is (zero for an empty store).
	DataThrough time.Time `json:"data_through,omitzero"`
	// FutureDated counts the alerts and cases dated more than FutureSkew
	// ahead of the clock, FutureNewest the latest of them.
	FutureDated  int64     `json:"future_dated"`
	FutureNewest time.Time `json:"future_dated_newest,omitzero"`
	// SLAPolicies name the policy versions that judge SLA clocks, in the
	// order they take effect; empty when no usable version is stored, and
	// then SLA adherence is not measured (no data).
	SLAPolicies []string `json:"sla_policies"`
	// DataQuality and Warnings are lines to show with the report.
	DataQuality []string `json:"data_quality"`
	Warnings    []string `json:"warnings"`
}

// basis reads the basis at now.
func (s *Service) basis(ctx context.Context, now time.Time) (Basis, error) {
	b := Basis{SLAPolicies: []string{}, DataQuality: []string{}, Warnings: []string{}}
	var err error
	if b.DataThrough, err = s.st.NewestRecord(ctx, now.Add(FutureSkew)); err != nil {
		return b, err
	}
	fut, err := s.st.FutureRecords(ctx, now.Add(FutureSkew))
	if err != nil {
		return b, err
	}
	if b.FutureDated = fut.Alerts + fut.Cases; b.FutureDated > 0 {
		b.FutureNewest = fut.Newest
		b.DataQuality = append(b.DataQuality, fmt.Sprintf(
			"%s (%s, %s) dated more than %v ahead of the clock, the latest %s: stored and counted, left out of default windows",
			plural(b.FutureDated, "record"), plural(fut.Alerts, "alert"), plural(fut.Cases, "case"), FutureSkew,
			fut.Newest.UTC().Format(time.RFC3339)))
	}
	pols, err := s.st.Policies(ctx)
	if err != nil {
		return b, err
	}
	for _, v := range pols.Versions() {
		b.SLAPolicies = append(b.SLAPolicies, fmt.Sprintf("%s v%d from %s", v.Name, v.Version, v.EffectiveFrom.UTC().Format(time.RFC3339)))
	}
	b.Warnings = append(b.Warnings, pols.Warnings()...)
	if pols.Len() == 0 {
		b.Warnings = append(b.Warnings, NoPolicyWarning)
	}
	return b, nil
}

// plural counts things: "1 alert", "2 alerts".
func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// NoPolicyWarning is what a report says when no SLA policy judges it.
const NoPolicyWarning = "no SLA policy is stored: Watchfloor's SLA adherence is not measured (shown as no data); ingest an sla_policy record to measure it"

// Resolve turns a window query into a window. An explicit --from/--to is
// taken as given; otherwise the timeframe's window ends with the present
// day, or with the day of the newest data when the data is older, and
// never with a day in the future: records dated more than FutureSkew
// ahead of the clock do not move it.
func (s *Service) Resolve(ctx context.Context, q WindowQuery) (Resolved, error) {
	now := s.Now()
	tf := Weekly
	if q.Timeframe != "" {
		var err error
		if tf, err = ParseTimeframe(q.Timeframe); err != nil {
			return Resolved{}, &ArgError{Field: "timeframe", Err: err}
		}
	}
	loc, err := s.st.TimeZone(ctx)
	if err != nil {
		return Resolved{}, err
	}
	b, err := s.basis(ctx, now)
	if err != nil {
		return Resolved{}, err
	}
	r := Resolved{Timeframe: tf, Basis: b}
	if q.From != "" || q.To != "" {
		// Each given day is checked first, so a mistyped day is named
		// even when its partner is missing.
		from, err := parseDay("from", q.From, loc)
		if err != nil {
			return Resolved{}, err
		}
		to, err := parseDay("to", q.To, loc)
		if err != nil {
			return Resolved{}, err
		}
		if q.From == "" || q.To == "" {
			return Resolved{}, argErr("from", "from and to go together: give both days, or neither for the timeframe's window")
		}
		if to.Before(from) {
			return Resolved{}, argErr("to", "%s is before from %s", q.To, q.From)
		}
		r.Window = Window{From: from, To: to.AddDate(0, 0, 1)}
		return r, nil
	}
	end := now
	if !b.DataThrough.IsZero() && b.DataThrough.Before(end) {
		end = b.DataThrough
	}
	r.Window = WindowEnding(end, tf.Days(), loc)
	return r, nil
}

// parseDay reads one end of an explicit window, a YYYY-MM-DD day in loc;
// an empty v is the zero time. The error says why a well-formed but
// impossible day (2026-11-31) is not one.
func parseDay(field, v string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err == nil {
		return d, nil
	}
	var pe *time.ParseError
	if errors.As(err, &pe) && pe.Message != "" {
		// time reports ": day out of range" and the like in Message.
		return d, argErr(field, "%q is not a day (%s)", v, strings.TrimPrefix(pe.Message, ": "))
	}
	return d, argErr(field, "%q is not a YYYY-MM-DD day", v)
}

// SeriesWindow is the window of a trend series: SeriesPeriods whole
// periods of tf ending with the period that holds w's last day, up to w's
// end (so the last period is partial unless w ends with it).
func SeriesWindow(w Window, tf Timeframe) Window {
	from, _ := tf.Bounds(w.To.AddDate(0, 0, -1))
	for range SeriesPeriods - 1 {
		from, _ = tf.Bounds(from.AddDate(0, 0, -1))
	}
	return Window{From: from, To: w.To}
}

// PerformanceQuery asks for a performance report.
type PerformanceQuery struct {
	WindowQuery
	// GroupBy is "" (all cases) or one of GroupBys.
	GroupBy      string
	IncludeTests bool
	// Trend adds the previous window of the same length; Series the
	// SeriesPeriods periods of the timeframe ending with the window.
	Trend, Series bool
}

// Performance computes a performance report: the window's KPIs, judged at
// the service's now, with the basis they stand on.
func (s *Service) Performance(ctx context.Context, q PerformanceQuery) (*Report, error) {
	if q.GroupBy == ByAll {
		q.GroupBy = ""
	}
	if q.GroupBy != "" && !ValidGroupBy(q.GroupBy) {
		return nil, argErr("group_by", "%q is not one of %s", q.GroupBy, strings.Join(GroupBys, ", "))
	}
	res, err := s.Resolve(ctx, q.WindowQuery)
	if err != nil {
		return nil, err
	}
	ctx, n := withNotes(ctx)
	now := s.Now()
	rep, err := s.eng.Performance(ctx, Request{Window: res.Window, GroupBy: q.GroupBy, IncludeTests: q.IncludeTests, Trend: q.Trend, Now: now})
	if err != nil {
		return nil, err
	}
	if q.Series {
		sr, err := s.eng.Performance(ctx, Request{Window: SeriesWindow(res.Window, res.Timeframe), IncludeTests: q.IncludeTests,
			Series: res.Timeframe, Now: now})
		if err != nil {
			return nil, err
		}
		rep.Series = sr.Series
	}
	rep.Basis = res.Basis
	rep.Warnings = append(rep.Warnings, n.list()...)
	return rep, nil
}

// RulesQuery asks for rule quality over a window.
type RulesQuery struct {
	WindowQuery
	// Limit keeps the noisiest rules (0 for all).
	Limit int
}

// Rules computes alert volume and rule quality over a window, noisiest
// rules first, with the basis it stands on.
func (s *Service) Rules(ctx context.Context, q RulesQuery) (*RuleReport, error) {
	res, err := s.Resolve(ctx, q.WindowQuery)
	if err != nil {
		return nil, err
	}
	ctx, n := withNotes(ctx)
	rep, err := s.eng.Rules(ctx, res.Window)
	if err != nil {
		return nil, err
	}
	if q.Limit > 0 && len(rep.Rules) > q.Limit {
		rep.Rules = rep.Rules[:q.Limit]
	}
	rep.Basis = res.Basis
	rep.Warnings = append(rep.Warnings, n.list()...)
	return rep, nil
}

// Dashboard builds the live queue state as of the service's now, the open
// work kept between builds until the store's data version moves.
func (s *Service) Dashboard(ctx context.Context) (*Dashboard, error) {
	now := s.Now()
	d, err := s.work.Dashboard(ctx, s.st, now)
	if err != nil {
		return nil, err
	}
	if d.Basis, err = s.basis(ctx, now); err != nil {
		return nil, err
	}
	return d, nil
}

// IsArgError reports whether err is a request the caller got wrong.
func IsArgError(err error) bool {
	var ae *ArgError
	return errors.As(err, &ae)
}

// TimeframeNames lists the timeframes for the surfaces' enums, in order.
func TimeframeNames() []string {
	out := make([]string, len(Timeframes))
	for i, t := range Timeframes {
		out[i] = string(t)
	}
	return out
}
