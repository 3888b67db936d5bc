package chronicle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

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

func TestParseListCases1P(t *testing.T) {
	recs := parseFile(t, "list_cases_1p.json")
	recordtest.CheckRaw(t, recs)
	want := []record.Record{
		{Loc: "list_cases_1p.json:$.cases[0]", Case: &model.Case{
			Source: "chronicle", ExternalID: "4211",
			Title:       "Suspicious PowerShell download cradle on FIN-WS-0142",
			Description: "EDR flagged an encoded PowerShell command fetching a remote script.",
			Priority:    model.P2, Status: "OPENED", Stage: model.StageInvestigating,
			Assignee:  "maya.okafor@acme.example",
			Tags:      []string{"powershell", "edr"},
			CreatedAt: ts("2025-06-02T08:14:07.512Z"), UpdatedAt: ts("2025-06-02T09:41:55.1Z"),
			Attributes: map[string]string{
				"stage": "Investigation", "environment": "Default Environment", "type": "EXTERNAL",
				"alert_count": "2", "important": "true", "incident": "false",
			},
		}},
		{Loc: "list_cases_1p.json:$.cases[1]", Case: &model.Case{
			Source: "chronicle", ExternalID: "4198", Title: "Impossible travel for j.doe",
			Priority: model.P3, Status: "CLOSED", Stage: model.StageClosed,
			// NOT_MALICIOUS refined by a root cause that names the verdict.
			Disposition: model.DispositionFalsePositive,
			Team:        "@Tier1",
			CreatedAt:   ts("2025-05-30T22:03:41Z"), UpdatedAt: ts("2025-05-31T07:12:00Z"),
			Attributes: map[string]string{
				"stage": "Triage", "environment": "Default Environment", "alert_count": "1",
				"close_reason": "NOT_MALICIOUS", "root_cause": "False Positive",
				"close_comment": "User confirmed travel; VPN egress in Lisbon.",
				"important":     "false", "incident": "false",
			},
		}},
		{Loc: "list_cases_1p.json:$.cases[2]", Case: &model.Case{
			Source: "chronicle", ExternalID: "4170", Title: "Ransomware note dropped on FS-02",
			Priority: model.P1, Status: "CLOSED", Stage: model.StageClosed,
			Disposition: model.DispositionTruePositive,
			Assignee:    "li.wei@acme.example",
			CreatedAt:   ts("2025-05-28T03:55:10.004Z"), UpdatedAt: ts("2025-05-29T16:20:31.25Z"),
			Attributes: map[string]string{
				"stage": "Incident", "environment": "Default Environment", "alert_count": "4",
				"close_reason": "MALICIOUS", "root_cause": "Phishing email",
				"close_comment": "Host reimaged; credentials rotated.",
				"important":     "true", "incident": "true",
			},
		}},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records:\n got %s\nwant %s", recordtest.Dump(recs), recordtest.Dump(want))
	}
}

// The same case read through the legacy case queue and the 1P API lands on
// the same record: same id, times, priority, stage and assignee.
func TestParseLegacyKeysMatch1P(t *testing.T) {
	legacy := parseFile(t, "case_cards_legacy.json")
	onep := parseFile(t, "list_cases_1p.json")
	if len(legacy) != 2 {
		t.Fatalf("got %d legacy records, want 2", len(legacy))
	}
	l, p := legacy[0].Case, onep[0].Case
	if l == nil || p == nil {
		t.Fatalf("want cases, got %+v and %+v", legacy[0], onep[0])
	}
	if l.ExternalID != p.ExternalID || l.Title != p.Title || l.Priority != p.Priority ||
		l.Stage != p.Stage || l.Assignee != p.Assignee || !l.CreatedAt.Equal(p.CreatedAt) ||
		!l.UpdatedAt.Equal(p.UpdatedAt) || !reflect.DeepEqual(l.Tags, p.Tags) {
		t.Errorf("legacy and 1P differ:\nlegacy %+v\n1P     %+v", l, p)
	}
	if l.Status != "Opened" {
		t.Errorf("legacy status 1 = %q, want Opened", l.Status)
	}

	c := legacy[1].Case
	recordtest.CheckRaw(t, legacy[1:])
	want := &model.Case{
		Source: "chronicle", ExternalID: "4150", Title: "Scheduled vulnerability scan triggered IDS",
		Priority: model.P5, Status: "Closed", Stage: model.StageClosed,
		Disposition: model.DispositionBenignPositive, // close reason 2 = Maintenance
		Team:        "@Tier1",
		CreatedAt:   ts("2025-05-28T00:00:00Z"), UpdatedAt: ts("2025-05-28T01:00:00Z"),
		Attributes: map[string]string{
			"stage": "Assessment", "environment": "Default Environment", "alert_count": "3",
			"close_reason": "Maintenance", "root_cause": "Scheduled scan",
			"important": "false", "incident": "false",
		},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("case 4150:\n got %+v\nwant %+v", c, want)
	}
}

