package native

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/ingest/record/recordtest"
	"github.com/watchfloor/watchfloor/internal/model"
)

// jsonAlert decodes v the way the parser did before the alert decoder:
// encoding/json into the record's wrapper.
func jsonAlert(v []byte) (string, *model.Alert, error) {
	x := struct {
		Record string `json:"record"`
		*model.Alert
	}{Alert: &model.Alert{}}
	err := json.Unmarshal(v, &x)
	return x.Record, x.Alert, err
}

// TestAlertDecoder decodes the seed records: the decoder takes the plain
// shapes with exactly the values written here, and declines the others,
// which encoding/json then decodes.
func TestAlertDecoder(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		file string
		want *model.Alert // nil: declined
	}{
		{"plain.json", &model.Alert{Source: "edr", ExternalID: "A000000001", Title: "Suspicious PowerShell download cradle",
			Severity: model.SeverityMedium, Status: "new", RuleID: "R001", RuleName: "PowerShell download cradle",
			OccurredAt: at("2026-06-01T00:00:00.1Z"), CreatedAt: at("2026-06-01T00:01:30.1Z"),
			Entities:   []model.Entity{{Type: "host", Value: "ws-0001"}, {Type: "user", Value: "user001"}},
			Techniques: []string{"T1059.001"}}},
		{"full.json", &model.Alert{ID: 42, Source: "siem", ExternalID: "x-1", Title: "Café \"quoted\" \\ / \b\f\n\r\t",
			Description: "näive – ✓ 😀", Severity: model.SeverityCritical, Status: "closed",
			Disposition: model.DispositionFalsePositive, RuleName: "r", CaseExternalID: "C-9", CaseID: -7,
			OccurredAt: at("2026-01-02T03:04:05+02:00"), CreatedAt: at("2026-01-02T03:04:06.123456789Z"),
			IngestedAt: at("2026-01-02T03:05:00Z"), Entities: []model.Entity{{Type: "ip", Value: "10.0.0.1", Role: "src"}},
			Techniques: []string{}, Attributes: map[string]string{"product": "y", "kéy": "v"},
			Raw: json.RawMessage(`{"nested":[true,false,null,-0.0E+1,"\u00e9"]}`)}},
		{"declined.json", nil},
		{"nulls.json", nil},
		{"duplicate.json", nil},
		{"surrogate.json", nil},
		{"badtime.json", nil},
		{"numbers.json", nil},
		{"utf8.json", nil},
		{"rawbytes.json", &model.Alert{Source: "edr", ExternalID: "A8", Raw: json.RawMessage("\"raw keeps \xfe as it is\"")}},
	}
	for _, tt := range tests {
		v, err := os.ReadFile(filepath.Join("testdata", "alerts", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		v = bytes.TrimSpace(v)
		got := &model.Alert{}
		typ, ok := (&alertDecoder{}).alert(v, got)
		if ok != (tt.want != nil) {
			t.Errorf("%s: decoder took it: %v, want %v", tt.file, ok, tt.want != nil)
			continue
		}
		if !ok {
			continue
		}
		if typ != TypeAlert {
			t.Errorf("%s: record %q", tt.file, typ)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tt.file, got, tt.want)
		}
		if _, ref, err := jsonAlert(v); err != nil || !reflect.DeepEqual(ref, tt.want) {
			t.Errorf("%s: encoding/json decodes %#v, %v", tt.file, ref, err)
		}
	}
}

