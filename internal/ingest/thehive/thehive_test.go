package thehive

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/ingest/record/recordtest"
	"github.com/watchfloor/watchfloor/internal/model"
)

func parse(t *testing.T, name string, r io.Reader) []record.Record {
	t.Helper()
	return recordtest.Collect(t, Parse, name, r)
}

func parseFile(t *testing.T, name string) []record.Record {
	t.Helper()
	return recordtest.CollectFile(t, Parse, filepath.Join("testdata", name))
}

var ts = recordtest.Time

func TestParseAlerts(t *testing.T) {
	recs := parseFile(t, "alerts_v5.json")
	recordtest.CheckRaw(t, recs)
	want := []record.Record{
		{Loc: "alerts_v5.json:$[0]", Alert: &model.Alert{
			Source: "thehive", ExternalID: "~41160",
			Title:       "Encoded PowerShell command on FIN-WS-0142",
			Description: "Notable event from correlation search **Encoded PowerShell**.",
			Severity:    model.SeverityHigh, Status: "Imported", CaseExternalID: "~82001",
			OccurredAt: ts("2025-06-02T07:25:00Z"), CreatedAt: ts("2025-06-02T07:30:00.123Z"),
			Entities: []model.Entity{
				{Type: "hostname", Value: "FIN-WS-0142"},
				{Type: "ip", Value: "10.20.4.17"},
				{Type: "file", Value: "payload.ps1"},
			},
			Techniques: []string{"T1059.001"},
			Attributes: map[string]string{
				"source_ref": "notable-0f6b6c1e2a", "source": "Splunk ES", "type": "splunk",
				"stage": "Imported", "tlp": "2", "pap": "2", "assignee": "maya.okafor@acme.example",
				"external_link": "https://splunk.acme.example/en-US/app/SplunkEnterpriseSecuritySuite/incident_review",
			},
		}},
		{Loc: "alerts_v5.json:$[1]", Alert: &model.Alert{
			Source: "thehive", ExternalID: "~41172",
			Title:       "Multiple authentication failures for root on bastion-01",
			Description: "sshd: 24 failed logins in 60s",
			Severity:    model.SeverityMedium, Status: "New",
			OccurredAt: ts("2025-06-02T10:26:40Z"), CreatedAt: ts("2025-06-02T10:26:52Z"),
			Techniques: []string{"T1110"},
			Attributes: map[string]string{
				"source_ref": "1748860000.112", "source": "Wazuh", "type": "wazuh",
				"stage": "New", "tlp": "2", "pap": "2",
			},
		}},
		{Loc: "alerts_v5.json:$[2]", Alert: &model.Alert{
			Source: "thehive", ExternalID: "~41190",
			Title:       "Credential phishing URL clicked",
			Description: "User clicked a URL later rewritten as malicious.",
			Severity:    model.SeverityLow, Status: "FalsePositive", Disposition: model.DispositionFalsePositive,
			OccurredAt: ts("2025-06-02T13:15:00Z"), CreatedAt: ts("2025-06-02T13:20:00Z"),
			Entities: []model.Entity{
				{Type: "mail", Value: "billing@paypa1-secure.example"},
				{Type: "url", Value: "https://paypa1-secure.example/login"},
			},
			Attributes: map[string]string{
				"source_ref": "tap-5d1e2f3a", "source": "Proofpoint TAP", "type": "email",
				"stage": "Closed", "tlp": "1", "pap": "2", "assignee": "li.wei@acme.example",
			},
		}},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records:\n got %s\nwant %s", recordtest.Dump(recs), recordtest.Dump(want))
	}
}

