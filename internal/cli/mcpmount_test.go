package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/mcp"
	"github.com/watchfloor/watchfloor/internal/store"
)

// TestServeMCPTakesAccountTokens checks the /mcp endpoint that serve mounts:
// an analyst's or a viewer's API token opens a session, an ingest or an
// unknown token is refused, and a refused write is audited in the accounts'
// audit log with the account's role.
func TestServeMCPTakesAccountTokens(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "wf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := &auth.Service{Store: st}
	token := func(name string, role auth.Role) string {
		if _, err := svc.CreateUser(ctx, name, role, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		secret, _, err := svc.CreateToken(ctx, name, "mcp", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	analyst, viewer, pipeline := token("ana", auth.Analyst), token("vic", auth.Viewer), token("pipe", auth.Ingest)
	h, err := mcpHandler(st, svc, false, slog.New(slog.DiscardHandler), planSettings{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"analyst", analyst, http.StatusOK},
		{"viewer", viewer, http.StatusOK},
		{"ingest", pipeline, http.StatusUnauthorized},
		{"unknown", "wfat_nope", http.StatusUnauthorized},
		{"none", "", http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest(http.MethodPost, ts.URL, strings.NewReader(initialize))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s token: status %d, want %d (%s)", tt.name, resp.StatusCode, tt.want, body)
		}
		if tt.want == http.StatusOK && !strings.Contains(string(body), `"serverInfo"`) {
			t.Errorf("%s token: no initialize result: %s", tt.name, body)
		}
	}
	// A refused write lands in the audit log admins read.
	if err := (accountAudit{svc}).Audit(ctx, mcp.AuditEntry{At: time.Now(), Actor: "ana", Role: "analyst", Tool: "close_case", CaseID: 7,
		Arguments: map[string]string{"case_id": "7", "reason": "false_positive"}, Error: "writes are not enabled"}); err != nil {
		t.Fatal(err)
	}
	entries, err := st.AuditEntries(ctx, store.AuditFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 || entries[0].Action != "mcp close_case" || entries[0].Actor != "ana" || entries[0].Role != "analyst" || entries[0].Target != "case:7" ||
		entries[0].Status != http.StatusForbidden || !strings.Contains(entries[0].Detail, "reason=false_positive") {
		t.Fatalf("audit %+v", entries)
	}
}