func TestParseFullDetails1P(t *testing.T) {
	recs := parseFile(t, "full_details_1p.json")
	recordtest.CheckRaw(t, recs)
	if len(recs) != 4 {
		t.Fatalf("got %d records, want 4 (case, 2 alerts, 1 comment; the deleted comment skipped): %s", len(recs), recordtest.Dump(recs))
	}
	if c := recs[0].Case; recs[0].Loc != "full_details_1p.json:$.case_details" || c == nil || c.ExternalID != "4211" {
		t.Errorf("record 0 = %s, want case 4211 at $.case_details", recordtest.Dump(recs[:1]))
	}
	wantAlerts := []record.Record{
		{Loc: "full_details_1p.json:$.case_alerts.caseAlerts[0]", Alert: &model.Alert{
			Source: "chronicle", ExternalID: "SUSPICIOUS POWERSHELL_7C1D0F1E-4C8B-4B7E-9F3A-2B8D1E0A6C55",
			Title: "SUSPICIOUS POWERSHELL", Severity: model.SeverityHigh, Status: "OPEN",
			RuleID: "ru_5e1c2b7a-6f0d-4b0e-9c1f-8a2d3e4f5a6b", RuleName: "Encoded PowerShell Download Cradle",
			CaseExternalID: "4211",
			OccurredAt:     ts("2025-06-02T08:11:52Z"), CreatedAt: ts("2025-06-02T08:14:07.53Z"),
			Attributes: map[string]string{
				"product": "Falcon", "vendor": "CrowdStrike", "source_system": "Chronicle",
				"environment": "Default Environment", "ticket_id": "ldt:4b1f0c2a9e:8590",
				"alert_group":   "Encoded PowerShell Download Cradle_3d1c6c1e",
				"siem_alert_id": "de_7d2a9c40-1b7e-4f0a-8e7e-0c9a1d2b3c4d",
				"end_time":      "2025-06-02T08:12:40Z",
			},
		}},
		{Loc: "full_details_1p.json:$.case_alerts.caseAlerts[1]", Alert: &model.Alert{
			Source: "chronicle", ExternalID: "NEW SERVICE INSTALLED_0A9E3C55-1D2B-4E6F-8A7B-9C0D1E2F3A4B",
			Title: "NEW SERVICE INSTALLED", Severity: model.SeverityLow, Status: "CLOSED",
			Disposition: model.DispositionBenignPositive,
			RuleName:    "Service Installed From Temp Directory", CaseExternalID: "4211",
			OccurredAt: ts("2025-06-02T08:29:40Z"), CreatedAt: ts("2025-06-02T08:31:02Z"),
			Attributes: map[string]string{
				"product": "Windows Event Log", "vendor": "Microsoft",
				"alert_group":  "Service Installed From Temp Directory_91ab20f4",
				"close_reason": "NOT_MALICIOUS", "root_cause": "Legit admin activity",
				"close_comment": "Patch agent service, change ticket CHG0031337.",
			},
		}},
	}
	if !reflect.DeepEqual(recs[1:3], wantAlerts) {
		t.Errorf("alerts:\n got %s\nwant %s", recordtest.Dump(recs[1:3]), recordtest.Dump(wantAlerts))
	}
	wantComment := record.Record{Loc: "full_details_1p.json:$.case_comments.caseComments[0]", Event: &model.CaseEvent{
		CaseSource: "chronicle", CaseExternalID: "4211", ExternalID: "77",
		At: ts("2025-06-02T08:30:00.123Z"), Actor: "Maya Okafor", Source: "chronicle",
		Kind: model.EventComment, New: "Isolated host via EDR; pulling the script from the proxy cache.",
	}}
	if !reflect.DeepEqual(recs[3], wantComment) {
		t.Errorf("comment:\n got %s\nwant %s", recordtest.Dump(recs[3:]), recordtest.Dump([]record.Record{wantComment}))
	}
}

