package ocsf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/ingest/record/recordtest"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/shareddata"
)

// samples are the OCSF files in shared/data/ocsf.
var samples = []string{
	"compliance-finding-pci.json",
	"detection-finding-guardduty.json",
	"detection-finding-okta.json",
	"detection-finding-prowler.json",
	"security-finding-qradar-offense.json",
	"vulnerability-finding-inspector.json",
}

func parseAll(t *testing.T, name string, data []byte) []record.Record {
	t.Helper()
	return recordtest.CollectBytes(t, Parse, name, data)
}

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(shareddata.Path(t, "ocsf", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var utc = recordtest.Time

// sameJSON compares two values by their indented JSON, which shows a
// readable difference and treats equal instants as equal.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s:\n got: %s\nwant: %s", what, g, w)
	}
}

// one parses a sample that holds a single record and checks its location
// and raw text.
func one(t *testing.T, name string) record.Record {
	t.Helper()
	data := readSample(t, name)
	recs := parseAll(t, name, data)
	if len(recs) != 1 {
		t.Fatalf("%s: %d records, want 1", name, len(recs))
	}
	r := recs[0]
	if r.Err != nil {
		t.Fatalf("%s rejected at %s: %v", name, r.Loc, r.Err)
	}
	if r.Loc != name+":$" {
		t.Errorf("Loc = %q, want %q", r.Loc, name+":$")
	}
	var raw []byte
	switch {
	case r.Alert != nil:
		raw, r.Alert.Raw = r.Alert.Raw, nil
	case r.Finding != nil:
		raw, r.Finding.Raw = r.Finding.Raw, nil
	case r.Case != nil:
		raw, r.Case.Raw = r.Case.Raw, nil
	}
	if !bytes.Equal(raw, bytes.TrimSpace(data)) {
		t.Errorf("Raw is not the record's text: %.80q…", raw)
	}
	return r
}

func TestDetectionFindingGuardDuty(t *testing.T) {
	r := one(t, "detection-finding-guardduty.json")
	sameJSON(t, "alert", r.Alert, &model.Alert{
		Source:      "ocsf:amazon-guardduty",
		ExternalID:  "arn:aws:guardduty:us-east-2:111111111111:detector/1ac1bfceda6679698215d5d0EXAMPLE/finding/a6c556fcbc9bea427a19f8b787099a0b",
		Title:       "AWS CloudTrail trail arn:aws:cloudtrail:us-east-2:111111111111:trail/delete-me was disabled.",
		Description: "AWS CloudTrail trail arn:aws:cloudtrail:us-east-2:111111111111:trail/delete-me was disabled by Admin calling DeleteTrail under unusual circumstances. This can be attackers attempt to cover their tracks by eliminating any trace of activity performed while they accessed your account.",
		Severity:    model.SeverityLow,
		Status:      "New",
		// finding_info.first_seen_time_dt 2023-09-19T10:55:09.000-04:00
		OccurredAt: utc("2023-09-19T14:55:09Z"),
		// finding_info.created_time_dt 2023-09-19T11:05:22.487-04:00
		CreatedAt: utc("2023-09-19T15:05:22.487Z"),
		Entities: []model.Entity{
			{Type: "resource", Value: "AWS::IAM::AccessKey:ASIATMJPC7EXAMPLE", Role: "target"},
			{Type: "ip", Value: "52.94.133.131", Role: "src"},
		},
	})
}

func TestDetectionFindingOkta(t *testing.T) {
	r := one(t, "detection-finding-okta.json")
	// "disposition": "Blocked" is what Okta did, not a verdict: no disposition.
	sameJSON(t, "alert", r.Alert, &model.Alert{
		Source:      "ocsf:okta-system-log",
		ExternalID:  "dc9fd3c0-598c-11ef-8478-2b7584bf8d5a",
		Title:       "Login Failures",
		Description: "Request from suspicious actor",
		Severity:    model.SeverityUnknown, // severity_id 0
		RuleID:      "security.threat.detected",
		OccurredAt:  utc("2024-08-13T15:58:20Z"), // time 1723564700 (seconds)
		CreatedAt:   utc("2024-08-13T15:58:20Z"),
		Entities: []model.Entity{
			{Type: "resource", Value: "/app/office365/1111111111/sso/wsfed/active", Role: "target"},
			{Type: "ip", Value: "10.0.0.1", Role: "src"},
		},
	})
}

