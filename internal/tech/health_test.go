package tech

import (
	"math"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
)

var bounds = store.LagBounds[:]

var utc = NewCalendar(time.UTC, 0, 0)

// office is a source with a strong day/night and weekday/weekend rhythm:
// on weekdays 08:00–17:59 it sends 58, 60 or 62 alerts an hour (by week),
// on weekday nights 4, 5 or 6, and nothing at weekends. Every alert
// arrives 30–60 s after it was created.
type office struct {
	start time.Time // a Sunday 00:00 UTC, six weeks before the judged week
	h     Hours
}

func newOffice(t *testing.T) *office {
	start := time.Date(2026, 1, 25, 0, 0, 0, 0, time.UTC)
	if start.Weekday() != time.Sunday {
		t.Fatal("start must be a Sunday")
	}
	return &office{start: start, h: Hours{Start: start.Unix() / 3600}}
}

// rate is the rhythm's count for an hour: week k of the history uses the
// k%3-th of each triple; the judged week (k = 6) sends the medians.
func rate(hr time.Time, week int) int64 {
	wd := hr.Weekday()
	if wd == time.Saturday || wd == time.Sunday {
		return 0
	}
	v := [3]int64{58, 60, 62}
	n := [3]int64{4, 5, 6}
	k := week % 3
	if week == 6 {
		k = 1
	}
	if hr.Hour() >= 8 && hr.Hour() < 18 {
		return v[k]
	}
	return n[k]
}

// fill records the rhythm up to (not including) the hour of until.
func (o *office) fill(until time.Time) {
	for hr := o.start; hr.Before(until.Truncate(time.Hour)); hr = hr.Add(time.Hour) {
		week := int(hr.Sub(o.start) / (7 * 24 * time.Hour))
		o.put(hr, rate(hr, week), 2)
	}
}

// put records an hour's alerts, all in one lag bucket.
func (o *office) put(hr time.Time, n int64, lagBucket int) {
	i := int(hr.Unix()/3600 - o.h.Start)
	for len(o.h.Alerts) <= i {
		o.h.Alerts = append(o.h.Alerts, 0)
		o.h.Dups = append(o.h.Dups, 0)
		o.h.Resent = append(o.h.Resent, 0)
		o.h.Lag = append(o.h.Lag, nil)
	}
	o.h.Alerts[i] = n
	if n > 0 {
		l := make([]int64, store.LagBuckets)
		l[lagBucket] = n
		o.h.Lag[i] = l
	} else {
		o.h.Lag[i] = nil
	}
}

// last is the newest alert: a second before the end of the newest hour
// with alerts.
func (o *office) last() time.Time {
	for i := len(o.h.Alerts) - 1; i >= 0; i-- {
		if o.h.Alerts[i] > 0 {
			return time.Unix((o.h.Start+int64(i)+1)*3600-1, 0).UTC()
		}
	}
	return time.Time{}
}

func (o *office) judge(now time.Time) Health {
	return Judge(&o.h, o.start, o.last(), now, utc, DefaultParams, bounds, 0)
}

// judged is the week judged: Tuesday 2026-03-10 is in it.
var tuesday = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

func TestLearnMedianAndMAD(t *testing.T) {
	o := newOffice(t)
	o.fill(tuesday)
	b := Learn(Series{Start: o.h.Start, Counts: o.h.Alerts}, o.h.Start, tuesday.Unix()/3600, utc)
	// Tuesday 10:00 was seen in six weeks: 58 60 62 58 60 62. Median 60;
	// deviations 2 0 2 2 0 2, whose median is 2; spread 1.4826 × 2.
	slot := Slot(tuesday.Add(10*time.Hour), time.UTC)
	if slot != 2*24+10 {
		t.Fatalf("slot = %d", slot)
	}
	if b.Median[slot] != 60 || math.Abs(b.Spread[slot]-2.9652) > 1e-9 || b.Samples[slot] != 6 {
		t.Errorf("Tuesday 10:00: median %v spread %v samples %d, want 60 2.9652 6", b.Median[slot], b.Spread[slot], b.Samples[slot])
	}
	sat := Slot(time.Date(2026, 3, 7, 3, 0, 0, 0, time.UTC), time.UTC)
	if b.Median[sat] != 0 || b.Spread[sat] != 0 || b.Samples[sat] != 6 {
		t.Errorf("Saturday 03:00: median %v spread %v samples %d, want 0 0 6", b.Median[sat], b.Spread[sat], b.Samples[sat])
	}
}

