// Package tech oversees the SOC's technology: the health of the sources
// that send alerts (seasonal baselines learned from the hourly rollups that
// ingest keeps, and the states healthy, quiet, silent, noisy, late and
// duplicate-heavy with their evidence), the health of the detection
// pipeline (rules that stopped firing or jumped, feeds that stopped
// succeeding), and the inventory of the platforms the SOC runs.
//
// The definitions live here and are tested without a database on
// hand-built histories; Service reads the store's rollups and caches what
// it learned for the hour.
package tech

import (
	"math"
	"slices"
	"time"
)

// Slots is the number of hours in a week: a baseline has one slot per
// local hour of the week, Sunday 00:00 first.
const Slots = 7 * 24

// Slot is the hour of the week of an instant in a time zone, Sunday 00:00
// to 00:59 being 0.
func Slot(t time.Time, tz *time.Location) int {
	lt := t.In(tz)
	return int(lt.Weekday())*24 + lt.Hour()
}

// Calendar maps Unix hours to slots in a time zone, precomputed for a
// range of hours (computed on demand outside it).
type Calendar struct {
	tz    *time.Location
	start int64
	slots []uint8
}

// NewCalendar precomputes the slots of the Unix hours in [from, to).
func NewCalendar(tz *time.Location, from, to int64) *Calendar {
	c := &Calendar{tz: tz, start: from}
	if to > from {
		c.slots = make([]uint8, to-from)
		for h := from; h < to; h++ {
			c.slots[h-from] = uint8(Slot(time.Unix(h*3600, 0), tz))
		}
	}
	return c
}

// Slot is the slot of a Unix hour.
func (c *Calendar) Slot(h int64) int {
	if i := h - c.start; i >= 0 && i < int64(len(c.slots)) {
		return int(c.slots[i])
	}
	return Slot(time.Unix(h*3600, 0), c.tz)
}

// TimeZone is the calendar's time zone.
func (c *Calendar) TimeZone() *time.Location { return c.tz }

// madScale turns a median absolute deviation into an estimate of the
// standard deviation of normally distributed data (1 / Φ⁻¹(3/4)).
const madScale = 1.4826

// Baseline is the expected alert count of each hour of the week, learned
// from the same hour of past weeks: the median of the counts and a robust
// spread (1.4826 × the median absolute deviation), so one busy or empty
// week does not move it and nights and weekends have their own.
type Baseline struct {
	Median  [Slots]float64
	Spread  [Slots]float64
	Samples [Slots]int // past hours the slot was learned from
}

// Series is a key's alert count per Unix hour (UTC), dense from Start.
type Series struct {
	Start  int64 // Unix hour of Counts[0]
	Counts []int64
}

// At is the count of a Unix hour, 0 outside the series.
func (s Series) At(h int64) int64 {
	i := h - s.Start
	if i < 0 || i >= int64(len(s.Counts)) {
		return 0
	}
	return s.Counts[i]
}

// Learn learns a baseline from the complete hours in [from, to) (Unix
// hours): each hour's count is one sample of its slot in tz. Hours before
// from — the key's first alert, or the history kept — are not samples, so
// a new source is not learned from the weeks before it existed.
func Learn(s Series, from, to int64, cal *Calendar) Baseline {
	n := max(to-from, 0)
	per := int(n/Slots) + 1
	buf := make([]float64, 0, int(n)+Slots)
	var samples [Slots][]float64
	for i := range samples {
		samples[i] = buf[len(buf) : len(buf) : len(buf)+per]
		buf = buf[:len(buf)+per]
	}
	for h := from; h < to; h++ {
		slot := cal.Slot(h)
		samples[slot] = append(samples[slot], float64(s.At(h)))
	}
	var b Baseline
	dev := make([]float64, 0, per)
	for i, xs := range samples {
		if len(xs) == 0 {
			continue
		}
		m := median(xs)
		dev = dev[:0]
		for _, x := range xs {
			dev = append(dev, math.Abs(x-m))
		}
		b.Median[i], b.Spread[i], b.Samples[i] = m, madScale*median(dev), len(xs)
	}
	return b
}

// median is the middle value of xs (the mean of the two middle values for
// an even count); xs is sorted in place.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// LagHistogram counts alerts by ingest lag in the store's buckets (upper
// bounds Bounds; the last bucket is open).
type LagHistogram []int64

// Add adds another histogram of the same buckets.
func (h LagHistogram) Add(o []int64) {
	for i := range h {
		h[i] += o[i]
	}
}

// Total is the number of alerts counted.
func (h LagHistogram) Total() int64 {
	var n int64
	for _, v := range h {
		n += v
	}
	return n
}

// Quantile estimates the q-quantile of the lags from a histogram with the
// given bucket upper bounds (len(bounds) = len(h) - 1): the rank q × n is
// found in its bucket and placed linearly between the bucket's bounds (0 for
// the first bucket's lower bound); a rank in the open last bucket is its
// lower bound. It is 0 when the histogram is empty.
func (h LagHistogram) Quantile(q float64, bounds []time.Duration) time.Duration {
	n := h.Total()
	if n == 0 {
		return 0
	}
	rank := q * float64(n)
	var cum float64
	for i, c := range h {
		if c == 0 {
			continue
		}
		if cum+float64(c) >= rank {
			if i == len(h)-1 {
				return bounds[len(bounds)-1]
			}
			lo := time.Duration(0)
			if i > 0 {
				lo = bounds[i-1]
			}
			f := (rank - cum) / float64(c)
			return lo + time.Duration(f*float64(bounds[i]-lo))
		}
		cum += float64(c)
	}
	return bounds[len(bounds)-1]
}
