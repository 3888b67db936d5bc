package metrics

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Store is what the engine reads; *store.Store implements it.
type Store interface {
	TimeZone(ctx context.Context) (*time.Location, error)
	RollupVersions(ctx context.Context, kind string, from, to int64) ([]store.RollupDay, error)
	RollupPart(ctx context.Context, kind string, day int64, part string) (version int64, data string, ok bool, err error)
	SaveRollupParts(ctx context.Context, kind string, day, version int64, parts map[string]string) error
	// SaveRollupSpan stores a part merged over the days first … last,
	// unless one changed since version (the sum of their versions).
	SaveRollupSpan(ctx context.Context, kind string, first, last int64, part string, version int64, data string) error
	DayFacts(ctx context.Context, day int64, fn func(*kpi.Facts)) error
	// AlertRollups returns a local day's alert rollups, kept at ingest.
	AlertRollups(ctx context.Context, day int64) ([]store.AlertRollup, error)
	RefreshFacts(ctx context.Context) (int, error)
	Shifts(ctx context.Context) ([]model.Shift, error)
	Policies(ctx context.Context) (*sla.Policies, error)
	// DayHandleTimes returns the handle time of each case created on a day
	// and resolved after it was acknowledged (staffing's model: work
	// sessions of events at most gap apart, outside pause statuses).
	DayHandleTimes(ctx context.Context, day int64, pause []string, gap time.Duration) (map[int64]time.Duration, error)
}

// Engine computes KPI reports from a store. It keeps the days it has
// decoded and reuses them while their version in the store is unchanged, so
// a long-running server reads one row of versions per report. It is safe
// for concurrent use.
type Engine struct {
	Store Store

	mu         sync.Mutex
	cases      map[partKey]cachedPart
	alerts     map[int64]cachedAlertDay
	techniques map[int64]cachedTechniqueDay
	spans      map[spanKey]cachedSpan

	// noSpans adds every alert day of a window one by one (the tests'
	// oracle of spans).
	noSpans bool
}

type partKey struct {
	day int64
	dim string
}

type cachedPart struct {
	version int64
	groups  map[string]*Group
}

type cachedAlertDay struct {
	version int64
	day     AlertDay
}

// Window is a span of whole days in the organisation's time zone: From is
// the first day, To the day after the last.
type Window struct {
	From, To time.Time
}

// Days is the window's length in days.
func (w Window) Days() int { return int(w.To.Sub(w.From).Hours()/24 + 0.5) }

// Previous is the window of the same length just before w.
func (w Window) Previous() Window {
	return Window{From: w.From.AddDate(0, 0, -w.Days()), To: w.From}
}

// String gives the window's first and last local days, as in reports.
func (w Window) String() string {
	return w.From.Format("2006-01-02") + " … " + w.To.AddDate(0, 0, -1).Format("2006-01-02")
}

// day converts a local midnight to YYYYMMDD.
func day(t time.Time) int64 {
	y, m, d := t.Date()
	return int64(y*10000 + int(m)*100 + d)
}

// dayStart is the local midnight of a YYYYMMDD day.
func dayStart(d int64, loc *time.Location) time.Time {
	return time.Date(int(d/10000), time.Month(d/100%100), int(d%100), 0, 0, 0, 0, loc)
}

// WindowEnding returns the window of n days ending with the day that
// contains t (in loc).
func WindowEnding(t time.Time, n int, loc *time.Location) Window {
	y, m, d := t.In(loc).Date()
	to := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	return Window{From: to.AddDate(0, 0, -n), To: to}
}