func TestDetectionFindingProwler(t *testing.T) {
	r := one(t, "detection-finding-prowler.json")
	// Prowler writes time and created_time in seconds and the "_dt" strings
	// in local time without a zone (09:49:02 for 13:49:02 UTC): the numbers win.
	sameJSON(t, "alert", r.Alert, &model.Alert{
		Source:      "ocsf:prowler",
		ExternalID:  "prowler-aws-acm_certificates_expiration_check-111122223333-eu-west-1-e4dc1386-8b4b-402c-9fed-03269ee10006",
		Title:       "Check if ACM Certificates are about to expire in specific days or less",
		Description: "Check if ACM Certificates are about to expire in specific days or less",
		Severity:    model.SeverityHigh,
		Status:      "New",
		RuleID:      "acm_certificates_expiration_check",
		OccurredAt:  utc("2024-10-04T13:49:02Z"),
		CreatedAt:   utc("2024-10-04T13:49:02Z"),
		Entities: []model.Entity{
			{Type: "resource", Value: "arn:aws:acm:eu-west-1:111122223333:certificate/e4dc1386-8b4b-402c-9fed-03269ee10006", Role: "target"},
		},
	})
}

func TestSecurityFindingQRadar(t *testing.T) {
	r := one(t, "security-finding-qradar-offense.json")
	// 2001: the finding object, state for status, the rule named by the
	// CRE analytic's related analytic, "Other" observables left out.
	sameJSON(t, "alert", r.Alert, &model.Alert{
		Source:      "ocsf:ibm-qradar-siem",
		ExternalID:  "591",
		Title:       "BLEEDING-EDGE DOS -ISC- ICMP blind TCP reset DoS guessing attempt",
		Description: "BLEEDING-EDGE DOS -ISC- ICMP blind TCP reset DoS guessing attempt",
		Status:      "In Progress",
		RuleID:      "100079",
		RuleName:    "Network DoS Attack Detected",
		OccurredAt:  utc("2023-04-24T14:44:23Z"),     // finding.first_seen_time 1682347463000
		CreatedAt:   utc("2023-04-24T14:44:23.218Z"), // finding.created_time 1682347463218
		Entities: []model.Entity{
			{Type: "user", Value: "SomeUser"},
			{Type: "ip", Value: "99.99.99.99", Role: "src"},
			{Type: "ip", Value: "88.88.88.88", Role: "dst"},
			{Type: "ip", Value: "77.77.77.77", Role: "dst"},
		},
	})
}

func TestVulnerabilityFindingInspector(t *testing.T) {
	r := one(t, "vulnerability-finding-inspector.json")
	f := r.Finding
	if f == nil {
		t.Fatalf("got %+v, want a finding", r)
	}
	if !strings.HasPrefix(f.Description, "Issue summary: The AES-XTS cipher decryption implementation for 64 bit ARM\n") ||
		!strings.HasSuffix(f.Description, "a Low severity one.") {
		t.Errorf("Description = %q", f.Description)
	}
	f.Description = ""
	sameJSON(t, "finding", f, &model.Finding{
		Source:       "ocsf:amazon-inspector",
		ExternalID:   "arn:aws:inspector2:us-east-2:111111111111:finding/faa0d54609b94871badcc83ac7c2add5",
		Class:        model.FindingVulnerability,
		Title:        "CVE-2023-1255 - openssl",
		Severity:     model.SeverityMedium,
		Status:       "New",
		Category:     "CVE-2023-1255",
		ResourceName: "arn:aws:ecr:us-east-2:111111111111:repository/browserhostingstack-EXAMPLE-btb1o54yh1jr/sha256:e9e2afad74f4e80511a5cff33d3d989b9797a718425f27e549f5b1f862c058a8",
		ResourceType: "AwsEcrContainerImage",
		Remediation: "Remediation is available. Please refer to the Fixed version in the vulnerability details section above.For detailed remediation guidance for each of the affected packages, refer to the vulnerabilities section of the detailed finding JSON.\n" +
			"apk update && apk upgrade openssl",
		CVEs:        []string{"CVE-2023-1255"},
		CVSS:        5.9,
		FirstSeenAt: utc("2023-04-21T15:59:04Z"),
		LastSeenAt:  utc("2024-01-26T22:19:14Z"),
		CreatedAt:   utc("2023-04-21T15:59:04Z"),
	})
}

