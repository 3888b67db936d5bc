package model

import (
	"strings"
	"testing"
	"time"
)

func TestShiftOnDuty(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("no tz database: %v", err)
	}
	day := Shift{Name: "day", Start: "08:00", Duration: 8 * time.Hour, Days: []time.Weekday{time.Monday, time.Tuesday}}
	night := Shift{Name: "night", Start: "22:00", Duration: 10 * time.Hour, Days: []time.Weekday{time.Friday}}
	daily := Shift{Name: "daily", Start: "06:30", Duration: 12 * time.Hour}
	tokyo := Shift{Name: "apac", Start: "09:00", Duration: 9 * time.Hour, TimeZone: "Asia/Tokyo"}
	// 2026-03-02 is a Monday.
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		shift Shift
		at    time.Time
		loc   *time.Location
		want  bool
	}{
		{"day shift at its start", day, utc("2026-03-02 08:00"), time.UTC, true},
		{"day shift one minute before its end", day, utc("2026-03-02 15:59"), time.UTC, true},
		{"day shift at its end", day, utc("2026-03-02 16:00"), time.UTC, false},
		{"day shift on a day it does not start", day, utc("2026-03-04 09:00"), time.UTC, false},
		// 08:00 in Paris (UTC+1 in March) is 07:00 UTC.
		{"organisation time zone", day, utc("2026-03-02 07:00"), paris, true},
		{"organisation time zone, before the start", day, utc("2026-03-02 06:59"), paris, false},
		// Friday 22:00 to Saturday 08:00.
		{"overnight, after midnight", night, utc("2026-03-07 07:59"), time.UTC, true},
		{"overnight, the next evening", night, utc("2026-03-07 23:00"), time.UTC, false},
		{"no days: every day", daily, utc("2026-03-08 18:00"), time.UTC, true},
		{"no days: every day, off hours", daily, utc("2026-03-08 18:30"), time.UTC, false},
		// 09:00 Tokyo (UTC+9) is 00:00 UTC, whatever the default zone.
		{"own time zone wins", tokyo, utc("2026-03-02 00:00"), paris, true},
		{"own time zone wins, before its start", tokyo, utc("2026-03-01 23:59"), paris, false},
	}
	for _, tt := range tests {
		got, err := tt.shift.OnDuty(tt.at, tt.loc)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: on duty %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestShiftValidate(t *testing.T) {
	tests := []struct {
		shift Shift
		err   string // "" when valid
	}{
		{Shift{Name: "day", Start: "08:00", Duration: time.Hour}, ""},
		{Shift{Name: "day", Start: "08:00", Duration: time.Hour, TimeZone: "Europe/Paris"}, ""},
		{Shift{Start: "08:00", Duration: time.Hour}, "shift needs a name, a start time and a positive duration"},
		{Shift{Name: "day", Start: "08:00"}, "shift needs a name, a start time and a positive duration"},
		{Shift{Name: "day", Start: "8h", Duration: time.Hour}, `shift "day": start "8h" is not HH:MM`},
		{Shift{Name: "day", Start: "25:00", Duration: time.Hour}, `shift "day": start "25:00" is not HH:MM`},
		{Shift{Name: "day", Start: "08:00", Duration: time.Hour, TimeZone: "Mars/Olympus"}, `shift "day": time zone "Mars/Olympus"`},
	}
	for _, tt := range tests {
		err := tt.shift.Validate()
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%+v: %v", tt.shift, err)
		case tt.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.err)):
			t.Errorf("%+v: error %v, want %q", tt.shift, err, tt.err)
		}
	}
	// OnDuty fails the same way rather than guessing.
	if _, err := (Shift{Name: "x", Start: "08:00", Duration: time.Hour, TimeZone: "Mars/Olympus"}).OnDuty(time.Now(), time.UTC); err == nil {
		t.Error("OnDuty accepted an unknown time zone")
	}
	if _, err := (Shift{Name: "x", Start: "late", Duration: time.Hour}).OnDuty(time.Now(), time.UTC); err == nil {
		t.Error("OnDuty accepted a start that is not HH:MM")
	}
}

func TestShiftDays(t *testing.T) {
	if got := len((Shift{}).Weekdays()); got != 7 {
		t.Errorf("a shift without days starts on %d days, want 7", got)
	}
	s := Shift{Days: []time.Weekday{time.Saturday}}
	if !s.StartsOn(time.Saturday) || s.StartsOn(time.Sunday) {
		t.Errorf("Saturday-only shift: starts Saturday %v, Sunday %v", s.StartsOn(time.Saturday), s.StartsOn(time.Sunday))
	}
	if d, err := (Shift{Start: "21:45"}).StartOfDay(); err != nil || d != 21*time.Hour+45*time.Minute {
		t.Errorf("start of day %v, %v; want 21h45m", d, err)
	}
}
