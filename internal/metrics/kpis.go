// Package metrics computes the SOC's KPIs over windows of time: MTTD, MTTA,
// MTTC, MTTR (first and last close, and dwell time from occurrence), SLA
// adherence, volumes, reopen and escalation rates, rule quality and team
// load, grouped by priority, source, team or analyst, with trends against
// the previous window. It reads per-day aggregates that it builds from the
// case facts and alerts ingest keeps current, rebuilding only the days ingest
// has changed since, so a 90-day report reads 90 small rows per kind instead
// of every case. Counts and means are exact; medians and p90s come from
// quantile sketches and are within 1 % relative error.
package metrics

import (
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/kpi/sketch"
)

// KPI names a duration KPI.
type KPI string

// The duration KPIs.
const (
	MTTD     KPI = "mttd"      // occurred → created
	MTTA     KPI = "mtta"      // created → first triage-or-later move or first assignment
	MTTC     KPI = "mttc"      // created → first move to contained
	MTTR     KPI = "mttr"      // created → first move to resolved/closed
	MTTRLast KPI = "mttr_last" // created → the close that ended the last open period
	Dwell    KPI = "dwell"     // occurred → first move to resolved/closed
)

// KPIs lists the duration KPIs in report order.
var KPIs = []KPI{MTTD, MTTA, MTTC, MTTR, MTTRLast, Dwell}

// Definitions say what each KPI measures, as reports print it.
var Definitions = map[KPI]string{
	MTTD:     "mean time to detect: earliest occurred_at of the case or its linked alerts → case created_at",
	MTTA:     "mean time to acknowledge: created_at → first move to triage or later, or first assignment (imputed from a later stage when triage was skipped)",
	MTTC:     "mean time to contain: created_at → first move to contained (imputed from resolution when containment was skipped)",
	MTTR:     "mean time to resolve (first close): created_at → first move to resolved or closed",
	MTTRLast: "mean time to resolve (last close): created_at → the move to resolved or closed that ended the last reopened period",
	Dwell:    "dwell time: earliest occurred_at → first move to resolved or closed",
}

// Cohort is how a window selects cases: by the day they were created, in
// the organisation's time zone. Cases not yet past a KPI's stop are counted
// as open and never enter its mean.
const Cohort = "cases created in the window (organisation time zone); open items are counted apart and never enter means"

// SLADefinition is how SLA adherence is computed, as reports state it.
const SLADefinition = "SLA adherence per clock (acknowledge, resolve): met ÷ (met + breached), judged at the report's now; breached counts the clocks that stopped past their target and the open cases already past it (a breach in flight counts the moment the clock passes the target); open cases within target are shown apart and never enter the ratio; at risk = open past 80 % of the target; pause statuses and business calendars of the policy version in force apply"

// NoDataDefinition is what reports show when a figure has nothing to
// measure.
const NoDataDefinition = "a mean, median, rate or adherence with nothing to measure (no case measured, no clock met or breached) is no data: null in JSON, — in tables and pages, no sample in Prometheus; never 0"

// Accuracy is the relative error bound of medians and p90s.
const Accuracy = sketch.RelativeAccuracy

// span returns the KPI's start and stop for a case, whether the stop was
// imputed, and whether it applies at all.
func span(k KPI, f *kpi.Facts) (start, stop time.Time, imputed bool) {
	switch k {
	case MTTD:
		return f.Occurred, f.Created, false
	case MTTA:
		return f.Created, f.Ack, f.AckImputed
	case MTTC:
		return f.Created, f.Contain, f.ContainImputed
	case MTTR:
		return f.Created, f.Resolve, false
	case MTTRLast:
		return f.Created, f.LastClose, false
	case Dwell:
		return f.Occurred, f.Resolve, false
	}
	return time.Time{}, time.Time{}, false
}

// Agg accumulates one KPI over many cases.
type Agg struct {
	N       int64   `json:"n"`   // cases measured
	Sum     float64 `json:"sum"` // seconds
	Open    int64   `json:"open,omitempty"`
	Missing int64   `json:"missing,omitempty"`
	Clamped int64   `json:"clamped,omitempty"`
	Imputed int64   `json:"imputed,omitempty"`
	// Bins are the sketch's (bin, count) pairs.
	Bins [][2]int64 `json:"bins,omitempty"`
	sk   *sketch.Sketch
}