// caseDays returns the window's case aggregates by day for the given
// dimensions: from the engine's cache while a day's version is unchanged,
// else from the stored part, else rebuilt from the case facts (and stored).
func (e *Engine) caseDays(ctx context.Context, w Window, dims ...string) (map[int64]CaseDay, error) {
	// Facts of cases whose logs changed (say, an ingest that was killed
	// before its end) are computed first, so no report is stale.
	if err := e.refresh(ctx); err != nil {
		return nil, err
	}
	rows, err := e.Store.RollupVersions(ctx, store.RollupCases, day(w.From), day(w.To.AddDate(0, 0, -1)))
	if err != nil {
		return nil, err
	}
	if err := e.notePruned(ctx, w); err != nil {
		return nil, err
	}
	var bc *buildContext
	out := make(map[int64]CaseDay, len(rows))
	var missing []store.RollupDay
	for _, r := range rows {
		cd, ok, err := e.storedCaseDay(ctx, r, dims)
		if err != nil {
			return nil, err
		}
		if !ok {
			missing = append(missing, r)
			continue
		}
		out[r.Day] = cd
	}
	// A few days to build (the days an ingest changed) are built in the
	// dimensions asked for, and the rule load: the other dimensions are built
	// when a report asks for them. More (a first report, a policy change)
	// are built in every dimension, so that the next groupings do not read
	// every case of the window again.
	build := dims
	if len(missing) > fewStaleDays {
		build = allDims
	}
	for _, r := range missing {
		if bc == nil {
			if bc, err = e.newBuildContext(ctx, w.From.Location()); err != nil {
				return nil, err
			}
		}
		cd, _, err := e.buildCaseDay(ctx, r, bc, build)
		if err != nil {
			return nil, err
		}
		out[r.Day] = cd
	}
	return out, nil
}

// fewStaleDays is how many days a report builds in the dimensions it shows
// only (see caseDays).
const fewStaleDays = 3

// allDims are the dimensions of a case day.
var allDims = append([]string{ByAll}, GroupBys...)

// buildContext is what rebuilding case days reads once per report: the
// shifts, the SLA policies (for the pause statuses of handle times) and the
// organisation's time zone.
type buildContext struct {
	shifts []model.Shift
	pols   *sla.Policies
	loc    *time.Location
}

func (e *Engine) newBuildContext(ctx context.Context, loc *time.Location) (*buildContext, error) {
	bc := &buildContext{loc: loc}
	var err error
	if bc.shifts, err = e.Store.Shifts(ctx); err != nil {
		return nil, err
	}
	if bc.pols, err = e.Store.Policies(ctx); err != nil {
		return nil, err
	}
	return bc, nil
}

// storedCaseDay assembles a day's dimensions from the cache and the stored
// parts; ok is false when any is missing or out of date.
func (e *Engine) storedCaseDay(ctx context.Context, r store.RollupDay, dims []string) (CaseDay, bool, error) {
	if r.Stale() {
		return nil, false, nil
	}
	cd := CaseDay{}
	for _, dim := range dims {
		if g, ok := e.cachedPart(r.Day, dim, r.Version); ok {
			cd[dim] = g
			continue
		}
		version, data, ok, err := e.Store.RollupPart(ctx, store.RollupCases, r.Day, dim)
		if err != nil || !ok || version != r.Version {
			return nil, false, err
		}
		groups, err := decodeGroups(data)
		if errors.Is(err, errPartFormat) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("reading case rollup %s of %d: %w", dim, r.Day, err)
		}
		cd[dim] = e.cachePart(r.Day, dim, version, groups)
	}
	return cd, true, nil
}

// buildCaseDay aggregates a day's case facts and their handle times in the
// dimensions dims (none: only the rule load), stores those parts and the
// day's rule load, and caches the parts. The day's other parts stay as they
// were: a part is only read while its version is the day's.
func (e *Engine) buildCaseDay(ctx context.Context, r store.RollupDay, bc *buildContext, dims []string) (CaseDay, map[string]*RuleLoad, error) {
	// Handle times leave out the time in the pause statuses of the policy
	// version in force that day, with staffing's session gap.
	pause := bc.pols.InForce(dayStart(r.Day, bc.loc)).PauseStatuses
	worked, err := e.Store.DayHandleTimes(ctx, r.Day, pause, staffing.DefaultSessionGap)
	if err != nil {
		return nil, nil, err
	}
	cd := CaseDay{}
	for _, dim := range dims {
		cd[dim] = map[string]*Group{}
	}
	loads := map[string]*RuleLoad{}
	byShift := cd[ByShift] != nil
	var shiftErr error
	err = e.Store.DayFacts(ctx, r.Day, func(f *kpi.Facts) {
		var sh string
		if byShift {
			var err error
			sh, err = shiftAt(bc.shifts, bc.loc, f.Created)
			shiftErr = cmp.Or(shiftErr, err)
		}
		w, ok := worked[f.CaseID]
		cd.add(f, sh, w, ok)
		addRuleLoad(loads, f, w, ok)
	})
	if err != nil {
		return nil, nil, err
	}
	if shiftErr != nil {
		// A stored shift that cannot say who is on duty leaves its cases
		// without a shift; it never stops the report.
		note(ctx, "cases are grouped by shift without the shift that cannot be read: "+shiftErr.Error())
	}
	cd.freeze()
	parts := make(map[string]string, len(cd)+1)
	for dim, groups := range cd {
		parts[dim] = encodeGroups(groups)
	}
	parts[partRuleLoad] = encodeRuleLoads(loads)
	if err := e.save(ctx, store.RollupCases, r.Day, r.Version, parts); err != nil {
		return nil, nil, err
	}
	for dim, groups := range cd {
		cd[dim] = e.cachePart(r.Day, dim, r.Version, groups)
	}
	return cd, loads, nil
}