func TestParseCases(t *testing.T) {
	recs := parseFile(t, "cases_v5.json")
	recordtest.CheckRaw(t, recs)
	want := []record.Record{
		{Loc: "cases_v5.json:$[0]", Case: &model.Case{
			Source: "thehive", ExternalID: "~82001",
			Title:       "Encoded PowerShell command on FIN-WS-0142",
			Description: "Imported from Splunk ES notable notable-0f6b6c1e2a.",
			Priority:    model.P2, Severity: model.SeverityHigh,
			Status: "InProgress", Stage: model.StageInvestigating,
			Assignee: "maya.okafor@acme.example", Tags: []string{"powershell", "fin"},
			OccurredAt: ts("2025-06-02T07:25:00Z"), CreatedAt: ts("2025-06-02T08:00:00Z"),
			UpdatedAt: ts("2025-06-02T11:00:00Z"), AcknowledgedAt: ts("2025-06-02T08:15:00Z"),
			Attributes: map[string]string{"number": "1402", "stage": "InProgress", "tlp": "2", "pap": "2"},
		}},
		{Loc: "cases_v5.json:$[1]", Case: &model.Case{
			Source: "thehive", ExternalID: "~82044", Title: "Lost laptop reported by sales",
			Priority: model.P3, Severity: model.SeverityMedium, Status: "New", Stage: model.StageNew,
			OccurredAt: ts("2025-06-02T15:00:00Z"), CreatedAt: ts("2025-06-02T16:00:00Z"),
			// Never updated: no _updatedAt, so the case is as created.
			UpdatedAt:  ts("2025-06-02T16:00:00Z"),
			Attributes: map[string]string{"number": "1410", "stage": "New", "tlp": "2", "pap": "2"},
		}},
		{Loc: "cases_v5.json:$[2]", Case: &model.Case{
			Source: "thehive", ExternalID: "~81950", Title: "Ransomware note dropped on FS-02",
			Description: "Contained by EDR isolation; restored from snapshot.",
			Priority:    model.P1, Severity: model.SeverityCritical,
			Status: "TruePositive", Stage: model.StageClosed, Disposition: model.DispositionTruePositive,
			Assignee: "li.wei@acme.example", Tags: []string{"ransomware"},
			OccurredAt: ts("2025-05-28T02:23:20Z"), CreatedAt: ts("2025-05-28T02:40:00Z"),
			UpdatedAt: ts("2025-05-30T10:13:20Z"), AcknowledgedAt: ts("2025-05-28T02:50:00Z"),
			ClosedAt: ts("2025-05-30T07:26:40Z"),
			Attributes: map[string]string{
				"number": "1377", "stage": "Closed", "tlp": "3", "pap": "3", "impact_status": "WithImpact",
			},
		}},
		{Loc: "cases_v5.json:$[3]", Case: &model.Case{
			Source: "thehive", ExternalID: "~81990", Title: "Impossible travel for j.doe",
			Priority: model.P4, Severity: model.SeverityLow,
			Status: "FalsePositive", Stage: model.StageClosed, Disposition: model.DispositionFalsePositive,
			Assignee:   "tier1@acme.example",
			OccurredAt: ts("2025-05-29T06:10:00Z"), CreatedAt: ts("2025-05-29T06:26:40Z"),
			UpdatedAt: ts("2025-05-29T07:26:40Z"), ClosedAt: ts("2025-05-29T07:26:40Z"),
			Attributes: map[string]string{"number": "1391", "stage": "Closed", "impact_status": "NotApplicable"},
		}},
		{Loc: "cases_v5.json:$[4]", Case: &model.Case{
			Source: "thehive", ExternalID: "~81999", Title: "Encoded PowerShell command on FIN-WS-0142 (again)",
			Priority: model.P2, Severity: model.SeverityHigh,
			Status: "Duplicated", Stage: model.StageClosed, Disposition: model.DispositionDuplicate,
			OccurredAt: ts("2025-05-29T08:56:40Z"), CreatedAt: ts("2025-05-29T09:13:20Z"),
			UpdatedAt: ts("2025-05-29T09:30:00Z"), ClosedAt: ts("2025-05-29T09:30:00Z"),
			Attributes: map[string]string{"number": "1393", "stage": "Closed"},
		}},
		{Loc: "cases_v5.json:$[5]", Case: &model.Case{
			Source: "thehive", ExternalID: "~82010", Title: "Beaconing to rare domain",
			Priority: model.P3, Severity: model.SeverityMedium,
			Status: "Indeterminate", Stage: model.StageClosed, Disposition: model.DispositionInconclusive,
			OccurredAt: ts("2025-05-29T11:43:20Z"), CreatedAt: ts("2025-05-29T12:00:00Z"),
			UpdatedAt: ts("2025-05-29T14:46:40Z"), ClosedAt: ts("2025-05-29T14:46:40Z"),
			Attributes: map[string]string{"number": "1395", "stage": "Closed"},
		}},
		// Severity from the label alone; closed time from closedDate when
		// endDate is missing.
		{Loc: "cases_v5.json:$[6]", Case: &model.Case{
			Source: "thehive", ExternalID: "~82011", Title: "Printer spooler crash",
			Priority: model.P3, Severity: model.SeverityMedium,
			Status: "Other", Stage: model.StageClosed, Disposition: model.DispositionInconclusive,
			OccurredAt: ts("2025-05-29T17:16:40Z"), CreatedAt: ts("2025-05-29T17:33:20Z"),
			UpdatedAt: ts("2025-05-29T20:20:00Z"), ClosedAt: ts("2025-05-29T20:20:00Z"),
			Attributes: map[string]string{"number": "1396", "stage": "Closed"},
		}},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records:\n got %s\nwant %s", recordtest.Dump(recs), recordtest.Dump(want))
	}
}

