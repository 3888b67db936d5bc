package thehive

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// fields are one JSON object's raw values by key.
type fields map[string]json.RawMessage

// get returns the first of keys present with a non-null value.
func (f fields) get(keys ...string) (string, json.RawMessage, bool) {
	for _, k := range keys {
		if v, ok := f[k]; ok && len(v) > 0 && string(v) != "null" {
			return k, v, true
		}
	}
	return "", nil, false
}

// str reads the first present of keys as text; numbers are kept as written.
func (f fields) str(keys ...string) (string, error) {
	k, v, ok := f.get(keys...)
	if !ok {
		return "", nil
	}
	switch {
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("%s: bad string: %w", k, err)
		}
		return strings.TrimSpace(s), nil
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		return string(v), nil
	}
	return "", fmt.Errorf("%s: want a string, got %s", k, jsonKind(v))
}

// integer reads the first present of keys as a whole number.
func (f fields) integer(keys ...string) (n int, present bool, err error) {
	k, v, ok := f.get(keys...)
	if !ok {
		return 0, false, nil
	}
	s := string(v)
	if v[0] == '"' {
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, false, fmt.Errorf("%s: bad string: %w", k, err)
		}
	}
	n, err = strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, false, fmt.Errorf("%s: want a whole number, got %s", k, v)
	}
	return n, true, nil
}

// time reads the first present of keys as a timestamp.
func (f fields) time(keys ...string) (time.Time, error) {
	k, v, ok := f.get(keys...)
	if !ok {
		return time.Time{}, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", k, err)
	}
	return t, nil
}

// list reads the first present of keys as an array.
func (f fields) list(keys ...string) (string, []json.RawMessage, error) {
	k, v, ok := f.get(keys...)
	if !ok {
		return "", nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return k, nil, fmt.Errorf("%s: want an array, got %s", k, jsonKind(v))
	}
	return k, items, nil
}

// stringList reads the first present of keys as an array of strings.
func (f fields) stringList(keys ...string) ([]string, error) {
	k, items, err := f.list(keys...)
	if err != nil {
		return nil, err
	}
	var out []string
	for i, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err != nil {
			return nil, fmt.Errorf("%s[%d]: want a string, got %s", k, i, jsonKind(it))
		}
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// maxMillis is 9999-12-31T23:59:59.999Z; larger epoch values are not times.
const maxMillis = 253402300799999

// parseTime reads a TheHive date: epoch milliseconds, as a number or a
// string of digits. RFC 3339 strings, found in hand-made exports, are
// accepted too. Zero means not set.
func parseTime(v json.RawMessage) (time.Time, error) {
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
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return time.Time{}, fmt.Errorf("invalid timestamp %q", s)
			}
			return t.UTC(), nil
		}
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		s = string(v)
	default:
		return time.Time{}, fmt.Errorf("invalid timestamp: want epoch milliseconds, got %s", jsonKind(v))
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f > maxMillis {
			return time.Time{}, fmt.Errorf("invalid timestamp %s", s)
		}
		ms = int64(f)
	}
	if ms < 0 || ms > maxMillis {
		return time.Time{}, fmt.Errorf("invalid timestamp %s: out of range", s)
	}
	if ms == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(ms).UTC(), nil
}

// jsonKind names the JSON type of v for error messages.
func jsonKind(v json.RawMessage) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