func TestComplianceFindingPCI(t *testing.T) {
	r := one(t, "compliance-finding-pci.json")
	sameJSON(t, "finding", r.Finding, &model.Finding{
		Source:       "ocsf:aws-security-hub",
		ExternalID:   "arn:aws:securityhub:us-east-2:111111111111:subscription/pci-dss/v/3.2.1/PCI.Config.1/finding/7d619054-6f0d-456b-aa75-23b20f74fae6",
		Class:        model.FindingCompliance,
		Title:        "PCI.Config.1 AWS Config should be enabled",
		Description:  "This AWS control checks whether AWS Config is enabled in current account and region.",
		Severity:     model.SeverityMedium,
		Status:       "FAILED",
		Category:     "Config.1",
		ResourceName: "AWS::::Account:111111111111",
		ResourceType: "AwsAccount",
		Remediation:  "For information on how to correct this issue, consult the AWS Security Hub controls documentation.",
		FirstSeenAt:  utc("2023-01-13T20:08:44.967Z"),
		LastSeenAt:   utc("2023-07-21T18:12:05.693Z"),
		CreatedAt:    utc("2023-01-13T20:08:44.967Z"),
	})
}

func TestIncidentFinding(t *testing.T) {
	data, err := os.ReadFile("testdata/incident-finding.json")
	if err != nil {
		t.Fatal(err)
	}
	recs := parseAll(t, "incident-finding.json", data)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	for i, r := range recs {
		if r.Case == nil {
			t.Fatalf("record %d: %+v, want a case", i, r)
		}
		if len(r.Case.Raw) == 0 || !json.Valid(r.Case.Raw) {
			t.Errorf("record %d: Raw not kept", i)
		}
		r.Case.Raw = nil
	}
	base := model.Case{
		Source:      "ocsf:acme-ir",
		ExternalID:  "INC-2024-0042", // metadata.original_event_uid, not the per-event metadata.uid
		Title:       "Incident INC-2024-0042: VPN account takeover",
		Description: "Credential stuffing against the VPN followed by a successful login from a new country.",
	}

	created := base
	created.Priority = model.P2 // priority_id 3 High
	created.Severity = model.SeverityHigh
	created.Status, created.Stage = "New", model.StageNew
	created.Team = "Tier 1"
	created.OccurredAt = utc("2024-06-10T09:41:07Z") // first member's first_seen_time
	created.CreatedAt = utc("2024-06-10T10:00:00.123Z")
	created.UpdatedAt = created.CreatedAt // time in milliseconds
	created.AlertExternalIDs = []string{"acme-det-7f3a"}
	created.Attributes = map[string]string{"confidence": "Medium"}
	sameJSON(t, "create", recs[0].Case, &created)

	updated := base
	updated.Priority = model.P1
	updated.Severity = model.SeverityCritical
	updated.Status, updated.Stage = "In Progress", model.StageInvestigating
	updated.Disposition = model.DispositionInconclusive // verdict_id 4 Suspicious
	updated.Assignee, updated.Team = "jdoe", "Tier 2"
	updated.OccurredAt = utc("2024-06-10T09:40:00Z") // start_time
	updated.UpdatedAt = utc("2024-06-10T11:00:00Z")  // time in microseconds
	updated.AlertExternalIDs = []string{"acme-det-7f3a", "acme-det-9b21"}
	updated.Attributes = map[string]string{
		"impact": "High", "impact_score": "70", "is_suspected_breach": "true",
		"src_url": "https://ir.acme.example/incidents/INC-2024-0042", "tickets": "SEC-881", "verdict": "Suspicious",
	}
	sameJSON(t, "update", recs[1].Case, &updated)

	closed := updated
	closed.Status, closed.Stage = "Closed", model.StageClosed
	closed.Disposition = model.DispositionTruePositive
	closed.UpdatedAt = utc("2024-06-11T08:15:30Z") // time as an ISO string
	closed.ClosedAt = closed.UpdatedAt
	closed.Attributes = map[string]string{
		"impact": "High", "impact_score": "70", "is_suspected_breach": "true",
		"src_url": "https://ir.acme.example/incidents/INC-2024-0042", "verdict": "True Positive",
	}
	sameJSON(t, "close", recs[2].Case, &closed)
}