func TestParseTheHive4(t *testing.T) {
	recs := parseFile(t, "thehive4.ndjson")
	recordtest.CheckRaw(t, recs)
	want := []record.Record{
		{Loc: "thehive4.ndjson:1", Case: &model.Case{
			Source: "thehive", ExternalID: "AYx1c9Hq4Z0pQ3kT2aBc", Title: "MISP event 2291: Emotet C2",
			Description: "C2 contacted from 2 hosts",
			Priority:    model.P3, Severity: model.SeverityMedium,
			Status: "Resolved", Stage: model.StageClosed, Disposition: model.DispositionTruePositive,
			Assignee: "analyst1", Tags: []string{"emotet"},
			OccurredAt: ts("2023-11-14T22:13:20Z"), CreatedAt: ts("2023-11-14T22:15:00Z"),
			UpdatedAt: ts("2023-11-15T23:13:20Z"), ClosedAt: ts("2023-11-15T23:13:20Z"),
			Attributes: map[string]string{
				"number": "57", "tlp": "2", "pap": "2", "impact_status": "NoImpact", "resolution_status": "TruePositive",
			},
		}},
		// An open TheHive 4 case: no stage of its own, left to the status map.
		{Loc: "thehive4.ndjson:2", Case: &model.Case{
			Source: "thehive", ExternalID: "AYx2d0Jr5A1qR4lU3bCd", Title: "Suspicious service on DC-01",
			Priority: model.P2, Severity: model.SeverityHigh, Status: "Open",
			Assignee:   "analyst2",
			OccurredAt: ts("2023-11-16T02:00:00Z"), CreatedAt: ts("2023-11-16T02:01:40Z"),
			UpdatedAt:  ts("2023-11-16T02:01:40Z"),
			Attributes: map[string]string{"number": "58", "tlp": "2", "pap": "2"},
		}},
		{Loc: "thehive4.ndjson:3", Alert: &model.Alert{
			Source: "thehive", ExternalID: "ce2c00f17132359cb3c50dfbb1901810", Title: "MISP event 2291: Emotet C2",
			Severity: model.SeverityMedium, Status: "Imported", CaseExternalID: "AYx1c9Hq4Z0pQ3kT2aBc",
			OccurredAt: ts("2023-11-14T21:56:40Z"), CreatedAt: ts("2023-11-14T22:13:20Z"),
			Entities: []model.Entity{
				{Type: "domain", Value: "cdn-update.example"},
				{Type: "ip", Value: "198.51.100.23"},
			},
			Techniques: []string{"T1071.001"},
			Attributes: map[string]string{"source_ref": "2291", "source": "misp", "type": "external", "tlp": "2"},
		}},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records:\n got %s\nwant %s", recordtest.Dump(recs), recordtest.Dump(want))
	}
}