func TestParseFullDetailsLegacy(t *testing.T) {
	recs := parseFile(t, "full_details_legacy.json")
	recordtest.CheckRaw(t, recs)
	want := []record.Record{
		{Loc: `full_details_legacy.json:$["case_details:"]`, Case: &model.Case{
			Source: "chronicle", ExternalID: "4305", Title: "Mailbox forwarding rule to external domain",
			Priority: model.P2, Status: "Opened", Stage: model.StageNew,
			Assignee:   "ravi.shah@acme.example",
			Tags:       []string{"bec"},
			OccurredAt: ts("2025-06-04T07:09:31Z"), CreatedAt: ts("2025-06-04T07:12:00Z"),
			UpdatedAt: ts("2025-06-04T08:00:00.5Z"),
			Attributes: map[string]string{
				"stage": "Triage", "environment": "Default Environment", "alert_count": "1",
				"important": "false", "incident": "false",
			},
		}},
		{Loc: "full_details_legacy.json:$.case_alerts.objectsList[0]", Alert: &model.Alert{
			Source: "chronicle", ExternalID: "SUSPICIOUS INBOX RULE_5B6C7D8E-9F01-4A2B-8C3D-4E5F60718293",
			Title: "SUSPICIOUS INBOX RULE", Severity: model.SeverityHigh, Status: "0",
			RuleName: "O365 Inbox Rule Forwarding Externally", CaseExternalID: "4305",
			OccurredAt: ts("2025-06-04T07:09:31Z"), CreatedAt: ts("2025-06-04T07:12:00.04Z"),
			Entities: []model.Entity{
				{Type: "user", Value: "K.LEE@ACME.EXAMPLE"},
				{Type: "ip", Value: "203.0.113.77"},
			},
			Attributes: map[string]string{
				"product": "Office 365", "vendor": "Microsoft",
				"alert_group": "O365 Inbox Rule Forwarding Externally_6f0e1d2c",
				"end_time":    "2025-06-04T07:09:31Z",
			},
		}},
		// The comment names no case; it belongs to the case of the response.
		{Loc: "full_details_legacy.json:$.case_comments.objectsList[0]", Event: &model.CaseEvent{
			CaseSource: "chronicle", CaseExternalID: "4305", ExternalID: "501",
			At: ts("2025-06-04T07:50:00Z"), Actor: "Ravi Shah", Source: "chronicle",
			Kind: model.EventComment, New: "Rule removed, user re-enrolled in MFA.",
		}},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records:\n got %s\nwant %s", recordtest.Dump(recs), recordtest.Dump(want))
	}
}

func TestParseCaseOverviewLegacy(t *testing.T) {
	recs := parseFile(t, "case_overview_legacy.json")
	recordtest.CheckRaw(t, recs)
	alertID := "SUSPICIOUS PHISHING EMAIL_49010AE4-29EB-4C4B-8568-C91478531A7C"
	want := []record.Record{
		{Loc: "case_overview_legacy.json:$", Case: &model.Case{
			Source: "chronicle", ExternalID: "4320", Title: "Phishing email reported by user",
			Priority: model.P4, Status: "Opened", Stage: model.StageTriage, Team: "@Tier1",
			Tags:       []string{"phishing"},
			OccurredAt: ts("2025-06-05T05:05:50Z"), CreatedAt: ts("2025-06-05T05:06:40Z"),
			UpdatedAt:        ts("2025-06-05T06:06:40Z"),
			AlertExternalIDs: []string{alertID},
			Attributes: map[string]string{
				"stage": "Assessment", "environment": "Default Environment", "type": "External",
				"alert_count": "1", "important": "false", "incident": "false",
			},
		}},
		// Nested in case 4320, the alert card belongs to it although its own
		// caseId says 1.
		{Loc: "case_overview_legacy.json:$.alertCards[0]", Alert: &model.Alert{
			Source: "chronicle", ExternalID: alertID, Title: "SUSPICIOUS PHISHING EMAIL",
			Severity: model.SeverityLow, Status: "0", RuleName: "Phishing email detector",
			CaseExternalID: "4320",
			OccurredAt:     ts("2025-06-05T05:05:50Z"), CreatedAt: ts("2025-06-05T05:06:40.031Z"),
			Attributes: map[string]string{
				"product": "Phishing email detector", "vendor": "Email server",
				"alert_group": "Phishing email detector_2c7e9f10", "end_time": "2025-06-05T05:05:50Z",
			},
		}},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records:\n got %s\nwant %s", recordtest.Dump(recs), recordtest.Dump(want))
	}
}