func (a *Agg) sketch() *sketch.Sketch {
	if a.sk == nil {
		a.sk = &sketch.Sketch{}
		for _, b := range a.Bins {
			a.sk.AddBin(int(b[0]), b[1])
		}
	}
	return a.sk
}

// measure is a case's value of one KPI, computed once for all the groups
// the case is counted in.
type measure struct {
	missing, open, clamped, imputed bool
	d                               float64
	sketched                        bool // within the sketch's range, in bin
	bin                             int
}

func measureOf(k KPI, f *kpi.Facts) measure {
	start, stop, imputed := span(k, f)
	switch {
	case start.IsZero():
		return measure{missing: true}
	case stop.IsZero():
		// MTTD's stop (created) is never open; the others wait for work.
		return measure{missing: k == MTTD, open: k != MTTD}
	}
	m := measure{d: stop.Sub(start).Seconds(), imputed: imputed}
	if m.d < 0 {
		m.clamped, m.d = true, 0
	}
	if m.d <= sketch.MaxValue { // as Sketch.Add, which refuses larger values
		m.sketched, m.bin = true, sketch.Bin(m.d)
	}
	return m
}

// addMeasure counts one case's value.
func (a *Agg) addMeasure(m measure) {
	switch {
	case m.missing:
		a.Missing++
		return
	case m.open:
		a.Open++
		return
	}
	if m.clamped {
		a.Clamped++
	}
	if m.imputed {
		a.Imputed++
	}
	a.N++
	a.Sum += m.d
	if m.sketched {
		a.sketch().AddBin(m.bin, 1)
	}
}

// merge adds another aggregate into a.
func (a *Agg) merge(o *Agg) {
	a.mergeCounts(o)
	if o.sk != nil || len(o.Bins) == 0 {
		a.sketch().Merge(o.sk)
		return
	}
	// A stored or frozen Agg: merge its bins without building its sketch
	// (bins the codec or freeze wrote are always valid; fall back to
	// building it should they not be).
	if err := a.sketch().MergeStored(o.Bins); err != nil {
		a.sketch().Merge(o.sketch())
	}
}

// mergeCounts adds o's counts and sum, not its sketch.
func (a *Agg) mergeCounts(o *Agg) {
	a.N += o.N
	a.Sum += o.Sum
	a.Open += o.Open
	a.Missing += o.Missing
	a.Clamped += o.Clamped
	a.Imputed += o.Imputed
}

// addTo adds o's sketch to a dense sum, from its stored bins when it has
// no sketch built.
func (o *Agg) addTo(d *sketch.Dense) {
	if o.sk != nil || len(o.Bins) == 0 {
		d.Merge(o.sk)
		return
	}
	if err := d.AddStored(o.Bins); err != nil {
		d.Merge(o.sketch())
	}
}

// freeze copies the sketch into Bins for storage.
func (a *Agg) freeze() {
	a.Bins = a.Bins[:0]
	for b, n := range a.sketch().Bins() {
		a.Bins = append(a.Bins, [2]int64{int64(b), n})
	}
}

// Summary is one KPI's result over a window and group. Mean, Median and
// P90 are null when Count is 0: no data, never 0.
type Summary struct {
	KPI        KPI      `json:"kpi"`
	Definition string   `json:"definition"`
	Count      int64    `json:"count"`
	Mean       *float64 `json:"mean_seconds"`
	Median     *float64 `json:"median_seconds"`
	P90        *float64 `json:"p90_seconds"`
	Open       int64    `json:"open"`
	Missing    int64    `json:"missing"`
	Clamped    int64    `json:"clamped"`
	Imputed    int64    `json:"imputed"`
	Excluded   int64    `json:"excluded"`
	// PercentileError is the relative error bound of Median and P90.
	PercentileError float64 `json:"percentile_relative_error"`
}

func (a *Agg) summary(k KPI, excluded int64) Summary {
	s := Summary{KPI: k, Definition: Definitions[k], Count: a.N, Open: a.Open, Missing: a.Missing,
		Clamped: a.Clamped, Imputed: a.Imputed, Excluded: excluded, PercentileError: Accuracy}
	if a.N > 0 {
		mean := a.Sum / float64(a.N)
		med, _ := a.sketch().Quantile(0.5)
		p90, _ := a.sketch().Quantile(0.9)
		s.Mean, s.Median, s.P90 = &mean, &med, &p90
	}
	return s
}

// Value is a nullable number's value, and whether there is one.
func Value(v *float64) (float64, bool) {
	if v == nil {
		return 0, false
	}
	return *v, true
}
