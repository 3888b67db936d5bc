package web

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// noData is what a page shows for a value with nothing to compute it from
// (an empty sample): never 0.
const noData = "—"

// thousands groups an integer's digits by three: 28114 → "28,114".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// num formats a count or quantity with thousands separators; floats are
// rounded to whole numbers.
func num(v any) string {
	switch x := v.(type) {
	case int:
		return thousands(int64(x))
	case int64:
		return thousands(x)
	case float64:
		return decimal(x, 0)
	}
	return fmt.Sprint(v)
}

// decimal formats f with n decimals and thousands separators.
func decimal(f float64, n int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return noData
	}
	s := strconv.FormatFloat(math.Abs(f), 'f', n, 64)
	whole, frac, _ := strings.Cut(s, ".")
	w, _ := strconv.ParseInt(whole, 10, 64)
	out := thousands(w)
	if frac != "" {
		out += "." + frac
	}
	if f < 0 && strings.Trim(s, "0.") != "" {
		out = "-" + out
	}
	return out
}

// nan is a nullable figure's value, NaN (shown as "—") for null.
func nan(v *float64) float64 {
	if x, ok := metrics.Value(v); ok {
		return x
	}
	return math.NaN()
}

// pct formats a share or a nullable share (the template function).
func pct(v any) string {
	switch x := v.(type) {
	case float64:
		return percent(x)
	case *float64:
		return percent(nan(x))
	}
	return noData
}

// percent formats a share as "93.4 %".
func percent(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return noData
	}
	return strconv.FormatFloat(100*f, 'f', 1, 64) + " %"
}

// humanDuration renders seconds as "3d 4h", "7d", "2h 05m", "24h", "12m"
// or "40s".
func humanDuration(sec float64) string {
	if math.IsNaN(sec) || sec < 0 {
		return noData
	}
	d := int64(math.Round(sec))
	switch {
	case d >= 48*3600 && d%86400/3600 == 0:
		return fmt.Sprintf("%dd", d/86400)
	case d >= 48*3600:
		return fmt.Sprintf("%dd %dh", d/86400, d%86400/3600)
	case d >= 3600 && d%3600/60 == 0:
		return fmt.Sprintf("%dh", d/3600)
	case d >= 3600:
		return fmt.Sprintf("%dh %02dm", d/3600, d%3600/60)
	case d >= 60:
		return fmt.Sprintf("%dm", d/60)
	}
	return fmt.Sprintf("%ds", d)
}

// kpiNames are the KPIs' names as people say them.
var kpiNames = map[metrics.KPI]string{
	metrics.MTTD:     "Time to detect (MTTD)",
	metrics.MTTA:     "Time to acknowledge (MTTA)",
	metrics.MTTC:     "Time to contain (MTTC)",
	metrics.MTTR:     "Time to resolve, first close (MTTR)",
	metrics.MTTRLast: "Time to resolve, last close",
	metrics.Dwell:    "Dwell time (activity to resolution)",
}

// kpiShort are the names where room is short (the wall screen).
var kpiShort = map[metrics.KPI]string{
	metrics.MTTD: "Detect (MTTD)", metrics.MTTA: "Acknowledge (MTTA)", metrics.MTTC: "Contain (MTTC)",
	metrics.MTTR: "Resolve (MTTR)", metrics.MTTRLast: "Resolve, last close", metrics.Dwell: "Dwell time",
}

// kpiName is a KPI's human name.
func kpiName(k metrics.KPI) string {
	if n, ok := kpiNames[k]; ok {
		return n
	}
	return string(k)
}

// kpiView is one KPI's row on a page, each figure formatted, "—" where the
// sample is empty.
type kpiView struct {
	KPI                             metrics.KPI
	Name, Short, Definition         string
	Count, Median, P90, Mean        string
	Open, Missing, Clamped, Imputed string
	HasData                         bool
	median                          float64
}

// kpiRow formats a KPI summary. A KPI without a measured case has no
// median, p90 or mean: they show "—", never 0.
func kpiRow(s metrics.Summary) kpiView {
	v := kpiView{KPI: s.KPI, Name: kpiName(s.KPI), Short: kpiShort[s.KPI], Definition: s.Definition, Count: thousands(s.Count),
		Open: thousands(s.Open), Missing: thousands(s.Missing), Clamped: thousands(s.Clamped), Imputed: thousands(s.Imputed),
		Median: noData, P90: noData, Mean: noData, median: math.NaN()}
	if s.Count > 0 {
		v.HasData = true
		v.Median, v.P90, v.Mean = humanDuration(nan(s.Median)), humanDuration(nan(s.P90)), humanDuration(nan(s.Mean))
		v.median = nan(s.Median)
	}
	return v
}

// kpiMedian is a KPI's median in seconds, NaN without data.
func kpiMedian(g metrics.GroupResult, k metrics.KPI) float64 {
	for _, s := range g.KPIs {
		if s.KPI == k {
			return kpiRow(s).median
		}
	}
	return math.NaN()
}

// slaShare is an SLA result's adherence, NaN when no case met or breached
// its target (no data, not 0 %).
func slaShare(r metrics.SLAResult) float64 { return nan(r.Adherence) }

// slaView is an SLA result as a page shows it: breached includes the open
// cases already past their target (InFlight of them).
type slaView struct {
	Adherence                             string
	Met, Breached, InFlight, Open, AtRisk string
	HasData                               bool
}

func slaRow(r metrics.SLAResult) slaView {
	a := slaShare(r)
	return slaView{Adherence: percent(a), Met: thousands(r.Met), Breached: thousands(r.Breached), InFlight: thousands(r.BreachedOpen),
		Open: thousands(r.Open), AtRisk: thousands(r.AtRisk), HasData: !math.IsNaN(a)}
}
