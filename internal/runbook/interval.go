package runbook

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Interval is a calendar period such as a review interval: whole years,
// months and days, added with time.Time.AddDate.
type Interval struct {
	Years  int `json:"years,omitempty"`
	Months int `json:"months,omitempty"`
	Days   int `json:"days,omitempty"`
}

// IsZero reports whether the interval is empty.
func (i Interval) IsZero() bool { return i.Years == 0 && i.Months == 0 && i.Days == 0 }

// After returns t plus the interval.
func (i Interval) After(t time.Time) time.Time { return t.AddDate(i.Years, i.Months, i.Days) }

// String writes the interval as "1y", "6mo", "90d" or combinations.
func (i Interval) String() string {
	var b strings.Builder
	if i.Years != 0 {
		b.WriteString(strconv.Itoa(i.Years) + "y")
	}
	if i.Months != 0 {
		b.WriteString(strconv.Itoa(i.Months) + "mo")
	}
	if i.Days != 0 {
		b.WriteString(strconv.Itoa(i.Days) + "d")
	}
	return b.String()
}

var (
	intervalPart = regexp.MustCompile(`^(\d{1,4})\s*(years?|y|months?|mo|m|weeks?|w|days?|d)$`)
	isoInterval  = regexp.MustCompile(`^P(?:(\d{1,4})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,4})D)?$`)
)

// ParseInterval reads a review interval: a number of days ("90"), a count
// with a unit ("90d", "12w", "6mo", "6 months", "1y"), or an ISO 8601
// period ("P90D", "P6M", "P1Y").
func ParseInterval(s string) (Interval, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Interval{}, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 3660 {
			return Interval{}, fmt.Errorf("interval %q: want 1 to 3660 days", s)
		}
		return Interval{Days: n}, nil
	}
	if m := isoInterval.FindStringSubmatch(strings.ToUpper(s)); m != nil && s != "P" {
		var v [4]int
		for k := range v {
			v[k], _ = strconv.Atoi(m[k+1])
		}
		iv := Interval{Years: v[0], Months: v[1], Days: 7*v[2] + v[3]}
		if iv.IsZero() {
			return Interval{}, fmt.Errorf("interval %q is empty", s)
		}
		return iv, nil
	}
	m := intervalPart.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return Interval{}, fmt.Errorf("interval %q: want days (90), a count with a unit (90d, 12w, 6mo, 1y) or an ISO 8601 period (P90D)", s)
	}
	n, _ := strconv.Atoi(m[1])
	if n == 0 {
		return Interval{}, fmt.Errorf("interval %q is empty", s)
	}
	switch u := m[2]; {
	case strings.HasPrefix(u, "y"):
		return Interval{Years: n}, nil
	case strings.HasPrefix(u, "mo"), u == "m":
		return Interval{Months: n}, nil
	case strings.HasPrefix(u, "w"):
		return Interval{Days: 7 * n}, nil
	}
	return Interval{Days: n}, nil
}