// TestAlertRejects: malformed alert records, each rejected with its
// location and this exact reason, whether the decoder or encoding/json
// read it; the good records around them land.
func TestAlertRejects(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"record":"alert","source":"edr"}`, `alert has no external_id`},
		{`{"record":"alert","external_id":"a1"}`, `alert has no source`},
		{`{"record":"alert","source":"edr","external_id":"a1","disposition":"maybe"}`, `field "disposition": unknown value "maybe"`},
		{`{"record":"alert","source":"edr","external_id":"a1","severity":"banana"}`, `field "severity": unknown severity "banana"`},
		{`{"record":"alert","source":"edr","external_id":"a1","severity":3}`, `field "severity": cannot use JSON number as model.Severity`},
		{`{"record":"alert","source":"edr","external_id":"a1","id":"7"}`, `field "id": cannot use JSON string as int64`},
		{`{"record":"alert","source":"edr","external_id":"a1","case_id":1.5}`, `field "case_id": cannot use JSON number 1.5 as int64`},
		{`{"record":"alert","source":"edr","external_id":"a1","case_id":99999999999999999999}`, `field "case_id": cannot use JSON number 99999999999999999999 as int64`},
		{`{"record":"alert","source":"edr","external_id":7}`, `field "external_id": cannot use JSON number as string`},
		{`{"record":"alert","source":"edr","external_id":"a1","title":["x"]}`, `field "title": cannot use JSON array as string`},
		{`{"record":"alert","source":"edr","external_id":"a1","techniques":"T1059"}`, `field "techniques": cannot use JSON string as []string`},
		{`{"record":"alert","source":"edr","external_id":"a1","techniques":[1]}`, `field "techniques": cannot use JSON number as string`},
		{`{"record":"alert","source":"edr","external_id":"a1","entities":[{"type":1}]}`, `field "entities.type": cannot use JSON number as string`},
		{`{"record":"alert","source":"edr","external_id":"a1","attributes":{"k":2}}`, `field "attributes": cannot use JSON number as string`},
		{`{"record":"alert","source":"edr","external_id":"a1","created_at":"yesterday"}`, `field "created_at": parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
		{`{"record":"alert","source":"edr","external_id":"a1","created_at":"2026-02-30T00:00:00Z"}`, `field "created_at": parsing time "2026-02-30T00:00:00Z": day out of range`},
		{`{"record":"alert","source":"edr","external_id":"a1","created_at":1767225600}`, `field "created_at": Time.UnmarshalJSON: input is not a JSON string`},
		{`{"record":"alert","source":"edr","external_id":"a1",}`, `invalid JSON: invalid character '}' looking for beginning of object key string`},
		{`{"record":"alert","source":"edr","external_id":"a1"} x`, `invalid JSON: invalid character 'x' after top-level value`},
		{`{"record":"alert","source":"edr","external_id":"a1","title":"tab	inside"}`, `invalid JSON: invalid character '\t' in string literal`},
		{`{"record":"alert","source":"edr","external_id":"a1","raw":{"a":tru}}`, `invalid JSON: invalid character '}' in literal true (expecting 'e')`},
		{`{"record":"alert","source":"edr","external_id":"a1","raw":01}`, `invalid JSON: invalid character '1' after object key:value pair`},
		{`{"record":"alert","source":"edr","external_id":"a1","title":"\x"}`, `invalid JSON: invalid character 'x' in string escape code`},
		{`{"record":"alert","record":"case","source":"edr","external_id":"a1"}`, `record type "case" is not the first "record" key's "alert"`},
	}
	var in strings.Builder
	for _, tt := range tests {
		in.WriteString(tt.in + "\n")
		in.WriteString(`{"record":"alert","source":"edr","external_id":"ok"}` + "\n")
	}
	recs := parseAll(t, Parser{}, in.String())
	if len(recs) != 2*len(tests) {
		t.Fatalf("%d records, want %d", len(recs), 2*len(tests))
	}
	for i, tt := range tests {
		r, ok := recs[2*i], recs[2*i+1]
		if want := "in.ndjson:" + strconv.Itoa(2*i+1); r.Loc != want {
			t.Errorf("%s: loc %s, want %s", tt.in, r.Loc, want)
		}
		if r.Err == nil || r.Err.Error() != tt.want {
			t.Errorf("%s:\n got %v\nwant %s", tt.in, r.Err, tt.want)
		}
		if string(r.Raw) != tt.in {
			t.Errorf("%s: raw %q", tt.in, r.Raw)
		}
		if ok.Err != nil || ok.Alert == nil || ok.Alert.ExternalID != "ok" {
			t.Errorf("record after %s: %+v", tt.in, ok)
		}
	}
}

// sameRecords compares two parses record by record: locations, raw text,
// reasons and values.
func sameRecords(t *testing.T, got, want []record.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, encoding/json alone %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if (g.Err == nil) != (w.Err == nil) || g.Err != nil && g.Err.Error() != w.Err.Error() {
			t.Fatalf("record %d (%s): error %v, encoding/json alone %v", i, g.Loc, g.Err, w.Err)
		}
		g.Err, w.Err = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("record %d:\n got %#v\nwant %#v", i, g, w)
		}
	}
}

// FuzzAlertDecoder compares the alert decoder with encoding/json on
// arbitrary input: what the decoder takes, encoding/json takes too, with
// the same values; and a parse of the input as a file yields the same
// records, rejects and reasons with the decoder as without it.
func FuzzAlertDecoder(f *testing.F) {
	recordtest.SeedFiles(f, "testdata/alerts/*.json")
	f.Add([]byte(`{"record":"alert","source":"a","external_id":"b","entities":[{"type":"host","value":"h","ROLE":"x"}]}`))
	f.Add([]byte(`[{"source":"a","external_id":"b"},{"record":"alert","source":"a","external_id":"c","raw":[{}]}]`))
	f.Add([]byte("{\"sourc\\u0065\":\"a\",\"external_id\":\"b\",\"id\":-0,\"case_id\":12,\"severity\":\"hi\\u0067h\"}"))
	f.Add([]byte(`{"record":"alert","source":"a","external_id":"b","created_at":"2026-01-01T00:00:00\u005a","raw":  [ 1 , {"x" : "y"} ]  }`))
	f.Add([]byte("{\"record\":\"alert\",\"\u017fource\":\"a\",\"external_id\":\"b\"}\n{\"record\":\"alert\",\"source\":\"a\",\"external_id\":\"c\",\"id\":1.0}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v := bytes.TrimSpace(data)
		got := &model.Alert{}
		typ, ok := (&alertDecoder{}).alert(v, got)
		if ok {
			refTyp, ref, err := jsonAlert(v)
			if err != nil {
				t.Fatalf("decoder took %q, encoding/json refuses it: %v", v, err)
			}
			if typ != refTyp || !reflect.DeepEqual(got, ref) {
				t.Fatalf("%q:\ndecoder       %q %#v\nencoding/json %q %#v", v, typ, got, refTyp, ref)
			}
		}
		for _, p := range []Parser{{}, {Default: TypeAlert}} {
			var fast, slow []record.Record
			collect := func(out *[]record.Record) record.Emit {
				return func(r record.Record) error { *out = append(*out, r); return nil }
			}
			errFast := p.parse(context.Background(), bytes.NewReader(data), "fuzz", collect(&fast), &alertDecoder{})
			errSlow := p.parse(context.Background(), bytes.NewReader(data), "fuzz", collect(&slow), nil)
			if (errFast == nil) != (errSlow == nil) || errFast != nil && errFast.Error() != errSlow.Error() {
				t.Fatalf("parse error %v, encoding/json alone %v", errFast, errSlow)
			}
			sameRecords(t, fast, slow)
		}
	})
}
