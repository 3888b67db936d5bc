package scc

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

type want struct {
	loc, title, status, category, resource, resType string
	class                                           model.FindingClass
	sev                                             model.Severity
	cvss                                            float64
	cves                                            string
	first, last                                     string
	remediation                                     string
}

func check(t *testing.T, recs []record.Record, wants []want) {
	t.Helper()
	for i, w := range wants {
		r := recs[i]
		if r.Err != nil || r.Finding == nil {
			t.Fatalf("record %d: %v", i, r.Err)
		}
		f := r.Finding
		if r.Loc != w.loc || f.Source != Source || f.Title != w.title || f.Status != w.status || f.Category != w.category || f.ResourceName != w.resource ||
			f.ResourceType != w.resType || f.Class != w.class || f.Severity != w.sev || f.CVSS != w.cvss || strings.Join(f.CVEs, ",") != w.cves ||
			!f.FirstSeenAt.Equal(recordtest.Time(w.first)) || !f.LastSeenAt.Equal(recordtest.Time(w.last)) || f.Remediation != w.remediation {
			got, _ := json.Marshal(struct {
				Loc string
				F   model.Finding
			}{r.Loc, *f})
			t.Errorf("record %d:\n got %s\nwant %+v", i, got, w)
		}
	}
}

func TestParseListFindings(t *testing.T) {
	recs := recordtest.CollectFile(t, Parse, "testdata/list-findings.json")
	if len(recs) != 5 {
		t.Fatalf("got %d records, want 5", len(recs))
	}
	check(t, recs, []want{
		{"list-findings.json:$.listFindingsResults[0]", "CVE-2024-3094 Os vulnerability", "ACTIVE", "CVE-2024-3094",
			"//compute.googleapis.com/projects/payments-prod/zones/europe-west1-b/instances/api-gw-3", "google.compute.Instance",
			model.FindingVulnerability, model.SeverityCritical, 10, "CVE-2024-3094", "2026-10-11T04:10:55.902Z", "2026-11-30T04:12:08.331Z",
			"Upgrade xz-utils to 5.6.1+really5.4.5-1 or later and rebuild the instance image.\nhttps://nvd.nist.gov/vuln/detail/CVE-2024-3094"},
		{"list-findings.json:$.listFindingsResults[1]", "Public bucket acl", "ACTIVE", "cis 1.0 5.1",
			"//storage.googleapis.com/hr-exports-eu", "google.cloud.storage.Bucket",
			model.FindingCompliance, model.SeverityHigh, 0, "", "2026-09-03T09:30:00Z", "2026-11-29T22:01:13Z",
			"Remove allUsers and allAuthenticatedUsers from the bucket's IAM policy."},
		{"list-findings.json:$.listFindingsResults[2]", "Open ssh port", "INACTIVE", "OPEN_SSH_PORT",
			"//compute.googleapis.com/projects/payments-prod/global/firewalls/allow-ssh-any", "google.compute.Firewall",
			model.FindingCompliance, model.SeverityHigh, 0, "", "2026-11-02T15:45:00Z", "2026-11-12T15:45:00Z",
			"Restrict the firewall rule's source ranges to the bastion subnet."},
	})
	for i, reason := range map[int]string{
		3: `finding "organizations/483920174655/sources/9876543210123456789/locations/global/findings/threat0001": findingClass THREAT is not a posture finding`,
		4: `finding "organizations/483920174655/sources/2034567890123456789/locations/global/findings/badseverity01": unknown severity "SEVERE" (want LOW, MEDIUM, HIGH or CRITICAL)`,
	} {
		if r := recs[i]; r.Err == nil || r.Err.Error() != reason {
			t.Errorf("record %d at %s: err %v, want %s", i, r.Loc, r.Err, reason)
		}
	}
}

func TestParseNotifications(t *testing.T) {
	recs := recordtest.CollectFile(t, Parse, "testdata/notifications.ndjson")
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	check(t, recs, []want{
		{"notifications.ndjson:1", "Legacy authorization enabled", "MUTED", "LEGACY_AUTHORIZATION_ENABLED",
			"//container.googleapis.com/projects/payments-prod/locations/europe-west1/clusters/checkout", "google.container.Cluster",
			model.FindingCompliance, model.SeverityMedium, 0, "", "2026-11-25T11:00:00Z", "2026-11-25T11:00:00Z",
			"Disable legacy ABAC authorization on the cluster."},
	})
	if r := recs[1]; r.Err == nil || r.Loc != "notifications.ndjson:2" ||
		!strings.HasPrefix(r.Err.Error(), `finding "organizations/483920174655/sources/2034567890123456789/locations/global/findings/badtime00000000": createTime: `) {
		t.Errorf("record 2 at %s: %v", r.Loc, r.Err)
	}
}

func TestRejects(t *testing.T) {
	for _, tc := range []struct{ in, reason string }{
		{`{"resourceName":"r","state":"ACTIVE"}`, "no name"},
		{`{"name":"n","resourceName":"r","state":"OPEN"}`, `finding "n": unknown state "OPEN" (want ACTIVE or INACTIVE)`},
		{`{"name":"n","resourceName":"r","findingClass":"NOISE"}`, `finding "n": unknown findingClass "NOISE"`},
		{`{"name":"n"}`, `finding "n": no resourceName`},
		{`{"finding":7}`, "not an SCC finding: "},
	} {
		var got []record.Record
		if err := Parse(context.Background(), strings.NewReader(tc.in), "in", func(r record.Record) error { got = append(got, r); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Err == nil || !strings.HasPrefix(got[0].Err.Error(), tc.reason) || got[0].Loc != "in:1" {
			t.Errorf("%s: got %+v, want %s", tc.in, got, tc.reason)
		}
	}
}

func TestDetect(t *testing.T) {
	list, _ := os.ReadFile("testdata/list-findings.json")
	notes, _ := os.ReadFile("testdata/notifications.ndjson")
	for _, tc := range []struct {
		head string
		want bool
	}{
		{string(list[:400]), true},
		{string(notes[:200]), true},
		{`{"resourceName":"x"}`, false},
		{`{"class_uid":2003}`, false},
	} {
		if got := Detect([]byte(tc.head)); got != tc.want {
			t.Errorf("Detect(%.60q) = %v", tc.head, got)
		}
	}
}
