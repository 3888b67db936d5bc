package report

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Spec is a parsed cron-like schedule: minute, hour, day of month, month
// and day of week, as in crontab(5). Each field is "*", a number, a range
// "a-b", a list "a,b" or a step "*/n" or "a-b/n"; day of week is 0–7 (0 and
// 7 are Sunday) and also takes mon…sun, month jan…dec. When both day of
// month and day of week are restricted, a day matching either runs (as
// cron does). @hourly, @daily, @weekly (Monday 00:00), @monthly and
// @yearly are shorthands.
type Spec struct {
	text                     string
	min, hour, dom, mon, dow uint64
	domStar, dowStar         bool
}

// String is the spec as written.
func (s Spec) String() string { return s.text }

var cronMacros = map[string]string{
	"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
	"@weekly": "0 0 * * 1", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
}

var monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseSpec reads a cron-like schedule; errors name the field and the
// reason.
func ParseSpec(text string) (Spec, error) {
	t := strings.TrimSpace(text)
	if m, ok := cronMacros[strings.ToLower(t)]; ok {
		t = m
	}
	f := strings.Fields(t)
	if len(f) != 5 {
		return Spec{}, fmt.Errorf("schedule %q: want 5 fields (minute hour day-of-month month day-of-week) or @daily, @weekly, @monthly; got %d", text, len(f))
	}
	s := Spec{text: strings.TrimSpace(text)}
	var err error
	fields := []struct {
		name     string
		lo, hi   int
		names    []string
		nameBase int
		dst      *uint64
		star     *bool
	}{
		{"minute", 0, 59, nil, 0, &s.min, nil},
		{"hour", 0, 23, nil, 0, &s.hour, nil},
		{"day of month", 1, 31, nil, 0, &s.dom, &s.domStar},
		{"month", 1, 12, monthNames, 1, &s.mon, nil},
		{"day of week", 0, 7, dayNames, 0, &s.dow, &s.dowStar},
	}
	for i, fd := range fields {
		if *fd.dst, err = parseField(f[i], fd.lo, fd.hi, fd.names, fd.nameBase); err != nil {
			return Spec{}, fmt.Errorf("schedule %q: %s %q: %w", text, fd.name, f[i], err)
		}
		if fd.star != nil {
			*fd.star = f[i] == "*" || strings.HasPrefix(f[i], "*/")
		}
	}
	if s.dow&(1<<7) != 0 { // 7 is Sunday too
		s.dow = s.dow&^(1<<7) | 1
	}
	return s, nil
}

// parseField reads one field into a bit set of the values it allows.
func parseField(f string, lo, hi int, names []string, base int) (uint64, error) {
	var set uint64
	for _, part := range strings.Split(f, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n <= 0 || n > hi-lo+1 {
				return 0, fmt.Errorf("step %q is not a number from 1 to %d", stepText, hi-lo+1)
			}
			step = n
		}
		a, b := lo, hi
		switch {
		case rng == "*":
		case rng == "":
			return 0, fmt.Errorf("empty value")
		default:
			from, to, isRange := strings.Cut(rng, "-")
			var err error
			if a, err = fieldValue(from, lo, hi, names, base); err != nil {
				return 0, err
			}
			b = a
			if isRange {
				if b, err = fieldValue(to, lo, hi, names, base); err != nil {
					return 0, err
				}
				if b < a {
					return 0, fmt.Errorf("range %s ends before it starts", rng)
				}
			} else if hasStep {
				b = hi // "5/15" is "5-hi/15", as cron reads it
			}
		}
		for v := a; v <= b; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}

func fieldValue(s string, lo, hi int, names []string, base int) (int, error) {
	for i, n := range names {
		if strings.EqualFold(s, n) {
			return i + base, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%q is not a value from %d to %d", s, lo, hi)
	}
	return v, nil
}

// dayMatches reports whether a day runs: day of month and day of week
// both, or either when both are restricted.
func (s Spec) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	if !s.domStar && !s.dowStar {
		return dom || dow
	}
	return dom && dow
}

// Next is the first instant after after (to the minute) that the spec
// runs, in loc's wall clock; a wall-clock time a daylight-saving change
// skips does not run that day. The zero time when none falls in the next
// five years (a 31 February, say).
func (s Spec) Next(after time.Time, loc *time.Location) time.Time {
	t := after.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < 5*366+1; i++ {
		d := time.Date(day.Year(), day.Month(), day.Day()+i, 0, 0, 0, 0, loc)
		if s.mon&(1<<uint(d.Month())) == 0 || !s.dayMatches(d) {
			continue
		}
		for h := s.hour; h != 0; h &= h - 1 {
			hour := bits.TrailingZeros64(h)
			for m := s.min; m != 0; m &= m - 1 {
				minute := bits.TrailingZeros64(m)
				c := time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, loc)
				if c.Hour() != hour || c.Minute() != minute || c.Day() != d.Day() {
					continue // skipped by a daylight-saving change
				}
				if c.After(after) {
					return c.UTC()
				}
			}
		}
	}
	return time.Time{}
}
