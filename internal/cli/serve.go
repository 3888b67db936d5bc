package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/maintain"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/notify"
	"github.com/watchfloor/watchfloor/internal/report"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/tech"
	"github.com/watchfloor/watchfloor/internal/web"
)

func (a *app) serveCommand() *cobra.Command {
	var listen string
	var cfg web.Config
	var shutdown time.Duration
	var mcpWrites bool
	var planConfig string
	var oidcFlags oidcOptions
	var feedCheck time.Duration
	var demoLive bool
	var backups maintain.Backups
	var retentionEvery time.Duration
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the web dashboard and the HTTP API",
		Long: `Serve the wall-screen dashboard, the JSON API (described at /openapi.json),
live updates over Server-Sent Events, Prometheus metrics at /metrics and
health checks at /healthz and /readyz.

Every page and API call needs a signed-in account or an API token; create
the first admin with:

  printf '%s\n' "$PASSWORD" | watchfloor users add admin --role admin

With --demo and no accounts yet, an "admin" account with a random password
is created and its password printed once. With --demo the simulated SOC
keeps running while the server runs (--demo-live, on by default): the same
simulation, with the same seed, continues in real time, so alerts keep
arriving and cases keep moving; a restarted server stores what it missed
and carries on. It runs only in a store the demo filled itself.

The wall screen (?kiosk=1 on the overview, performance or SLA page) turns
to the next of the three every --kiosk-rotate (60 s; ?rotate=SECONDS on the
link overrides it, 0 stays put).

With PostgreSQL (--db postgres://...) several replicas can serve the same
data; each polls for changes so live updates reach every client.

The MCP server is mounted at /mcp (streamable HTTP): an AI assistant
connects with an account's API token (role analyst or above) as its bearer
token; write tools need --mcp-allow-writes and are audited.

Single sign-on with an OpenID Connect provider (authorization code flow
with PKCE): give --oidc-issuer, --oidc-client-id, --oidc-redirect-url
(https://HOST/auth/oidc/callback, as registered at the provider) and the
client secret in the environment variable WATCHFLOOR_OIDC_CLIENT_SECRET or
a file (--oidc-client-secret-file). --oidc-role maps a value of the ID
token's groups claim (--oidc-roles-claim) to a role; users with no mapped
value are refused unless --oidc-default-role is set. Accounts are created
at first sign-in, keyed by the provider's subject, and take the mapped
role at every sign-in. Local accounts keep signing in with passwords.

Managers and admins see the staffing plan at /staffing and in the API
(/api/v1/staffing/plan, /api/v1/budget/plan); --plan-config names the YAML
file with the staffing and budget settings (see "resources plan --config"),
without which the budget plan is unavailable. Its crisis and notify sections
configure major incidents (war room at /incidents, API under
/api/v1/incidents); the server sends status-update and regulatory-clock
reminders and retries failed deliveries every minute.

Threat-intelligence feeds added with "watchfloor intel feeds add" are pulled
on their intervals (checked every --feed-check), backing off after failures;
the threat intelligence page (/intel) and /metrics show each feed's last
success. With several replicas, each feed is pulled by one of them.

With --backup-dir (SQLite only) the server takes a verified backup every
--backup-every (daily by default; the first when the newest in the folder is
that old) named watchfloor-YYYYMMDDTHHMMSSZ.db, keeps the newest
--backup-keep and removes older ones (other files in the folder are never
touched); each backup is recorded in the audit log.

With --retain-raw-payloads, --retain-alerts and/or --retain-case-logs the server applies the
retention settings every --retention-every (daily), as "watchfloor retention
apply" does, each run audited. With several replicas on one PostgreSQL, set
them on one replica.`,
		Example: `  watchfloor serve --demo
  watchfloor serve --listen 0.0.0.0:8080 --secure-cookies --trust-proxy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.applyConfig(cmd, configPath); err != nil {
				return err
			}
			ctx := cmd.Context()
			live := a.demo && demoLive
			var st *store.Store
			var err error
			if live {
				st, err = store.Open(ctx, a.db) // the live demo fills it
			} else {
				st, err = a.open(ctx)
			}
			if err != nil {
				return err
			}
			defer st.Close()
			// The live demo stops before the store closes.
			liveCtx, stopLive := context.WithCancel(ctx)
			liveDone := make(chan struct{})
			defer func() {
				stopLive()
				<-liveDone
			}()
			onWrite := make(chan func(), 1)
			if live {
				if err := a.startLiveDemo(liveCtx, st, onWrite, liveDone); err != nil {
					return err
				}
			} else {
				close(liveDone)
			}
			if n, err := st.CountUsers(ctx); err != nil {
				return err
			} else if n == 0 && a.demo {
				pw, err := demoAdmin(ctx, st)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "demo sign-in: admin / %s (shown once; change it with `watchfloor users passwd admin`)\n", pw)
			} else if n == 0 {
				a.log.Warn("no accounts yet; create the first admin: printf '%s\\n' \"$PASSWORD\" | watchfloor users add admin --role admin")
			}
			svc := &auth.Service{Store: st}
			plans, err := loadPlanSettings(planConfig)
			if err != nil {
				return err
			}
			cfg.Store, cfg.Auth, cfg.Log, cfg.Staffing, cfg.Budget = st, svc, a.log, plans.staffing, plans.budget
			// One report service for the whole process: the pages, the API,
			// Prometheus and the MCP tools read the same engine and cache.
			cfg.Metrics = metrics.NewService(st, nil)
			cfg.Crisis = a.crisisService(st, plans)
			go cfg.Crisis.Watch(ctx, time.Minute, a.log) // status-update and clock reminders, delivery retries
			// Scheduled reports: generated, kept in the history and sent
			// through the crisis service's channels (whose retries the
			// watch above runs); each occurrence claimed by one replica.
			reports := &report.Schedules{Sources: report.Sources{Store: st, Metrics: cfg.Metrics, Crisis: cfg.Crisis, Staffing: plans.staffing,
				Budget: plans.budget, Config: plans.report}, Notifier: cfg.Crisis.Notifier, Log: a.log}
			go reports.Run(ctx, time.Minute)
			cfg.Reports = reports
			if cfg.OIDC, err = oidcFlags.provider(ctx); err != nil {
				return err
			}
			// One technology service: the pages, the API, Prometheus, the MCP
			// tool and the notifications share what it learned this hour.
			cfg.Tech = &tech.Service{Store: st}
			if cfg.MCP, err = mcpHandler(st, svc, mcpWrites, a.log, plans, cfg.Metrics, cfg.Tech); err != nil {
				return err
			}
			srv, err := web.New(cfg)
			if err != nil {
				return err
			}
			onWrite <- srv.Changed
			if len(plans.tech.Notify) > 0 {
				w := &tech.Watcher{Service: cfg.Tech, Sender: &notify.Notifier{Config: *plans.notify, Log: st, Logger: a.log},
					Channels: plans.tech.Notify, To: plans.tech.To, Store: st, Log: a.log}
				go w.Run(ctx, time.Duration(plans.tech.Every)) // sources going silent or late, and recovering
			}
			if feedCheck > 0 {
				sched := &intel.Scheduler{Store: st, Log: a.log, Tick: feedCheck, After: srv.Changed,
					Puller: &intel.Puller{Store: st, Log: a.log}}
				go sched.Run(ctx)
			}
			if backups.Dir != "" {
				if st.Engine() != store.SQLite {
					return fmt.Errorf("--backup-dir: %w", store.ErrBackupEngine)
				}
				if backups.Every <= 0 {
					return errors.New("--backup-every must be positive")
				}
				backups.Store, backups.Log, backups.Audit = st, a.log, svc
				go backups.Run(ctx)
			}
			if pol, err := a.serveRetention.policy(); err != nil {
				return err
			} else if !pol.Empty() {
				if h := time.Duration(plans.staffing.HistoryDays) * 24 * time.Hour; pol.Alerts > 0 && h > pol.Alerts {
					return fmt.Errorf("alert retention %s is shorter than the staffing model's history_days (%d): the staffing plan reads those alerts",
						maintain.FormatDays(pol.Alerts), plans.staffing.HistoryDays)
				}
				if retentionEvery <= 0 {
					return errors.New("--retention-every must be positive")
				}
				r := &maintain.Retention{Store: st, Policy: pol, Log: a.log, Audit: svc,
					Actor: "watchfloor", Role: "system", Remote: "local"}
				go r.Run(ctx, retentionEvery)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listening on %s: %w", listen, err)
			}
			if host, _, _ := net.SplitHostPort(ln.Addr().String()); !cfg.SecureCookies && !net.ParseIP(host).IsLoopback() {
				a.log.Warn("serving beyond this machine without --secure-cookies: put TLS in front and set it")
			}
			return a.serve(ctx, srv, ln, shutdown)
		},
	}
	a.addDemoFlag(cmd)
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&planConfig, "plan-config", "", "YAML file with the staffing and budget settings for the plans (see resources plan --config) and the crisis and notify settings of major incidents (see docs/crisis.md)")
	f.BoolVar(&cfg.SecureCookies, "secure-cookies", false, "mark cookies Secure (when served over HTTPS)")
	oidcFlags.add(f)
	f.BoolVar(&cfg.TrustProxy, "trust-proxy", false, "take the client address from X-Forwarded-For (behind a reverse proxy)")
	f.DurationVar(&cfg.PollInterval, "poll", 5*time.Second, "how often to look for writes by other processes (negative: never)")
	f.DurationVar(&shutdown, "shutdown-timeout", 15*time.Second, "how long to let requests finish on SIGINT/SIGTERM")
	f.BoolVar(&mcpWrites, "mcp-allow-writes", false, "enable the MCP write tools at /mcp (assign, priority, stage, comment, close, record a runbook run; audited)")
	f.BoolVar(&demoLive, "demo-live", true, "with --demo, keep the simulation running in real time while serving")
	f.StringVar(&a.demoSilence, "demo-silence", "", `with --demo, stop delivering a source's alerts ("demo") or one rule's ("demo/R-004") from the start, as if its connector had failed: the technology page shows it go silent`)
	f.DurationVar(&cfg.KioskRotate, "kiosk-rotate", web.DefaultKioskRotate, "how long the wall screen shows each page of its rotation (negative: no rotation)")
	f.DurationVar(&feedCheck, "feed-check", 30*time.Second, "how often to look for threat-intelligence feeds due for a pull (intel feeds add; 0: never pull)")
	f.StringVar(&backups.Dir, "backup-dir", "", "take scheduled backups of the SQLite store into this folder")
	f.DurationVar(&backups.Every, "backup-every", 24*time.Hour, "with --backup-dir: time between backups")
	f.IntVar(&backups.Keep, "backup-keep", 7, "with --backup-dir: how many scheduled backups to keep (0: all)")
	a.serveRetention.add(f, "retain-")
	f.StringVar(&configPath, "config", "", "YAML configuration file with serve's settings (env "+ConfigEnv+"; environment variables override it, flags override both; see config check --help)")
	f.DurationVar(&retentionEvery, "retention-every", 24*time.Hour, "with --retain-*: time between retention runs")
	return cmd
}

// startLiveDemo fills an empty store with the demo simulated up to now (or
// brings a live demo stored earlier up to now) and keeps it running in the
// background until ctx ends, then closes done. Once the server exists,
// its change hook arrives on onWrite. A store with other data gets no live
// demo, with a warning.
func (a *app) startLiveDemo(ctx context.Context, st *store.Store, onWrite <-chan func(), done chan<- struct{}) error {
	cfg, err := demoConfig(demo.Config{})
	if err != nil {
		close(done)
		return err
	}
	if a.demoSilence != "" {
		if cfg.Mute, err = demo.ParseMute(a.demoSilence, time.Now()); err != nil {
			close(done)
			return fmt.Errorf("--demo-silence: %w", err)
		}
	}
	var changed atomic.Pointer[func()]
	l := &demo.Live{Config: cfg, Store: st, Log: a.log, Matcher: &intel.Matcher{Store: st, Log: a.log}, OnWrite: func() {
		if f := changed.Load(); f != nil {
			(*f)()
		}
	}}
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(done)
		errc <- l.Run(ctx, func() { close(ready) })
	}()
	go func() {
		select {
		case f := <-onWrite:
			changed.Store(&f)
		case <-ctx.Done():
		}
	}()
	select {
	case <-ready:
		sim, err := l.SimConfig(ctx)
		if err != nil {
			return err
		}
		if err := demoRunbooks(ctx, st, sim); err != nil {
			return err
		}
		if err := demoOrg(ctx, st); err != nil {
			return err
		}
		if err := demoInventory(ctx, st, time.Now()); err != nil {
			return err
		}
		go func() {
			if err := <-errc; err != nil {
				a.log.Error("the live demo stopped", "err", err)
			}
		}()
		return nil
	case err := <-errc:
		if errors.Is(err, demo.ErrNotLive) {
			a.log.Warn("no live demo: " + err.Error())
			return nil
		}
		if err == nil {
			return nil // the simulation ended before now
		}
		return err
	}
}

// demoAdmin creates the admin account of a fresh demo with a random
// password, which it returns.
func demoAdmin(ctx context.Context, st *store.Store) (string, error) {
	b := make([]byte, 15)
	rand.Read(b)
	pw := base64.RawURLEncoding.EncodeToString(b)
	svc := &auth.Service{Store: st}
	if _, err := svc.CreateUser(ctx, "admin", auth.Admin, pw); err != nil {
		return "", fmt.Errorf("creating the demo admin: %w", err)
	}
	if err := svc.Audit(ctx, store.AuditEntry{Actor: cliActor(), Role: "local", Action: "serve --demo", Target: "user:admin",
		Remote: "local", Detail: "created the demo admin"}); err != nil {
		return "", err
	}
	return pw, nil
}

// serve runs srv on ln until ctx ends, then shuts down gracefully: live
// streams are closed, in-flight requests get the timeout to finish.
func (a *app) serve(ctx context.Context, srv *web.Server, ln net.Listener, timeout time.Duration) error {
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	hs.RegisterOnShutdown(srv.Close)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go srv.Watch(watchCtx)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	a.log.Info("serving", "url", "http://"+ln.Addr().String())
	fmt.Fprintf(a.stdout, "watchfloor serving on http://%s\n", ln.Addr())

	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "timeout", timeout)
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.log.Info("stopped")
	return nil
}

// oidcOptions are serve's single sign-on flags.
type oidcOptions struct {
	issuer, clientID, secretFile, redirect, claim, defaultRole, name string
	roles                                                            []string
}

func (o *oidcOptions) add(f *pflag.FlagSet) {
	f.StringVar(&o.issuer, "oidc-issuer", "", "OpenID Connect issuer URL: enables single sign-on")
	f.StringVar(&o.clientID, "oidc-client-id", "", "OpenID Connect client id")
	f.StringVar(&o.secretFile, "oidc-client-secret-file", "", "file holding the client secret (else env WATCHFLOOR_OIDC_CLIENT_SECRET)")
	f.StringVar(&o.redirect, "oidc-redirect-url", "", "this server's callback as registered at the provider: https://HOST/auth/oidc/callback")
	f.StringVar(&o.claim, "oidc-roles-claim", "groups", "ID token claim with the user's groups or roles")
	f.StringArrayVar(&o.roles, "oidc-role", nil, "VALUE=ROLE: a claim value and the role it gives (repeatable; the most privileged wins)")
	f.StringVar(&o.defaultRole, "oidc-default-role", "", "role for users with no mapped value (default: refuse them)")
	f.StringVar(&o.name, "oidc-name", "", `label of the sign-in button (default "single sign-on")`)
}

// provider returns the configured OpenID Connect provider, or nil when
// --oidc-issuer is not set.
func (o *oidcOptions) provider(ctx context.Context) (*auth.OIDC, error) {
	if o.issuer == "" {
		return nil, nil
	}
	secret := os.Getenv("WATCHFLOOR_OIDC_CLIENT_SECRET")
	if o.secretFile != "" {
		b, err := os.ReadFile(o.secretFile)
		if err != nil {
			return nil, fmt.Errorf("reading the OpenID Connect client secret: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	cfg := auth.OIDCConfig{Issuer: o.issuer, ClientID: o.clientID, ClientSecret: secret, RedirectURL: o.redirect,
		RolesClaim: o.claim, DefaultRole: auth.Role(o.defaultRole), Name: o.name, Roles: map[string]auth.Role{}}
	for _, m := range o.roles {
		v, r, ok := strings.Cut(m, "=")
		if !ok || v == "" {
			return nil, fmt.Errorf("--oidc-role %q: want VALUE=ROLE", m)
		}
		cfg.Roles[v] = auth.Role(r)
	}
	return auth.NewOIDC(ctx, cfg)
}
