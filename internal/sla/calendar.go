package sla

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Calendar is a compiled business-hours calendar: a daily working window on
// chosen weekdays in a time zone, minus holidays.
//
// Each working day's window runs from its local start to its local end as
// real instants, so a day containing a daylight-saving change has its real
// length (an 01:00–05:00 window on Europe/Berlin's spring-forward day lasts
// three hours). A nil *Calendar is a valid 24×7 calendar. A Calendar is
// immutable and safe for concurrent use.
type Calendar struct {
	loc        *time.Location
	days       [7]bool
	workdays   int64         // how many of the seven weekdays are working days
	start, end int           // window bounds in minutes after local midnight; end may be 1440
	nominal    time.Duration // window length on a day without a zone change
	holidays   []int64       // sorted civil day numbers
}

// NewCalendar compiles business hours. A nil bh yields the nil (24×7)
// calendar. An empty time zone means UTC. End may be "24:00" for a window
// that runs to midnight.
func NewCalendar(bh *model.BusinessHours) (*Calendar, error) {
	if bh == nil {
		return nil, nil
	}
	c := &Calendar{loc: time.UTC}
	if tz := strings.TrimSpace(bh.TimeZone); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("load time zone %q: %w", tz, err)
		}
		c.loc = loc
	}
	for _, d := range bh.Days {
		if d < time.Sunday || d > time.Saturday {
			return nil, fmt.Errorf("invalid weekday %d", d)
		}
		if !c.days[d] {
			c.days[d] = true
			c.workdays++
		}
	}
	if c.workdays == 0 {
		return nil, fmt.Errorf("no working days")
	}
	var err error
	if c.start, err = parseClock(bh.Start); err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	if c.end, err = parseClock(bh.End); err != nil {
		return nil, fmt.Errorf("end: %w", err)
	}
	if c.end <= c.start {
		return nil, fmt.Errorf("end %q is not after start %q", bh.End, bh.Start)
	}
	c.nominal = time.Duration(c.end-c.start) * time.Minute
	for _, h := range bh.Holidays {
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(h))
		if err != nil {
			return nil, fmt.Errorf("holiday %q: want YYYY-MM-DD", h)
		}
		c.holidays = append(c.holidays, civilDay(t.Date()))
	}
	slices.Sort(c.holidays)
	c.holidays = slices.Compact(c.holidays)
	return c, nil
}

// parseClock reads a local "HH:MM" (00:00–24:00) as minutes after midnight.
func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("%q: want HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q: want HH:MM between 00:00 and 24:00", s)
	}
	return hh*60 + mm, nil
}

// Location is the calendar's time zone (UTC for the nil calendar).
func (c *Calendar) Location() *time.Location {
	if c == nil {
		return time.UTC
	}
	return c.loc
}

// WorkingTime is the business time elapsed between two instants: the total
// overlap of [from, to] with the working windows. It is zero when to is not
// after from. The nil calendar counts every instant.
//
// It costs O(1) per call plus the holidays and time-zone changes inside the
// span, whatever the span's length.
func (c *Calendar) WorkingTime(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if c == nil {
		return to.Sub(from)
	}
	df, dt := c.dayOf(from), c.dayOf(to)
	if df == dt {
		return c.overlap(df, from, to)
	}
	return c.overlap(df, from, to) + c.fullDays(df+1, dt) + c.overlap(dt, from, to)
}

// AddWorking returns the earliest instant at which d of business time has
// elapsed since from, so that WorkingTime(from, AddWorking(from, d)) == d.
// When d uses up a window exactly, the result is that window's end, not the
// next window's start. A d ≤ 0 returns from. Long durations skip whole weeks.
func (c *Calendar) AddWorking(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return from
	}
	if c == nil {
		return from.Add(d)
	}
	day := c.dayOf(from)
	if ws, we, ok := c.window(day); ok {
		if ws.Before(from) {
			ws = from
		}
		if we.After(ws) {
			l := we.Sub(ws)
			if d <= l {
				return ws.Add(d)
			}
			d -= l
		}
	}
	day++
	week := c.nominal * time.Duration(c.workdays)
	for {
		k := int64(d/week) - 1
		for k >= 1 {
			if got := c.fullDays(day, day+7*k); got < d {
				d -= got
				day += 7 * k
				break
			}
			k /= 2
		}
		if k < 1 {
			break
		}
	}
	for ; ; day++ {
		ws, we, ok := c.window(day)
		if !ok {
			continue
		}
		l := we.Sub(ws)
		if d <= l {
			return ws.Add(d)
		}
		d -= l
	}
}

