package tech

import (
	"fmt"
	"math"
	"time"
)

// State is a source's (or a source's rule's) health.
type State string

// The states, worst first.
const (
	Silent         State = "silent"          // nothing for longer than the baseline allows
	Stopped        State = "stopped"         // a rule that fired on most days and has not for days
	Late           State = "late"            // ingest lag above its usual range
	Quiet          State = "quiet"           // far below the expected volume
	Noisy          State = "noisy"           // far above the expected volume
	DuplicateHeavy State = "duplicate-heavy" // duplicates far above their usual share
	Learning       State = "learning"        // not enough history for the hours judged
	Healthy        State = "healthy"
)

// Rank orders states worst first (Silent 0 … Healthy 7).
func (s State) Rank() int {
	switch s {
	case Silent:
		return 0
	case Stopped:
		return 1
	case Late:
		return 2
	case Quiet:
		return 3
	case Noisy:
		return 4
	case DuplicateHeavy:
		return 5
	case Learning:
		return 6
	}
	return 7
}

// Alarm reports whether the state calls for attention.
func (s State) Alarm() bool { return s.Rank() < Learning.Rank() }

// States lists every state, worst first.
var States = []State{Silent, Stopped, Late, Quiet, Noisy, DuplicateHeavy, Learning, Healthy}

// Units of a condition's figures.
const (
	UnitAlerts  = "alerts"
	UnitSeconds = "seconds"
	UnitShare   = "share"
)

// Condition is one state that holds, with its evidence: what the baseline
// expected, what was seen, the bound that was crossed and since when.
type Condition struct {
	State    State     `json:"state"`
	Expected float64   `json:"expected"`
	Seen     float64   `json:"seen"`
	Allowed  float64   `json:"allowed"` // the bound crossed (a floor for quiet, a ceiling otherwise)
	Unit     string    `json:"unit"`
	Since    time.Time `json:"since"`
	Reason   string    `json:"reason"`
}

// Params are the thresholds of the health definitions.
type Params struct {
	Weeks             int           // weeks of history learned from
	Window            int           // complete hours judged before the current one
	MinSamples        int           // past weeks a slot needs to be judged
	SilentProbability float64       // silent when no alert was this unlikely
	QuietZ, NoisyZ    float64       // robust z-scores of the window's count
	MinExpected       float64       // quiet needs at least this many expected alerts
	MinNoisyExcess    float64       // noisy needs at least this many alerts above expectation
	LateMinAlerts     int64         // late needs this many alerts in the window
	LateMinExcess     time.Duration // and a median lag this far above the usual median
	DupMinAlerts      int64         // duplicate-heavy needs this many deliveries in the window
	DupMinExcess      float64       // and a share at least this far above the usual one
	SinceDays         int           // how far back "since" is traced
}

// DefaultParams are the thresholds Watchfloor uses.
var DefaultParams = Params{
	Weeks: 8, Window: 3, MinSamples: 3, SilentProbability: 1e-4, QuietZ: 3, NoisyZ: 4, MinExpected: 5,
	MinNoisyExcess: 10, LateMinAlerts: 5, LateMinExcess: time.Minute, DupMinAlerts: 20, DupMinExcess: 0.2, SinceDays: 7,
}

// Hours is one key's hourly rollups, dense from Start (Unix hours, UTC).
// A rule has only Alerts; a source also has duplicates, re-deliveries and
// ingest lag histograms (nil for hours without alerts).
type Hours struct {
	Start  int64
	Alerts []int64
	Dups   []int64
	Resent []int64
	Lag    [][]int64
}

func at(xs []int64, start, h int64) int64 {
	i := h - start
	if i < 0 || i >= int64(len(xs)) {
		return 0
	}
	return xs[i]
}

func (h *Hours) lagAt(hour int64) []int64 {
	i := hour - h.Start
	if i < 0 || i >= int64(len(h.Lag)) {
		return nil
	}
	return h.Lag[i]
}

