package ocsf

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

// FuzzParse checks that no input makes Parse or Detect panic or fail as a
// whole, and that every record is either one well-formed item or a
// rejection with a location.
func FuzzParse(f *testing.F) {
	// Excerpts of the shared samples.
	f.Add([]byte(`{"class_uid":2004,"finding_info":{"title":"Login Failures","uid":"dc9fd3c0-598c-11ef-8478-2b7584bf8d5a"},"disposition":"Blocked","disposition_id":2,"evidences":[{"src_endpoint":{"ip":"10.0.0.1"}}],"metadata":{"product":{"name":"Okta System Log","vendor_name":"Okta"},"uid":"dc9fd3c0-598c-11ef-8478-2b7584bf8d5a","version":"1.3.0"},"severity_id":0,"time":1723564700,"time_dt":"2024-08-13T15:58:20.000Z"}`))
	f.Add([]byte("{\n  \"analytic\": {\"name\": \"CRE\", \"relatedAnalytics\": [{\"name\": \"Network DoS Attack Detected\", \"uid\": \"100079\"}]},\n  \"finding\": {\"uid\": \"591\", \"title\": \"BLEEDING-EDGE DOS\\n\", \"created_time\": 1682347463218, \"first_seen_time\": 1682347463000},\n  \"state\": \"In Progress\", \"class_uid\": 2001, \"time\": 1682347463218,\n  \"observables\": [{\"name\": \"source_address\", \"type\": \"IP Address\", \"type_id\": 2, \"value\": \"99.99.99.99\"}]\n}\n"))
	f.Add([]byte(`{"class_uid":2004,"metadata":{"event_code":"acm_certificates_expiration_check","product":{"name":"Prowler","vendor_name":"Prowler"}},"finding_info":{"created_time":1728049742,"created_time_dt":"2024-10-04T09:49:02.698985","uid":"prowler-aws-acm"},"resources":[{"name":"e4dc1386","type":"AwsCertificateManagerCertificate","uid":"arn:aws:acm:eu-west-1:111122223333:certificate/e4dc1386"}],"time":1728049742}`))
	f.Add([]byte(`[{"class_uid":2002,"finding_info":{"uid":"arn:aws:inspector2:us-east-2:111111111111:finding/faa0","title":"CVE-2023-1255 - openssl","first_seen_time_dt":"2023-04-21T11:59:04.000-04:00"},"resource":{"type":"AwsEcrContainerImage","uid":"arn:aws:ecr:us-east-2:111111111111:repository/x"},"vulnerabilities":[{"cve":{"uid":"CVE-2023-1255","cvss":[{"base_score":5.9}]},"affected_packages":[{"remediation":{"desc":"apk update && apk upgrade openssl"}}]}]}]`))
	f.Add([]byte(`{"class_uid":2003,"compliance":{"control":"Config.1","status":"FAILED"},"finding_info":{"uid":"arn:aws:securityhub:finding/7d61","last_seen_time_dt":"2023-07-21T14:12:05.693-04:00"},"metadata":{"product":{"name":"Security Hub","vendor_name":"AWS"}},"time":1689963113060}` + "\n" + `{"class_uid":3002}`))
	f.Add([]byte(`{"class_uid":2005,"activity_id":3,"status_id":5,"verdict_id":2,"priority_id":4,"time":"2024-06-11T08:15:30Z","metadata":{"original_event_uid":"INC-2024-0042","product":{"name":"Acme IR","vendor_name":"Acme"}},"assignee":{"name":"jdoe"},"finding_info_list":[{"uid":"acme-det-7f3a","first_seen_time":1718012467000}]}`))
	// Shapes and quirks.
	f.Add([]byte(`{"type_uid":200401,"finding_info":{"uid":"a"},"time":1718017200123456789}`))
	f.Add([]byte(`{"class_uid":2004,"finding_info":{"uid":"a"},"time":-1e400}`))
	f.Add([]byte(`{"class_uid":2004,"finding_info":{"uid":"a","first_seen_time":"9999-12-31T23:59:59Z"}}`))
	f.Add([]byte("[1, {\"class_uid\": 2004}, \"x\"]"))
	f.Add([]byte("\xef\xbb\xbf{\"class_uid\":2004,\"finding_info\":{\"uid\":1e3}}"))
	f.Add([]byte(`{"class_uid":20040000000000000000000}`))
	f.Add([]byte(`{"class_uid":2002,"finding_info":{"uid":"v"},"vulnerabilities":[{"cve":{"uid":"CVE-1","cvss":{"base_score":"Inf"}}},{"cvss":[{"base_score":"NaN"}]}]}`))
	f.Add([]byte("{\"class_uid\":2004,\n"))
	f.Add([]byte(""))

	f.Fuzz(func(t *testing.T, data []byte) {
		Detect(data)
		err := Parse(context.Background(), bytes.NewReader(data), "fuzz", func(r record.Record) error {
			if !strings.HasPrefix(r.Loc, "fuzz:") {
				t.Errorf("Loc %q does not name the input", r.Loc)
			}
			items := 0
			if r.Alert != nil {
				items++
				checkItem(t, r.Alert.Source, r.Alert.ExternalID, r.Alert.Raw, r.Alert)
			}
			if r.Finding != nil {
				items++
				checkItem(t, r.Finding.Source, r.Finding.ExternalID, r.Finding.Raw, r.Finding)
			}
			if r.Case != nil {
				items++
				checkItem(t, r.Case.Source, r.Case.ExternalID, r.Case.Raw, r.Case)
			}
			if r.Err != nil {
				items++
			}
			if items != 1 {
				t.Errorf("%s: record holds %d items and errors, want 1: %+v", r.Loc, items, r)
			}
			return nil
		})
		if err != nil {
			t.Errorf("Parse: %v", err)
		}
	})
}

func checkItem(t *testing.T, source, id string, raw []byte, item any) {
	t.Helper()
	if !strings.HasPrefix(source, "ocsf") || id == "" {
		t.Errorf("item without source or id: %q %q", source, id)
	}
	if !json.Valid(raw) {
		t.Errorf("Raw is not JSON: %q", raw)
	}
	if _, err := json.Marshal(item); err != nil {
		t.Errorf("item does not encode: %v", err)
	}
}

// FuzzParseTime checks that ParseTime never panics and only returns UTC
// times that encode as JSON.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1728049742", "1689963113060", "1718017200123456", "1718017200123456789",
		"1728049742.698985", "1.7e9", "2023-01-13T15:08:44.967-05:00", "2024-10-04T09:49:02.698985", "-5", "0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil || got.IsZero() {
			return
		}
		if got.Location().String() != "UTC" {
			t.Errorf("ParseTime(%q) in %v", s, got.Location())
		}
		if _, err := got.MarshalJSON(); err != nil {
			t.Errorf("ParseTime(%q) = %v does not encode: %v", s, got, err)
		}
	})
}
