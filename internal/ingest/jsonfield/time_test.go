package jsonfield

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The two ways of reading epoch milliseconds the parsers use: the SOAR one
// (negative means unset, only signed digits are epoch strings) and the
// zero value (negative is an error, strconv.ParseInt decides).
var (
	lenient = Millis{NegativeUnset: true, DigitsOnly: true}
	strict  = Millis{}
)

func TestMillisParse(t *testing.T) {
	tests := []struct {
		m    Millis
		in   string
		want time.Time
		err  string
	}{
		{strict, `1748852047512`, ts("2025-06-02T08:14:07.512Z"), ""},
		{strict, `"1748852047512"`, ts("2025-06-02T08:14:07.512Z"), ""},
		{strict, `" 1748852047512 "`, ts("2025-06-02T08:14:07.512Z"), ""},
		{strict, `1.748852047512e12`, ts("2025-06-02T08:14:07.512Z"), ""},
		{strict, `1748852047512.9`, ts("2025-06-02T08:14:07.512Z"), ""},
		{strict, `"2025-06-02T08:14:07.512Z"`, ts("2025-06-02T08:14:07.512Z"), ""},
		{strict, `"2025-06-02T10:14:07.512345+02:00"`, ts("2025-06-02T08:14:07.512345Z"), ""},
		{strict, `253402300799999`, ts("9999-12-31T23:59:59.999Z"), ""},
		{strict, `0`, time.Time{}, ""},
		{strict, `-0.5`, time.Time{}, ""},
		{strict, `""`, time.Time{}, ""},
		{strict, `"  "`, time.Time{}, ""},
		{strict, `null`, time.Time{}, ""},
		{strict, ``, time.Time{}, ""},
		{strict, `-1`, time.Time{}, "invalid timestamp -1: out of range"},
		{strict, `"-1"`, time.Time{}, "invalid timestamp -1: out of range"},
		{strict, `253402300800000`, time.Time{}, "invalid timestamp 253402300800000: out of range"},
		{strict, `1e300`, time.Time{}, "invalid timestamp 1e300"},
		{strict, `"June 2nd"`, time.Time{}, `invalid timestamp "June 2nd"`},
		{strict, `"1.5"`, time.Time{}, `invalid timestamp "1.5"`},
		{strict, `"+1748852047512"`, ts("2025-06-02T08:14:07.512Z"), ""},
		{strict, `"99999999999999999999"`, time.Time{}, `invalid timestamp "99999999999999999999"`},
		{strict, `true`, time.Time{}, "invalid timestamp: want epoch milliseconds or RFC 3339, got a boolean"},
		{Millis{Want: "epoch milliseconds"}, `{}`, time.Time{}, "invalid timestamp: want epoch milliseconds, got an object"},

		{lenient, `1748852047512`, ts("2025-06-02T08:14:07.512Z"), ""},
		{lenient, `"2025-06-02T08:14:07.512Z"`, ts("2025-06-02T08:14:07.512Z"), ""},
		{lenient, `-1`, time.Time{}, ""},
		{lenient, `"-1"`, time.Time{}, ""},
		{lenient, `-1e300`, time.Time{}, ""},
		{lenient, `99999999999999999`, time.Time{}, "invalid timestamp 99999999999999999: out of range"},
		{lenient, `"+1748852047512"`, time.Time{}, `invalid timestamp "+1748852047512"`},
		{lenient, `"99999999999999999999"`, time.Time{}, "invalid timestamp 99999999999999999999"},
		{lenient, `"-"`, time.Time{}, `invalid timestamp "-"`},
		{lenient, `[]`, time.Time{}, "invalid timestamp: want epoch milliseconds or RFC 3339, got an array"},
	}
	for _, tt := range tests {
		got, err := tt.m.Parse(json.RawMessage(tt.in))
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%+v.Parse(%s) error = %v, want %q", tt.m, tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) || (!got.IsZero() && got.Location() != time.UTC) {
			t.Errorf("%+v.Parse(%s) = %v, %v; want %v UTC", tt.m, tt.in, got, err, tt.want)
		}
	}
}

func FuzzMillisParse(f *testing.F) {
	for _, seed := range []string{
		`1748852047512`, `"1748852047512"`, `"2025-06-02T08:14:07.512Z"`, `"2025-06-02T10:14:07.512+02:00"`,
		`0`, `-1`, `""`, `null`, `"June 2nd"`, `99999999999999999`, `true`, `1.5e12`, `"+12"`,
		`"-99999999999999999999"`, `-1e300`, `{"createTime": 1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		v := json.RawMessage(in)
		if !json.Valid(v) {
			return // the parsers hand over only values the decoder accepted
		}
		v = json.RawMessage(strings.TrimSpace(string(v)))
		for _, m := range []Millis{lenient, strict} {
			got, err := m.Parse(v)
			if err != nil {
				if !got.IsZero() {
					t.Errorf("%+v.Parse(%s) = %v with error %v", m, v, got, err)
				}
				continue
			}
			if got.IsZero() {
				continue
			}
			if got.Location() != time.UTC {
				t.Errorf("%+v.Parse(%s) = %v, not UTC", m, v, got)
			}
			ms := got.UnixMilli()
			if ms <= 0 || ms > maxMillis {
				continue // an RFC 3339 time before 1970, or past 9999 in UTC
			}
			// The time's epoch milliseconds read back as the time, to the ms.
			back, err := m.Parse(json.RawMessage(strconv.FormatInt(ms, 10)))
			if err != nil || !back.Equal(got.Truncate(time.Millisecond)) {
				t.Errorf("%+v.Parse(%d) = %v, %v; want %v (from %s)", m, ms, back, err, got.Truncate(time.Millisecond), v)
			}
		}
		// The two readings differ only on negative epochs and on strings
		// that are epochs for one and RFC 3339 for the other.
		a, aerr := lenient.Parse(v)
		b, berr := strict.Parse(v)
		if aerr == nil && berr == nil && !a.IsZero() && !b.IsZero() && !a.Equal(b) {
			t.Errorf("Parse(%s): lenient %v, strict %v", v, a, b)
		}
	})
}