// Health is a key's judged health at an instant.
type Health struct {
	State State `json:"state"`
	// Expected and Seen are the alerts the baseline expects in the window
	// and those created in it; for a silent, quiet or noisy key, those of
	// its worst condition (for silent: since the newest alert, and none).
	Expected float64 `json:"expected"`
	Seen     int64   `json:"seen"`
	// Since is when the state began (nil when healthy).
	Since      *time.Time  `json:"since"`
	Conditions []Condition `json:"conditions"`
	// WindowFrom and WindowTo are the window judged: the complete hours
	// before the current one and the current one so far, shifted back by
	// the usual ingest lag.
	WindowFrom time.Time `json:"window_from"`
	WindowTo   time.Time `json:"window_to"`
	// UsualLag and UsualLagP95 are the median and 95th percentile of the
	// ingest lag over the learned history; WindowLag is the window's median
	// (sources only; zero when unknown).
	UsualLag    time.Duration `json:"usual_lag_ns,omitempty"`
	UsualLagP95 time.Duration `json:"usual_lag_p95_ns,omitempty"`
	WindowLag   time.Duration `json:"window_lag_ns,omitempty"`
}

// Judge judges one key's hourly rollups at now. first and last are the
// creation times of its first and newest alert; lagBounds are the lag
// histogram's bucket bounds; shift is the usual ingest lag to judge by
// when h has no lag histograms; cal gives the hours' slots in the
// organisation's time zone (a rule judged by its source's lag; 0
// otherwise). The definitions:
//
//   - The baseline is learned (Learn) from the hours of the last p.Weeks
//     weeks that are after the first alert and before the window.
//   - The window is the p.Window complete hours before the current hour
//     and the current hour up to now − the usual lag (alerts not due yet
//     are not missing); each hour expects its slot's median (the current
//     hour its elapsed share of it), with variance spread² + the expected
//     count (Poisson).
//   - silent: the alerts expected since the newest one, counted
//     conservatively (each hour's median less its spread), are at least
//     −ln(p.SilentProbability), so seeing none had at most that
//     probability; since the newest alert.
//   - quiet: at least p.MinExpected expected, at most half seen, and a
//     z-score of at most −p.QuietZ; noisy: more than twice the expected,
//     p.MinNoisyExcess above it and a z-score of at least p.NoisyZ.
//   - late: the window's median lag (at least p.LateMinAlerts alerts)
//     above the usual 95th percentile, twice the usual median and the
//     usual median + p.LateMinExcess.
//   - duplicate-heavy: the window's share of duplicates and re-deliveries
//     (at least p.DupMinAlerts deliveries) at least the usual share plus
//     the larger of that share and p.DupMinExcess.
//   - learning: a window hour's slot has fewer than p.MinSamples past weeks.
//
// Nothing is remembered between calls: a state clears when its data no
// longer meets its definition.
func Judge(h *Hours, first, last, now time.Time, cal *Calendar, p Params, lagBounds []time.Duration, shift time.Duration) Health {
	nowHour := floorHour(now)
	firstHour := floorHour(first)
	var out Health
	// The usual lag, from the history before the window.
	var usualHist LagHistogram
	if h.Lag != nil {
		usualHist = make(LagHistogram, len(lagBounds)+1)
		for hr := max(nowHour-int64(p.Weeks*Slots), firstHour); hr < nowHour-int64(p.Window); hr++ {
			if l := h.lagAt(hr); l != nil {
				usualHist.Add(l)
			}
		}
		out.UsualLag = usualHist.Quantile(0.5, lagBounds)
		out.UsualLagP95 = usualHist.Quantile(0.95, lagBounds)
		shift = out.UsualLag
	}
	eff := now.Add(-shift)
	cur := floorHour(eff)
	frac := float64(eff.Unix()-cur*3600) / 3600
	winFrom := cur - int64(p.Window)
	out.WindowFrom, out.WindowTo = time.Unix(winFrom*3600, 0).UTC(), eff.UTC()
	b := Learn(Series{Start: h.Start, Counts: h.Alerts}, max(cur-int64(p.Weeks*Slots), firstHour), winFrom, cal)
	share := func(hr int64) float64 {
		if hr == cur {
			return frac
		}
		return 1
	}

	var e, v float64
	learning := 0
	for hr := winFrom; hr <= cur; hr++ {
		slot := cal.Slot(hr)
		if b.Samples[slot] < p.MinSamples {
			learning++
		}
		f := share(hr)
		e += b.Median[slot] * f
		v += math.Pow(b.Spread[slot]*f, 2)
		out.Seen += at(h.Alerts, h.Start, hr)
	}
	out.Expected = e
	if learning > 0 {
		out.State = Learning
		out.Conditions = []Condition{{State: Learning, Unit: UnitAlerts, Expected: e, Seen: float64(out.Seen),
			Since: first.UTC(), Reason: fmt.Sprintf("%d of the %d hours judged have fewer than %d past weeks to learn from", learning, p.Window+1, p.MinSamples)}}
		return finish(out)
	}
	v += math.Max(e, 1) // Poisson, at least one alert's worth
	sd := math.Sqrt(v)

	// silent
	if !last.IsZero() && last.Before(eff) {
		var gapE, gapLow float64
		lastHour := max(floorHour(last), cur-int64(p.Weeks*Slots))
		for hr := lastHour; hr <= cur; hr++ {
			slot := cal.Slot(hr)
			if b.Samples[slot] < p.MinSamples {
				continue
			}
			from, to := max(float64(hr*3600), float64(last.UnixNano())/1e9), min(float64(hr*3600+3600), float64(eff.UnixNano())/1e9)
			if to <= from {
				continue
			}
			f := (to - from) / 3600
			gapE += b.Median[slot] * f
			gapLow += math.Max(0, b.Median[slot]-b.Spread[slot]) * f
		}
		if allowed := -math.Log(p.SilentProbability); gapLow >= allowed {
			out.Conditions = append(out.Conditions, Condition{State: Silent, Unit: UnitAlerts, Expected: round2(gapE), Seen: 0,
				Allowed: round2(allowed), Since: last.UTC(),
				Reason: fmt.Sprintf("no alert since %s; about %.0f expected since then (at least %.1f counting each hour's median less its spread, against an allowance of %.1f)",
					last.UTC().Format(time.RFC3339), gapE, gapLow, allowed)})
		}
	}
	// quiet and noisy
	s := float64(out.Seen)
	if sd > 0 {
		z := (s - e) / sd
		switch {
		case e >= p.MinExpected && s <= e/2 && z <= -p.QuietZ:
			since := traceBack(h, b, cal, cur, frac, p, func(c, eh float64) (bool, bool) { return c <= eh/2, eh < 1 })
			out.Conditions = append(out.Conditions, Condition{State: Quiet, Unit: UnitAlerts, Expected: round2(e), Seen: s,
				Allowed: round2(math.Max(0, e-p.QuietZ*sd)), Since: orWindow(since, out.WindowFrom),
				Reason: fmt.Sprintf("%.0f alerts where %.0f were expected (z = %.1f)", s, e, z)})
		case s > 2*e && s-e >= p.MinNoisyExcess && z >= p.NoisyZ:
			since := traceBack(h, b, cal, cur, frac, p, func(c, eh float64) (bool, bool) { return c > 2*eh && c-eh >= 1, false })
			out.Conditions = append(out.Conditions, Condition{State: Noisy, Unit: UnitAlerts, Expected: round2(e), Seen: s,
				Allowed: round2(e + p.NoisyZ*sd), Since: orWindow(since, out.WindowFrom),
				Reason: fmt.Sprintf("%.0f alerts where %.0f were expected (z = %.1f)", s, e, z)})
		}
	}
	// late
	if usualHist != nil {
		win := make(LagHistogram, len(lagBounds)+1)
		for hr := winFrom; hr <= cur+1; hr++ { // alerts created after eff count too
			if l := h.lagAt(hr); l != nil {
				win.Add(l)
			}
		}
		if win.Total() > 0 {
			out.WindowLag = win.Quantile(0.5, lagBounds)
		}
		limit := max(out.UsualLagP95, 2*out.UsualLag, out.UsualLag+p.LateMinExcess)
		if usualHist.Total() > 0 && win.Total() >= p.LateMinAlerts && out.WindowLag > limit {
			since := lastRun(cur+1, cur-int64(p.SinceDays*24), func(hr int64) (bool, bool) {
				l := LagHistogram(h.lagAt(hr))
				if l.Total() == 0 {
					return false, true
				}
				return l.Quantile(0.5, lagBounds) > limit, false
			})
			out.Conditions = append(out.Conditions, Condition{State: Late, Unit: UnitSeconds, Expected: out.UsualLag.Seconds(),
				Seen: out.WindowLag.Seconds(), Allowed: limit.Seconds(), Since: orWindow(since, out.WindowFrom),
				Reason: fmt.Sprintf("median ingest lag %s where it is usually %s (95th percentile %s)",
					Round(out.WindowLag), Round(out.UsualLag), Round(out.UsualLagP95))})
		}
	}
	// duplicate-heavy
	if h.Dups != nil {
		var bd, bn, wd, wn int64
		for hr := max(cur-int64(p.Weeks*Slots), firstHour); hr < winFrom; hr++ {
			bd += at(h.Dups, h.Start, hr) + at(h.Resent, h.Start, hr)
			bn += at(h.Alerts, h.Start, hr) + at(h.Resent, h.Start, hr)
		}
		for hr := winFrom; hr <= cur; hr++ {
			wd += at(h.Dups, h.Start, hr) + at(h.Resent, h.Start, hr)
			wn += at(h.Alerts, h.Start, hr) + at(h.Resent, h.Start, hr)
		}
		var base float64
		if bn > 0 {
			base = float64(bd) / float64(bn)
		}
		limit := base + math.Max(base, p.DupMinExcess)
		if wn >= p.DupMinAlerts && float64(wd)/float64(wn) >= limit {
			since := lastRun(cur, cur-int64(p.SinceDays*24), func(hr int64) (bool, bool) {
				n := at(h.Alerts, h.Start, hr) + at(h.Resent, h.Start, hr)
				if n == 0 {
					return false, true
				}
				return float64(at(h.Dups, h.Start, hr)+at(h.Resent, h.Start, hr))/float64(n) >= limit, false
			})
			w := float64(wd) / float64(wn)
			out.Conditions = append(out.Conditions, Condition{State: DuplicateHeavy, Unit: UnitShare, Expected: round4(base),
				Seen: round4(w), Allowed: round4(limit), Since: orWindow(since, out.WindowFrom),
				Reason: fmt.Sprintf("%d of %d deliveries were duplicates or re-sent (%.0f %%) where %.0f %% is usual", wd, wn, 100*w, 100*base)})
		}
	}
	out.Expected = round2(out.Expected)
	return finish(out)
}

