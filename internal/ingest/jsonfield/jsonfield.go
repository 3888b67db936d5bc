// Package jsonfield reads the fields of a JSON object kept as raw values, for
// the ingest parsers of case-management exports. A field is looked up under
// several key spellings (APIs and versions name the same field differently)
// and read as text, a whole number, a boolean, a list or a timestamp; errors
// name the key that was read and the JSON type that was found.
package jsonfield

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Fields is one JSON object's raw values by key.
type Fields map[string]json.RawMessage

// Get returns the first of keys present with a non-null value, and that key.
func (f Fields) Get(keys ...string) (key string, v json.RawMessage, ok bool) {
	for _, k := range keys {
		if v, ok := f[k]; ok && len(v) > 0 && !IsNull(v) {
			return k, v, true
		}
	}
	return "", nil, false
}

// Has reports whether any of keys is present with a non-null value.
func (f Fields) Has(keys ...string) bool {
	_, _, ok := f.Get(keys...)
	return ok
}

// Str reads the first present of keys with [Text]: a string, trimmed, or a
// number as written. An absent field reads as "".
func (f Fields) Str(keys ...string) (string, error) {
	k, v, ok := f.Get(keys...)
	if !ok {
		return "", nil
	}
	s, err := Text(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", k, err)
	}
	return s, nil
}

// Int reads the first present of keys as a whole number, written as a
// number or as a string. present is false when no key is present.
func (f Fields) Int(keys ...string) (n int, present bool, err error) {
	k, v, ok := f.Get(keys...)
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

// Bool reads the first present of keys as a JSON boolean, accepting the
// strings "true", "True", "false" and "False" too. present is false when no
// key is present.
func (f Fields) Bool(keys ...string) (value, present bool, err error) {
	k, v, ok := f.Get(keys...)
	if !ok {
		return false, false, nil
	}
	switch string(v) {
	case "true", `"true"`, `"True"`:
		return true, true, nil
	case "false", `"false"`, `"False"`:
		return false, true, nil
	}
	return false, false, fmt.Errorf("%s: want a boolean, got %s", k, Kind(v))
}

// Time reads the first present of keys as a timestamp written the way m
// describes. An absent field reads as the zero time.
func (f Fields) Time(m Millis, keys ...string) (time.Time, error) {
	k, v, ok := f.Get(keys...)
	if !ok {
		return time.Time{}, nil
	}
	t, err := m.Parse(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", k, err)
	}
	return t, nil
}

// List reads the first present of keys as an array and returns the key read
// with the items. An absent field gives no items.
func (f Fields) List(keys ...string) (key string, items []json.RawMessage, err error) {
	k, v, ok := f.Get(keys...)
	if !ok {
		return "", nil, nil
	}
	if err := json.Unmarshal(v, &items); err != nil {
		return k, nil, fmt.Errorf("%s: want an array, got %s", k, Kind(v))
	}
	return k, items, nil
}

// Strings reads the first present of keys as an array of strings (see
// [StringList] with [String]).
func (f Fields) Strings(keys ...string) ([]string, error) {
	k, v, ok := f.Get(keys...)
	if !ok {
		return nil, nil
	}
	return StringList(k, v, String)
}

// StringList reads v, the value of field, as an array whose items item turns
// into text. Empty texts are dropped; null or absent v gives no strings.
// Errors name field, and the index of the item at fault.
func StringList(field string, v json.RawMessage, item func(json.RawMessage) (string, error)) ([]string, error) {
	if len(v) == 0 || IsNull(v) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return nil, fmt.Errorf("%s: want an array, got %s", field, Kind(v))
	}
	var out []string
	for i, it := range items {
		s, err := item(it)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", field, i, err)
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// Text decodes a JSON string, trimmed, or a JSON number, kept as written
// (ids are numbers in some APIs and strings in others). Null reads as "".
func Text(v json.RawMessage) (string, error) {
	switch {
	case len(v) == 0 || IsNull(v):
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
	return "", fmt.Errorf("want a string, got %s", Kind(v))
}

// String decodes a JSON string, trimmed; unlike [Text] it refuses numbers.
// Null reads as "".
func String(v json.RawMessage) (string, error) {
	if len(v) == 0 || IsNull(v) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("want a string, got %s", Kind(v))
	}
	return strings.TrimSpace(s), nil
}

// IsNull reports whether v is the JSON null.
func IsNull(v json.RawMessage) bool { return string(v) == "null" }

// Kind names the JSON type of v for error messages: "an object", "an
// array", "a string", "a boolean", "null", "a number", or "nothing" when v
// is empty.
func Kind(v json.RawMessage) string {
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
