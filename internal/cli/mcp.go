package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
	"reflect"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/crisis"
	"github.com/watchfloor/watchfloor/internal/mcp"
	"github.com/watchfloor/watchfloor/internal/notify"
	"github.com/watchfloor/watchfloor/internal/report"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/tech"
)

func (a *app) mcpCommand() *cobra.Command {
	var allowWrites bool
	var listen, planConfig, role string
	var idle time.Duration
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve the SOC manager's tools, prompts and KPI definitions to AI agents (Model Context Protocol)",
		Long: `Serves Watchfloor over the Model Context Protocol on stdin/stdout, for an
agent started by the local user (Claude Code, Gemini CLI, …). The tools carry
the names of Google's security MCP servers (list_cases, get_case_full_details,
get_security_alerts, get_ioc_matches, list_threat_profiles,
top_vulnerability_findings, get_finding_remediation, search_findings) plus
manager tools (get_soc_dashboard, get_soc_metrics, list_sla_breaches,
get_analyst_workload, get_noisy_rules, plan_staffing, plan_budget,
list_major_incidents, get_major_incident_status); the seven /security:*
commands are prompts. plan_budget prices with the budget
section of --plan-config, which also configures the staffing plans.

The server is read-only unless --allow-writes is given; write tools (assign,
priority, stage, comment, close; declare_major_incident,
update_major_incident, record_runbook_run) then append case events with
source "watchfloor" (or incident log entries) and the local user as actor,
and each write is logged with the actor and role.

--role is the caller's role (viewer, analyst, manager or admin; default
admin, the local user who owns the store): tools and prompts are offered as
the REST API allows that role (analysts get no staffing or budget plan,
viewers only aggregates, record_runbook_run needs admin).

With --listen it serves streamable HTTP instead (at /mcp); every request
needs a bearer token whose SHA-256 is listed in ` + mcp.TokenEnv + `
("name:hexhash" or "name:role:hexhash", comma-separated; entries without a
role have --role; make a hash with: printf %s "$TOKEN" | sha256sum).`,
		Example: `  watchfloor mcp --demo
  claude mcp add watchfloor -- watchfloor mcp --db /var/lib/watchfloor/watchfloor.db
  ` + mcp.TokenEnv + `=ops:$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) watchfloor mcp --listen 127.0.0.1:8765`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			actor := "local"
			if u, err := user.Current(); err == nil && u.Username != "" {
				actor = u.Username
			}
			plans, err := loadPlanSettings(planConfig)
			if err != nil {
				return err
			}
			r, err := auth.ParseRole(role)
			if err != nil || r == auth.Ingest {
				return fmt.Errorf("--role %q: want viewer, analyst, manager or admin", role)
			}
			srv, err := mcp.NewServer(mcp.Options{Store: st, AllowWrites: allowWrites, Actor: actor, Role: r, Logger: a.log, Version: buildVersion(),
				Staffing: plans.staffing, Budget: plans.budget, Crisis: a.crisisService(st, plans)})
			if err != nil {
				return err
			}
			if listen == "" {
				a.log.Info("serving MCP on stdio", "allow_writes", allowWrites)
				return serveStdio(ctx, srv, a.stdin, a.stdout)
			}
			return a.serveMCPHTTP(ctx, srv, listen, allowWrites, r, idle)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&allowWrites, "allow-writes", false, "enable the write tools (assign, priority, stage, comment, close, declare and update major incidents, record a runbook run)")
	f.StringVar(&planConfig, "plan-config", "", "YAML file with the staffing and budget settings for plan_staffing and plan_budget (see resources plan --config)")
	f.StringVar(&listen, "listen", "", "serve streamable HTTP on this address (path /mcp) instead of stdio; needs "+mcp.TokenEnv)
	f.DurationVar(&idle, "session-idle", mcp.DefaultSessionIdle, "with --listen: close HTTP sessions idle this long (0: never)")
	f.StringVar(&role, "role", string(auth.Admin), "the caller's role on stdio, and of tokens listed without one: viewer, analyst, manager or admin")
	a.addDemoFlag(cmd)
	return cmd
}

// planSettings are the staffing and budget configuration the servers plan
// with.
type planSettings struct {
	staffing staffing.Config
	budget   *budget.Config    // nil: no budget section, so no budget plan
	crisis   *crisis.Config    // the crisis section (defaults when absent)
	notify   *notify.Config    // the notify section (nil when absent)
	report   report.Config     // the report section (targets)
	tech     tech.NotifyConfig // the tech section (source health notifications)
}

// loadPlanSettings reads the plan file ("" for none).
func loadPlanSettings(path string) (planSettings, error) {
	var ps planSettings
	if path == "" {
		return ps, nil
	}
	var err error
	if ps.staffing, err = staffing.LoadConfig(path); err != nil {
		return ps, err
	}
	bcfg, err := budget.LoadConfig(path)
	if err != nil {
		return ps, err
	}
	if !reflect.ValueOf(bcfg).IsZero() {
		ps.budget = &bcfg
	}
	if ps.crisis, ps.notify, err = loadCrisisSettings(path); err != nil {
		return ps, err
	}
	if ps.report, err = report.LoadConfig(path); err != nil {
		return ps, err
	}
	if ps.tech, err = tech.LoadNotifyConfig(path, ps.notify); err != nil {
		return ps, err
	}
	return ps, nil
}

// buildVersion is the module version the binary was built from, "dev"
// for a source build.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// serveStdio runs one session on the given streams until the client
// closes its end or ctx ends.
func serveStdio(ctx context.Context, srv *sdk.Server, in io.Reader, out io.Writer) error {
	rc, ok := in.(io.ReadCloser)
	if !ok {
		rc = io.NopCloser(in)
	}
	err := srv.Run(ctx, mcp.StdioTransport(rc, nopWriteCloser{out}))
	if err != nil && (errors.Is(err, io.EOF) || ctx.Err() != nil) {
		return nil
	}
	return err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

func (a *app) serveMCPHTTP(ctx context.Context, srv *sdk.Server, addr string, allowWrites bool, role auth.Role, idle time.Duration) error {
	spec := os.Getenv(mcp.TokenEnv)
	if spec == "" {
		return fmt.Errorf("--listen needs bearer token hashes in %s", mcp.TokenEnv)
	}
	tokens, err := mcp.ParseSHA256Tokens(spec, role)
	if err != nil {
		return fmt.Errorf("%s: %w", mcp.TokenEnv, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", mcp.HTTPHandlerIdle(srv, tokens, a.log, idle))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	a.log.Info("serving MCP over streamable HTTP", "url", "http://"+ln.Addr().String()+"/mcp", "allow_writes", allowWrites)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return hs.Shutdown(sctx)
	}
}