func (e *Engine) cachedPart(d int64, dim string, version int64) (map[string]*Group, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.cases[partKey{d, dim}]
	return c.groups, ok && c.version == version
}

// cachePart keeps a decoded part, its sketches materialised so that
// concurrent reports only ever read it.
func (e *Engine) cachePart(d int64, dim string, version int64, groups map[string]*Group) map[string]*Group {
	CaseDay{dim: groups}.materialise()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cases == nil {
		e.cases = map[partKey]cachedPart{}
	}
	e.cases[partKey{d, dim}] = cachedPart{version, groups}
	return groups
}

// rollupFormat versions the stored day aggregates: a day stored in another
// format is rebuilt, so a new dimension or KPI never reads old rows as empty.
// Format 7 is the binary encoding of codec.go (6 was JSON); 8 adds running
// SLA clocks, handle times and the rule of cases without alerts; 9 builds
// alert days from the rollups kept at ingest (exact MTTD sums, greatest rule
// name).
const rollupFormat = 9

// partRuleLoad is the stored part with each rule's case count and analyst
// time, which the rule report reads without the rules' full KPI groups.
const partRuleLoad = "rule_load"

// RuleLoad is the case work a rule caused on a day: its cases, the
// acknowledged → resolved wall-clock time of those handled (Handled,
// HandledSeconds) and the time actively worked on those whose handle time
// was measured (Worked, WorkedSeconds). Tests and drills are left out.
type RuleLoad struct {
	Cases          int64   `json:"cases"`
	Handled        int64   `json:"handled"`
	HandledSeconds float64 `json:"handled_seconds"`
	Worked         int64   `json:"worked"`
	WorkedSeconds  float64 `json:"worked_seconds"`
}

func (l *RuleLoad) add(o *RuleLoad) {
	l.Cases += o.Cases
	l.Handled += o.Handled
	l.HandledSeconds += o.HandledSeconds
	l.Worked += o.Worked
	l.WorkedSeconds += o.WorkedSeconds
}

// addRuleLoad counts a case in its rule's load (tests and drills left
// out), as Counts.add counts it in the case's rule group.
func addRuleLoad(loads map[string]*RuleLoad, f *kpi.Facts, worked time.Duration, measured bool) {
	if f.Excluded {
		return
	}
	k := caseRuleKey(f)
	l := loads[k]
	if l == nil {
		l = &RuleLoad{}
		loads[k] = l
	}
	l.Cases++
	if !f.Ack.IsZero() && !f.Resolve.IsZero() {
		l.Handled++
		l.HandledSeconds += max(0, f.Resolve.Sub(f.Ack).Seconds())
	}
	if measured {
		l.Worked++
		l.WorkedSeconds += worked.Seconds()
	}
}

