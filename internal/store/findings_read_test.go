package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func TestFindingsAndCaseSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		b := &store.Batch{
			Findings: []model.Finding{
				{Source: "ocsf:x", ExternalID: "f1", Class: model.FindingVulnerability, Title: "OpenSSL 100% bad", Severity: model.SeverityHigh,
					CVSS: 7.5, CVEs: []string{"CVE-2024-0001"}, Category: "CVE-2024-0001", ResourceName: "i-1", Status: "New", Remediation: "upgrade"},
				{Source: "ocsf:x", ExternalID: "f2", Class: model.FindingVulnerability, Title: "curl", Severity: model.SeverityCritical,
					CVSS: 9.8, Category: "CVE-2024-0002", ResourceName: "i-2", Status: "Resolved"},
				{Source: "ocsf:x", ExternalID: "f3", Class: model.FindingCompliance, Title: "MFA off", Severity: model.SeverityHigh,
					CVSS: 0, Category: "CIS-1.10", ResourceName: "i-1", Status: "New"},
			},
			Cases: []model.Case{
				{Source: "s", ExternalID: "C-1", Title: "Phishing wave", Priority: model.P2, Stage: model.StageNew, CreatedAt: t0, UpdatedAt: t0,
					AlertExternalIDs: []string{"A-1", "A-2"}},
				{Source: "s", ExternalID: "C-2", Title: "Malware on host_1", Priority: model.P1, Stage: model.StageInvestigating,
					Assignee: "alice", CreatedAt: t0.Add(time.Hour), UpdatedAt: t0.Add(time.Hour)},
				{Source: "s", ExternalID: "C-3", Title: "Old phishing", Priority: model.P4, Stage: model.StageClosed, CreatedAt: t0.Add(-48 * time.Hour),
					UpdatedAt: t0.Add(-24 * time.Hour)},
			},
			Alerts: []model.Alert{
				{Source: "s", ExternalID: "A-1", Title: "a1", CreatedAt: t0},
				{Source: "s", ExternalID: "A-2", Title: "a2", CreatedAt: t0},
				{Source: "s", ExternalID: "A-3", Title: "a3", CreatedAt: t0, CaseExternalID: "C-2"},
			},
		}
		// Alerts first, so the cases' alert lists link them.
		if _, err := st.Apply(ctx, &store.Batch{Alerts: b.Alerts}); err != nil {
			t.Fatal(err)
		}
		b.Alerts = nil
		if _, err := st.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}

		fs, err := st.Findings(ctx, store.FindingFilter{Class: model.FindingVulnerability})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 2 || fs[0].ExternalID != "f2" || fs[1].ExternalID != "f1" || fs[1].CVEs[0] != "CVE-2024-0001" || fs[1].Remediation != "upgrade" {
			t.Fatalf("vulnerabilities = %+v", fs)
		}
		for _, tc := range []struct {
			name string
			f    store.FindingFilter
			want []string
		}{
			{"query literal percent", store.FindingFilter{Query: "100%"}, []string{"f1"}},
			{"query percent is not a wildcard", store.FindingFilter{Query: "0% b"}, []string{"f1"}},
			{"query cve", store.FindingFilter{Query: "cve-2024-0002"}, []string{"f2"}},
			{"status", store.FindingFilter{Status: "new"}, []string{"f1", "f3"}},
			{"resource and category", store.FindingFilter{ResourceName: "i-1", Category: "cis-1.10"}, []string{"f3"}},
			{"min severity", store.FindingFilter{MinSeverity: model.SeverityCritical}, []string{"f2"}},
			{"offset", store.FindingFilter{Offset: 1, Limit: 1}, []string{"f1"}},
		} {
			got, err := st.Findings(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, f := range got {
				ids = append(ids, f.ExternalID)
			}
			if len(ids) != len(tc.want) {
				t.Fatalf("%s: got %v, want %v", tc.name, ids, tc.want)
			}
			for i := range ids {
				if ids[i] != tc.want[i] {
					t.Fatalf("%s: got %v, want %v", tc.name, ids, tc.want)
				}
			}
			n, err := st.CountFindings(ctx, store.FindingFilter{Query: tc.f.Query, Status: tc.f.Status, ResourceName: tc.f.ResourceName,
				Category: tc.f.Category, MinSeverity: tc.f.MinSeverity})
			if err != nil {
				t.Fatal(err)
			}
			if tc.f.Offset == 0 && n != int64(len(tc.want)) {
				t.Fatalf("%s: count %d, want %d", tc.name, n, len(tc.want))
			}
		}
		f, err := st.FindingByID(ctx, fs[0].ID)
		if err != nil || f.ExternalID != "f2" {
			t.Fatalf("FindingByID = %+v, %v", f, err)
		}
		if _, err := st.FindingByID(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindingByID(9999) error = %v, want ErrNotFound", err)
		}

		for _, tc := range []struct {
			name  string
			q     store.CaseQuery
			want  []string
			total int64
		}{
			{"default newest first", store.CaseQuery{}, []string{"C-2", "C-1", "C-3"}, 3},
			{"oldest", store.CaseQuery{OrderBy: store.CaseOrderOldest}, []string{"C-3", "C-1", "C-2"}, 3},
			{"priority", store.CaseQuery{OrderBy: store.CaseOrderPriority}, []string{"C-2", "C-1", "C-3"}, 3},
			{"open", store.CaseQuery{Open: true}, []string{"C-2", "C-1"}, 2},
			{"query underscore literal", store.CaseQuery{Query: "host_1"}, []string{"C-2"}, 1},
			{"query case-insensitive", store.CaseQuery{Query: "PHISHING"}, []string{"C-1", "C-3"}, 2},
			{"unassigned", store.CaseQuery{Unassigned: true}, []string{"C-1", "C-3"}, 2},
			{"stages", store.CaseQuery{Stages: []model.Stage{model.StageClosed, model.StageNew}}, []string{"C-1", "C-3"}, 2},
			{"created window", store.CaseQuery{CreatedAfter: t0, CreatedBefore: t0.Add(time.Hour)}, []string{"C-1"}, 1},
			{"page", store.CaseQuery{Offset: 1, Limit: 1}, []string{"C-1"}, 3},
		} {
			got, total, err := st.SearchCases(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range got {
				ids = append(ids, c.ExternalID)
			}
			if total != tc.total || len(ids) != len(tc.want) {
				t.Fatalf("%s: got %v (total %d), want %v (total %d)", tc.name, ids, total, tc.want, tc.total)
			}
			for i := range ids {
				if ids[i] != tc.want[i] {
					t.Fatalf("%s: got %v, want %v", tc.name, ids, tc.want)
				}
			}
		}
		if _, _, err := st.SearchCases(ctx, store.CaseQuery{OrderBy: "nope"}); err == nil {
			t.Fatal("unknown order accepted")
		}
		c1, err := st.CaseByExternalID(ctx, "s", "C-1")
		if err != nil {
			t.Fatal(err)
		}
		c2, err := st.CaseByExternalID(ctx, "s", "C-2")
		if err != nil {
			t.Fatal(err)
		}
		byID, err := st.CaseByID(ctx, c1.ID)
		if err != nil || byID.ExternalID != "C-1" {
			t.Fatalf("CaseByID = %+v, %v", byID, err)
		}
		if _, err := st.CaseByID(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("CaseByID(9999) error = %v", err)
		}
		counts, err := st.CaseAlertCounts(ctx, []model.Case{c1, c2})
		if err != nil || counts[c1.ID] != 2 || counts[c2.ID] != 1 {
			t.Fatalf("CaseAlertCounts = %v, %v", counts, err)
		}
		als, err := st.CaseAlerts(ctx, c1, 10)
		if err != nil || len(als) != 2 || als[0].ExternalID != "A-2" {
			t.Fatalf("CaseAlerts = %+v, %v", als, err)
		}
	})
}