func TestParseWebhooks(t *testing.T) {
	recs := parseFile(t, "webhooks.ndjson")
	recordtest.CheckRaw(t, recs)
	want := []record.Record{
		{Loc: "webhooks.ndjson:1", Case: &model.Case{
			Source: "thehive", ExternalID: "~82001", Title: "Encoded PowerShell command on FIN-WS-0142",
			Priority: model.P1, Severity: model.SeverityCritical, Status: "InProgress", Stage: model.StageInvestigating,
			Assignee:   "li.wei@acme.example",
			OccurredAt: ts("2025-06-02T07:25:00Z"), CreatedAt: ts("2025-06-02T08:00:00Z"),
			UpdatedAt:  ts("2025-06-02T11:00:00Z"),
			Attributes: map[string]string{"number": "1402", "stage": "InProgress"},
		}},
		// The object has no _id of its own; the payload's objectId names it.
		{Loc: "webhooks.ndjson:2", Alert: &model.Alert{
			Source: "thehive", ExternalID: "~41200", Title: "Credential dumping via comsvcs.dll",
			Severity: model.SeverityCritical, Status: "New",
			OccurredAt: ts("2025-06-02T21:31:40Z"), CreatedAt: ts("2025-06-02T21:33:20Z"),
			Attributes: map[string]string{
				"source_ref": "ldt:9a8b7c:1234", "source": "Falcon", "type": "crowdstrike", "stage": "New",
			},
		}},
		// Line 3, a deletion, carries nothing to ingest.
		{Loc: "webhooks.ndjson:4", Err: errors.New(`webhook objectType "Observable": want Alert or Case`)},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d: %s", len(recs), len(want), recordtest.Dump(recs))
	}
	for i := range want {
		if want[i].Err != nil {
			if recs[i].Loc != want[i].Loc || recs[i].Err == nil || recs[i].Err.Error() != want[i].Err.Error() {
				t.Errorf("record %d: %s, want %s rejected: %v", i, recordtest.Dump(recs[i:i+1]), want[i].Loc, want[i].Err)
			}
			continue
		}
		if !reflect.DeepEqual(recs[i], want[i]) {
			t.Errorf("record %d:\n got %s\nwant %s", i, recordtest.Dump(recs[i:i+1]), recordtest.Dump(want[i:i+1]))
		}
	}
}

func TestParseRejects(t *testing.T) {
	recs := parseFile(t, "rejects.json")
	want := []struct{ loc, err string }{
		{"rejects.json:$[0]", "alert: missing _id"},
		{"rejects.json:$[1]", `_type "Task": want Alert or Case`},
		{"rejects.json:$[2]", `case: _createdAt: invalid timestamp "last tuesday"`},
		{"rejects.json:$[3]", `alert: severity: want a whole number, got "high"`},
		{"rejects.json:$[4]", "not a JSON object: got a string"},
		{"rejects.json:$[5]", "missing _type: not recognisable as a TheHive Alert or Case"},
		{"rejects.json:$[6]", "alert: observables: want an array, got a string"},
		{"rejects.json:$[7]", ""}, // the good alert still lands
		{"rejects.json:$[8]", "case: tags[0]: want a string, got a number"},
		{"rejects.json:$[9]", "case: startDate: invalid timestamp -5: out of range"},
		{"rejects.json:$[10]", "case: _createdAt: invalid timestamp: want epoch milliseconds, got a boolean; severity: want a whole number, got 2.5"},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d: %s", len(recs), len(want), recordtest.Dump(recs))
	}
	for i, w := range want {
		r := recs[i]
		if r.Loc != w.loc {
			t.Errorf("record %d: loc %q, want %q", i, r.Loc, w.loc)
		}
		if w.err == "" {
			if r.Err != nil || r.Alert == nil || r.Alert.ExternalID != "~5" || r.Alert.Attributes["source_ref"] != "r-5" {
				t.Errorf("record %d: got %s, want alert ~5", i, recordtest.Dump(recs[i:i+1]))
			}
			continue
		}
		if r.Err == nil || r.Err.Error() != w.err {
			t.Errorf("record %d: error %v, want %q", i, r.Err, w.err)
		}
		if len(r.Raw) == 0 {
			t.Errorf("record %d: rejection without its raw text", i)
		}
	}
}

