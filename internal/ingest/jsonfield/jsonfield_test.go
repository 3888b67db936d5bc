package jsonfield

import (
	"encoding/json"
	"reflect"
	"testing"
)

// sample is an object with the value shapes the accessors meet.
var sample = Fields{
	"id":      json.RawMessage(`4211`),
	"name":    json.RawMessage(`"  cases/4211 "`),
	"nil":     json.RawMessage(`null`),
	"empty":   json.RawMessage(``),
	"obj":     json.RawMessage(`{"a":1}`),
	"yes":     json.RawMessage(`true`),
	"no":      json.RawMessage(`"False"`),
	"count":   json.RawMessage(`" 12 "`),
	"neg":     json.RawMessage(`-3`),
	"frac":    json.RawMessage(`1.5`),
	"tags":    json.RawMessage(`["a", " b ", "", null]`),
	"mixed":   json.RawMessage(`["a", 7]`),
	"created": json.RawMessage(`1748852047512`),
}

func TestGet(t *testing.T) {
	tests := []struct {
		keys    []string
		wantKey string
		wantV   string
		wantOK  bool
	}{
		{[]string{"id"}, "id", `4211`, true},
		{[]string{"nil", "empty", "name"}, "name", `"  cases/4211 "`, true},
		{[]string{"nil", "empty", "missing"}, "", "", false},
		{nil, "", "", false},
	}
	for _, tt := range tests {
		k, v, ok := sample.Get(tt.keys...)
		if k != tt.wantKey || string(v) != tt.wantV || ok != tt.wantOK {
			t.Errorf("Get(%q) = %q, %s, %v; want %q, %s, %v", tt.keys, k, v, ok, tt.wantKey, tt.wantV, tt.wantOK)
		}
		if has := sample.Has(tt.keys...); has != tt.wantOK {
			t.Errorf("Has(%q) = %v, want %v", tt.keys, has, tt.wantOK)
		}
	}
}

func TestStr(t *testing.T) {
	tests := []struct {
		keys []string
		want string
		err  string
	}{
		{[]string{"name"}, "cases/4211", ""},
		{[]string{"id"}, "4211", ""},
		{[]string{"neg"}, "-3", ""},
		{[]string{"missing", "nil"}, "", ""},
		{[]string{"obj", "name"}, "", "obj: want a string, got an object"},
		{[]string{"yes"}, "", "yes: want a string, got a boolean"},
		{[]string{"tags"}, "", "tags: want a string, got an array"},
	}
	for _, tt := range tests {
		got, err := sample.Str(tt.keys...)
		if got != tt.want || errText(err) != tt.err {
			t.Errorf("Str(%q) = %q, %v; want %q, %q", tt.keys, got, err, tt.want, tt.err)
		}
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		key     string
		want    int
		present bool
		err     string
	}{
		{"id", 4211, true, ""},
		{"count", 12, true, ""},
		{"neg", -3, true, ""},
		{"missing", 0, false, ""},
		{"frac", 0, false, "frac: want a whole number, got 1.5"},
		{"name", 0, false, `name: want a whole number, got "  cases/4211 "`},
		{"yes", 0, false, "yes: want a whole number, got true"},
	}
	for _, tt := range tests {
		got, present, err := sample.Int(tt.key)
		if got != tt.want || present != tt.present || errText(err) != tt.err {
			t.Errorf("Int(%q) = %d, %v, %v; want %d, %v, %q", tt.key, got, present, err, tt.want, tt.present, tt.err)
		}
	}
}

func TestBool(t *testing.T) {
	f := Fields{
		"a": json.RawMessage(`true`), "b": json.RawMessage(`"True"`), "c": json.RawMessage(`"true"`),
		"d": json.RawMessage(`false`), "e": json.RawMessage(`"False"`), "g": json.RawMessage(`"false"`),
		"h": json.RawMessage(`"TRUE"`), "i": json.RawMessage(`1`), "j": json.RawMessage(`null`),
	}
	tests := []struct {
		key            string
		value, present bool
		err            string
	}{
		{"a", true, true, ""}, {"b", true, true, ""}, {"c", true, true, ""},
		{"d", false, true, ""}, {"e", false, true, ""}, {"g", false, true, ""},
		{"h", false, false, "h: want a boolean, got a string"},
		{"i", false, false, "i: want a boolean, got a number"},
		{"j", false, false, ""}, {"missing", false, false, ""},
	}
	for _, tt := range tests {
		value, present, err := f.Bool(tt.key)
		if value != tt.value || present != tt.present || errText(err) != tt.err {
			t.Errorf("Bool(%q) = %v, %v, %v; want %v, %v, %q", tt.key, value, present, err, tt.value, tt.present, tt.err)
		}
	}
}