func TestDetectionFindingDetails(t *testing.T) {
	const in = `{"class_uid":2004,"activity_id":1,"severity_id":5,"time":1718013600,"status_id":2,
	"verdict_id":1,"disposition":"Blocked","disposition_id":2,
	"metadata":{"version":"1.3.0","product":{"vendor_name":"CrowdStrike","name":"Falcon"}},
	"finding_info":{"uid":"det-1","title":"Encoded PowerShell","created_time_dt":"2024-06-10 10:00:05.5+0000",
	  "analytic":{"uid":"r-9","name":"Suspicious PowerShell"},"first_seen_time":1718013000000,
	  "attacks":[{"technique":{"uid":"T1059"},"sub_technique":{"uid":"T1059.001"}},{"technique":{"uid":"t1027"}}]},
	"attacks":[{"technique":{"uid":"T1059"}},{"technique":{"uid":"not-a-technique"}}],
	"evidences":[{"time":1718012900000,"dst_endpoint":{"hostname":"ws-042.corp.example","ip":"10.1.2.3"},"actor":{"user":{"name":"alice"}}}],
	"observables":[
	  {"type_id":8,"type":"Hash","value":"44d88612fea8a8f36de82e1278abb02f","name":"evidences[].file.hashes[].value"},
	  {"type_id":99,"type":"Other","value":"x"},
	  {"type_id":40,"type":"Domain Name","value":"evil.example"},
	  {"type_id":2,"type":"IP Address","value":"10.1.2.3","name":"evidences[].dst_endpoint.ip"}]}`
	recs := parseAll(t, "in.json", []byte(in))
	if len(recs) != 1 || recs[0].Alert == nil {
		t.Fatalf("got %+v, want one alert", recs)
	}
	a := recs[0].Alert
	a.Raw = nil
	sameJSON(t, "alert", a, &model.Alert{
		Source:      "ocsf:crowdstrike-falcon",
		ExternalID:  "det-1",
		Title:       "Encoded PowerShell",
		Severity:    model.SeverityCritical,
		Status:      "In Progress",
		Disposition: model.DispositionFalsePositive,
		RuleID:      "r-9",
		RuleName:    "Suspicious PowerShell",
		OccurredAt:  utc("2024-06-10T09:48:20Z"), // the evidence, before first_seen_time
		CreatedAt:   utc("2024-06-10T10:00:05.5Z"),
		Entities: []model.Entity{
			{Type: "ip", Value: "10.1.2.3", Role: "dst"},
			{Type: "host", Value: "ws-042.corp.example", Role: "dst"},
			{Type: "user", Value: "alice", Role: "actor"},
			{Type: "hash", Value: "44d88612fea8a8f36de82e1278abb02f"},
			{Type: "domain_name", Value: "evil.example"},
		},
		Techniques: []string{"T1059", "T1059.001", "T1027"},
	})
}

