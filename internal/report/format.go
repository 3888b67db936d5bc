package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// NoData is how a figure without data is printed: never 0.
const NoData = "no data"

// thousands prints a count with thousands separators: 1,204.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// count is "1 case", "1,204 cases".
func count(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return thousands(n) + " " + what + "s"
}

// Dur prints seconds compactly: 45s, 12m05s, 3h05m, 2d04h, and from 10
// days on in whole days: 241 days.
func Dur(sec float64) string {
	d := time.Duration(sec * float64(time.Second)).Round(time.Second)
	switch {
	case d >= 10*24*time.Hour:
		return fmt.Sprintf("%s days", thousands(int64(math.Round(d.Hours()/24))))
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// Percent prints a share as a percentage with one decimal: 94.2%.
func Percent(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

// Money prints an amount rounded to whole units with separators.
func Money(v float64, currency string) string {
	s := thousands(int64(math.Round(v)))
	if currency != "" {
		s += " " + currency
	}
	return s
}

// Value prints a figure's number in its unit, NoData when it has none.
func Value(unit string, v *float64) string {
	if v == nil {
		return NoData
	}
	switch unit {
	case UnitSeconds:
		return Dur(*v)
	case UnitRatio:
		return Percent(*v)
	case UnitMoney:
		return Money(*v, "")
	}
	if *v == math.Trunc(*v) {
		return thousands(int64(*v))
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

// Change describes a figure against its previous value: "+12.0%",
// "-3.1 pts" for ratios, "" when either is missing.
func (f Figure) Change() string {
	if f.Value == nil || f.Previous == nil {
		return ""
	}
	v, p := *f.Value, *f.Previous
	if f.Unit == UnitRatio {
		return fmt.Sprintf("%+.1f pts", (v-p)*100)
	}
	if p == 0 {
		if v == 0 {
			return "no change"
		}
		return "up from 0"
	}
	return fmt.Sprintf("%+.1f%%", (v-p)/p*100)
}

// Status says how a figure stands against its target: "meets target",
// "misses target", or "" without a target or a value.
func (f Figure) Status() string {
	if f.Value == nil || f.Target == nil {
		return ""
	}
	ok := *f.Value >= *f.Target
	if f.LowerIsBetter {
		ok = *f.Value <= *f.Target
	}
	if ok {
		return "meets target"
	}
	return "misses target"
}

// figure finds a headline figure by key.
func (e *Executive) figure(key string) *Figure {
	for i := range e.Headline {
		if e.Headline[i].Key == key {
			return &e.Headline[i]
		}
	}
	return nil
}
