package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/mcp"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/tech"
)

// accountTokens verifies MCP bearer tokens against the API tokens of
// Watchfloor's accounts (stored hashed); the account's role decides which
// tools it is offered, as on the REST API. Roles that may not even read the
// dashboard (ingest) are refused.
type accountTokens struct{ svc *auth.Service }

func (v accountTokens) Verify(ctx context.Context, token string) (mcp.Caller, error) {
	p, err := v.svc.Token(ctx, token)
	if err != nil {
		return mcp.Caller{}, fmt.Errorf("%w: %v", mcp.ErrUnknownToken, err)
	}
	if !p.Role.Can(auth.ViewDashboard) {
		return mcp.Caller{}, fmt.Errorf("%w: role %s may not read", mcp.ErrUnknownToken, p.Role)
	}
	return mcp.Caller{Name: p.Name, Role: p.Role}, nil
}

// accountAudit records MCP write attempts in the audit log that admins read.
type accountAudit struct{ svc *auth.Service }

func (a accountAudit) Audit(ctx context.Context, e mcp.AuditEntry) error {
	keys := make([]string, 0, len(e.Arguments))
	for k := range e.Arguments {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := make([]string, 0, len(keys))
	for _, k := range keys {
		args = append(args, k+"="+e.Arguments[k])
	}
	status, detail := http.StatusOK, strings.Join(args, " ")
	if e.Error != "" {
		status, detail = http.StatusForbidden, e.Error+"; "+detail
	}
	target := fmt.Sprintf("case:%d", e.CaseID)
	if e.Target != "" {
		target = e.Target
	}
	return a.svc.Audit(ctx, store.AuditEntry{At: e.At, Actor: e.Actor, Role: e.Role, Action: "mcp " + e.Tool,
		Target: target, Remote: "mcp", Status: status, Detail: detail})
}

// mcpHandler is the streamable HTTP MCP endpoint that serve mounts at /mcp:
// callers present an account's API token; writes (only with allowWrites)
// go to the audit log. rep is the process's report service.
func mcpHandler(st *store.Store, svc *auth.Service, allowWrites bool, log *slog.Logger, plans planSettings, rep *metrics.Service, ts *tech.Service) (http.Handler, error) {
	srv, err := mcp.NewServer(mcp.Options{Store: st, AllowWrites: allowWrites, Auditor: accountAudit{svc}, Logger: log,
		Version: buildVersion(), Staffing: plans.staffing, Budget: plans.budget, Metrics: rep,
		Crisis: crisisFor(st, plans, log), Tech: ts})
	if err != nil {
		return nil, err
	}
	return mcp.HTTPHandler(srv, accountTokens{svc}, log), nil
}
