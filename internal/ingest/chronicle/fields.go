package chronicle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// object is one JSON object of the input: its keys in input order and their
// raw values. Lookups take several key spellings because the legacy SOAR API
// and the Chronicle (1P) API name the same field differently.
type object struct {
	keys []string
	vals map[string]json.RawMessage
}

func newObject() object {
	return object{vals: make(map[string]json.RawMessage)}
}

func (o *object) add(key string, v json.RawMessage) {
	o.keys = append(o.keys, key)
	o.vals[key] = v
}

// decodeObject reads a nested object held as raw JSON. Key order is not kept:
// nested objects are only looked into, never re-emitted.
func decodeObject(field string, raw json.RawMessage) (object, error) {
	o := newObject()
	if err := json.Unmarshal(raw, &o.vals); err != nil {
		return o, fmt.Errorf("%s: want an object, got %s", field, jsonKind(raw))
	}
	for k := range o.vals {
		o.keys = append(o.keys, k)
	}
	return o, nil
}

// raw reassembles the object as compact JSON, keys in input order.
func (o object) raw() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		if err := json.Compact(&b, o.vals[k]); err != nil {
			b.Write(o.vals[k])
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// get returns the first of keys present with a non-null value.
func (o object) get(keys ...string) (string, json.RawMessage, bool) {
	for _, k := range keys {
		v, ok := o.vals[k]
		if ok && len(v) > 0 && !isNull(v) {
			return k, v, true
		}
	}
	return "", nil, false
}

func (o object) has(keys ...string) bool {
	_, _, ok := o.get(keys...)
	return ok
}

// str reads the first present of keys as text. Numbers are accepted and kept
// as written, since SOAR ids are numbers in one API and strings in the other.
func (o object) str(keys ...string) (string, error) {
	k, v, ok := o.get(keys...)
	if !ok {
		return "", nil
	}
	s, err := text(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", k, err)
	}
	return s, nil
}

// boolean reads the first present of keys as a JSON boolean, accepting the
// strings "true" and "false" too.
func (o object) boolean(keys ...string) (value, present bool, err error) {
	k, v, ok := o.get(keys...)
	if !ok {
		return false, false, nil
	}
	switch string(v) {
	case "true", `"true"`, `"True"`:
		return true, true, nil
	case "false", `"false"`, `"False"`:
		return false, true, nil
	}
	return false, false, fmt.Errorf("%s: want a boolean, got %s", k, jsonKind(v))
}

// time reads the first present of keys as a timestamp.
func (o object) time(keys ...string) (time.Time, error) {
	k, v, ok := o.get(keys...)
	if !ok {
		return time.Time{}, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", k, err)
	}
	return t, nil
}

// text decodes a JSON string or number into its text.
func text(v json.RawMessage) (string, error) {
	switch {
	case len(v) == 0 || isNull(v):
		return "", nil
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("bad string: %w", err)
		}
		return strings.TrimSpace(s), nil
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		return string(v), nil
	}
	return "", fmt.Errorf("want a string, got %s", jsonKind(v))
}

// maxMillis is 9999-12-31T23:59:59.999Z; larger epoch values are not times.
const maxMillis = 253402300799999

// parseTime reads a SOAR timestamp: epoch milliseconds as a number or as a
// string of digits (the legacy API and the 1P API's int64 fields), or an
// RFC 3339 string (the 1P API's Timestamp fields). Zero and negative epoch
// values are the SOAR way of saying "not set" and give the zero time.
func parseTime(v json.RawMessage) (time.Time, error) {
	if len(v) == 0 || isNull(v) {
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
		if !isInteger(s) {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return time.Time{}, fmt.Errorf("invalid timestamp %q", s)
			}
			return t.UTC(), nil
		}
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		s = string(v)
	default:
		return time.Time{}, fmt.Errorf("invalid timestamp: want epoch milliseconds or RFC 3339, got %s", jsonKind(v))
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f > maxMillis {
			return time.Time{}, fmt.Errorf("invalid timestamp %s", s)
		}
		ms = int64(f)
	}
	if ms <= 0 {
		return time.Time{}, nil
	}
	if ms > maxMillis {
		return time.Time{}, fmt.Errorf("invalid timestamp %s: out of range", s)
	}
	return time.UnixMilli(ms).UTC(), nil
}

func isInteger(s string) bool {
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

func isNull(v json.RawMessage) bool { return string(v) == "null" }

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

// stringList reads a JSON array whose items are strings, numbers, or objects
// naming the value under one of nameKeys (the 1P API's CaseTag objects).
func stringList(field string, v json.RawMessage, nameKeys ...string) ([]string, error) {
	if len(v) == 0 || isNull(v) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return nil, fmt.Errorf("%s: want an array, got %s", field, jsonKind(v))
	}
	var out []string
	for i, it := range items {
		var s string
		var err error
		if len(it) > 0 && it[0] == '{' {
			var o object
			if o, err = decodeObject(field, it); err == nil {
				s, err = o.str(nameKeys...)
			}
		} else {
			s, err = text(it)
		}
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", field, i, err)
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}
