package sla

import (
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

const (
	h = time.Hour
	m = time.Minute
)

var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}

var allDays = []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday,
	time.Friday, time.Saturday}

// The calendars the tests use. Berlin switches to CEST on Sunday 2026-03-29
// (02:00 CET → 03:00 CEST, 01:00 UTC) and back on Sunday 2026-10-25 (03:00
// CEST → 02:00 CET, 01:00 UTC); New York on Sunday 2026-03-08 (02:00 EST →
// 03:00 EDT, 07:00 UTC) and Sunday 2026-11-01 (02:00 EDT → 01:00 EST, 06:00
// UTC).
var (
	// Berlin office hours. 2026 holidays on weekdays: Thu 01-01, Fri 04-03,
	// Mon 04-06, Fri 05-01, Fri 12-25; 12-26 is a Saturday.
	berlinOffice = &model.BusinessHours{TimeZone: "Europe/Berlin", Days: weekdays, Start: "09:00", End: "17:00",
		Holidays: []string{"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-12-25", "2026-12-26"}}
	// A night shift in Berlin whose window contains both 2026 changes.
	berlinNight = &model.BusinessHours{TimeZone: "Europe/Berlin", Days: allDays, Start: "01:00", End: "05:00"}
	// Whole local days in Berlin: equal to real time.
	berlinAllDay = &model.BusinessHours{TimeZone: "Europe/Berlin", Days: allDays, Start: "00:00", End: "24:00"}
	// New York office hours; Thanksgiving (Thu 2026-11-26) and Fri 2026-07-03.
	nyOffice = &model.BusinessHours{TimeZone: "America/New_York", Days: weekdays, Start: "09:00", End: "17:00",
		Holidays: []string{"2026-07-03", "2026-11-26"}}
	// A night shift in New York whose window contains both 2026 changes.
	nyNight = &model.BusinessHours{TimeZone: "America/New_York", Days: allDays, Start: "00:00", End: "06:00"}
)

func mustCal(t testing.TB, bh *model.BusinessHours) *Calendar {
	t.Helper()
	c, err := NewCalendar(bh)
	if err != nil {
		t.Fatalf("NewCalendar: %v", err)
	}
	return c
}

// ts parses an RFC 3339 instant.
func ts(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v.UTC()
}