// overlap is the business time of day d inside [from, to].
func (c *Calendar) overlap(d int64, from, to time.Time) time.Duration {
	ws, we, ok := c.window(d)
	if !ok {
		return 0
	}
	if from.After(ws) {
		ws = from
	}
	if to.Before(we) {
		we = to
	}
	if !we.After(ws) {
		return 0
	}
	return we.Sub(ws)
}

// fullDays is the business time of the whole days [a, b). Short ranges add
// the windows up; long ranges count working weekdays, then correct for
// holidays and for the days on which the zone's offset changes.
func (c *Calendar) fullDays(a, b int64) time.Duration {
	if b-a <= 14 {
		return c.sumDays(a, b)
	}
	n := b - a
	count := n / 7 * c.workdays
	wd := weekdayOf(a)
	for i := range n % 7 {
		if c.days[(int64(wd)+i)%7] {
			count++
		}
	}
	total := time.Duration(count) * c.nominal
	lo, _ := slices.BinarySearch(c.holidays, a)
	for _, h := range c.holidays[lo:] {
		if h >= b {
			break
		}
		if c.days[weekdayOf(h)] {
			total -= c.nominal
		}
	}
	// Visit each zone change between the start of day a and the start of
	// day b; both days touching the change instant may have a window whose
	// real length differs from the nominal one.
	ta, tb := c.dayStart(a), c.dayStart(b)
	last := a - 1
	visit := func(d int64) {
		if d <= last || d < a || d >= b {
			return
		}
		last = d
		if ws, we, ok := c.window(d); ok {
			total += we.Sub(ws) - c.nominal
		}
	}
	for t := ta.Add(-time.Nanosecond); ; {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.After(tb) {
			break
		}
		if !end.After(t) {
			// ZoneBounds can report an end that does not advance, in the
			// last day of a leap year served by a zone's TZ rule
			// (golang/go#81583). Step over it an hour at a time, visiting
			// every day passed so that no change goes unnoticed.
			next := t.Add(time.Hour)
			visit(c.dayOf(t))
			visit(c.dayOf(next))
			t = next
			continue
		}
		visit(c.dayOf(end.Add(-time.Nanosecond)))
		visit(c.dayOf(end))
		t = end
	}
	return total
}

// sumDays adds up the windows of the days [a, b) one by one.
func (c *Calendar) sumDays(a, b int64) time.Duration {
	var total time.Duration
	for d := a; d < b; d++ {
		if ws, we, ok := c.window(d); ok {
			total += we.Sub(ws)
		}
	}
	return total
}

// window returns day d's working window as instants, and false when d is not
// a working day. The window never leaves the local day.
func (c *Calendar) window(d int64) (ws, we time.Time, ok bool) {
	if !c.days[weekdayOf(d)] || c.isHoliday(d) {
		return time.Time{}, time.Time{}, false
	}
	y, m, dd := civilDate(d)
	if c.start == 0 {
		ws = c.dayStart(d)
	} else {
		ws = time.Date(y, m, dd, c.start/60, c.start%60, 0, 0, c.loc)
	}
	if c.end == 24*60 {
		we = c.dayStart(d + 1)
	} else {
		we = time.Date(y, m, dd, c.end/60, c.end%60, 0, 0, c.loc)
	}
	if we.Before(ws) {
		we = ws
	}
	return ws, we, true
}

// dayStart is the first instant of local day d. When local midnight does not
// exist (a zone change at midnight) it is the change instant.
func (c *Calendar) dayStart(d int64) time.Time {
	y, m, dd := civilDate(d)
	t := time.Date(y, m, dd, 0, 0, 0, 0, c.loc)
	if c.dayOf(t) < d {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end
		}
	}
	return t
}

func (c *Calendar) isHoliday(d int64) bool {
	if len(c.holidays) == 0 {
		return false
	}
	_, found := slices.BinarySearch(c.holidays, d)
	return found
}

// dayOf is the civil day number of t's local date.
func (c *Calendar) dayOf(t time.Time) int64 {
	return civilDay(t.In(c.loc).Date())
}

// civilDay numbers a proleptic Gregorian date as days since 1970-01-01
// (H. Hinnant's days_from_civil).
func civilDay(y int, m time.Month, d int) int64 {
	yy := int64(y)
	if m <= time.February {
		yy--
	}
	era := floorDiv(yy, 400)
	yoe := yy - era*400
	mp := (int64(m) + 9) % 12 // March = 0
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilDate is the inverse of civilDay.
func civilDate(z int64) (int, time.Month, int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := (mp+2)%12 + 1
	if m <= 2 {
		y++
	}
	return int(y), time.Month(m), int(d)
}

// weekdayOf is the weekday of civil day z (1970-01-01 was a Thursday).
func weekdayOf(z int64) time.Weekday {
	return time.Weekday(floorMod(z+4, 7))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