func TestLagQuantile(t *testing.T) {
	h := make(LagHistogram, store.LagBuckets)
	h[2] = 90 // 30 s – 1 m
	h[7] = 120
	// rank 105 of 210: 15 into the 120 of [30 m, 1 h) → 30 m + 15/120 × 30 m.
	if got := h.Quantile(0.5, bounds); got != 2025*time.Second {
		t.Errorf("median = %v, want 33m45s", got)
	}
	one := make(LagHistogram, store.LagBuckets)
	one[2] = 10
	if got := one.Quantile(0.95, bounds); got != 58500*time.Millisecond {
		t.Errorf("p95 = %v, want 58.5s", got)
	}
	open := make(LagHistogram, store.LagBuckets)
	open[store.LagBuckets-1] = 3
	if got := open.Quantile(0.5, bounds); got != 24*time.Hour {
		t.Errorf("open bucket = %v, want 24h", got)
	}
	if got := make(LagHistogram, store.LagBuckets).Quantile(0.5, bounds); got != 0 {
		t.Errorf("empty = %v", got)
	}
}

func TestNightsAndWeekendsAreNotAlarms(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2026, 3, 7, 3, 0, 0, 0, time.UTC),   // Saturday night: nothing since Friday 23:59
		time.Date(2026, 3, 8, 14, 30, 0, 0, time.UTC), // Sunday afternoon
		time.Date(2026, 3, 9, 7, 10, 0, 0, time.UTC),  // Monday before the office opens
		time.Date(2026, 3, 11, 2, 0, 0, 0, time.UTC),  // Wednesday night
		time.Date(2026, 3, 10, 10, 9, 0, 0, time.UTC), // Tuesday, 9 minutes into a quiet start
	} {
		o := newOffice(t)
		o.fill(now)
		if got := o.judge(now); got.State != Healthy {
			t.Errorf("%s (%s): %s %+v", now.Format(time.RFC3339), now.Weekday(), got.State, got.Conditions)
		}
	}
}

func TestSilentOnTuesdayMorning(t *testing.T) {
	// The source sends its Tuesday until 10:00 and then nothing.
	o := newOffice(t)
	o.fill(tuesday.Add(10 * time.Hour))
	last := tuesday.Add(10 * time.Hour)
	at := func(now time.Time) Health {
		// Judged with no usual-lag shift: the history's lag is 30–60 s, so
		// shift the clock by the usual 45 s to judge the instant named.
		return Judge(&o.h, o.start, last, now.Add(45*time.Second), utc, DefaultParams, bounds, 0)
	}
	// The allowance is −ln(1e-4) = 9.21 alerts counted at the median less
	// the spread (60 − 2.9652 = 57.0348 an hour): at 10:09 that is 8.56.
	if got := at(tuesday.Add(10*time.Hour + 9*time.Minute)); got.State != Healthy {
		t.Errorf("10:09: %s %+v", got.State, got.Conditions)
	}
	// At 10:15: 14.26 ≥ 9.21; 15 expected at the median.
	got := at(tuesday.Add(10*time.Hour + 15*time.Minute))
	if got.State != Silent {
		t.Fatalf("10:15: %s %+v", got.State, got.Conditions)
	}
	c := got.Conditions[0]
	if c.State != Silent || c.Expected != 15 || c.Seen != 0 || c.Allowed != 9.21 || !c.Since.Equal(last) || !got.Since.Equal(last) {
		t.Errorf("silent evidence %+v", c)
	}
	// The source resumes at 10:20 with its usual volume: the state clears.
	o.put(tuesday.Add(10*time.Hour), 40, 2)
	o.put(tuesday.Add(11*time.Hour), 60, 2)
	now := tuesday.Add(11*time.Hour + 30*time.Minute + 45*time.Second)
	if got := Judge(&o.h, o.start, tuesday.Add(11*time.Hour+29*time.Minute), now, utc, DefaultParams, bounds, 0); got.State != Healthy {
		t.Errorf("after resuming: %s %+v", got.State, got.Conditions)
	}
}