func TestDispositionOf(t *testing.T) {
	tests := []struct {
		in   string
		want model.Disposition
	}{
		{`{"verdict_id":1}`, model.DispositionFalsePositive},
		{`{"verdict_id":2}`, model.DispositionTruePositive},
		{`{"verdict_id":3}`, model.DispositionBenignPositive},
		{`{"verdict_id":4}`, model.DispositionInconclusive},
		{`{"verdict_id":5}`, model.DispositionBenignPositive},
		{`{"verdict_id":6}`, model.DispositionTest},
		{`{"verdict_id":7}`, model.DispositionInconclusive},
		{`{"verdict_id":8}`, model.DispositionTruePositive},
		{`{"verdict_id":9}`, model.DispositionNone},
		{`{"verdict_id":10}`, model.DispositionDuplicate},
		{`{"verdict_id":0,"verdict":"Unknown"}`, model.DispositionInconclusive},
		{`{"verdict_id":99,"verdict":"Benign"}`, model.DispositionBenignPositive},
		{`{"verdict_id":99,"verdict":"Analyst shrugged"}`, model.DispositionNone},
		{`{"verdict":"True Positive"}`, model.DispositionTruePositive},
		{`{"verdict":"Insufficient Data"}`, model.DispositionInconclusive},
		{`{"verdict_id":"2"}`, model.DispositionTruePositive},
		{`{"disposition":"Blocked","disposition_id":2}`, model.DispositionNone},
		{`{"disposition":"False Positive"}`, model.DispositionNone},
		{`{}`, model.DispositionNone},
	}
	for _, tt := range tests {
		if got := dispositionOf(decodeObject(t, tt.in)); got != tt.want {
			t.Errorf("dispositionOf(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSourceName(t *testing.T) {
	tests := []struct {
		meta string
		want string
	}{
		{`{"product":{"vendor_name":"AWS","name":"Security Hub"}}`, "ocsf:aws-security-hub"},
		{`{"product":{"vendor_name":"Okta","name":"Okta System Log"}}`, "ocsf:okta-system-log"},
		{`{"product":{"vendor_name":"Prowler","name":"Prowler"}}`, "ocsf:prowler"},
		{`{"product":{"vendor_name":"IBM","name":"QRadar SIEM"}}`, "ocsf:ibm-qradar-siem"},
		{`{"product":{"vendor_name":"  Palo Alto Networks ","name":"Cortex XDR™ (Pro)"}}`, "ocsf:palo-alto-networks-cortex-xdr-pro"},
		{`{"product":{"name":"Wazuh"}}`, "ocsf:wazuh"},
		{`{"product":{"vendor_name":"Acme"}}`, "ocsf:acme"},
		{`{"log_provider":"IBM QRadar"}`, "ocsf:ibm-qradar"},
		{`{}`, "ocsf"},
		{`{"product":{"name":"` + strings.Repeat("ab-", 40) + `"}}`, "ocsf:" + strings.TrimSuffix(strings.Repeat("ab-", 22)[:64], "-")},
	}
	for _, tt := range tests {
		var o map[string]any
		if err := json.Unmarshal([]byte(tt.meta), &o); err != nil {
			t.Fatal(err)
		}
		if got := sourceName(o); got != tt.want {
			t.Errorf("sourceName(%s) = %q, want %q", tt.meta, got, tt.want)
		}
	}
}

// TestShapes checks that NDJSON, a top-level array and concatenated
// pretty-printed documents built from the same samples give the same items.
func TestShapes(t *testing.T) {
	var pretty, compact [][]byte
	for _, name := range samples {
		data := readSample(t, name)
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pretty = append(pretty, bytes.TrimSpace(data))
		compact = append(compact, buf.Bytes())
	}
	fixture, err := os.ReadFile("testdata/incident-finding.json")
	if err != nil {
		t.Fatal(err)
	}
	var incidents []json.RawMessage
	if err := json.Unmarshal(fixture, &incidents); err != nil {
		t.Fatal(err)
	}
	for _, inc := range incidents {
		var buf bytes.Buffer
		if err := json.Compact(&buf, inc); err != nil {
			t.Fatal(err)
		}
		pretty = append(pretty, bytes.TrimSpace(inc))
		compact = append(compact, buf.Bytes())
	}

	ndjson := append(bytes.Join(compact, []byte("\n")), '\n')
	array := append(append([]byte("[\n"), bytes.Join(compact, []byte(",\n"))...), "\n]"...)
	docs := bytes.Join(pretty, []byte("\n"))

	fromLines := parseAll(t, "x.ndjson", ndjson)
	fromArray := parseAll(t, "x.json", array)
	fromDocs := parseAll(t, "x.json", docs)
	if len(fromLines) != len(compact) || len(fromArray) != len(compact) || len(fromDocs) != len(compact) {
		t.Fatalf("records: %d from NDJSON, %d from array, %d from documents; want %d",
			len(fromLines), len(fromArray), len(fromDocs), len(compact))
	}
	for i := range compact {
		wantLocs := []string{
			"x.ndjson:" + itoa(i+1),
			"x.json:$[" + itoa(i) + "]",
			"x.json:#" + itoa(i+1),
		}
		if i == 0 {
			wantLocs[2] = "x.json:$"
		}
		for j, r := range []record.Record{fromLines[i], fromArray[i], fromDocs[i]} {
			if r.Err != nil {
				t.Fatalf("%s rejected: %v", r.Loc, r.Err)
			}
			if r.Loc != wantLocs[j] {
				t.Errorf("Loc = %q, want %q", r.Loc, wantLocs[j])
			}
		}
		// NDJSON and array elements carry the same compact text.
		a, b := fromLines[i], fromArray[i]
		a.Loc, b.Loc = "", ""
		sameJSON(t, "NDJSON vs array "+itoa(i), a, b)
		// Pretty documents differ only in their raw text.
		c := fromDocs[i]
		c.Loc = ""
		stripRaw(&a)
		stripRaw(&c)
		sameJSON(t, "NDJSON vs documents "+itoa(i), a, c)
	}
}

func stripRaw(r *record.Record) {
	switch {
	case r.Alert != nil:
		x := *r.Alert
		x.Raw = nil
		r.Alert = &x
	case r.Finding != nil:
		x := *r.Finding
		x.Raw = nil
		r.Finding = &x
	case r.Case != nil:
		x := *r.Case
		x.Raw = nil
		r.Case = &x
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestRejects(t *testing.T) {
	lines := []string{
		`{"class_uid":2004,"finding_info":{"uid":"a1","title":"ok"},"metadata":{"product":{"name":"X"}},"time":1700000000}`,
		`{"class_uid":3002,"class_name":"Authentication","metadata":{}}`,
		`{"hello":"world"}`,
		`{"class_uid":2004,"finding_info":{"title":"no id"},"metadata":{}}`,
		`{"class_uid":2004,"finding_info":{"uid":"a2"},"time":"yesterday"}`,
		`{"class_uid":2002,"finding_info":{"uid":"v1","first_seen_time":-5}}`,
		`[1,2]`,
		`{"class_uid":"abc"}`,
		`{"class_uid":2005,"metadata":{"uid":""},"finding_info_list":[{"uid":"x"}]}`,
		`{"class_uid":2004, broken`,
		`{"class_uid":2004,"finding_info":{"uid":"a3"},"time":true}`,
		`{"type_uid":200401,"finding_info":{"uid":"a4"}}`,
		`{"class_uid":2003,"finding_info":{"uid":"c1","last_seen_time_dt":"2024-02-30T00:00:00Z"}}`,
		// Captions that map to nothing, without the id beside them.
		`{"class_uid":2004,"finding_info":{"uid":"a5"},"severity":"banana"}`,
		`{"class_uid":2004,"finding_info":{"uid":"a6"},"verdict":"banana"}`,
		`{"class_uid":2005,"metadata":{"uid":"i1"},"priority":"banana"}`,
		// OCSF's own "Other", and an id beside the caption, are fine.
		`{"class_uid":2004,"finding_info":{"uid":"a7"},"severity":"Other","severity_id":99}`,
	}
	want := []string{
		"",
		"unsupported class_uid 3002 (Authentication)",
		"not an OCSF finding: no class_uid",
		"class_uid 2004: no id: finding_info.uid",
		`class_uid 2004: time: cannot read "yesterday" as a time`,
		`class_uid 2002: finding_info.first_seen_time: cannot read "-5" as a time: negative epoch`,
		"not an OCSF finding: the value is a JSON array, want an object",
		`not an OCSF finding: class_uid "abc" is not an integer`,
		"class_uid 2005: no id: metadata.original_event_uid and metadata.uid are missing",
		"invalid JSON",
		"class_uid 2004: time: true is not a time",
		"",
		`class_uid 2003: finding_info.last_seen_time_dt: cannot read "2024-02-30T00:00:00Z" as a time`,
		`class_uid 2004: severity: unknown severity "banana"`,
		`class_uid 2004: verdict: unknown verdict "banana"`,
		`class_uid 2005: priority: unknown priority "banana"`,
		"",
	}
	recs := parseAll(t, "in.ndjson", []byte(strings.Join(lines, "\n")))
	if len(recs) != len(lines) {
		t.Fatalf("%d records, want %d", len(recs), len(lines))
	}
	for i, r := range recs {
		if wantLoc := "in.ndjson:" + itoa(i+1); r.Loc != wantLoc {
			t.Errorf("record %d: Loc = %q, want %q", i, r.Loc, wantLoc)
		}
		if want[i] == "" {
			if r.Err != nil || r.Alert == nil {
				t.Errorf("%s: got %v, want an alert", r.Loc, r.Err)
			}
			continue
		}
		if r.Err == nil {
			t.Errorf("%s: accepted, want rejection %q", r.Loc, want[i])
			continue
		}
		if !strings.Contains(r.Err.Error(), want[i]) {
			t.Errorf("%s: error %q, want it to contain %q", r.Loc, r.Err, want[i])
		}
		if string(r.Raw) != lines[i] {
			t.Errorf("%s: Raw = %q, want the line", r.Loc, r.Raw)
		}
	}

	// In a top-level array, rejections carry the element's JSON path.
	recs = parseAll(t, "in.json", []byte(`[{"class_uid":2004,"finding_info":{"uid":"a1"}}, {"class_uid":1001}, 7]`))
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	if recs[0].Alert == nil || recs[0].Loc != "in.json:$[0]" {
		t.Errorf("record 0: %+v", recs[0])
	}
	if recs[1].Loc != "in.json:$[1]" || recs[1].Err == nil || !strings.Contains(recs[1].Err.Error(), "unsupported class_uid 1001") {
		t.Errorf("record 1: %s %v", recs[1].Loc, recs[1].Err)
	}
	if recs[2].Loc != "in.json:$[2]" || recs[2].Err == nil || !strings.Contains(recs[2].Err.Error(), "JSON number") {
		t.Errorf("record 2: %s %v", recs[2].Loc, recs[2].Err)
	}
}

func TestParseStops(t *testing.T) {
	in := strings.Repeat(`{"class_uid":2004,"finding_info":{"uid":"a"}}`+"\n", 5)
	stop := errors.New("stop")
	n := 0
	err := Parse(context.Background(), strings.NewReader(in), "in", func(record.Record) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("emit error: Parse returned %v after %d records, want %v after 2", err, n, stop)
	}

	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = Parse(ctx, strings.NewReader(in), "in", func(record.Record) error {
		n++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("cancel: Parse returned %v after %d records, want context.Canceled after 1", err, n)
	}
}

// TestVulnerabilityFindingShapes covers older and looser vulnerability
// shapes: resources as an array, cvss as a single object, the title and
// description taken from the vulnerability, the times from start/end_time.
func TestVulnerabilityFindingShapes(t *testing.T) {
	const in = `{"class_uid":2002,"status_id":4,"severity":"Critical","time":1700000000000,
	"start_time":1690000000,"end_time":"2023-11-01T00:00:00Z",
	"finding_info":{"uid":"vuln-1"},
	"metadata":{"product":{"vendor_name":"Tenable","name":"Nessus"}},
	"resources":[{"name":"web-01","type":"Host","uid":"i-0abc"},{"name":"web-02"}],
	"remediation":{"desc":"Patch the kernel."},
	"vulnerabilities":[
	  {"title":"Kernel privilege escalation","desc":"A flaw in the kernel.","cve":{"uid":"CVE-2024-1086","cvss":{"base_score":7.8}},
	   "remediation":{"desc":"Patch the kernel."}},
	  {"cve":{"uid":"CVE-2023-4911","cvss":[{"base_score":"7.0"},{"base_score":"Inf"}]}},
	  {"cve":{"uid":"CVE-2024-1086"}}]}`
	recs := parseAll(t, "in.json", []byte(in))
	if len(recs) != 1 || recs[0].Finding == nil {
		t.Fatalf("got %+v, want one finding", recs)
	}
	f := recs[0].Finding
	f.Raw = nil
	sameJSON(t, "finding", f, &model.Finding{
		Source:       "ocsf:tenable-nessus",
		ExternalID:   "vuln-1",
		Class:        model.FindingVulnerability,
		Title:        "Kernel privilege escalation",
		Description:  "A flaw in the kernel.",
		Severity:     model.SeverityCritical,
		Status:       "Resolved",
		Category:     "CVE-2024-1086",
		ResourceName: "web-01",
		ResourceType: "Host",
		Remediation:  "Patch the kernel.",
		CVEs:         []string{"CVE-2024-1086", "CVE-2023-4911"},
		CVSS:         7.8,
		FirstSeenAt:  utc("2023-07-22T04:26:40Z"),
		LastSeenAt:   utc("2023-11-01T00:00:00Z"),
		CreatedAt:    utc("2023-11-14T22:13:20Z"),
	})
}