func TestParseLegacyBatchGetCases(t *testing.T) {
	recs := parseFile(t, "legacy_batch_get_cases.json")
	recordtest.CheckRaw(t, recs)
	want := []record.Record{{Loc: "legacy_batch_get_cases.json:$.cases[0]", Case: &model.Case{
		// The SOAR case number, not the SIEM case id.
		Source: "chronicle", ExternalID: "4211",
		Title:    "Suspicious PowerShell download cradle on FIN-WS-0142",
		Priority: model.P2, Status: "OPEN", Stage: model.StageInvestigating,
		Attributes: map[string]string{"stage": "Investigation"},
	}}}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records:\n got %s\nwant %s", recordtest.Dump(recs), recordtest.Dump(want))
	}
}

func TestParseNDJSON(t *testing.T) {
	recs := parseFile(t, "case_alerts.ndjson")
	recordtest.CheckRaw(t, recs)
	type row struct{ loc, id, caseID, err string }
	var got []row
	for _, r := range recs {
		switch {
		case r.Err != nil:
			got = append(got, row{loc: r.Loc, err: r.Err.Error()})
		case r.Alert != nil:
			got = append(got, row{loc: r.Loc, id: r.Alert.ExternalID, caseID: r.Alert.CaseExternalID})
		default:
			t.Errorf("%s: unexpected record %+v", r.Loc, r)
		}
	}
	want := []row{
		{loc: "case_alerts.ndjson:1", id: "BRUTE FORCE_11111111-2222-4333-8444-555555555555", caseID: "4330"},
		{loc: "case_alerts.ndjson:2:$.caseAlerts[0]", id: "DNS TUNNEL_66666666-7777-4888-9999-000000000000", caseID: "4331"},
		{loc: "case_alerts.ndjson:2:$.caseAlerts[1]", id: "9103", caseID: "4331"},
		{loc: "case_alerts.ndjson:4", err: "invalid JSON: unexpected end of JSON input"},
		{loc: "case_alerts.ndjson:5", err: `alert: startTime: invalid timestamp "2025-13-45T00:00:00Z"`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records:\n got %+v\nwant %+v", got, want)
	}
	if a := recs[2].Alert; a.Severity != model.SeverityInformational || a.Title != "DNS Tunneling Suspected" {
		t.Errorf("alert 9103: severity %v title %q, want informational, title from the rule", a.Severity, a.Title)
	}
}

func TestParseRejects(t *testing.T) {
	recs := parseFile(t, "rejects.json")
	want := []struct{ loc, err string }{
		{"rejects.json:$[0]", "case: missing case id (id, or name as projects/…/cases/{id})"},
		{"rejects.json:$[1]", `case: createTime: invalid timestamp "yesterday"`},
		{"rejects.json:$[2]", "comment: missing createTime (or creationTimeUnixTimeInMs)"},
		{"rejects.json:$[3]", "not a JSON object: got a number"},
		{"rejects.json:$[4]", "case: priority: want a string, got an object"},
		{"rejects.json:$[5]", "not a Chronicle SOAR case, alert or comment: no case fields (id, title, displayName), alert fields (identifier, ruleGenerator) or comment field (comment)"},
		{"rejects.json:$[6]", `alert: startTime: invalid timestamp "2025-13-45T00:00:00Z"`},
		{"rejects.json:$[7]", "alert: missing alert id (identifier, name as …/caseAlerts/{id}, or id)"},
		{"rejects.json:$[8]", ""}, // the good case still lands
		{"rejects.json:$[9]", "the SOAR API returned an error: Failed to fetch case 999: 404 Not Found"},
		{"rejects.json:$[10].cases", "cases: want an array or object, got a string"},
		{"rejects.json:$[11]", "comment: no case: name, case and caseId are missing and no enclosing case"},
		{"rejects.json:$[12]", "case: tags: want an array, got a string"},
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
			if r.Err != nil || r.Case == nil || r.Case.ExternalID != "4302" {
				t.Errorf("record %d: got %s, want case 4302", i, recordtest.Dump(recs[i:i+1]))
			}
			continue
		}
		if r.Err == nil || r.Err.Error() != w.err {
			t.Errorf("record %d: error %v, want %q", i, r.Err, w.err)
		}
		if i != 3 && !json.Valid(r.Raw) {
			t.Errorf("record %d: rejected Raw is not the item: %q", i, r.Raw)
		}
	}
}

