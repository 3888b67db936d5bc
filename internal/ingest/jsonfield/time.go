package jsonfield

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxMillis is 9999-12-31T23:59:59.999Z in epoch milliseconds; larger epoch
// values are not times.
const maxMillis = 253402300799999

// Millis describes a source that writes timestamps as epoch milliseconds,
// as a JSON number or a string of digits, or as RFC 3339 strings. Its zero
// value reads a negative epoch as an error and names both forms in errors.
type Millis struct {
	// NegativeUnset reads a negative epoch as "not set" (the zero time), as
	// zero always is, instead of as an error.
	NegativeUnset bool
	// DigitsOnly reads a string as an epoch only when it is digits with an
	// optional leading minus sign; other strings must be RFC 3339. Without
	// it a string is an epoch when strconv.ParseInt accepts it, so a leading
	// plus sign is allowed and digits beyond int64 are read as RFC 3339
	// (and so refused).
	DigitsOnly bool
	// Want names the accepted forms in the error for a value that is neither
	// a string nor a number; "epoch milliseconds or RFC 3339" if empty.
	Want string
}

// Parse reads the timestamp v. Null, "" and the epoch 0 mean "not set" and
// give the zero time; a time read is in UTC. Epoch numbers with a fraction
// or an exponent are truncated to whole milliseconds.
func (m Millis) Parse(v json.RawMessage) (time.Time, error) {
	if len(v) == 0 || IsNull(v) {
		return time.Time{}, nil
	}
	var s string
	switch {
	case v[0] == '"':
		if err := json.Unmarshal(v, &s); err != nil {
			return time.Time{}, fmt.Errorf("invalid timestamp %s", v)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return time.Time{}, nil
		}
		if !m.epochText(s) {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return time.Time{}, fmt.Errorf("invalid timestamp %q", s)
			}
			return t.UTC(), nil
		}
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		s = string(v)
	default:
		want := m.Want
		if want == "" {
			want = "epoch milliseconds or RFC 3339"
		}
		return time.Time{}, fmt.Errorf("invalid timestamp: want %s, got %s", want, Kind(v))
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f > maxMillis {
			return time.Time{}, fmt.Errorf("invalid timestamp %s", s)
		}
		ms = int64(f)
	}
	switch {
	case ms == 0, ms < 0 && m.NegativeUnset:
		return time.Time{}, nil
	case ms < 0 || ms > maxMillis:
		return time.Time{}, fmt.Errorf("invalid timestamp %s: out of range", s)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// epochText reports whether the string s is to be read as an epoch number.
func (m Millis) epochText(s string) bool {
	if !m.DigitsOnly {
		_, err := strconv.ParseInt(s, 10, 64)
		return err == nil
	}
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
