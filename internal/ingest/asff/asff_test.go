package asff

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/ingest/record/recordtest"
	"github.com/watchfloor/watchfloor/internal/model"
)

func TestParseGetFindings(t *testing.T) {
	recs := recordtest.CollectFile(t, Parse, "testdata/get-findings.json")
	if len(recs) != 5 {
		t.Fatalf("got %d records, want 5", len(recs))
	}
	want := []struct {
		loc, source, status, category, resource, resType string
		class                                            model.FindingClass
		sev                                              model.Severity
		cvss                                             float64
		cves                                             []string
		first, last                                      string
		remediation                                      string
	}{
		{"get-findings.json:$.Findings[0]", "asff:inspector", "NEW", "CVE-2024-6387", "arn:aws:ec2:eu-west-1:111122223333:instance/i-0f1e2d3c4b5a69788", "AwsEc2Instance",
			model.FindingVulnerability, model.SeverityCritical, 8.1, []string{"CVE-2024-6387"}, "2026-10-02T08:14:51Z", "2026-11-30T08:15:02Z",
			"Upgrade openssh-server to 1:9.6p1-3ubuntu13.3 or later."},
		{"get-findings.json:$.Findings[1]", "asff:security-hub", "NOTIFIED", "S3.8", "arn:aws:s3:::payroll-exports-prod", "AwsS3Bucket",
			model.FindingCompliance, model.SeverityHigh, 0, nil, "2026-09-14T10:02:33.41Z", "2026-11-29T10:03:01.877Z",
			"For information on how to correct this issue, consult the AWS Security Hub controls documentation.\nhttps://docs.aws.amazon.com/console/securityhub/S3.8/remediation"},
		// RESOLVED: last seen is UpdatedAt, when it was closed; Normalized 90 is critical.
		{"get-findings.json:$.Findings[2]", "asff:security-hub", "RESOLVED", "IAM.6", "AWS::::Account:111122223333", "AwsAccount",
			model.FindingCompliance, model.SeverityCritical, 0, nil, "2026-10-20T06:00:00Z", "2026-11-04T12:00:00Z",
			"https://docs.aws.amazon.com/console/securityhub/IAM.6/remediation"},
	}
	for i, w := range want {
		r := recs[i]
		if r.Err != nil || r.Finding == nil {
			t.Fatalf("record %d: %v", i, r.Err)
		}
		f := r.Finding
		if r.Loc != w.loc || f.Source != w.source || f.Status != w.status || f.Category != w.category || f.ResourceName != w.resource ||
			f.ResourceType != w.resType || f.Class != w.class || f.Severity != w.sev || f.CVSS != w.cvss || strings.Join(f.CVEs, ",") != strings.Join(w.cves, ",") ||
			!f.FirstSeenAt.Equal(recordtest.Time(w.first)) || !f.LastSeenAt.Equal(recordtest.Time(w.last)) || f.Remediation != w.remediation {
			got, _ := json.Marshal(struct {
				Loc string
				F   model.Finding
			}{r.Loc, *f})
			t.Errorf("record %d:\n got %s\nwant %+v", i, got, w)
		}
	}
	for i, reason := range map[int]string{
		3: `finding "arn:aws:guardduty:eu-west-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0/finding/60baffd3f9042e38640f2300d5c5a631": type "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS" is a threat detection, not a posture finding`,
		4: `finding "arn:aws:securityhub:eu-west-1:111122223333:security-control/EC2.19/finding/no-resources": no Resources`,
	} {
		r := recs[i]
		if r.Err == nil || r.Err.Error() != reason || r.Loc != "get-findings.json:$.Findings["+string(rune('0'+i))+"]" {
			t.Errorf("record %d at %s: err %v, want %s", i, r.Loc, r.Err, reason)
		}
	}
}

func TestRejects(t *testing.T) {
	for _, tc := range []struct{ in, loc, reason string }{
		{`{"Resources":[{"Id":"x"}]}`, "in:1", "no Id"},
		{`{"Id":"a","Resources":[{"Id":"x"}],"Severity":{"Label":"URGENT"}}`, "in:1", `finding "a": unknown Severity.Label "URGENT"`},
		{`{"Id":"a","Resources":[{"Id":"x"}],"Severity":{"Normalized":140}}`, "in:1", `finding "a": Severity.Normalized 140 is outside 0–100`},
		{`{"Id":"a","Resources":[{"Id":"x"}],"Workflow":{"Status":"DONE"}}`, "in:1", `finding "a": unknown Workflow.Status "DONE" (want NEW, NOTIFIED, RESOLVED or SUPPRESSED)`},
		{`{"Id":"a","Resources":[{"Id":"x"}],"CreatedAt":"soon"}`, "in:1", `finding "a": CreatedAt: `},
		{`[1]`, "in:$[0]", "not an ASFF finding: "},
		{`{"Findings":[{"Id":"ok","Resources":[{"Id":"x"}]},{"Id":7}]}`, "in:1:$.Findings[1]", "not an ASFF finding: "},
	} {
		var got []record.Record
		if err := Parse(context.Background(), strings.NewReader(tc.in), "in", func(r record.Record) error { got = append(got, r); return nil }); err != nil {
			t.Fatal(err)
		}
		last := got[len(got)-1]
		if last.Err == nil || !strings.HasPrefix(last.Err.Error(), tc.reason) || last.Loc != tc.loc {
			t.Errorf("%s: got %s %v, want %s %s", tc.in, last.Loc, last.Err, tc.loc, tc.reason)
		}
	}
}

func TestArchivedAndEventBridge(t *testing.T) {
	in := `{"version":"0","detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":[` +
		`{"Id":"f1","ProductArn":"arn:aws:securityhub:us-east-1::product/aws/securityhub","Resources":[{"Id":"r","Type":"AwsEc2SecurityGroup"}],` +
		`"RecordState":"ARCHIVED","Workflow":{"Status":"NEW"},"UpdatedAt":"2026-11-10T00:00:00Z","LastObservedAt":"2026-11-01T00:00:00Z","Severity":{"Normalized":40}}]}}`
	var got []record.Record
	if err := Parse(context.Background(), strings.NewReader(in), "eb", func(r record.Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	f := got[0].Finding
	if len(got) != 1 || f == nil || got[0].Loc != "eb:1:$.detail.findings[0]" || f.Status != "ARCHIVED" || f.Source != "asff:securityhub" ||
		f.Severity != model.SeverityMedium || !f.LastSeenAt.Equal(recordtest.Time("2026-11-10T00:00:00Z")) {
		t.Fatalf("got %+v", got)
	}
}

func TestDetect(t *testing.T) {
	data, _ := os.ReadFile("testdata/get-findings.json")
	for _, tc := range []struct {
		head string
		want bool
	}{
		{string(data[:300]), true},
		{`{"class_uid":2003,"metadata":{"product":{"name":"Security Hub"}}}`, false},
		{`{"ProductArn":"x"}`, false},
	} {
		if got := Detect([]byte(tc.head)); got != tc.want {
			t.Errorf("Detect(%.40q) = %v", tc.head, got)
		}
	}
}
