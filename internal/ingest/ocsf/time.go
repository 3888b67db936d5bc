package ocsf

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Epoch magnitudes: a number below maxSeconds is read as seconds, below
// maxMillis as milliseconds, below maxMicros as microseconds, and anything
// larger as nanoseconds. 1e11 seconds is the year 5138 while 1e11
// milliseconds is March 1973, so no plausible finding time is ambiguous;
// the same holds one step up for each later threshold.
const (
	maxSeconds = 1e11
	maxMillis  = 1e14
	maxMicros  = 1e17
)

// unixEpoch is the earliest time accepted; OCSF times are epoch based.
var unixEpoch = time.Unix(0, 0)

// numberRE matches decimal numbers as JSON and CSV exporters write them.
var numberRE = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// isoLayouts are the ISO-8601 shapes seen in OCSF "_dt" fields and in
// producers that write strings into timestamp fields. time.Parse accepts
// fractional seconds after the seconds field of any of them. A time without
// a zone is taken as UTC.
var isoLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02 15:04:05Z07",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// ParseTime reads an OCSF time: an epoch number written as decimal text
// (integer, fraction or exponent), in seconds, milliseconds, microseconds or
// nanoseconds — the unit decided by magnitude: below 1e11 seconds, below
// 1e14 milliseconds, below 1e17 microseconds, else nanoseconds — or an
// ISO-8601 / RFC 3339 string, with "T" or a space, with or without
// fractional seconds and zone (no zone means UTC). The result is in UTC.
// An empty string and the number 0 mean "not set" and give the zero time;
// negative epochs and strings before 1970 are an error.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if numberRE.MatchString(s) {
		return epoch(s)
	}
	u := strings.ToUpper(s) // RFC 3339 allows "t" and "z"
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, u); err == nil {
			if t.Before(unixEpoch) {
				return time.Time{}, fmt.Errorf("cannot read %q as a time: before 1970", s)
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time: want an epoch number or an ISO-8601 string", s)
}

// epoch reads a decimal epoch number, choosing its unit by magnitude.
// Plain decimals are read exactly (float64 would blur the microseconds of
// "1728049742.698985"); only exponent forms go through float64.
func epoch(s string) (time.Time, error) {
	if strings.ContainsAny(s, "eE") {
		return epochFloat(s)
	}
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimLeft(s, "+-"), ".")
	if whole == "" {
		whole = "0"
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("cannot read %q as a time: out of range", s)
	}
	if n == 0 && strings.Trim(frac, "0") == "" {
		return time.Time{}, nil
	}
	if neg {
		return time.Time{}, fmt.Errorf("cannot read %q as a time: negative epoch", s)
	}
	perSecond, fracDigits := int64(1e9), 0
	switch {
	case n < maxSeconds:
		perSecond, fracDigits = 1, 9
	case n < maxMillis:
		perSecond, fracDigits = 1e3, 6
	case n < maxMicros:
		perSecond, fracDigits = 1e6, 3
	}
	nsec := n % perSecond * (1e9 / perSecond)
	if fracDigits > 0 && frac != "" {
		if len(frac) > fracDigits {
			frac = frac[:fracDigits] // below a nanosecond
		}
		f, _ := strconv.ParseInt(frac+strings.Repeat("0", fracDigits-len(frac)), 10, 64)
		nsec += f
	}
	return time.Unix(n/perSecond, nsec).UTC(), nil
}

// epochFloat reads an epoch number written with an exponent.
func epochFloat(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, fmt.Errorf("cannot read %q as a time: not a number", s)
	}
	var perSecond float64
	switch {
	case f == 0:
		return time.Time{}, nil
	case f < 0:
		return time.Time{}, fmt.Errorf("cannot read %q as a time: negative epoch", s)
	case f < maxSeconds:
		perSecond = 1
	case f < maxMillis:
		perSecond = 1e3
	case f < maxMicros:
		perSecond = 1e6
	case f < math.MaxInt64:
		perSecond = 1e9
	default:
		return time.Time{}, fmt.Errorf("cannot read %q as a time: out of range", s)
	}
	sec := math.Floor(f / perSecond)
	nsec := math.Round((f - sec*perSecond) * (1e9 / perSecond))
	return time.Unix(int64(sec), int64(nsec)).UTC(), nil
}