// ruleLoad sums the case work per rule over a window.
func (e *Engine) ruleLoad(ctx context.Context, w Window) (map[string]*RuleLoad, error) {
	if err := e.refresh(ctx); err != nil {
		return nil, err
	}
	rows, err := e.Store.RollupVersions(ctx, store.RollupCases, day(w.From), day(w.To.AddDate(0, 0, -1)))
	if err != nil {
		return nil, err
	}
	if err := e.notePruned(ctx, w); err != nil {
		return nil, err
	}
	total := map[string]*RuleLoad{}
	add := func(m map[string]*RuleLoad) {
		for k, l := range m {
			t := total[k]
			if t == nil {
				t = &RuleLoad{}
				total[k] = t
			}
			t.add(l)
		}
	}
	var bc *buildContext
	for _, r := range rows { // by day: the sums come out the same every time
		if !r.Stale() {
			version, data, ok, err := e.Store.RollupPart(ctx, store.RollupCases, r.Day, partRuleLoad)
			if err != nil {
				return nil, err
			}
			if ok && version == r.Version {
				loads, err := decodeRuleLoads(data)
				if err == nil {
					add(loads)
					continue
				}
				if !errors.Is(err, errPartFormat) {
					return nil, fmt.Errorf("reading rule load of %d: %w", r.Day, err)
				}
			}
		}
		if bc == nil {
			if bc, err = e.newBuildContext(ctx, w.From.Location()); err != nil {
				return nil, err
			}
		}
		_, loads, err := e.buildCaseDay(ctx, r, bc, nil)
		if err != nil {
			return nil, err
		}
		add(loads)
	}
	return total, nil
}

// prunedDays is implemented by stores whose case-log retention may leave
// days that cannot be recomputed (*store.Store).
type prunedDays interface {
	PrunedCaseDays(ctx context.Context, from, to int64) ([]store.PrunedCaseDay, error)
}

// notePruned says which days of the window hold cases that changed after
// retention pruned their logs: those cases' KPI facts could not be
// recomputed and stay as they were at pruning, so the days' figures may
// differ from what the changed cases would give.
func (e *Engine) notePruned(ctx context.Context, w Window) error {
	pd, ok := e.Store.(prunedDays)
	if !ok {
		return nil
	}
	days, err := pd.PrunedCaseDays(ctx, day(w.From), day(w.To.AddDate(0, 0, -1)))
	if err != nil || len(days) == 0 {
		return err
	}
	note(ctx, PrunedNote(days, w.From.Location()))
	return nil
}

// PrunedNote is what a report says of days holding cases that changed
// after retention pruned their logs.
func PrunedNote(days []store.PrunedCaseDay, loc *time.Location) string {
	var list []string
	var cases int64
	for _, d := range days {
		list = append(list, fmt.Sprintf("%s (%s)", dayStart(d.Day, loc).Format(time.DateOnly), plural(d.Cases, "case")))
		cases += d.Cases
	}
	last := days[len(days)-1]
	return fmt.Sprintf("not recomputed: %s changed (new events, or a change to the SLA policies) after retention pruned their logs "+
		"(case-log retention %s, last pruned %s), so their KPIs stay as they were at pruning, on %s",
		plural(cases, "case"), last.Policy, last.PrunedAt.Format(time.DateOnly), strings.Join(list, ", "))
}

// refresh computes the facts of cases whose logs changed. A report never
// waits for another process's write lock (a long ingest on SQLite): the
// facts that ingest changed are its to compute, and the report says they
// are not in it yet.
func (e *Engine) refresh(ctx context.Context) error {
	_, err := e.Store.RefreshFacts(store.NoWait(ctx))
	if store.IsBusy(err) {
		note(ctx, "an ingest is writing: the cases it changed since it began may not be in this report yet")
		return nil
	}
	return err
}

// save stores a rebuilt day's parts. They are a cache: when another
// process holds the write lock the day is used unsaved (and saved by a
// later report), never a reason to fail.
func (e *Engine) save(ctx context.Context, kind string, d, version int64, parts map[string]string) error {
	err := e.Store.SaveRollupParts(store.NoWait(ctx), kind, d, version, parts)
	if store.IsBusy(err) {
		return nil
	}
	return err
}

// notesKey carries a report's notes through the engine's calls.
type notesKey struct{}

// notes collects what a report should say about itself.
type notes struct {
	mu    sync.Mutex
	lines []string
}

// withNotes returns a context that collects notes, and the collector.
func withNotes(ctx context.Context) (context.Context, *notes) {
	n := &notes{}
	return context.WithValue(ctx, notesKey{}, n), n
}

// note adds a line to the context's notes, once.
func note(ctx context.Context, line string) {
	if n, ok := ctx.Value(notesKey{}).(*notes); ok {
		n.mu.Lock()
		if !slices.Contains(n.lines, line) {
			n.lines = append(n.lines, line)
		}
		n.mu.Unlock()
	}
}

func (n *notes) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.lines)
}