func TestWorkingTime(t *testing.T) {
	tests := []struct {
		name     string
		cal      *model.BusinessHours
		from, to string
		want     time.Duration
	}{
		// Mon 2026-03-02 10:00–15:30 CET.
		{"same day", berlinOffice, "2026-03-02T10:00:00+01:00", "2026-03-02T15:30:00+01:00", 5*h + 30*m},
		// 07:00–19:00 covers the whole 09:00–17:00 window.
		{"around the window", berlinOffice, "2026-03-02T07:00:00+01:00", "2026-03-02T19:00:00+01:00", 8 * h},
		// Fri 16:00–17:00 (1h) + Sat, Sun (0) + Mon 09:00–10:00 (1h) = 2h.
		{"weekend", berlinOffice, "2026-03-06T16:00:00+01:00", "2026-03-09T10:00:00+01:00", 2 * h},
		// Thu 16:00–17:00 (1h) + Fri 05-01 holiday + weekend + Mon 09:00–10:00 (1h) = 2h.
		{"holiday", berlinOffice, "2026-04-30T16:00:00+02:00", "2026-05-04T10:00:00+02:00", 2 * h},
		// Thu 04-02 (8h) + Good Friday + weekend + Easter Monday + Tue 09:00 (0) = 8h.
		{"easter", berlinOffice, "2026-04-02T09:00:00+02:00", "2026-04-07T09:00:00+02:00", 8 * h},
		// Fri 16:00 CET → Mon 10:00 CEST across the spring-forward Sunday:
		// 1h + 1h = 2h of business time (65h of real time).
		{"office across spring forward", berlinOffice, "2026-03-27T16:00:00+01:00", "2026-03-30T10:00:00+02:00", 2 * h},
		// 2026: 365 days = 52 weeks + Thu 01-01, so 52×5+1 = 261 weekdays,
		// minus 5 weekday holidays = 256 days × 8h = 2048h.
		{"office year", berlinOffice, "2026-01-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00", 2048 * h},
		// 2026-03-29 01:00 CET (00:00Z) → 05:00 CEST (03:00Z) = 3h.
		{"night shift spring-forward day", berlinNight, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", 3 * h},
		// 2026-10-25 01:00 CEST (10-24 23:00Z) → 05:00 CET (04:00Z) = 5h.
		{"night shift fall-back day", berlinNight, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", 5 * h},
		// 01:30 CET (00:30Z) → 03:30 CEST (01:30Z) = 1h.
		{"night shift across the jump", berlinNight, "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00", 1 * h},
		// Whole local days equal real time: Sat 12:00 CET (11:00Z) → Sun
		// 12:00 CEST (10:00Z) = 23h.
		{"local days spring", berlinAllDay, "2026-03-28T12:00:00+01:00", "2026-03-29T12:00:00+02:00", 23 * h},
		// Sat 12:00 CEST (10:00Z) → Sun 12:00 CET (11:00Z) = 25h.
		{"local days fall", berlinAllDay, "2026-10-24T12:00:00+02:00", "2026-10-25T12:00:00+01:00", 25 * h},
		// 365 × 24h − 1h (March) + 1h (October) = 8760h.
		{"local days year", berlinAllDay, "2026-01-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00", 8760 * h},
		// 2026-03-08 00:00 EST (05:00Z) → 06:00 EDT (10:00Z) = 5h.
		{"NY night spring-forward day", nyNight, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", 5 * h},
		// 2026-11-01 00:00 EDT (04:00Z) → 06:00 EST (11:00Z) = 7h.
		{"NY night fall-back day", nyNight, "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", 7 * h},
		// Jan–Jun 2026: 31+28+31+30+31+30 = 181 days × 6h = 1086h, − 1h on 03-08 = 1085h.
		{"NY night half year", nyNight, "2026-01-01T00:00:00-05:00", "2026-07-01T00:00:00-04:00", 1085 * h},
		// Fri 16:00 EDT → Mon 10:00 EST across the fall-back Sunday: 1h + 1h
		// = 2h of business time (67h of real time).
		{"NY office across fall back", nyOffice, "2026-10-30T16:00:00-04:00", "2026-11-02T10:00:00-05:00", 2 * h},
		// Wed 12:00–17:00 (5h) + Thanksgiving (0) + Fri 09:00–12:00 (3h) = 8h.
		{"thanksgiving", nyOffice, "2026-11-25T12:00:00-05:00", "2026-11-27T12:00:00-05:00", 8 * h},
		{"weekend only", berlinOffice, "2026-03-07T08:00:00+01:00", "2026-03-08T20:00:00+01:00", 0},
		{"reversed", berlinOffice, "2026-03-02T15:00:00+01:00", "2026-03-02T10:00:00+01:00", 0},
		{"empty", berlinOffice, "2026-03-02T10:00:00+01:00", "2026-03-02T10:00:00+01:00", 0},
		// 24×7: Fri 15:00Z → Mon 08:00Z = 2d17h = 65h.
		{"nil calendar", nil, "2026-03-27T15:00:00Z", "2026-03-30T08:00:00Z", 65 * h},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCal(t, tt.cal)
			from, to := ts(t, tt.from), ts(t, tt.to)
			if got := c.WorkingTime(from, to); got != tt.want {
				t.Errorf("WorkingTime(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
			}
			if ref := refWorkingTime(tt.cal, from, to); ref != tt.want {
				t.Errorf("reference = %v, want %v", ref, tt.want)
			}
		})
	}
}

func TestAddWorking(t *testing.T) {
	tests := []struct {
		name string
		cal  *model.BusinessHours
		from string
		d    time.Duration
		want string
	}{
		// Fri 15:00–17:00 uses 2h; Mon 09:00 + 2h = 11:00 CET.
		{"weekend", berlinOffice, "2026-03-06T15:00:00+01:00", 4 * h, "2026-03-09T11:00:00+01:00"},
		// Thu 16:00–17:00 uses 1h; Fri 05-01 holiday; Mon 09:00 + 1h.
		{"holiday", berlinOffice, "2026-04-30T16:00:00+02:00", 2 * h, "2026-05-04T10:00:00+02:00"},
		{"from off hours", berlinOffice, "2026-03-07T12:00:00+01:00", 30 * m, "2026-03-09T09:30:00+01:00"},
		// Exactly one window ends at its end, not at the next start.
		{"window end", berlinOffice, "2026-03-02T09:00:00+01:00", 8 * h, "2026-03-02T17:00:00+01:00"},
		{"inside window", berlinOffice, "2026-03-02T16:00:00+01:00", 1 * h, "2026-03-02T17:00:00+01:00"},
		{"next morning", berlinOffice, "2026-03-02T16:00:00+01:00", 1*h + 1*m, "2026-03-03T09:01:00+01:00"},
		// 320h = 40 working days: Mon 01-05 … Fri 02-27 (8 weeks, no holidays).
		{"eight weeks", berlinOffice, "2026-01-05T09:00:00+01:00", 320 * h, "2026-02-27T17:00:00+01:00"},
		// The whole 2026 business year (2048h) ends on Thu 12-31 at 17:00.
		{"office year", berlinOffice, "2026-01-01T00:00:00+01:00", 2048 * h, "2026-12-31T17:00:00+01:00"},
		// The 3h window of 03-29 runs 01:00 CET → 05:00 CEST.
		{"night spring day", berlinNight, "2026-03-29T00:00:00+01:00", 3 * h, "2026-03-29T05:00:00+02:00"},
		// 3h on 03-29, then 1h from 01:00 CEST on 03-30.
		{"night spring next", berlinNight, "2026-03-29T00:00:00+01:00", 4 * h, "2026-03-30T02:00:00+02:00"},
		// The 5h window of 10-25 runs 01:00 CEST → 05:00 CET.
		{"night fall day", berlinNight, "2026-10-25T00:00:00+02:00", 5 * h, "2026-10-25T05:00:00+01:00"},
		// 1085h is all of Jan–Jun (see TestWorkingTime): ends 06-30 06:00 EDT.
		{"NY night half year", nyNight, "2026-01-01T00:00:00-05:00", 1085 * h, "2026-06-30T06:00:00-04:00"},
		// Fri 16:00 EDT uses 1h; Mon 09:00 EST + 1h.
		{"NY fall back", nyOffice, "2026-10-30T16:00:00-04:00", 2 * h, "2026-11-02T10:00:00-05:00"},
		{"nil calendar", nil, "2026-03-27T15:00:00Z", 65 * h, "2026-03-30T08:00:00Z"},
		{"zero", berlinOffice, "2026-03-07T12:00:00+01:00", 0, "2026-03-07T12:00:00+01:00"},
		{"negative", berlinOffice, "2026-03-07T12:00:00+01:00", -h, "2026-03-07T12:00:00+01:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCal(t, tt.cal)
			from, want := ts(t, tt.from), ts(t, tt.want)
			got := c.AddWorking(from, tt.d)
			if !got.Equal(want) {
				t.Fatalf("AddWorking(%s, %v) = %s, want %s", tt.from, tt.d, got.UTC().Format(time.RFC3339), want.Format(time.RFC3339))
			}
			if tt.d > 0 {
				if back := c.WorkingTime(from, got); back != tt.d {
					t.Errorf("WorkingTime back = %v, want %v", back, tt.d)
				}
			}
		})
	}
}

func TestNewCalendarErrors(t *testing.T) {
	ok := func(f func(b *model.BusinessHours)) *model.BusinessHours {
		b := *berlinOffice
		f(&b)
		return &b
	}
	tests := []struct {
		name string
		bh   *model.BusinessHours
	}{
		{"time zone", ok(func(b *model.BusinessHours) { b.TimeZone = "Mars/Olympus" })},
		{"no days", ok(func(b *model.BusinessHours) { b.Days = nil })},
		{"weekday", ok(func(b *model.BusinessHours) { b.Days = []time.Weekday{7} })},
		{"start format", ok(func(b *model.BusinessHours) { b.Start = "9:00" })},
		{"start minutes", ok(func(b *model.BusinessHours) { b.Start = "09:60" })},
		{"end past midnight", ok(func(b *model.BusinessHours) { b.End = "24:30" })},
		{"end before start", ok(func(b *model.BusinessHours) { b.End = "08:00" })},
		{"empty window", ok(func(b *model.BusinessHours) { b.End = "09:00" })},
		{"holiday", ok(func(b *model.BusinessHours) { b.Holidays = []string{"25.12.2026"} })},
	}
	for _, tt := range tests {
		if _, err := NewCalendar(tt.bh); err == nil {
			t.Errorf("%s: NewCalendar accepted %+v", tt.name, tt.bh)
		}
	}
	c, err := NewCalendar(nil)
	if c != nil || err != nil {
		t.Errorf("NewCalendar(nil) = %v, %v; want nil, nil", c, err)
	}
	utc, err := NewCalendar(&model.BusinessHours{Days: weekdays, Start: "00:00", End: "24:00"})
	if err != nil || utc.Location() != time.UTC {
		t.Errorf("empty time zone: %v, %v; want UTC", utc, err)
	}
}

func TestCivilDay(t *testing.T) {
	for d := int64(-800_000); d <= 800_000; d += 97 {
		want := time.Unix(d*86400, 0).UTC()
		y, mo, dd := civilDate(d)
		if y != want.Year() || mo != want.Month() || dd != want.Day() {
			t.Fatalf("civilDate(%d) = %d-%d-%d, want %s", d, y, mo, dd, want.Format(time.DateOnly))
		}
		if back := civilDay(y, mo, dd); back != d {
			t.Fatalf("civilDay(%d-%d-%d) = %d, want %d", y, mo, dd, back, d)
		}
		if wd := weekdayOf(d); wd != want.Weekday() {
			t.Fatalf("weekdayOf(%d) = %v, want %v", d, wd, want.Weekday())
		}
	}
}

// refWorkingTime is a slow, independent WorkingTime: it walks every local
// date touching [from, to] with the time package alone and adds up the
// overlap with each day's window.
func refWorkingTime(bh *model.BusinessHours, from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if bh == nil {
		return to.Sub(from)
	}
	loc, err := time.LoadLocation(bh.TimeZone)
	if err != nil {
		panic(err)
	}
	clock := func(s string) (int, int) {
		t, err := time.Parse("15:04", s)
		if err != nil { // "24:00"
			return 24, 0
		}
		return t.Hour(), t.Minute()
	}
	sh, sm := clock(bh.Start)
	eh, em := clock(bh.End)
	var total time.Duration
	y, mo, d := from.In(loc).Date()
	for i := -1; ; i++ {
		day := time.Date(y, mo, d+i, 12, 0, 0, 0, loc)
		ws := time.Date(day.Year(), day.Month(), day.Day(), sh, sm, 0, 0, loc)
		if ws.After(to) {
			return total
		}
		we := time.Date(day.Year(), day.Month(), day.Day(), eh, em, 0, 0, loc)
		working := false
		for _, wd := range bh.Days {
			working = working || wd == day.Weekday()
		}
		for _, hd := range bh.Holidays {
			working = working && hd != day.Format(time.DateOnly)
		}
		if !working {
			continue
		}
		if ws.Before(from) {
			ws = from
		}
		if we.After(to) {
			we = to
		}
		if we.After(ws) {
			total += we.Sub(ws)
		}
	}
}