// Re-reading the same alert gives the same identity whether it comes from
// a listing or a webhook: idempotency rests on _id.
func TestAlertIdentityStable(t *testing.T) {
	listed := parse(t, "a", strings.NewReader(`{"_id":"~9","_type":"Alert","sourceRef":"s-9","title":"t","status":"New"}`))
	hooked := parse(t, "b", strings.NewReader(`{"objectType":"Alert","objectId":"~9","operation":"update","object":{"_type":"Alert","sourceRef":"s-9","title":"t","status":"Ignored"}}`))
	a, b := listed[0].Alert, hooked[0].Alert
	if a == nil || b == nil || a.Source != b.Source || a.ExternalID != b.ExternalID ||
		a.Attributes["source_ref"] != b.Attributes["source_ref"] || b.Status != "Ignored" {
		t.Errorf("listed %s\nhooked %s", recordtest.Dump(listed), recordtest.Dump(hooked))
	}
}

func TestParseStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	f, err := os.Open("testdata/cases_v5.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = Parse(context.Background(), f, "x", func(record.Record) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("emit error: Parse returned %v after %d records, want stop after 1", err, n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Parse(ctx, strings.NewReader(`[{"_id":"~1","_type":"Case"}]`), "x", func(record.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: Parse returned %v, want context.Canceled", err)
	}
}

func TestCaseStage(t *testing.T) {
	tests := []struct {
		stage, status string
		want          model.Stage
	}{
		{"New", "New", model.StageNew},
		{"InProgress", "InProgress", model.StageInvestigating},
		{"Closed", "TruePositive", model.StageClosed},
		{"", "FalsePositive", model.StageClosed},
		{"", "Duplicated", model.StageClosed},
		{"", "Indeterminate", model.StageClosed},
		{"", "Other", model.StageClosed},
		{"", "Resolved", model.StageClosed},
		{"", "New", model.StageNew},
		{"", "InProgress", model.StageInvestigating},
		{"", "Open", ""},
		{"", "AwaitingCustomer", ""},
	}
	for _, tt := range tests {
		if got := caseStage(tt.stage, tt.status); got != tt.want {
			t.Errorf("caseStage(%q, %q) = %q, want %q", tt.stage, tt.status, got, tt.want)
		}
	}
}

func TestDisposition(t *testing.T) {
	tests := map[string]model.Disposition{
		"TruePositive":  model.DispositionTruePositive,
		"FalsePositive": model.DispositionFalsePositive,
		"Duplicated":    model.DispositionDuplicate,
		"Indeterminate": model.DispositionInconclusive,
		"Other":         model.DispositionInconclusive,
		"New":           model.DispositionNone,
		"InProgress":    model.DispositionNone,
		"Ignored":       model.DispositionNone,
		"Imported":      model.DispositionNone,
		"":              model.DispositionNone,
	}
	for status, want := range tests {
		if got := disposition(status); got != want {
			t.Errorf("disposition(%q) = %q, want %q", status, got, want)
		}
	}
}

