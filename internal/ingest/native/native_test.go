package native

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/ingest/record/recordtest"
	"github.com/watchfloor/watchfloor/internal/model"
)

func parseAll(t testing.TB, p Parser, in string) []record.Record {
	t.Helper()
	return recordtest.Collect(t, p.Parse, "in.ndjson", strings.NewReader(in))
}

func TestParseRecordsAndRejects(t *testing.T) {
	in := `{"record":"alert","source":"edr","external_id":"a1","title":"Mimikatz","severity":"high","created_at":"2026-03-01T10:00:00Z","techniques":["T1003.001"],"entities":[{"type":"host","value":"ws-1"}]}
{"record":"case","source":"edr","external_id":"c1","title":"Credential theft","priority":"P1","status":"new","created_at":"2026-03-01T10:05:00Z"}

{"record":"case_event","case_source":"edr","case_external_id":"c1","external_id":"e1","at":"2026-03-01T10:07:00Z","source":"edr","kind":"assignee","new":"alice"}
{"record":"alert","source":"edr","title":"no id"}
{"record":"alert","source":"edr","external_id":"a2","severity":"apocalyptic"}
{"record":"case_event","case_external_id":"c1","at":"2026-03-01T10:07:00Z","source":"edr","kind":"teleport"}
{"record":"widget"}
{"source":"edr","external_id":"a3"}
{"record":"alert", broken
{"record":"analyst","external_id":"alice","name":"Alice","tier":"L2"}
`
	recs := parseAll(t, Parser{}, in)
	type want struct {
		loc    string
		kind   string
		errSub string
	}
	wants := []want{
		{"in.ndjson:1", "alert", ""},
		{"in.ndjson:2", "case", ""},
		{"in.ndjson:4", "event", ""},
		{"in.ndjson:5", "", "alert has no external_id"},
		{"in.ndjson:6", "", `unknown severity "apocalyptic"`},
		{"in.ndjson:7", "", `unknown event kind "teleport"`},
		{"in.ndjson:8", "", `unknown record type "widget"`},
		{"in.ndjson:9", "", `no "record" key`},
		{"in.ndjson:10", "", "invalid JSON"},
		{"in.ndjson:11", "analyst", ""},
	}
	if len(recs) != len(wants) {
		t.Fatalf("got %d records, want %d", len(recs), len(wants))
	}
	for i, w := range wants {
		r := recs[i]
		if r.Loc != w.loc {
			t.Errorf("record %d: loc %q, want %q", i, r.Loc, w.loc)
		}
		if w.errSub != "" {
			if r.Err == nil || !strings.Contains(r.Err.Error(), w.errSub) {
				t.Errorf("%s: err %v, want %q", w.loc, r.Err, w.errSub)
			}
			if len(r.Raw) == 0 {
				t.Errorf("%s: reject carries no raw text", w.loc)
			}
			continue
		}
		if r.Err != nil {
			t.Errorf("%s: unexpected reject %v", w.loc, r.Err)
		}
	}
	a := recs[0].Alert
	if a.Severity != model.SeverityHigh || a.Techniques[0] != "T1003.001" || a.Entities[0].Value != "ws-1" ||
		!a.CreatedAt.Equal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("alert %+v", a)
	}
	if c := recs[1].Case; c.Priority != model.P1 || c.Status != "new" {
		t.Errorf("case %+v", c)
	}
	if e := recs[2].Event; e.Kind != model.EventAssignee || e.New != "alice" || e.CaseExternalID != "c1" {
		t.Errorf("event %+v", e)
	}
	if an := recs[9].Analyst; an.Tier != model.TierL2 || !an.Active {
		t.Errorf("analyst %+v", an)
	}
}

