package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/store"
)

// TestSLAPolicyVersions: managers and admins list, show and disable SLA
// policy versions; a disable is audited and judges the clocks again;
// viewers may not.
func TestSLAPolicyVersions(t *testing.T) {
	f := newFixture(t)
	if resp := f.do("GET", "/api/v1/sla/policies", auth.Viewer, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer listing policies: %d", resp.StatusCode)
	}
	var vs []metrics.PolicyVersion
	getJSON(t, f, "/api/v1/sla/policies", auth.Manager, &vs)
	if len(vs) != 1 || vs[0].Name != "default" || vs[0].Version != 1 || vs[0].State != metrics.PolicyInForce {
		t.Fatalf("policies %+v", vs)
	}
	var one metrics.PolicyVersion
	getJSON(t, f, "/api/v1/sla/policies/default/1", auth.Manager, &one)
	if one.Targets[1].Acknowledge != 15*time.Minute {
		t.Errorf("policy %+v", one)
	}
	if resp := f.do("GET", "/api/v1/sla/policies/default/7", auth.Manager, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing version: %d", resp.StatusCode)
	}
	if resp := f.do("POST", "/api/v1/sla/policies/default/1/disable", auth.Manager, `{}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("disable without a reason: %d", resp.StatusCode)
	}
	resp := f.do("POST", "/api/v1/sla/policies/default/1/disable", auth.Manager, `{"reason":"entered by mistake"}`)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &one) != nil || one.State != metrics.PolicyDisabled ||
		one.DisabledBy != "manager1" {
		t.Fatalf("disable: %d %s", resp.StatusCode, body)
	}
	if resp := f.do("POST", "/api/v1/sla/policies/default/1/disable", auth.Manager, `{"reason":"again"}`); resp.StatusCode != http.StatusConflict {
		t.Errorf("disabling twice: %d", resp.StatusCode)
	}
	entries, _ := f.st.AuditEntries(t.Context(), store.AuditFilter{})
	found := false
	for _, e := range entries {
		found = found || (e.Action == "POST /api/v1/sla/policies/{name}/{version}/disable" && e.Target == "sla_policy:default/v1" &&
			e.Actor == "manager1" && strings.Contains(e.Detail, "entered by mistake"))
	}
	if !found {
		t.Errorf("no audit entry for the disable: %+v", entries)
	}
	// Without a policy the SLA figures are no data, and the report says why.
	var rep metrics.Report
	getJSON(t, f, "/api/v1/metrics", auth.Viewer, &rep)
	if rep.Groups[0].SLAAcknowledge.Adherence != nil || len(rep.SLAPolicies) != 0 || !strings.Contains(strings.Join(rep.Warnings, " "), "no SLA policy") {
		t.Errorf("after the disable: adherence %v, policies %v, warnings %v", rep.Groups[0].SLAAcknowledge.Adherence, rep.SLAPolicies, rep.Warnings)
	}
}

// TestIngestTokenMayNotChangeReferenceData: an ingest token's SLA policy
// is rejected with the reason (the policy of issue 10 would otherwise have
// broken every report); its alerts land.
func TestIngestTokenMayNotChangeReferenceData(t *testing.T) {
	f := newFixture(t)
	body := `{"record":"sla_policy","name":"SOC standard","version":2,"effective_from":"2026-11-01T00:00:00Z","targets":{"P1":{"acknowledge":900000000000,"resolve":86400000000000}}}
{"record":"alert","source":"edr","external_id":"i1","title":"t","created_at":"2026-11-26T11:00:00Z"}
`
	resp := f.do("POST", "/api/v1/ingest", auth.Ingest, body, "Content-Type", "application/x-ndjson")
	var got IngestResponse
	if err := json.Unmarshal([]byte(readBody(t, resp)), &got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("ingest: %d %v", resp.StatusCode, err)
	}
	if got.Rejected != 1 || got.Inserted["alert"] != 1 || !strings.Contains(got.Rejects[0].Reason, "need an admin account") {
		t.Errorf("ingest answer %+v", got)
	}
	// An admin may; the policy of issue 10 itself is rejected for what it is.
	bad := `{"record":"sla_policy","name":"SOC standard","version":99,"effective_from":"2026-11-01T00:00:00Z","targets":{"P1":{"acknowledge":-1,"resolve":60000000000}}}` + "\n"
	resp = f.do("POST", "/api/v1/ingest", auth.Admin, bad, "Content-Type", "application/x-ndjson")
	if err := json.Unmarshal([]byte(readBody(t, resp)), &got); err != nil || got.Rejected != 1 ||
		!strings.Contains(got.Rejects[0].Reason, "targets.P1.acknowledge: -1ns is negative") {
		t.Errorf("bad policy: %+v %v", got, err)
	}
	for _, path := range []string{"/api/v1/metrics", "/api/v1/rules", "/performance", "/rules"} {
		if resp := f.do("GET", path, auth.Admin, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}

// TestPagesShowNoData: a figure without data is "—" on the pages, never
// 0m or 0.0 %: the fixture's alerts carry no occurred_at, so MTTD has no
// case to measure.
func TestPagesShowNoData(t *testing.T) {
	f := newFixture(t)
	page := readBody(t, f.do("GET", "/performance", auth.Viewer, ""))
	i := strings.Index(page, ">Time to detect (MTTD)<")
	if i < 0 {
		t.Fatalf("no MTTD row: %s", page)
	}
	mttd := page[i:]
	mttd = mttd[:strings.Index(mttd, "</tr>")]
	if strings.Count(mttd, "<td>—</td>") != 3 || strings.Contains(mttd, "0m") {
		t.Errorf("MTTD row: %s", mttd)
	}
	// The page says what it stands on.
	if !strings.Contains(page, "Judged at 2026-11-26 12:00 UTC") || !strings.Contains(page, "SLA policy default v1") {
		t.Errorf("performance page lacks its basis")
	}
}