// traceBack finds since when the hours before the current one have met a
// condition: it walks back from the current hour (its elapsed share) while
// each hour meets cond(count, expected), passing hours that are neutral,
// and returns the start of the earliest one met (zero when none).
func traceBack(h *Hours, b Baseline, cal *Calendar, cur int64, frac float64, p Params, cond func(c, e float64) (met, neutral bool)) time.Time {
	var since time.Time
	for hr := cur; hr >= cur-int64(p.SinceDays*24); hr-- {
		slot := cal.Slot(hr)
		f := 1.0
		if hr == cur {
			f = frac
		}
		met, neutral := cond(float64(at(h.Alerts, h.Start, hr)), b.Median[slot]*f)
		switch {
		case met && !neutral:
			since = time.Unix(hr*3600, 0).UTC()
		case neutral:
		default:
			return since
		}
	}
	return since
}

// lastRun walks back from hour from to hour to and returns the start of
// the most recent run of hours meeting cond, passing neutral hours (zero
// when no hour meets it).
func lastRun(from, to int64, cond func(hr int64) (met, neutral bool)) time.Time {
	var since time.Time
	for hr := from; hr >= to; hr-- {
		met, neutral := cond(hr)
		switch {
		case neutral:
		case met:
			since = time.Unix(hr*3600, 0).UTC()
		case !since.IsZero():
			return since
		}
	}
	return since
}

// orWindow is since, or the window's start when no single hour showed the
// state.
func orWindow(since, window time.Time) time.Time {
	if since.IsZero() {
		return window
	}
	return since
}

// Worst is the condition of the key's state (zero when healthy).
func (h Health) Worst() Condition {
	for _, c := range h.Conditions {
		if c.State == h.State {
			return c
		}
	}
	return Condition{}
}

// finish sets the state and since from the worst condition.
func finish(h Health) Health {
	if len(h.Conditions) == 0 {
		h.State = Healthy
		return h
	}
	worst := 0
	for i, c := range h.Conditions {
		if c.State.Rank() < h.Conditions[worst].State.Rank() {
			worst = i
		}
	}
	c := h.Conditions[worst]
	h.State = c.State
	if c.Unit == UnitAlerts && c.State != Learning {
		h.Expected, h.Seen = c.Expected, int64(c.Seen)
	}
	since := c.Since
	h.Since = &since
	return h
}

func floorHour(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - 3599) / 3600
	}
	return s / 3600
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
func round4(x float64) float64 { return math.Round(x*10000) / 10000 }

// Round shortens a duration for people: seconds below ten minutes,
// minutes above.
func Round(d time.Duration) time.Duration {
	if d < 10*time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}