func TestDefaultType(t *testing.T) {
	recs := parseAll(t, Parser{Default: TypeAlert}, `[{"source":"s","external_id":"1","title":"x"},{"source":"s","external_id":"2"}]`)
	if len(recs) != 2 || recs[0].Alert == nil || recs[1].Loc != "in.ndjson:$[1]" {
		t.Fatalf("records %+v", recs)
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]bool{
		`{"record":"alert","source":"x"}`:             true,
		"{\n  \"record\" : \"case\"}":                 true,
		`{"title":"x","nested":{"record":"alert"}}`:   true, // first "record" key decides; the parser checks it
		`{"class_uid":2004}`:                          false,
		`{"record":"gizmo"}`:                          false,
		`{"title":"the \"record\": \"alert\" trick"}`: false,
		`number,incident_state`:                       false,
	} {
		if got := Detect([]byte(in)); got != want {
			t.Errorf("Detect(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestWriterRoundTrip(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	in := []record.Record{
		{Team: &model.Team{Name: "Blue", Lead: "carol"}},
		{Shift: &model.Shift{Name: "night", Start: "22:00", Duration: 8 * time.Hour, Days: []time.Weekday{0, 1, 2}}},
		{Analyst: &model.Analyst{ExternalID: "alice", Name: "Alice", Tier: model.TierL1, Active: true, Skills: []model.Skill{{Name: "phishing", Level: 3}}}},
		{Rule: &model.Rule{Source: "demo", ExternalID: "R1", Name: "Rule", Techniques: []string{"T1566"}, Enabled: true}},
		{Rule: &model.Rule{Source: "demo", ExternalID: "R2", Name: "Rule 2", Enabled: true, Status: model.RuleTest,
			DataSources: []string{"windows/process_creation"}, Platforms: []string{"windows"}}},
		{SLA: &model.SLAPolicy{Name: "std", Version: 2, EffectiveFrom: at, Targets: map[model.Priority]model.SLATarget{model.P1: {Acknowledge: time.Minute, Resolve: time.Hour}}}},
		{Alert: &model.Alert{Source: "demo", ExternalID: "A1", Title: "<script>", Severity: model.SeverityCritical, CreatedAt: at, Disposition: model.DispositionFalsePositive}},
		{Case: &model.Case{Source: "demo", ExternalID: "C1", Title: "c", Priority: model.P2, Stage: model.StageNew, CreatedAt: at, UpdatedAt: at}},
		{Event: &model.CaseEvent{CaseSource: "demo", CaseExternalID: "C1", ExternalID: "C1/1", At: at, Source: "demo", Kind: model.EventStage, Old: "new", New: "triage"}},
		{Finding: &model.Finding{Source: "demo", ExternalID: "F1", Class: model.FindingCompliance, Title: "f"}},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, r := range in {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	out := parseAll(t, Parser{}, buf.String())
	if len(out) != len(in) {
		t.Fatalf("%d records back, want %d", len(out), len(in))
	}
	for i := range in {
		out[i].Loc = ""
		if !reflect.DeepEqual(in[i], out[i]) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, out[i], in[i])
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"record":"alert","source":"edr","external_id":"a1","severity":"high","created_at":"2026-03-01T10:00:00Z"}`))
	f.Add([]byte(`[{"record":"case","source":"s","external_id":"c","priority":"P1"}]`))
	f.Add([]byte("{\"record\":\"case_event\",\n\"case_external_id\":\"c\",\"kind\":\"status\",\"at\":\"2026-01-01T00:00:00Z\",\"source\":\"s\"}\n{\"record\":\"rule\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		err := Parser{}.Parse(context.Background(), bytes.NewReader(data), "fuzz", func(r record.Record) error {
			n++
			if r.Err == nil && r.Alert == nil && r.Case == nil && r.Event == nil && r.Analyst == nil && r.Rule == nil &&
				r.Finding == nil && r.Team == nil && r.Shift == nil && r.SLA == nil {
				t.Fatalf("%s: record with neither data nor error", r.Loc)
			}
			if r.Loc == "" {
				t.Fatal("record without location")
			}
			return nil
		})
		if err != nil && n == 0 && len(bytes.TrimSpace(data)) > 0 && bytes.TrimSpace(data)[0] != '[' {
			t.Fatalf("input-level error without records: %v", err)
		}
	})
}

// TestVocabularyRejectsNameTheField: a value that maps to nothing in its
// field's vocabulary is rejected, the field named, never stored silently.
func TestVocabularyRejectsNameTheField(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"record":"case","source":"x","external_id":"c1","priority":"banana"}`, `field "priority": unknown priority "banana"`},
		{`{"record":"alert","source":"x","external_id":"a1","severity":"banana"}`, `field "severity": unknown severity "banana"`},
		{`{"record":"case","source":"x","external_id":"c2","stage":"banana"}`, `field "stage": unknown stage "banana"`},
		{`{"record":"case","source":"x","external_id":"c3","disposition":"banana"}`, `field "disposition": unknown value "banana"`},
		{`{"record":"alert","source":"x","external_id":"a2","disposition":"banana"}`, `field "disposition": unknown value "banana"`},
		{`{"record":"analyst","external_id":"ana","tier":"L9"}`, `field "tier": unknown tier "L9" (want L1, L2 or L3)`},
		{`{"record":"case_event","case_external_id":"c1","source":"x","at":"2026-03-01T10:00:00Z","kind":"priority","new":"banana"}`, `field "new": unknown priority "banana"`},
		{`{"record":"case_event","case_external_id":"c1","source":"x","at":"2026-03-01T10:00:00Z","kind":"stage","new":"banana"}`, `field "new": unknown stage "banana"`},
		{`{"record":"sla_policy","name":"p","version":1,"effective_from":"2026-01-01T00:00:00Z","targets":{"P9":{"acknowledge":60000000000}}}`, `field "targets": unknown priority "P9"`},
	}
	for _, tt := range tests {
		recs := parseAll(t, Parser{}, tt.in+"\n")
		if len(recs) != 1 || recs[0].Err == nil || recs[0].Err.Error() != tt.want {
			var got any = recs
			if len(recs) == 1 {
				got = recs[0].Err
			}
			t.Errorf("%s:\n got %v\nwant %s", tt.in, got, tt.want)
		}
	}
}

// TestRuleStatus checks a rule's status: Sigma's and Splunk's names read,
// anything else refused with the field named.
func TestRuleStatus(t *testing.T) {
	for in, want := range map[string]string{`"Production"`: model.RuleStable, `"validation"`: model.RuleTest, `"deprecated"`: model.RuleDeprecated, `""`: ""} {
		out := parseAll(t, Parser{}, `{"record":"rule","source":"s","external_id":"r","status":`+in+`}`)
		if len(out) != 1 || out[0].Err != nil || out[0].Rule.Status != want {
			t.Errorf("status %s: %+v", in, out)
		}
	}
	out := parseAll(t, Parser{}, `{"record":"rule","source":"s","external_id":"r","status":"beta"}`)
	if len(out) != 1 || out[0].Err == nil || !strings.Contains(out[0].Err.Error(), `field "status": unknown rule status "beta"`) {
		t.Errorf("bad status: %+v", out)
	}
}
