package cli

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/mcp"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/web"
)

type bearerRT struct {
	token string
	next  http.RoundTripper
}

func (b bearerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// TestMCPRoleParity serves /mcp inside the web server, as serve does, with
// the write tools on, and checks for each role's API token that: every
// tool's REST twin needs the same permission (route by route, from the web
// server's own route table); tools/list holds exactly the tools the role
// may use (hand-written lists); a tool outside the role is refused, as its
// REST twin is (403), and a refused write is audited with the account and
// its role.
func TestMCPRoleParity(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "wf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if _, err := st.Apply(ctx, &store.Batch{Cases: []model.Case{{Source: "fx", ExternalID: "C-1", Title: "One", Priority: model.P2,
		CreatedAt: at, UpdatedAt: at}}}); err != nil {
		t.Fatal(err)
	}
	as := &auth.Service{Store: st}
	tokens := map[auth.Role]string{}
	for _, r := range []auth.Role{auth.Viewer, auth.Analyst, auth.Manager, auth.Admin} {
		if _, err := as.CreateUser(ctx, string(r)+"1", r, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		if tokens[r], _, err = as.CreateToken(ctx, string(r)+"1", "mcp", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	h, err := mcpHandler(st, as, true, slog.New(slog.DiscardHandler), planSettings{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Store: st, Auth: as, MCP: h, PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	// The table against the REST routes, route by route.
	routes := map[string]auth.Permission{}
	for _, rt := range srv.Routes() {
		routes[rt.Method+" "+rt.Pattern] = rt.Perm
	}
	for _, a := range mcp.ToolAccess {
		if a.Route == "" {
			continue
		}
		p, ok := routes[a.Route]
		if !ok {
			t.Errorf("%s: REST route %q does not exist", a.Tool, a.Route)
		} else if p != a.Perm {
			t.Errorf("%s needs %s, its REST twin %s needs %s", a.Tool, a.Perm, a.Route, p)
		}
	}

	viewer := []string{"get_analyst_workload", "get_detection_coverage", "get_noisy_rules", "get_runbook", "get_runbook_metrics", "get_soc_dashboard",
		"get_soc_metrics", "get_technology_health", "get_threat_profile", "list_runbooks", "list_sla_breaches", "list_threat_profiles"}
	records := []string{"get_case_full_details", "get_finding_remediation", "get_ioc_matches", "get_major_incident_status",
		"get_observable_prevalence", "get_security_alerts", "list_alerts", "get_alert", "list_cases", "list_major_incidents", "search_findings",
		"top_vulnerability_findings"}
	caseWrites := []string{"add_case_comment", "assign_case", "close_case", "declare_major_incident", "set_case_priority",
		"set_case_stage", "update_major_incident"}
	plans := []string{"assess_team_skills", "develop_soc_roadmap", "generate_executive_report", "generate_operations_review", "generate_shift_handover", "plan_budget", "plan_staffing"}
	join := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		sort.Strings(out)
		return out
	}
	want := map[auth.Role][]string{
		auth.Viewer:  join(viewer),
		auth.Analyst: join(viewer, records, caseWrites),
		auth.Manager: join(viewer, records, caseWrites, plans),
		auth.Admin:   join(viewer, records, caseWrites, plans, []string{"record_runbook_run"}),
	}
	prompts := map[auth.Role]int{auth.Viewer: 6, auth.Analyst: 7, auth.Manager: 7, auth.Admin: 7}
	for _, role := range []auth.Role{auth.Viewer, auth.Analyst, auth.Manager, auth.Admin} {
		t.Run(string(role), func(t *testing.T) {
			c := sdk.NewClient(&sdk.Implementation{Name: "parity", Version: "1"}, nil)
			cs, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: ts.URL + "/mcp", DisableStandaloneSSE: true,
				HTTPClient: &http.Client{Transport: bearerRT{tokens[role], http.DefaultTransport}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			lt, err := cs.ListTools(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tl := range lt.Tools {
				got = append(got, tl.Name)
			}
			sort.Strings(got)
			if !slices.Equal(got, want[role]) {
				t.Errorf("tools/list = %v\nwant %v", got, want[role])
			}
			for _, a := range mcp.ToolAccess {
				if slices.Contains(got, a.Tool) != role.Can(a.Perm) {
					t.Errorf("%s listed=%v but role.Can(%s)=%v", a.Tool, !role.Can(a.Perm), a.Perm, role.Can(a.Perm))
				}
			}
			lp, err := cs.ListPrompts(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(lp.Prompts) != prompts[role] {
				t.Errorf("%d prompts, want %d", len(lp.Prompts), prompts[role])
			}
			// A tool outside the role is refused like its REST twin.
			for _, a := range mcp.ToolAccess {
				if role.Can(a.Perm) {
					continue
				}
				res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: a.Tool, Arguments: map[string]any{"case_id": "fx/C-1"}})
				if err != nil {
					t.Fatalf("%s: %v", a.Tool, err)
				}
				msg := res.Content[0].(*sdk.TextContent).Text
				if !res.IsError || !strings.Contains(msg, "your role ("+string(role)+") may not use "+a.Tool) {
					t.Errorf("%s as %s: %v %s", a.Tool, role, res.IsError, msg)
				}
				if a.Route != "" && strings.HasPrefix(a.Route, "GET ") {
					path := strings.NewReplacer("{source}", "fx", "{id}", "C-1").Replace(strings.TrimPrefix(a.Route, "GET "))
					req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
					req.Header.Set("Authorization", "Bearer "+tokens[role])
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusForbidden {
						t.Errorf("REST %s as %s: %d, want 403 like the tool", path, role, resp.StatusCode)
					}
				}
			}
		})
	}
	// Refused writes were audited with the account and its role.
	entries, err := st.AuditEntries(ctx, store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.Action == "mcp record_runbook_run" && e.Actor == "manager1" && e.Role == "manager" && e.Status == http.StatusForbidden {
			found = true
		}
		if strings.HasPrefix(e.Action, "mcp ") && e.Role == "mcp" {
			t.Errorf("audit entry with role \"mcp\": %+v", e)
		}
	}
	if !found {
		t.Errorf("no audit entry for the manager's refused record_runbook_run: %+v", entries)
	}
}
