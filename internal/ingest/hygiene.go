package ingest

import (
	"bytes"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

// Text hygiene. Every string of every record (titles, descriptions,
// entity values, attributes, the raw source record …) is made storable the
// same way whatever the engine, before it reaches the store: a NUL
// character, which JSON can carry ("\u0000") but PostgreSQL's text cannot,
// becomes U+FFFD, and so does each invalid UTF-8 sequence. What was
// replaced is counted.

// Repairs counts the characters text hygiene replaced.
type Repairs struct {
	// Records counts the records with at least one replacement.
	Records int `json:"records"`
	// NUL counts NUL characters replaced with U+FFFD.
	NUL int `json:"nul"`
	// InvalidUTF8 counts invalid UTF-8 sequences replaced with U+FFFD.
	InvalidUTF8 int `json:"invalid_utf8"`
}

// Add accumulates o into r.
func (r *Repairs) Add(o Repairs) {
	r.Records += o.Records
	r.NUL += o.NUL
	r.InvalidUTF8 += o.InvalidUTF8
}

const replacement = "\uFFFD"

// clean repairs every string of a parsed record in place and says what it
// replaced.
func clean(rec *record.Record) Repairs {
	var r Repairs
	if rec.Alert != nil {
		// Most records are alerts: their fields are walked without
		// reflection (TestCleanAlertLikeReflection keeps the two alike).
		cleanAlert(rec.Alert, &r)
	}
	for _, v := range []any{rec.Case, rec.Event, rec.Analyst, rec.Rule, rec.Finding, rec.Team, rec.Shift, rec.SLA,
		rec.Indicator, rec.Threat, rec.Relation} {
		if v := reflect.ValueOf(v); !v.IsNil() {
			cleanValue(v.Elem(), &r)
		}
	}
	if r.NUL+r.InvalidUTF8 > 0 {
		r.Records = 1
	}
	return r
}

// cleanAlert is cleanValue for an alert, field by field.
func cleanAlert(a *model.Alert, r *Repairs) {
	for _, p := range [...]*string{&a.Source, &a.ExternalID, &a.Title, &a.Description, &a.Status, (*string)(&a.Disposition),
		&a.RuleID, &a.RuleName, &a.CaseExternalID} {
		if s, ok := cleanString(*p, r); ok {
			*p = s
		}
	}
	for i := range a.Entities {
		e := &a.Entities[i]
		for _, p := range [...]*string{&e.Type, &e.Value, &e.Role} {
			if s, ok := cleanString(*p, r); ok {
				*p = s
			}
		}
	}
	for i, t := range a.Techniques {
		if s, ok := cleanString(t, r); ok {
			a.Techniques[i] = s
		}
	}
	if a.Attributes != nil {
		cleanStringMap(a.Attributes, r)
	}
	if b, ok := cleanBytes(a.Raw, r); ok {
		a.Raw = b
	}
}

// textFields lists, per struct type, the fields that can hold text
// (strings, byte slices, slices, maps, structs other than time.Time), so
// a record's walk skips its numbers and times.
var textFields sync.Map // reflect.Type → []int

func fieldsOf(t reflect.Type) []int {
	if f, ok := textFields.Load(t); ok {
		return f.([]int)
	}
	var out []int
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue // unexported fields (time.Time's) hold no source text
		}
		switch f.Type.Kind() {
		case reflect.String, reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
			out = append(out, i)
		case reflect.Struct:
			if f.Type != reflect.TypeFor[time.Time]() {
				out = append(out, i)
			}
		}
	}
	textFields.Store(t, out)
	return out
}

// cleanValue walks a value, repairing its strings and byte slices.
func cleanValue(v reflect.Value, r *Repairs) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			cleanValue(v.Elem(), r)
		}
	case reflect.Struct:
		for _, i := range fieldsOf(v.Type()) {
			cleanValue(v.Field(i), r)
		}
	case reflect.String:
		if s, ok := cleanString(v.String(), r); ok {
			v.SetString(s)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if b, ok := cleanBytes(v.Bytes(), r); ok {
				v.SetBytes(b)
			}
			return
		}
		for i := range v.Len() {
			cleanValue(v.Index(i), r)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		if m, ok := v.Interface().(map[string]string); ok {
			cleanStringMap(m, r)
			return
		}
		type entry struct{ oldKey, key, val reflect.Value }
		var changed []entry
		iter := v.MapRange()
		for iter.Next() {
			k, val := iter.Key(), iter.Value()
			nk := reflect.New(k.Type()).Elem()
			nk.Set(k)
			nv := reflect.New(val.Type()).Elem()
			nv.Set(val)
			before := *r
			if k.Kind() == reflect.String {
				cleanValue(nk, r)
			}
			cleanValue(nv, r)
			if *r != before {
				changed = append(changed, entry{k, nk, nv})
			}
		}
		for _, e := range changed {
			v.SetMapIndex(e.oldKey, reflect.Value{})
			v.SetMapIndex(e.key, e.val)
		}
	}
}

// cleanStringMap repairs a string map's keys and values in place.
func cleanStringMap(m map[string]string, r *Repairs) {
	var fixed map[string]string
	for k, v := range m {
		ck, kc := cleanString(k, r)
		cv, vc := cleanString(v, r)
		if kc || vc {
			if fixed == nil {
				fixed = map[string]string{}
			}
			delete(m, k)
			fixed[ck] = cv
		}
	}
	for k, v := range fixed {
		m[k] = v
	}
}

// plain reports whether s is printable ASCII-ish: no NUL and no byte of a
// multi-byte sequence, so neither check below is needed.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// cleanString replaces NULs and invalid UTF-8 in s; ok is false when s was
// already clean.
func cleanString(s string, r *Repairs) (string, bool) {
	if plain(s) {
		return s, false
	}
	nul := strings.Count(s, "\x00")
	valid := utf8.ValidString(s)
	if nul == 0 && valid {
		return s, false
	}
	r.NUL += nul
	if !valid {
		r.InvalidUTF8 += invalidSequences(s)
		s = strings.ToValidUTF8(s, replacement)
	}
	return strings.ReplaceAll(s, "\x00", replacement), true
}

// cleanBytes is cleanString for byte slices (the raw source record).
func cleanBytes(b []byte, r *Repairs) ([]byte, bool) {
	nul := bytes.Count(b, []byte{0})
	valid := utf8.Valid(b)
	if nul == 0 && valid {
		return b, false
	}
	r.NUL += nul
	if !valid {
		r.InvalidUTF8 += invalidSequences(string(b))
		b = bytes.ToValidUTF8(b, []byte(replacement))
	}
	return bytes.ReplaceAll(b, []byte{0}, []byte(replacement)), true
}

// invalidSequences counts the runs of invalid UTF-8 that ToValidUTF8
// replaces, one replacement each.
func invalidSequences(s string) int {
	n, inRun := 0, false
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		bad := c == utf8.RuneError && size == 1
		if bad && !inRun {
			n++
		}
		inRun = bad
		i += size
	}
	return n
}
