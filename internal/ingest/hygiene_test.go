package ingest

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

// fill sets every string of v (through structs, pointers, slices and maps,
// which get one element) to bad, and returns how many it set.
func fill(v reflect.Value, bad string) int {
	switch v.Kind() {
	case reflect.String:
		v.SetString(bad)
		return 1
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return fill(v.Elem(), bad)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return 0
		}
		n := 0
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n += fill(v.Field(i), bad)
			}
		}
		return n
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte(bad))
			return 1
		}
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		return fill(v.Index(0), bad)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		n := fill(k, bad)
		e := reflect.New(v.Type().Elem()).Elem()
		n += fill(e, bad)
		m.SetMapIndex(k, e)
		v.Set(m)
		return n
	}
	return 0
}

// count finds the strings of v that still hold s.
func count(v reflect.Value, s string) int {
	switch v.Kind() {
	case reflect.String:
		if strings.Contains(v.String(), s) {
			return 1
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return count(v.Elem(), s)
		}
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n += count(v.Field(i), s)
			}
		}
		return n
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if strings.Contains(string(v.Bytes()), s) {
				return 1
			}
			return 0
		}
		n := 0
		for i := range v.Len() {
			n += count(v.Index(i), s)
		}
		return n
	case reflect.Map:
		n := 0
		iter := v.MapRange()
		for iter.Next() {
			n += count(iter.Key(), s) + count(iter.Value(), s)
		}
		return n
	}
	return 0
}

// TestCleanReachesEveryString: every text a record of any type can carry,
// however deep, is repaired; none reaches the store with a NUL or invalid
// UTF-8, on either engine.
func TestCleanReachesEveryString(t *testing.T) {
	for _, bad := range []string{"a\x00b", "a\xffb"} {
		rec := record.Record{Alert: &model.Alert{}, Case: &model.Case{}, Event: &model.CaseEvent{}, Analyst: &model.Analyst{},
			Rule: &model.Rule{}, Finding: &model.Finding{}, Team: &model.Team{}, Shift: &model.Shift{}, SLA: &model.SLAPolicy{}}
		v := reflect.ValueOf(&rec).Elem()
		set := 0
		for i := range v.NumField() {
			if v.Field(i).Kind() == reflect.Pointer && v.Type().Field(i).Name != "Err" {
				set += fill(v.Field(i), bad)
			}
		}
		if set < 60 {
			t.Fatalf("only %d strings filled", set)
		}
		r := clean(&rec)
		if left := count(v, bad); left != 0 {
			t.Errorf("%q: %d of %d strings still hold it", bad, left, set)
		}
		if got := r.NUL + r.InvalidUTF8; got != set || r.Records != 1 {
			t.Errorf("%q: repairs %+v for %d strings", bad, r, set)
		}
	}
}

// FuzzCleanString: whatever the text, the result is valid UTF-8 without a
// NUL, clean text is left alone, and every replacement is counted.
func FuzzCleanString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x00b", "caf\xe9", "\xff\xfe\x00", "ok ü 漢", "\x00\x00", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var r Repairs
		got, changed := cleanString(s, &r)
		if strings.Contains(got, "\x00") || !utf8.ValidString(got) {
			t.Fatalf("cleanString(%q) = %q", s, got)
		}
		if changed != (got != s) || (!changed && r != (Repairs{})) {
			t.Fatalf("cleanString(%q) = %q, changed %v, repairs %+v", s, got, changed, r)
		}
		if changed && r.NUL+r.InvalidUTF8 != strings.Count(got, "\uFFFD")-strings.Count(s, "\uFFFD") {
			t.Fatalf("cleanString(%q): %d replacements counted, %d made", s, r.NUL+r.InvalidUTF8,
				strings.Count(got, "\uFFFD")-strings.Count(s, "\uFFFD"))
		}
		b, bchanged := cleanBytes([]byte(s), &Repairs{})
		if string(b) != got || bchanged != changed {
			t.Fatalf("cleanBytes(%q) = %q, cleanString %q", s, b, got)
		}
	})
}

// TestCleanAlertLikeReflection: the field-by-field walk of an alert
// repairs and counts what the reflective walk does, for every text field
// the alert type has (filled by reflection, so a field added later and
// missed by cleanAlert fails here).
func TestCleanAlertLikeReflection(t *testing.T) {
	for _, bad := range []string{"a\x00b", "a\xffb\xfe", "ok"} {
		var fast, slow model.Alert
		n := fill(reflect.ValueOf(&fast).Elem(), bad)
		fill(reflect.ValueOf(&slow).Elem(), bad)
		var rf, rs Repairs
		cleanAlert(&fast, &rf)
		cleanValue(reflect.ValueOf(&slow).Elem(), &rs)
		if rf != rs || !reflect.DeepEqual(fast, slow) {
			t.Errorf("%q (%d strings): cleanAlert %+v %+v, cleanValue %+v %+v", bad, n, rf, fast, rs, slow)
		}
		if bad != "ok" && count(reflect.ValueOf(fast), bad) != 0 {
			t.Errorf("%q: left in %+v", bad, fast)
		}
	}
}
