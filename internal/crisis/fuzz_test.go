package crisis

import (
	"testing"
)

// FuzzParsePeriod checks that a time limit read from a rule set writes
// back to the same limit, and that a bad one is an error, not a panic.
// Seeds: testdata/fuzz/FuzzParsePeriod.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"72h", "24 hours", "60 days", "1 month", "4 business days", "0h", "99999999999999999999h", "3 fortnights", " 2 Months "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			return
		}
		if p.N <= 0 {
			t.Fatalf("%q parsed to a non-positive limit %+v", s, p)
		}
		q, err := ParsePeriod(p.String())
		if err != nil || q != p {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, p, p.String(), q, err)
		}
	})
}

// FuzzParseRef checks incident references typed by people.
// Seeds: testdata/fuzz/FuzzParseRef.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"MI-7", "7", "mi-12", "MI-", "MI--1", "0", "INC-1", "MI-99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseRef(s)
		if err != nil {
			return
		}
		if n <= 0 {
			t.Fatalf("%q parsed to %d", s, n)
		}
		if m, err := ParseRef(RefOf(n)); err != nil || m != n {
			t.Fatalf("%q → %d → %q → %d, %v", s, n, RefOf(n), m, err)
		}
	})
}