// shiftAt names the first shift on duty at t, or "".
func shiftAt(shifts []model.Shift, loc *time.Location, t time.Time) (string, error) {
	if t.IsZero() {
		return "", nil
	}
	for _, sh := range shifts {
		on, err := sh.OnDuty(t, loc)
		if err != nil {
			return "", err
		}
		if on {
			return sh.Name, nil
		}
	}
	return "", nil
}

// Request asks for a performance report.
type Request struct {
	Window Window
	// GroupBy is "" (all cases) or one of GroupBys.
	GroupBy string
	// IncludeTests counts test and drill cases in the KPIs.
	IncludeTests bool
	// Trend adds the previous window of the same length.
	Trend bool
	// Series, when set, adds one row per period of this timeframe across
	// the window (trend analysis).
	Series Timeframe
	// Now is the instant running SLA clocks are judged at (the present
	// when zero): a clock past its target by then counts as breached.
	Now time.Time
}

// Report is a performance report for a window.
type Report struct {
	Window   string `json:"window"`
	From     string `json:"from"`
	To       string `json:"to"` // last day included
	TimeZone string `json:"time_zone"`
	Cohort   string `json:"cohort"`
	// Now is the instant running SLA clocks were judged at.
	Now time.Time `json:"now"`
	// Basis says how fresh and how sound the data is, and which SLA
	// policy versions judged it (filled by the Service).
	Basis
	GroupBy  string        `json:"group_by,omitempty"`
	Groups   []GroupResult `json:"groups"`
	Previous *Report       `json:"previous,omitempty"`
	Series   []Period      `json:"series,omitempty"`
	Rules    *RuleReport   `json:"rules,omitempty"`
}

// Performance computes the report a request asks for.
func (e *Engine) Performance(ctx context.Context, req Request) (*Report, error) {
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	if req.GroupBy != "" && !ValidGroupBy(req.GroupBy) {
		return nil, fmt.Errorf("unknown group %q (want one of %v)", req.GroupBy, GroupBys)
	}
	dims := []string{ByAll}
	if req.GroupBy != "" {
		dims = append(dims, req.GroupBy)
	}
	days, err := e.caseDays(ctx, req.Window, dims...)
	if err != nil {
		return nil, err
	}
	rep := buildReport(req, days)
	if req.Trend {
		prevReq := req
		prevReq.Window, prevReq.Trend, prevReq.Series = req.Window.Previous(), false, ""
		prev, err := e.Performance(ctx, prevReq)
		if err != nil {
			return nil, err
		}
		rep.Previous = prev
	}
	if req.Series != "" {
		rep.Series = series(req, days)
	}
	return rep, nil
}

func buildReport(req Request, days map[int64]CaseDay) *Report {
	w := req.Window
	dim := req.GroupBy
	if dim == "" {
		dim = ByAll
	}
	// Only the asked dimension is merged: the others (hundreds of rules or
	// analysts) would cost more than the report. Days are merged in order,
	// so sums and means come out the same every time.
	total := CaseDay{}
	for _, d := range sortedKeys(days) {
		total.merge(CaseDay{dim: days[d][dim]})
	}
	rep := &Report{Window: w.String(), From: w.From.Format("2006-01-02"), To: w.To.AddDate(0, 0, -1).Format("2006-01-02"),
		TimeZone: w.From.Location().String(), Cohort: Cohort, Now: req.Now.UTC(), GroupBy: req.GroupBy}
	names := make([]string, 0, len(total[dim]))
	for v := range total[dim] {
		names = append(names, v)
	}
	sort.Slice(names, func(i, j int) bool {
		if dim == ByPriority {
			return priorityOrder(names[i]) < priorityOrder(names[j])
		}
		return names[i] < names[j]
	})
	for _, v := range names {
		rep.Groups = append(rep.Groups, total[dim][v].result(groupLabel(dim, v), req.IncludeTests, req.Now))
	}
	if len(rep.Groups) == 0 && dim == ByAll {
		rep.Groups = append(rep.Groups, newGroup().result("all", req.IncludeTests, req.Now))
	}
	return rep
}

// groupLabel names a group in reports.
func groupLabel(dim, v string) string {
	switch {
	case dim == ByAll:
		return "all"
	case dim == ByRule && v == NoRule:
		return "(no alert)"
	case v == "":
		return "(none)"
	}
	return v
}
