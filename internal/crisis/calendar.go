package crisis

import (
	"time"
)

// CalendarUSFederal is the business-day calendar of US federal agencies
// (the SEC): Monday to Friday except federal holidays.
const CalendarUSFederal = "us-federal"

// civilDate is a calendar day without a zone.
type civilDate struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) civilDate {
	y, m, d := t.Date()
	return civilDate{y, m, d}
}

func (c civilDate) time() time.Time { return time.Date(c.y, c.m, c.d, 0, 0, 0, 0, time.UTC) }

func (c civilDate) addDays(n int) civilDate { return dateOf(c.time().AddDate(0, 0, n)) }

// nthWeekday is the n-th given weekday of a month (n = -1: the last).
func nthWeekday(y int, m time.Month, wd time.Weekday, n int) civilDate {
	if n < 0 {
		last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC)
		return dateOf(last.AddDate(0, 0, -((int(last.Weekday()) - int(wd) + 7) % 7)))
	}
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	return dateOf(first.AddDate(0, 0, (int(wd)-int(first.Weekday())+7)%7+7*(n-1)))
}

// observed moves a fixed-date holiday off the weekend as 5 U.S.C. 6103(b)
// and Executive Order 11582 do for federal employees: Saturday to the
// Friday before, Sunday to the Monday after.
func observed(c civilDate) civilDate {
	switch c.time().Weekday() {
	case time.Saturday:
		return c.addDays(-1)
	case time.Sunday:
		return c.addDays(1)
	}
	return c
}

// FederalHolidays returns the US federal holidays (5 U.S.C. 6103(a)) that
// are observed in year y, by rule: New Year's Day, Birthday of Martin
// Luther King Jr. (third Monday of January, from 1986), Washington's
// Birthday (third Monday of February), Memorial Day (last Monday of May),
// Juneteenth (19 June, from 2021), Independence Day, Labor Day (first
// Monday of September), Columbus Day (second Monday of October), Veterans
// Day (11 November), Thanksgiving (fourth Thursday of November) and
// Christmas. Fixed dates on a weekend are observed on the nearest weekday,
// so New Year's Day of y+1 on a Saturday is observed on 31 December of y.
// The Monday holidays follow the Uniform Monday Holiday Act (from 1971).
func FederalHolidays(y int) []time.Time {
	var ds []civilDate
	fixed := func(yy int, m time.Month, d int) civilDate { return observed(civilDate{yy, m, d}) }
	if nyd := fixed(y, time.January, 1); nyd.y == y {
		ds = append(ds, nyd)
	}
	if y >= 1986 {
		ds = append(ds, nthWeekday(y, time.January, time.Monday, 3))
	}
	ds = append(ds, nthWeekday(y, time.February, time.Monday, 3), nthWeekday(y, time.May, time.Monday, -1))
	if y >= 2021 {
		ds = append(ds, fixed(y, time.June, 19))
	}
	ds = append(ds, fixed(y, time.July, 4), nthWeekday(y, time.September, time.Monday, 1),
		nthWeekday(y, time.October, time.Monday, 2), fixed(y, time.November, 11),
		nthWeekday(y, time.November, time.Thursday, 4), fixed(y, time.December, 25))
	if nyd := fixed(y+1, time.January, 1); nyd.y == y {
		ds = append(ds, nyd) // next New Year's Day, a Saturday, observed on 31 December
	}
	out := make([]time.Time, len(ds))
	for i, d := range ds {
		out[i] = d.time()
	}
	return out
}

// IsFederalHoliday reports whether the calendar day of t (its own zone) is
// an observed US federal holiday.
func IsFederalHoliday(t time.Time) bool {
	d := dateOf(t)
	for _, h := range FederalHolidays(d.y) {
		if dateOf(h) == d {
			return true
		}
	}
	return false
}

// isBusinessDay reports whether c is a US federal business day.
func isBusinessDay(c civilDate, closed map[civilDate]bool) bool {
	switch c.time().Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !closed[c] && !IsFederalHoliday(c.time())
}

// addBusinessDays counts n business days after the calendar day of from in
// loc (that day itself never counts: an event on a business day starts the
// count the next day, and one on a weekend or holiday lets the first
// business day after it count as day one) and returns the cut-off time
// of the n-th.
func addBusinessDays(from time.Time, n int, loc *time.Location, h, m int, closed map[civilDate]bool) time.Time {
	d := dateOf(from.In(loc))
	for n > 0 {
		d = d.addDays(1)
		if isBusinessDay(d, closed) {
			n--
		}
	}
	return time.Date(d.y, d.m, d.d, h, m, 0, 0, loc).UTC()
}
