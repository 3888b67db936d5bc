package ocsf

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC; "" for the zero time
	}{
		// Seconds (Prowler, Okta): below 1e11.
		{"1728049742", "2024-10-04T13:49:02Z"},
		{"1723564700", "2024-08-13T15:58:20Z"},
		{"99999999999", "5138-11-16T09:46:39Z"}, // the largest value read as seconds
		{"1", "1970-01-01T00:00:01Z"},
		// Milliseconds (the OCSF timestamp_t): from 1e11.
		{"100000000000", "1973-03-03T09:46:40Z"},
		{"1689963113060", "2023-07-21T18:11:53.06Z"},
		{"1682347463218", "2023-04-24T14:44:23.218Z"},
		{"99999999999999", "5138-11-16T09:46:39.999Z"},
		// Microseconds: from 1e14.
		{"100000000000000", "1973-03-03T09:46:40Z"},
		{"1718017200000000", "2024-06-10T11:00:00Z"},
		{"1718017200123456", "2024-06-10T11:00:00.123456Z"},
		// Nanoseconds: from 1e17.
		{"100000000000000000", "1973-03-03T09:46:40Z"},
		{"1718017200123456789", "2024-06-10T11:00:00.123456789Z"},
		// Fractions and exponents.
		{"1728049742.698985", "2024-10-04T13:49:02.698985Z"},
		{"1689963113060.5", "2023-07-21T18:11:53.0605Z"},
		{"1.689963113060e12", "2023-07-21T18:11:53.06Z"},
		{"1.7e9", "2023-11-14T22:13:20Z"},
		{" 1728049742 ", "2024-10-04T13:49:02Z"},
		// ISO-8601 strings.
		{"2023-01-13T15:08:44.967-05:00", "2023-01-13T20:08:44.967Z"},
		{"2024-08-13T15:58:20.000Z", "2024-08-13T15:58:20Z"},
		{"2024-09-10 23:20:50.520789Z", "2024-09-10T23:20:50.520789Z"},
		{"2024-06-10T10:00:05.5+0000", "2024-06-10T10:00:05.5Z"},
		{"2024-06-10T12:00:05+02", "2024-06-10T10:00:05Z"},
		{"2024-10-04T09:49:02.698985", "2024-10-04T09:49:02.698985Z"}, // no zone: UTC
		{"2024-10-04 09:49:02", "2024-10-04T09:49:02Z"},
		{"2024-09-10t23:20:50z", "2024-09-10T23:20:50Z"},
		{"2024-06-10", "2024-06-10T00:00:00Z"},
		{"1970-01-01T01:00:00+01:00", "1970-01-01T00:00:00Z"},
		// Not set.
		{"", ""},
		{"  ", ""},
		{"0", ""},
		{"0.0", ""},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tt.in, err)
			continue
		}
		if got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) is in %v, want UTC", tt.in, got.Location())
		}
		if tt.want == "" {
			if !got.IsZero() {
				t.Errorf("ParseTime(%q) = %v, want the zero time", tt.in, got)
			}
			continue
		}
		if s := got.Format(time.RFC3339Nano); s != tt.want {
			t.Errorf("ParseTime(%q) = %s, want %s", tt.in, s, tt.want)
		}
	}
}

func TestParseTimeErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"-5", "negative epoch"},
		{"-1.5", "negative epoch"},
		{"1e400", "not a number"},
		{"1e19", "out of range"},
		{"9223372036854775808", "out of range"},
		{"yesterday", "want an epoch number or an ISO-8601 string"},
		{"2024-13-01T00:00:00Z", "cannot read"},
		{"2024-02-30", "cannot read"},
		{"0000-01-01 00:00:00Z", "before 1970"},
		{"1969-12-31T23:59:59Z", "before 1970"},
		{"0x1p30", "cannot read"},
		{"NaN", "cannot read"},
		{"Inf", "cannot read"},
		{"12:30", "cannot read"},
		{"1_000", "cannot read"},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", tt.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseTime(%q): error %q, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

// TestTimeFields checks how a field and its "_dt" sibling combine.
func TestTimeFields(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{`{"time":1700000000000,"time_dt":"1999-01-01T00:00:00Z"}`, "2023-11-14T22:13:20Z", ""},
		{`{"time":0,"time_dt":"2023-11-14T22:13:20Z"}`, "2023-11-14T22:13:20Z", ""},
		{`{"time":null,"time_dt":"2023-11-14T22:13:20Z"}`, "2023-11-14T22:13:20Z", ""},
		{`{"time_dt":"2023-11-14T22:13:20Z"}`, "2023-11-14T22:13:20Z", ""},
		{`{"time":"1700000000"}`, "2023-11-14T22:13:20Z", ""},
		{`{}`, "", ""},
		{`{"time":{"s":1}}`, "", `x.time: {"s":1} is not a time`},
		{`{"time":"soon"}`, "", `x.time: cannot read "soon"`},
		{`{"time":0,"time_dt":"later"}`, "", `x.time_dt: cannot read "later"`},
	}
	for _, tt := range tests {
		o := decodeObject(t, tt.in)
		var tr timeReader
		got := tr.at(o, "x", "time")
		if tt.wantErr != "" {
			if tr.err == nil || !strings.Contains(tr.err.Error(), tt.wantErr) {
				t.Errorf("%s: error %v, want %q", tt.in, tr.err, tt.wantErr)
			}
			continue
		}
		if tr.err != nil {
			t.Errorf("%s: %v", tt.in, tr.err)
			continue
		}
		if s := formatOrEmpty(got); s != tt.want {
			t.Errorf("%s: %q, want %q", tt.in, s, tt.want)
		}
	}
}

func decodeObject(t *testing.T, s string) object {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var o map[string]any
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return o
}

func formatOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}
