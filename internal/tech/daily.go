package tech

import (
	"fmt"
	"math"
	"time"
)

// Daily thresholds of the rule checks that work in days rather than hours
// of the week: rules that fire a few times a day have an expected count of
// zero in most hours, so their silence and their jumps show over days.
const (
	// DailyPeriods is how many 24-hour periods before the gap a rule's
	// regularity is learned from (8 weeks), MinDailyPeriods how many it
	// needs.
	DailyPeriods    = 56
	MinDailyPeriods = 14
	// StoppedProbability: a rule that fired in f of its n periods (p =
	// (f + 1) / (n + 2)) is stopped when d periods without an alert had at
	// most this probability, (1 − p)^d ≤ StoppedProbability, with p at
	// least MinRegularity.
	StoppedProbability = 1e-3
	MinRegularity      = 0.5
	// A rule jumped when its last 24 hours hold at least JumpFactor times
	// its median day and JumpExcess alerts more.
	JumpFactor = 3.0
	JumpExcess = 10
)

// DailyDefinition is the daily rule checks' definition.
const DailyDefinition = "Rules are also judged by 24-hour periods counted back from now: stopped when the rule fired in f of the n ≤ 56 periods before its " +
	"last alert (n ≥ 14), p = (f + 1) / (n + 2) ≥ 50 %, and the d whole periods since had (1 − p)^d ≤ 0.1 %; its volume jumped " +
	"(noisy) when the last 24 hours hold at least 3 × its median period and 10 alerts more."

// Daily adds the daily conditions to a rule's health: stopped (fired on most
// days and not since) and a jump of the last 24 hours against its median
// day. h is the rule's hourly counts; first and last its first and newest
// alert.
func Daily(hh Health, h *Hours, first, last, now time.Time) Health {
	if first.IsZero() || last.IsZero() {
		return hh
	}
	// count is the alerts of period k: the hours of [now − (k+1)·24h, now − k·24h).
	nowHour := floorHour(now)
	count := func(k int) int64 {
		var n int64
		for hr := nowHour - int64(24*(k+1)) + 1; hr <= nowHour-int64(24*k); hr++ {
			n += at(h.Alerts, h.Start, hr)
		}
		return n
	}
	firstHour := floorHour(first)
	valid := func(k int) bool {
		return nowHour-int64(24*(k+1))+1 >= firstHour && nowHour-int64(24*(k+1))+1 >= h.Start
	}
	gap := int(now.Sub(last) / (24 * time.Hour))
	// Stopped.
	if gap >= 1 {
		fired, periods := 0, 0
		for k := gap + 1; k <= gap+DailyPeriods && valid(k); k++ {
			periods++
			if count(k) > 0 {
				fired++
			}
		}
		if periods >= MinDailyPeriods {
			// Laplace's rule of succession: a rule that fired every day of
			// its history is not certain to fire tomorrow.
			p := float64(fired+1) / float64(periods+2)
			if prob := math.Pow(1-p, float64(gap)); p >= MinRegularity && prob <= StoppedProbability {
				hh.Conditions = append(hh.Conditions, Condition{State: Stopped, Unit: UnitAlerts, Expected: round2(p * float64(gap)),
					Seen: 0, Allowed: StoppedProbability, Since: last.UTC(),
					Reason: fmt.Sprintf("fired in %d of %d days before its last alert (%s); none in the %d days since (a chance of %.2g)",
						fired, periods, last.UTC().Format(time.RFC3339), gap, prob)})
			}
		}
	}
	// Jumped.
	var days []float64
	for k := 1; k <= DailyPeriods && valid(k); k++ {
		days = append(days, float64(count(k)))
	}
	if len(days) >= MinDailyPeriods {
		m := median(days)
		if n := float64(count(0)); n >= JumpFactor*m && n-m >= JumpExcess {
			hh.Conditions = append(hh.Conditions, Condition{State: Noisy, Unit: UnitAlerts, Expected: m, Seen: n,
				Allowed: math.Max(JumpFactor*m, m+JumpExcess), Since: now.Add(-24 * time.Hour).UTC(),
				Reason: fmt.Sprintf("%.0f alerts in the last 24 hours where its median day over %d days has %.0f", n, len(days), m)})
		}
	}
	if len(hh.Conditions) == 0 || hh.State == Learning && !hasAlarm(hh.Conditions) {
		return hh
	}
	if hh.State == Learning {
		// The hourly baseline is still learning; the daily checks judge.
		kept := hh.Conditions[:0]
		for _, c := range hh.Conditions {
			if c.State != Learning {
				kept = append(kept, c)
			}
		}
		hh.Conditions = kept
	}
	hh.Since = nil
	return finish(hh)
}

func hasAlarm(cs []Condition) bool {
	for _, c := range cs {
		if c.State.Alarm() {
			return true
		}
	}
	return false
}
