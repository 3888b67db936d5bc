package model

import (
	"errors"
	"fmt"
	"time"
)

// Validate reports what makes a shift unusable: no name, a start that is
// not HH:MM, a duration that is not positive or an unknown time zone.
func (s Shift) Validate() error {
	if s.Name == "" || s.Start == "" || s.Duration <= 0 {
		return errors.New("shift needs a name, a start time and a positive duration")
	}
	_, _, err := s.Clock(time.UTC)
	return err
}

// Clock is where and when the shift starts: its time zone (its own, else
// def) and its start as the time since local midnight. An unknown zone or
// a start that is not HH:MM is an error naming the shift.
func (s Shift) Clock(def *time.Location) (*time.Location, time.Duration, error) {
	start, err := s.StartOfDay()
	if err != nil {
		return nil, 0, fmt.Errorf("shift %q: %w", s.Name, err)
	}
	loc, err := s.Location(def)
	if err != nil {
		return nil, 0, fmt.Errorf("shift %q: %w", s.Name, err)
	}
	return loc, start, nil
}

// StartOfDay is the shift's start as the time since local midnight.
func (s Shift) StartOfDay() (time.Duration, error) {
	t, err := time.Parse("15:04", s.Start)
	if err != nil {
		return 0, fmt.Errorf("start %q is not HH:MM", s.Start)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Location is the time zone the shift's times are in: its own, else def.
func (s Shift) Location(def *time.Location) (*time.Location, error) {
	if s.TimeZone == "" {
		return def, nil
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", s.TimeZone, err)
	}
	return loc, nil
}

// Weekdays are the days the shift starts on: Days, or every day when it
// names none.
func (s Shift) Weekdays() []time.Weekday {
	if len(s.Days) == 0 {
		return []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	}
	return s.Days
}

// StartsOn reports whether the shift starts on a weekday.
func (s Shift) StartsOn(wd time.Weekday) bool {
	if len(s.Days) == 0 {
		return true
	}
	for _, d := range s.Days {
		if d == wd {
			return true
		}
	}
	return false
}

// OnDuty reports whether the shift covers t: it started on one of its days
// (in its own time zone, else def) no more than its duration before t.
// Overnight shifts that started the day before count. A shift whose start
// or time zone is invalid is an error, as Validate says.
func (s Shift) OnDuty(t time.Time, def *time.Location) (bool, error) {
	loc, start, err := s.Clock(def)
	if err != nil {
		return false, err
	}
	local := t.In(loc)
	for back := 0; back <= int(s.Duration/(24*time.Hour))+1; back++ {
		y, m, d := local.AddDate(0, 0, -back).Date()
		from := time.Date(y, m, d, int(start/time.Hour), int(start%time.Hour/time.Minute), 0, 0, loc)
		if !s.StartsOn(from.Weekday()) {
			continue
		}
		if !t.Before(from) && t.Before(from.Add(s.Duration)) {
			return true, nil
		}
	}
	return false, nil
}