func TestParseDocumentShapes(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // loc and what was found there
	}{
		{"empty", "", nil},
		{"blank", " \n\t\n", nil},
		{"empty object", "{}", nil},
		{"empty page", "{\n  \"totalSize\": 0\n}", nil},
		{"empty list", `{"cases": [], "nextPageToken": ""}`, nil},
		{"bare case", `{"id": 1, "title": "a"}`, []string{"x:1 case 1"}},
		{"pretty bare case", "{\n \"id\": 1,\n \"title\": \"a\"\n}", []string{"x:$ case 1"}},
		{"array", `[{"id": 1, "title": "a"}, {"id": 2, "title": "b"}]`, []string{"x:$[0] case 1", "x:$[1] case 2"}},
		{"array of pages", `[{"cases": [{"id": 1, "title": "a"}]}, {"cases": [{"id": 2, "title": "b"}]}]`,
			[]string{"x:$[0].cases[0] case 1", "x:$[1].cases[0] case 2"}},
		{"concatenated documents", "{\n\"cases\": [{\"id\": 1, \"title\": \"a\"}]\n}\n{\n\"cases\": [{\"id\": 2, \"title\": \"b\"}]\n}",
			[]string{"x:$.cases[0] case 1", "x:#2.cases[0] case 2"}},
		{"byte order mark", "\xef\xbb\xbf{\"id\": 1, \"title\": \"a\"}", []string{"x:1 case 1"}},
		{"truncated", "{\n\"cases\": [{\"id\": 1, \"title\": \"a\"}, {\"id\": 2, \"ti",
			[]string{"x:$.cases[0] case 1", "x:$.cases[1] error invalid JSON, rest of input skipped: unexpected EOF"}},
		{"syntax error", "{\n\"cases\": [{\"id\": 1, \"title\": \"a\"} {\"id\": 2}]}",
			[]string{"x:$.cases[0] case 1", "x:$.cases[1] error invalid JSON, rest of input skipped: invalid character '{' after array element"}},
		{"literal line", "7\n", []string{"x:1 error not a JSON object: got a number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range parse(t, "x", strings.NewReader(tt.in)) {
				switch {
				case r.Err != nil:
					got = append(got, r.Loc+" error "+r.Err.Error())
				case r.Case != nil:
					got = append(got, r.Loc+" case "+r.Case.ExternalID)
				default:
					got = append(got, r.Loc+" other")
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	f, err := os.Open("testdata/list_cases_1p.json")
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
	err = Parse(ctx, strings.NewReader(`{"cases":[{"id":1,"title":"a"}]}`), "x", func(record.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: Parse returned %v, want context.Canceled", err)
	}

	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("{\n\"cases\": [{\"id\": 1, \"title\": \"a\"},"), errReader{boom})
	err = Parse(context.Background(), r, "x", func(record.Record) error { return nil })
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "reading x: ") {
		t.Errorf("read error: Parse returned %v, want reading x: boom", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestVerdict(t *testing.T) {
	tests := []struct {
		reason, rootCause string
		want              model.Disposition
	}{
		{"MALICIOUS", "Phishing email", model.DispositionTruePositive},
		{"Malicious", "", model.DispositionTruePositive},
		{"REASON_MALICIOUS", "", model.DispositionTruePositive},
		{"0", "", model.DispositionTruePositive},
		{"NOT_MALICIOUS", "Legit admin activity", model.DispositionBenignPositive},
		{"NotMalicious", "", model.DispositionBenignPositive},
		{"1", "", model.DispositionBenignPositive},
		{"NOT_MALICIOUS", "False Positive", model.DispositionFalsePositive},
		{"NOT_MALICIOUS", "Duplicate", model.DispositionDuplicate},
		{"MAINTENANCE", "Drill", model.DispositionTest},
		{"MAINTENANCE", "Other", model.DispositionBenignPositive},
		{"2", "", model.DispositionBenignPositive},
		{"INCONCLUSIVE", "", model.DispositionInconclusive},
		{"3", "", model.DispositionInconclusive},
		{"FALSE_POSITIVE", "", model.DispositionFalsePositive},
		{"CLOSE_REASON_UNSPECIFIED", "", model.DispositionNone},
		{"", "Malicious", model.DispositionTruePositive},
		{"", "Scheduled scan", model.DispositionNone},
		{"", "", model.DispositionNone},
	}
	for _, tt := range tests {
		if got := verdict(tt.reason, tt.rootCause); got != tt.want {
			t.Errorf("verdict(%q, %q) = %q, want %q", tt.reason, tt.rootCause, got, tt.want)
		}
	}
}

func TestStageFor(t *testing.T) {
	tests := []struct {
		stage  string
		closed bool
		want   model.Stage
	}{
		{"Triage", false, model.StageNew},
		{"Assessment", false, model.StageTriage},
		{"Investigation", false, model.StageInvestigating},
		{"Research", false, model.StageInvestigating},
		{"Incident", false, model.StageInvestigating},
		{"Remediation", false, model.StageContained},
		{"Improvement", false, model.StageResolved},
		{"Closed", false, model.StageClosed},
		{"Investigation", true, model.StageClosed},
		{"Hunting backlog", false, ""}, // custom: left to the status map
		{"", false, ""},
	}
	for _, tt := range tests {
		if got := stageFor(tt.stage, tt.closed); got != tt.want {
			t.Errorf("stageFor(%q, %v) = %q, want %q", tt.stage, tt.closed, got, tt.want)
		}
	}
}

func TestPriority(t *testing.T) {
	tests := []struct {
		in   string
		want model.Priority
	}{
		{`"PriorityCritical"`, model.P1}, {`"PRIORITY_HIGH"`, model.P2}, {`"PriorityMedium"`, model.P3},
		{`"PRIORITY_LOW"`, model.P4}, {`"PriorityInfo"`, model.P5}, {`"Informative"`, model.P5},
		{`100`, model.P1}, {`80`, model.P2}, {`60`, model.P3}, {`40`, model.P4}, {`-1`, model.P5},
		{`0`, model.PriorityUnknown}, {`"PriorityUnspecified"`, model.PriorityUnknown},
		{`"PRIORITY_UNSPECIFIED"`, model.PriorityUnknown}, {`""`, model.PriorityUnknown},
	}
	for _, tt := range tests {
		got, err := priority(json.RawMessage(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("priority(%s) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	// Values the SOAR does not have are errors: the record is rejected
	// with the field named, not stored without a priority.
	for _, in := range []string{`"urgent"`, `"banana"`, `50`} {
		if _, err := priority(json.RawMessage(in)); err == nil || !strings.Contains(err.Error(), "unknown priority") {
			t.Errorf("priority(%s): %v, want an unknown-priority error", in, err)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		err  string
	}{
		{`1748852047512`, ts("2025-06-02T08:14:07.512Z"), ""},
		{`"1748852047512"`, ts("2025-06-02T08:14:07.512Z"), ""},
		{`"2025-06-02T08:14:07.512Z"`, ts("2025-06-02T08:14:07.512Z"), ""},
		{`"2025-06-02T10:14:07.512+02:00"`, ts("2025-06-02T08:14:07.512Z"), ""},
		{`0`, time.Time{}, ""},
		{`-1`, time.Time{}, ""},
		{`""`, time.Time{}, ""},
		{`null`, time.Time{}, ""},
		{`"June 2nd"`, time.Time{}, `invalid timestamp "June 2nd"`},
		{`99999999999999999`, time.Time{}, "invalid timestamp 99999999999999999: out of range"},
		{`true`, time.Time{}, "invalid timestamp: want epoch milliseconds or RFC 3339, got a boolean"},
	}
	for _, tt := range tests {
		got, err := soarTime.Parse(json.RawMessage(tt.in))
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("parseTime(%s) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) || (!got.IsZero() && got.Location() != time.UTC) {
			t.Errorf("parseTime(%s) = %v, %v; want %v UTC", tt.in, got, err, tt.want)
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"1P list", `{"cases":[{"name":"projects/p/locations/us/instances/i/cases/1","displayName":"x"`, true},
		{"legacy cards", `{"caseCards":[{"id":1`, true},
		{"legacy case", "{\n  \"id\": 7,\n  \"creationTimeUnixTimeInMs\": 1749547533606,", true},
		{"full details", `{"case_details": {`, true},
		{"alerts", `[{"identifier":"X","ruleGenerator":"R"`, true},
		{"priority enum", `[{"id":"1","priority":"PRIORITY_HIGH"`, true},
		{"legacy priority", `{"results":[{"id":1,"priority":"PriorityHigh"`, true},
		{"truncated marker", `{"cases":[{"creationTimeUnixTi`, false},
		{"TheHive alert", `[{"_id":"~4120","_type":"Alert","_createdAt":1700000000000,"title":"x"`, false},
		{"OCSF", `{"class_uid":2004,"severity_id":4,"time":1700000000000}`, false},
		{"CSV", "number,opened_at,priority\nINC001", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.head)); got != tt.want {
			t.Errorf("%s: Detect = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseDeepNesting(t *testing.T) {
	in := strings.Repeat("[", 100) + `{"id": 1, "title": "deep"}` + strings.Repeat("]", 100) + "\n"
	in = "[\n" + in + ",\n{\"id\": 2, \"title\": \"shallow\"}\n]"
	recs := parse(t, "x", strings.NewReader(in))
	var got []string
	for _, r := range recs {
		if r.Err != nil {
			got = append(got, r.Loc+" error "+r.Err.Error())
		} else {
			got = append(got, r.Loc+" case "+r.Case.ExternalID)
		}
	}
	want := []string{
		"x:$[0]" + strings.Repeat("[0]", 32) + " error nesting deeper than 32 levels",
		"x:$[1] case 2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"cases":[{"name":"projects/p/locations/us/instances/i/cases/4211","displayName":"x","createTime":"2025-06-02T08:14:07.512Z","priority":"PRIORITY_HIGH","status":"OPENED","stage":"Investigation","tags":[{"displayName":"edr"}]}],"nextPageToken":"","totalSize":1}`,
		`{"caseCards":[{"id":4150,"title":"scan","priority":-1,"status":2,"stage":"Assessment","assignedUserName":"@Tier1","creationTimeUnixTimeInMs":1748390400000,"caseCloseReason":2,"rootCause":"Scheduled scan"}],"totalCount":1}`,
		"{\n\"case_details:\": {\"id\": 4305, \"title\": \"t\", \"status\": \"Opened\"},\n\"case_alerts\": {\"objectsList\": [{\"identifier\": \"A_1\", \"priority\": 80, \"entities\": [{\"identifier\": \"10.0.0.1\", \"entityType\": \"ADDRESS\"}]}]},\n\"case_comments\": {\"objectsList\": [{\"id\": 5, \"comment\": \"c\", \"creationTimeUnixTimeInMs\": 1749023400000}]}\n}",
		`{"caseComments":[{"name":"projects/p/locations/us/instances/i/cases/1/caseComments/2","createTime":"1748853000123","comment":"c","isDeleted":false}]}`,
		`{"id":7,"title":"t","alertCards":[{"identifier":"X","caseId":1,"startTime":1749099950000,"closureDetails":{"reason":"MALICIOUS"}}]}`,
		"[{\"id\": 1, \"title\": \"a\"}, 42, {\"foo\": 1}, {\"error\": \"e\"}]",
		"{\"id\": 1}\n{\"caseAlerts\": [{\"identifier\": \"Y\", \"caseId\": 2}]}\nnot json\n",
		"{\n\"cases\": [{\"id\": 1, \"ti",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		err := Parse(context.Background(), bytes.NewReader(in), "fuzz", func(r record.Record) error {
			if err := recordtest.Shape(r, "fuzz"); err != nil {
				t.Error(err)
			}
			switch {
			case r.Case != nil:
				if r.Case.ExternalID == "" || r.Case.Source != Source {
					t.Errorf("%s: case without id or source: %+v", r.Loc, r.Case)
				}
				if !r.Case.CreatedAt.IsZero() && r.Case.CreatedAt.Location().String() != "UTC" {
					t.Errorf("%s: CreatedAt not UTC", r.Loc)
				}
			case r.Alert != nil:
				if r.Alert.ExternalID == "" || r.Alert.Source != Source {
					t.Errorf("%s: alert without id or source: %+v", r.Loc, r.Alert)
				}
			case r.Event != nil:
				if r.Event.CaseExternalID == "" || r.Event.At.IsZero() || r.Event.Kind != "comment" {
					t.Errorf("%s: comment without case or time: %+v", r.Loc, r.Event)
				}
			}
			return nil
		})
		if err != nil {
			t.Errorf("Parse of an in-memory input returned %v", err)
		}
	})
}