func TestLagSpikeFlaggedAndCleared(t *testing.T) {
	o := newOffice(t)
	o.fill(tuesday.Add(9 * time.Hour))
	// Tuesday's 09:00 and 10:00 alerts arrive 30 m – 1 h late; 11:00's on time.
	o.put(tuesday.Add(8*time.Hour), 60, 2)
	o.put(tuesday.Add(9*time.Hour), 60, 7)
	o.put(tuesday.Add(10*time.Hour), 60, 7)
	o.put(tuesday.Add(11*time.Hour), 30, 2)
	got := o.judge(tuesday.Add(11*time.Hour + 30*time.Minute))
	if got.State != Late {
		t.Fatalf("11:30: %s %+v", got.State, got.Conditions)
	}
	// Usual lag: all history in [30 s, 1 m): median 45 s, p95 58.5 s; the
	// bound is max(58.5 s, 2 × 45 s, 45 s + 1 m) = 105 s. The window (08:00
	// to now) holds 90 alerts on time and 120 late: its median is 33m45s.
	c := got.Conditions[0]
	if c.Expected != 45 || c.Seen != 2025 || c.Allowed != 105 || !c.Since.Equal(tuesday.Add(9*time.Hour)) {
		t.Errorf("late evidence %+v", c)
	}
	if got.UsualLag != 45*time.Second || got.UsualLagP95 != 58500*time.Millisecond {
		t.Errorf("usual lag %v p95 %v", got.UsualLag, got.UsualLagP95)
	}
	// Four hours later the late hours have left the window.
	for hr := 11; hr < 16; hr++ {
		o.put(tuesday.Add(time.Duration(hr)*time.Hour), 60, 2)
	}
	if got := o.judge(tuesday.Add(15*time.Hour + 30*time.Minute)); got.State != Healthy {
		t.Errorf("15:30: %s %+v", got.State, got.Conditions)
	}
}

func TestNoisyQuietDuplicatesLearning(t *testing.T) {
	t.Run("noisy", func(t *testing.T) {
		o := newOffice(t)
		o.fill(tuesday.Add(8 * time.Hour))
		o.put(tuesday.Add(8*time.Hour), 180, 2)
		o.put(tuesday.Add(9*time.Hour), 180, 2)
		o.put(tuesday.Add(10*time.Hour), 90, 2)
		// Judged at 10:30 (10:29:15 after the usual 45 s lag): expected
		// 5 + 60 + 60 + 0.4875 × 60 = 154.25, seen 5 + 180 + 180 + 90 = 455.
		got := o.judge(tuesday.Add(10*time.Hour + 30*time.Minute))
		if got.State != Noisy || got.Expected != 154.25 || got.Seen != 455 || !got.Since.Equal(tuesday.Add(8*time.Hour)) {
			t.Errorf("%s expected %v seen %d since %v %+v", got.State, got.Expected, got.Seen, got.Since, got.Conditions)
		}
	})
	t.Run("quiet", func(t *testing.T) {
		o := newOffice(t)
		o.fill(tuesday.Add(8 * time.Hour))
		for hr := 8; hr <= 10; hr++ {
			o.put(tuesday.Add(time.Duration(hr)*time.Hour), 20, 2)
		}
		o.put(tuesday.Add(11*time.Hour), 10, 2)
		// Alerts still arrive, a third of the usual.
		got := o.judge(tuesday.Add(11*time.Hour + 30*time.Minute))
		if got.State != Quiet || !got.Since.Equal(tuesday.Add(8*time.Hour)) {
			t.Errorf("%s since %v %+v", got.State, got.Since, got.Conditions)
		}
	})
	t.Run("duplicate-heavy", func(t *testing.T) {
		o := newOffice(t)
		o.fill(tuesday.Add(11 * time.Hour))
		for hr := 9; hr <= 10; hr++ {
			o.h.Resent[tuesday.Add(time.Duration(hr)*time.Hour).Unix()/3600-o.h.Start] = 60
		}
		o.put(tuesday.Add(11*time.Hour), 30, 2)
		// Window 08:00–11:29: 60 + 60 + 60 + 30 alerts and 120 re-sent: 120
		// of 330 = 0.3636 ≥ 0 + max(0, 0.2).
		got := o.judge(tuesday.Add(11*time.Hour + 30*time.Minute))
		if got.State != DuplicateHeavy {
			t.Fatalf("%s %+v", got.State, got.Conditions)
		}
		c := got.Conditions[len(got.Conditions)-1]
		if c.Seen != 0.3636 || c.Expected != 0 || c.Allowed != 0.2 || !c.Since.Equal(tuesday.Add(9*time.Hour)) {
			t.Errorf("duplicate evidence %+v", c)
		}
	})
	t.Run("learning", func(t *testing.T) {
		o := newOffice(t)
		o.fill(tuesday.Add(10 * time.Hour))
		// Only the last two weeks count when the source began then.
		first := tuesday.Add(-14 * 24 * time.Hour)
		got := Judge(&o.h, first, o.last(), tuesday.Add(10*time.Hour), utc, DefaultParams, bounds, 0)
		if got.State != Learning {
			t.Errorf("%s %+v", got.State, got.Conditions)
		}
	})
}
