package jsonstream

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

type item struct{ loc, val, err string }

func walk(t testing.TB, in string) ([]item, error) {
	var out []item
	err := Each(strings.NewReader(in), "f", func(loc string, v []byte) error {
		out = append(out, item{loc: loc, val: string(v)})
		return nil
	}, func(loc string, v []byte, err error) error {
		out = append(out, item{loc: loc, val: string(v), err: err.Error()})
		return nil
	})
	return out, err
}

func TestShapes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []item
	}{
		{"ndjson", "{\"a\":1}\n\n{\"a\":2}\r\n", []item{{"f:1", `{"a":1}`, ""}, {"f:3", `{"a":2}`, ""}}},
		{"ndjson bad line", "{\"a\":1}\n{\"a\":\n{\"a\":3}\n", []item{{"f:1", `{"a":1}`, ""}, {"f:2", `{"a":`, "invalid JSON: unexpected end of JSON input"}, {"f:3", `{"a":3}`, ""}}},
		{"array", " [ {\"a\":1}, {\"a\":2} ]", []item{{"f:$[0]", `{"a":1}`, ""}, {"f:$[1]", `{"a":2}`, ""}}},
		{"pretty document", "{\n  \"a\": 1\n}\n", []item{{"f:$", "{\n  \"a\": 1\n}", ""}}},
		{"two pretty documents", "{\n\"a\":1}\n{\n\"a\":2}", []item{{"f:$", "{\n\"a\":1}", ""}, {"f:#2", "{\n\"a\":2}", ""}}},
		{"bom", "\xef\xbb\xbf{\"a\":1}\n", []item{{"f:1", `{"a":1}`, ""}}},
		{"empty", " \n ", nil},
		{"array cut", `[{"a":1},{"a":`, []item{{"f:$[0]", `{"a":1}`, ""}, {"f:$[1]", "", "invalid JSON, rest of input skipped: unexpected EOF"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := walk(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("item %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestLongLine(t *testing.T) {
	long := `{"a":"` + strings.Repeat("x", 3<<20) + `"}`
	got, err := walk(t, long+"\n"+`{"b":1}`)
	if err != nil || len(got) != 2 || got[0].loc != "f:1" || len(got[0].val) != len(long) || got[1].loc != "f:2" {
		t.Fatalf("err %v, %d items", err, len(got))
	}
}

func FuzzEach(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{\"b\":[1,2]}\n"))
	f.Add([]byte(`[{"a":1},2,"x"]`))
	f.Add([]byte("{\n\"a\": {\"b\": null}\n}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Each(bytes.NewReader(data), "fuzz", func(loc string, v []byte) error {
			if !json.Valid(v) {
				t.Fatalf("%s: invalid value passed as good: %q", loc, v)
			}
			return nil
		}, func(string, []byte, error) error { return nil })
	})
}