func TestTechniques(t *testing.T) {
	got := techniques([]string{"attack.t1059.001", "mitre:T1566", "T1078", "attack.execution", "ticket-T1234x", "t1566", "case:T12345"})
	want := []string{"T1059.001", "T1566", "T1078"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("techniques = %q, want %q", got, want)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"v5 alerts", `[{"_id":"~41160","_type":"Alert","_createdBy":"x"`, true},
		{"v5 case", "{\n  \"_id\": \"~82001\",\n  \"_type\": \"Case\",", true},
		{"v4 case", `{"_id":"AYx1","id":"AYx1","_type":"case","caseId":57`, true},
		{"no type", `[{"_id":"~1","_createdAt":1748849400123,"title":"x"`, true},
		{"webhook", `{"operation":"update","objectId":"~82001","objectType":"Case","object":{`, true},
		{"other type", `[{"_id":"~1","_type":"Observable","dataType":"ip"`, false},
		{"Chronicle", `{"cases":[{"name":"projects/p/locations/us/instances/i/cases/1"`, false},
		{"OCSF", `{"class_uid":2004,"severity_id":4}`, false},
		{"CSV", "number,opened_at\nINC1", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.head)); got != tt.want {
			t.Errorf("%s: Detect = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`[{"_id":"~41160","_type":"Alert","_createdAt":1748849400123,"sourceRef":"n-1","title":"t","severity":3,"date":1748849100000,"tags":["attack.t1059.001"],"caseId":"~82001","status":"Imported","observables":[{"dataType":"ip","data":"10.20.4.17"},{"dataType":"file","attachment":{"name":"p.ps1"}}]}]`,
		`{"_id":"~81950","_type":"Case","_createdAt":1748400000000,"_updatedAt":1748600000000,"number":1377,"title":"t","severity":4,"startDate":1748399000000,"endDate":1748590000000,"status":"TruePositive","stage":"Closed","impactStatus":"WithImpact","inProgressDate":1748400600000}`,
		"{\"_id\":\"AYx1\",\"_type\":\"case\",\"caseId\":57,\"severity\":2,\"resolutionStatus\":\"TruePositive\",\"status\":\"Resolved\",\"owner\":\"a\",\"createdAt\":1700000100000}\n{\"_id\":\"ce2c\",\"_type\":\"alert\",\"sourceRef\":\"2291\",\"case\":\"AYx1\",\"artifacts\":[{\"dataType\":\"domain\",\"data\":\"x.example\"}]}\n",
		`{"operation":"update","objectId":"~82001","objectType":"Case","object":{"_type":"Case","severityLabel":"HIGH","status":"InProgress"}}`,
		"[\"s\", 1, {\"title\": \"no type\"}, {\"_id\": \"~1\", \"_type\": \"Task\"}, {\"_id\": \"~2\", \"_type\": \"Case\", \"_createdAt\": \"x\"}]",
		"{\n  \"_id\": \"~9\",\n  \"_type\": \"Alert\",\n  \"date\": ",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		err := Parse(context.Background(), bytes.NewReader(in), "fuzz", func(r record.Record) error {
			if err := recordtest.Shape(r, "fuzz"); err != nil {
				t.Error(err)
			}
			if r.Event != nil {
				t.Errorf("%s: TheHive input gave an event: %+v", r.Loc, r.Event)
			}
			switch {
			case r.Case != nil:
				c := r.Case
				if c.ExternalID == "" || c.Source != Source || !c.Disposition.Valid() || (c.Stage != "" && !c.Stage.Valid()) {
					t.Errorf("%s: bad case %+v", r.Loc, c)
				}
				if !c.ClosedAt.IsZero() && c.Stage != "closed" {
					t.Errorf("%s: ClosedAt set on a case in stage %q", r.Loc, c.Stage)
				}
			case r.Alert != nil:
				if r.Alert.ExternalID == "" || r.Alert.Source != Source || !r.Alert.Disposition.Valid() {
					t.Errorf("%s: bad alert %+v", r.Loc, r.Alert)
				}
			}
			return nil
		})
		if err != nil {
			t.Errorf("Parse of an in-memory input returned %v", err)
		}
	})
}
