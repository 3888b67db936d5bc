package report

import (
	"strings"
	"testing"
	"time"
)

func TestSpecNext(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		spec, after string
		loc         *time.Location
		want        string
	}{
		{"0 7 * * 1", "2026-12-06T16:00:00Z", time.UTC, "2026-12-07T07:00:00Z"},            // Sunday → Monday 07:00
		{"0 7 * * mon", "2026-12-07T07:00:00Z", time.UTC, "2026-12-14T07:00:00Z"},          // strictly after
		{"0 7 * * 1", "2026-12-06T16:00:00Z", berlin, "2026-12-07T06:00:00Z"},              // 07:00 CET is 06:00Z
		{"*/15 * * * *", "2026-12-06T16:07:30Z", time.UTC, "2026-12-06T16:15:00Z"},         // steps
		{"30 8 1 * *", "2026-12-06T00:00:00Z", time.UTC, "2027-01-01T08:30:00Z"},           // monthly
		{"0 9 1 * 5", "2026-12-06T00:00:00Z", time.UTC, "2026-12-11T09:00:00Z"},            // day 1 OR Friday
		{"@weekly", "2026-12-06T16:00:00Z", time.UTC, "2026-12-07T00:00:00Z"},              // Monday midnight
		{"0 0 29 2 *", "2026-03-01T00:00:00Z", time.UTC, "2028-02-29T00:00:00Z"},           // leap day
		{"30 2 * * *", "2026-03-28T12:00:00Z", berlin, "2026-03-30T00:30:00Z"},             // 02:30 skipped on 29 March
		{"0 8-17/3 * * mon-fri", "2026-12-04T17:30:00Z", time.UTC, "2026-12-07T08:00:00Z"}, // Friday evening → Monday
		{"5,10 0 * * 0,7", "2026-12-05T00:00:00Z", time.UTC, "2026-12-06T00:05:00Z"},       // 0 and 7 are Sunday
		{"0 0 31 2 *", "2026-01-01T00:00:00Z", time.UTC, "0001-01-01T00:00:00Z"},           // never
	} {
		s, err := ParseSpec(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		if got := s.Next(at(c.after), c.loc); got.Format(time.RFC3339) != c.want {
			t.Errorf("%s after %s (%s): %s, want %s", c.spec, c.after, c.loc, got.Format(time.RFC3339), c.want)
		}
	}
	for spec, want := range map[string]string{
		"0 7 * *":     "want 5 fields",
		"60 7 * * *":  `minute "60": "60" is not a value from 0 to 59`,
		"0 7 * * 8":   `day of week "8"`,
		"0 7 * foo *": `month "foo"`,
		"*/0 * * * *": `step "0"`,
		"0 9-5 * * *": "ends before it starts",
		"0 7 ,1 * *":  "empty value",
	} {
		if _, err := ParseSpec(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", spec, err, want)
		}
	}
}

// FuzzParseSpec: any text is refused with an error or parsed into a spec
// whose next run, if any, is after the instant asked and on the minute.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"0 7 * * 1", "*/15 * * * *", "@weekly", "0 8-17/3 * * mon-fri", "5/15 0 1,15 jan-jun *", "0 0 31 2 *"} {
		f.Add(s)
	}
	after := time.Date(2026, 12, 6, 16, 7, 30, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseSpec(text)
		if err != nil {
			return
		}
		n := s.Next(after, time.UTC)
		if !n.IsZero() && (!n.After(after) || n.Second() != 0 || n.Nanosecond() != 0) {
			t.Fatalf("%q: next %v after %v", text, n, after)
		}
	})
}
