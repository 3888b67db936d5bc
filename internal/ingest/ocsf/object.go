package ocsf

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// object is a decoded JSON object (numbers kept as json.Number). Its
// accessors are lenient about shape: a missing key or a value of another
// type reads as empty, so that odd producers lose a field, not the record.
type object map[string]any

func (o object) has(key string) bool {
	v, ok := o[key]
	return ok && v != nil
}

// obj returns the object under key, or nil.
func (o object) obj(key string) object {
	m, _ := o[key].(map[string]any)
	return m
}

// str returns the string or number under key, trimmed.
func (o object) str(key string) string {
	switch v := o[key].(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	}
	return ""
}

// text returns the value under key as short JSON text, for messages.
func (o object) text(key string) string {
	b, err := json.Marshal(o[key])
	if err != nil {
		return "?"
	}
	if len(b) > 40 {
		n := 40
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
		return string(b[:n]) + "…"
	}
	return string(b)
}

// numberText is the text of the number under key: a JSON number, or a
// string (trimmed), since numeric strings count.
func (o object) numberText(key string) (string, bool) {
	switch v := o[key].(type) {
	case json.Number:
		return v.String(), true
	case string:
		return strings.TrimSpace(v), true
	}
	return "", false
}

// int returns the integer under key; numeric strings count.
func (o object) int(key string) (int64, bool) {
	s, ok := o.numberText(key)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// float returns the finite number under key; numeric strings count.
func (o object) float(key string) (float64, bool) {
	s, ok := o.numberText(key)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// objects returns the objects under key: the elements of an array that are
// objects, or a lone object as a list of one (older producers write single
// objects where the schema later made arrays).
func (o object) objects(key string) []object {
	switch v := o[key].(type) {
	case map[string]any:
		return []object{v}
	case []any:
		out := make([]object, 0, len(v))
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// strs returns the strings of the array (or the single string) under key.
func (o object) strs(key string) []string {
	switch v := o[key].(type) {
	case string:
		if s := strings.TrimSpace(v); s != "" {
			return []string{s}
		}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
		return out
	}
	return nil
}

// timeReader reads time fields and keeps the first error, naming the field.
type timeReader struct{ err error }

// at reads the time under key in o (whose JSON path is path, "" for the
// top level): the numeric field if set, else its "_dt" string sibling.
// Absent, null and 0 mean unknown and read as the zero time.
func (tr *timeReader) at(o object, path, key string) time.Time {
	for _, k := range []string{key, key + "_dt"} {
		v, ok := o[k]
		if !ok || v == nil {
			continue
		}
		var s string
		switch v := v.(type) {
		case json.Number:
			s = v.String()
		case string:
			s = v
		default:
			tr.fail(path, k, fmt.Errorf("%s is not a time: want a number or a string", o.text(k)))
			return time.Time{}
		}
		t, err := ParseTime(s)
		if err != nil {
			tr.fail(path, k, err)
			return time.Time{}
		}
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func (tr *timeReader) fail(path, key string, err error) {
	if tr.err != nil {
		return
	}
	if path != "" {
		key = path + "." + key
	}
	tr.err = &fieldError{field: key, err: err}
}

// fieldError says which field of a record could not be read.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string {
	return e.field + ": " + e.err.Error()
}

func (e *fieldError) Unwrap() error { return e.err }

// earliest returns the earliest non-zero time, or zero.
func earliest(ts ...time.Time) time.Time {
	var min time.Time
	for _, t := range ts {
		if !t.IsZero() && (min.IsZero() || t.Before(min)) {
			min = t
		}
	}
	return min
}

// firstNonEmpty returns the first non-empty string.
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func kindOf(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "object"
}
