package metrics_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Helpers shared by the fixture, ServiceNow and property tests: building
// cases and their event logs, applying them, and reading reports.

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// script is a case snapshot (stage new, created and updated at CreatedAt)
// and the explicit events that follow it.
type script struct {
	c   model.Case
	evs []model.CaseEvent
}

func newScript(source, ext string, p model.Priority, team string, created, occurred string) *script {
	c := model.Case{Source: source, ExternalID: ext, Title: "case " + ext, Priority: p, Stage: model.StageNew,
		Team: team, CreatedAt: ts(created), UpdatedAt: ts(created)}
	if occurred != "" {
		c.OccurredAt = ts(occurred)
	}
	return &script{c: c}
}

// on appends an event; its ExternalID is "<case>/<n>".
func (s *script) on(at string, kind model.EventKind, value string) *script {
	s.evs = append(s.evs, model.CaseEvent{CaseSource: s.c.Source, CaseExternalID: s.c.ExternalID,
		ExternalID: fmt.Sprintf("%s/%d", s.c.ExternalID, len(s.evs)+1), At: ts(at), Source: s.c.Source, Kind: kind, New: value})
	return s
}

func cases(ss []*script) []model.Case {
	out := make([]model.Case, len(ss))
	for i, s := range ss {
		out[i] = s.c
	}
	return out
}

func events(ss []*script) []model.CaseEvent {
	var out []model.CaseEvent
	for _, s := range ss {
		out = append(out, s.evs...)
	}
	return out
}

// mustApply applies a batch and fails on an error or a rejected record.
func mustApply(t testing.TB, st *store.Store, b *store.Batch) store.Result {
	t.Helper()
	res, err := st.Apply(context.Background(), b)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if len(res.Rejects) > 0 {
		var msgs []string
		for _, r := range res.Rejects {
			msgs = append(msgs, fmt.Sprintf("%s[%d]: %v", r.Kind, r.Index, r.Err))
		}
		t.Fatalf("apply rejected records: %s", strings.Join(msgs, "; "))
	}
	return res
}

// window is the local days [from, to] (inclusive) in loc.
func window(from, to string, loc *time.Location) metrics.Window {
	f, err := time.ParseInLocation(time.DateOnly, from, loc)
	if err != nil {
		panic(err)
	}
	l, err := time.ParseInLocation(time.DateOnly, to, loc)
	if err != nil {
		panic(err)
	}
	return metrics.Window{From: f, To: l.AddDate(0, 0, 1)}
}

func perf(t testing.TB, st *store.Store, req metrics.Request) *metrics.Report {
	t.Helper()
	e := &metrics.Engine{Store: st}
	rep, err := e.Performance(context.Background(), req)
	if err != nil {
		t.Fatalf("performance %+v: %v", req, err)
	}
	return rep
}

func group(t testing.TB, rep *metrics.Report, name string) metrics.GroupResult {
	t.Helper()
	for _, g := range rep.Groups {
		if g.Group == name {
			return g
		}
	}
	var names []string
	for _, g := range rep.Groups {
		names = append(names, g.Group)
	}
	t.Fatalf("report %s by %q has no group %q (groups %q)", rep.Window, rep.GroupBy, name, names)
	return metrics.GroupResult{}
}

func groupNames(rep *metrics.Report) []string {
	var names []string
	for _, g := range rep.Groups {
		names = append(names, g.Group)
	}
	return names
}

func kpiOf(t testing.TB, g metrics.GroupResult, k metrics.KPI) metrics.Summary {
	t.Helper()
	for _, s := range g.KPIs {
		if s.KPI == k {
			return s
		}
	}
	t.Fatalf("group %q has no KPI %s", g.Group, k)
	return metrics.Summary{}
}

// want is a KPI summary as computed by hand. Count, the open … excluded
// counts and Mean are exact; Median and P90 are the exact nearest-rank
// values, which the engine's sketch must match within metrics.Accuracy.
type want struct {
	count                                     int64
	mean, median, p90                         float64
	open, missing, clamped, imputed, excluded int64
}

// within reports whether got is within the sketch's relative error of the
// exact value (0 must be reported as exactly 0).
func within(got, exact float64) bool {
	if exact == 0 {
		return got == 0
	}
	return math.Abs(got-exact) <= metrics.Accuracy*exact*(1+1e-9)
}

func checkKPI(t testing.TB, where string, got metrics.Summary, w want) {
	t.Helper()
	if got.Count != w.count || got.Open != w.open || got.Missing != w.missing || got.Clamped != w.clamped ||
		got.Imputed != w.imputed || got.Excluded != w.excluded {
		t.Errorf("%s %s: count/open/missing/clamped/imputed/excluded = %d/%d/%d/%d/%d/%d, want %d/%d/%d/%d/%d/%d", where, got.KPI,
			got.Count, got.Open, got.Missing, got.Clamped, got.Imputed, got.Excluded,
			w.count, w.open, w.missing, w.clamped, w.imputed, w.excluded)
	}
	if w.count == 0 {
		// No data is null, never 0.
		if got.Mean != nil || got.Median != nil || got.P90 != nil {
			t.Errorf("%s %s: mean/median/p90 of no case = %v/%v/%v, want null", where, got.KPI, got.Mean, got.Median, got.P90)
		}
	} else {
		if math.Abs(val(got.Mean)-w.mean) > 1e-6 {
			t.Errorf("%s %s: mean %.6f s, want %.6f s", where, got.KPI, val(got.Mean), w.mean)
		}
		if !within(val(got.Median), w.median) {
			t.Errorf("%s %s: median %.3f s, want %.3f s ±%.0f%%", where, got.KPI, val(got.Median), w.median, metrics.Accuracy*100)
		}
		if !within(val(got.P90), w.p90) {
			t.Errorf("%s %s: p90 %.3f s, want %.3f s ±%.0f%%", where, got.KPI, val(got.P90), w.p90, metrics.Accuracy*100)
		}
	}
	if got.PercentileError != metrics.Accuracy || got.Definition == "" {
		t.Errorf("%s %s: percentile error %v, definition %q", where, got.KPI, got.PercentileError, got.Definition)
	}
}

func checkKPIs(t testing.TB, where string, g metrics.GroupResult, ws map[metrics.KPI]want) {
	t.Helper()
	for _, k := range metrics.KPIs {
		w, ok := ws[k]
		if !ok {
			continue
		}
		checkKPI(t, where, kpiOf(t, g, k), w)
	}
}

func approx(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }

// val is a nullable figure's value; NaN for null, which approx never
// matches.
func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// ptr is a figure to compare with a nullable one.
func ptr(v float64) *float64 { return &v }

// sameFigure reports whether two nullable figures agree: both null, or
// both set and equal within 1e-12.
func sameFigure(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return approx(*a, *b)
}