func TestTime(t *testing.T) {
	got, err := sample.Time(Millis{}, "missing", "created")
	if err != nil || !got.Equal(ts("2025-06-02T08:14:07.512Z")) {
		t.Errorf("Time(created) = %v, %v; want 2025-06-02T08:14:07.512Z", got, err)
	}
	got, err = sample.Time(Millis{}, "missing")
	if err != nil || !got.IsZero() {
		t.Errorf("Time(missing) = %v, %v; want the zero time", got, err)
	}
	_, err = sample.Time(Millis{}, "neg")
	if want := "neg: invalid timestamp -3: out of range"; errText(err) != want {
		t.Errorf("Time(neg) error = %v, want %q", err, want)
	}
}

func TestList(t *testing.T) {
	k, items, err := sample.List("missing", "mixed")
	if k != "mixed" || len(items) != 2 || string(items[1]) != "7" || err != nil {
		t.Errorf("List(mixed) = %q, %q, %v; want mixed, 2 items", k, items, err)
	}
	k, items, err = sample.List("missing")
	if k != "" || items != nil || err != nil {
		t.Errorf("List(missing) = %q, %q, %v; want nothing", k, items, err)
	}
	k, _, err = sample.List("obj")
	if want := "obj: want an array, got an object"; k != "obj" || errText(err) != want {
		t.Errorf("List(obj) = %q, %v; want obj, %q", k, err, want)
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		key  string
		want []string
		err  string
	}{
		{"tags", []string{"a", "b"}, ""},
		{"missing", nil, ""},
		{"mixed", nil, "mixed[1]: want a string, got a number"},
		{"name", nil, "name: want an array, got a string"},
	}
	for _, tt := range tests {
		got, err := sample.Strings(tt.key)
		if !reflect.DeepEqual(got, tt.want) || errText(err) != tt.err {
			t.Errorf("Strings(%q) = %q, %v; want %q, %q", tt.key, got, err, tt.want, tt.err)
		}
	}
}

func TestStringList(t *testing.T) {
	tests := []struct {
		in   string
		item func(json.RawMessage) (string, error)
		want []string
		err  string
	}{
		{`["a", 7, -1.5, null, " "]`, Text, []string{"a", "7", "-1.5"}, ""},
		{`["a", 7]`, String, nil, "f[1]: want a string, got a number"},
		{`["a", true]`, Text, nil, "f[1]: want a string, got a boolean"},
		{`[]`, Text, nil, ""},
		{`null`, Text, nil, ""},
		{``, Text, nil, ""},
		{`{"a": "b"}`, Text, nil, "f: want an array, got an object"},
	}
	for _, tt := range tests {
		got, err := StringList("f", json.RawMessage(tt.in), tt.item)
		if !reflect.DeepEqual(got, tt.want) || errText(err) != tt.err {
			t.Errorf("StringList(%s) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestTextAndString(t *testing.T) {
	tests := []struct {
		in            string
		text, textErr string
		str, strErr   string
	}{
		{`" x "`, "x", "", "x", ""},
		{`"\u00e9t\u00e9"`, "été", "", "été", ""},
		{`42`, "42", "", "", "want a string, got a number"},
		{`-0.5e3`, "-0.5e3", "", "", "want a string, got a number"},
		{`null`, "", "", "", ""},
		{``, "", "", "", ""},
		{`false`, "", "want a string, got a boolean", "", "want a string, got a boolean"},
		{`[1]`, "", "want a string, got an array", "", "want a string, got an array"},
		{`{}`, "", "want a string, got an object", "", "want a string, got an object"},
	}
	for _, tt := range tests {
		got, err := Text(json.RawMessage(tt.in))
		if got != tt.text || errText(err) != tt.textErr {
			t.Errorf("Text(%s) = %q, %v; want %q, %q", tt.in, got, err, tt.text, tt.textErr)
		}
		got, err = String(json.RawMessage(tt.in))
		if got != tt.str || errText(err) != tt.strErr {
			t.Errorf("String(%s) = %q, %v; want %q, %q", tt.in, got, err, tt.str, tt.strErr)
		}
	}
}

func TestKind(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{}`, "an object"}, {`[]`, "an array"}, {`""`, "a string"}, {`true`, "a boolean"},
		{`false`, "a boolean"}, {`null`, "null"}, {`-1`, "a number"}, {`0.5`, "a number"}, {``, "nothing"},
	}
	for _, tt := range tests {
		if got := Kind(json.RawMessage(tt.in)); got != tt.want {
			t.Errorf("Kind(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
