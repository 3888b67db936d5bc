// Package web is Watchfloor's HTTP server: the JSON API (described by the
// OpenAPI document at /openapi.json), the server-rendered wall-screen
// dashboard with live updates over Server-Sent Events, Prometheus metrics,
// health checks, and the authentication, role checks, CSRF protection,
// security headers and audit logging that guard them.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/crisis"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/report"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/tech"
)

//go:embed templates static openapi.json
var assets embed.FS

// Config configures a Server.
type Config struct {
	Store *store.Store
	Auth  *auth.Service
	Log   *slog.Logger
	// MCP, when set, is mounted at /mcp behind authentication (role
	// analyst or above).
	MCP http.Handler
	// SecureCookies marks cookies Secure (set it when served over HTTPS,
	// directly or behind a TLS-terminating proxy).
	SecureCookies bool
	// TrustProxy takes the client address from X-Forwarded-For.
	TrustProxy bool
	// PollInterval is how often the server checks the store for writes
	// made by other processes (other replicas, CLI ingests) to push live
	// updates; 0 means 5 seconds, negative disables polling.
	PollInterval time.Duration
	// DashboardTTL is how long a computed dashboard is reused; 0 means 2
	// seconds. Ingests through this server invalidate it at once.
	DashboardTTL time.Duration
	// AnswerTTL is how long a kept report answer (rule quality, metrics)
	// of unchanged data is served before it is built again in the
	// background; 0 means 10 seconds. A write, on any replica, makes the
	// next request build it at once.
	AnswerTTL time.Duration
	// MaxIngestBytes limits an ingest request body (64 MiB when 0).
	MaxIngestBytes int64
	// KioskRotate is how long the wall screen (?kiosk=1) shows each of
	// the overview, performance and SLA pages before turning to the next;
	// 0 means DefaultKioskRotate, negative turns rotation off. A link's
	// ?rotate=SECONDS overrides it (0: stay on the page).
	KioskRotate time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Staffing configures the staffing and budget plans (queues, shift
	// templates, skills); the zero value plans from history and defaults.
	Staffing staffing.Config
	// Budget prices the budget plan; nil leaves it unavailable.
	Budget *budget.Config
	// OIDC, when set, offers sign-in with an OpenID Connect provider at
	// /auth/oidc/login (callback /auth/oidc/callback).
	OIDC *auth.OIDC
	// Metrics is the process's report service, shared with the MCP server
	// mounted at /mcp; nil makes one on Store with the server's clock.
	Metrics *metrics.Service
	// Crisis runs the major incidents (a service over Store with the
	// default configuration when nil).
	Crisis *crisis.Service
	// Reports generates, keeps and schedules reports (one over Store,
	// Metrics, Crisis, Staffing and Budget when nil).
	Reports *report.Schedules
	// Tech judges source and pipeline health and the tool inventory (a
	// service over Store when nil); a server shares one with its
	// notifier and MCP server, so the weeks of rollups are read once an
	// hour.
	Tech *tech.Service
}

// Server serves the API and the dashboard. Create it with New.
type Server struct {
	cfg     Config
	st      *store.Store
	auth    *auth.Service
	log     *slog.Logger
	hub     *Hub
	pages   map[string]*pageTemplate
	routes  []Route
	handler http.Handler
	prom    *promMetrics

	dash        dashCache
	answers     answerCache      // finished report answers per data version
	svc         *metrics.Service // every report, page, API answer and gauge
	kick        chan struct{}    // wakes the live-update publisher
	perfMu      sync.Mutex
	perf        *metrics.Report
	perfAt      time.Time
	perfVersion string
	versionM    sync.Mutex
	version     string

	intelOnce sync.Once
	intelSvc  *intel.Service
	matcher   *intel.Matcher
}

// Route is one endpoint of the server.
type Route struct {
	Method  string
	Pattern string // net/http pattern; wildcards as in OpenAPI: {name}
	// Perm is the permission needed; empty means public.
	Perm auth.Permission
	// API routes are described in the OpenAPI document.
	API bool
	// Write routes change state: they need a CSRF token when
	// cookie-authenticated and are written to the audit log.
	Write bool
	// OwnCSRF marks a write route that checks its own anti-forgery value
	// (the OpenID Connect callback's state) instead of the CSRF token.
	OwnCSRF bool
	handler http.HandlerFunc
}

// New builds a server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Auth == nil {
		return nil, errors.New("web: Store and Auth are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 5 * time.Second
	}
	if cfg.DashboardTTL == 0 {
		cfg.DashboardTTL = 2 * time.Second
	}
	if cfg.AnswerTTL == 0 {
		cfg.AnswerTTL = 10 * time.Second
	}
	if cfg.MaxIngestBytes == 0 {
		cfg.MaxIngestBytes = 64 << 20
	}
	if cfg.Crisis == nil {
		cfg.Crisis = &crisis.Service{Store: cfg.Store, Now: cfg.Now}
	}
	if cfg.KioskRotate == 0 {
		cfg.KioskRotate = DefaultKioskRotate
	}
	if cfg.Tech == nil {
		cfg.Tech = &tech.Service{Store: cfg.Store}
	}
	s := &Server{cfg: cfg, st: cfg.Store, auth: cfg.Auth, log: cfg.Log, hub: NewHub(), kick: make(chan struct{}, 1), svc: cfg.Metrics}
	if s.svc == nil {
		s.svc = metrics.NewService(cfg.Store, s.now)
	}
	s.matcher = &intel.Matcher{Store: cfg.Store, Log: cfg.Log, Now: s.now}
	s.prom = newPromMetrics(s)
	s.prom.reg.MustRegister(crisisCollector{s})
	s.prom.reg.MustRegister(techCollector{s})
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	s.routes = s.routeTable()
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.Method+" "+rt.Pattern, s.guard(rt))
	}
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", s.public("/static/", http.StripPrefix("/static/", http.FileServerFS(static))))
	if cfg.MCP != nil {
		mux.Handle("/mcp", s.guard(Route{Method: "*", Pattern: "/mcp", Perm: auth.ViewDashboard, handler: cfg.MCP.ServeHTTP}))
	}
	s.handler = s.accessLog(securityHeaders(http.NewCrossOriginProtection().Handler(mux)))
	go s.publisher()
	return s, nil
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes lists the server's endpoints.
func (s *Server) Routes() []Route { return s.routes }

// Hub returns the live-update hub.
func (s *Server) Hub() *Hub { return s.hub }

// Close stops live-update streams and the publisher, so a graceful
// shutdown need not wait for them.
func (s *Server) Close() { s.hub.Close() }

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Server) routeTable() []Route {
	rts := []Route{
		{Method: "GET", Pattern: "/healthz", API: true, handler: s.healthz},
		{Method: "GET", Pattern: "/readyz", API: true, handler: s.readyz},
		{Method: "GET", Pattern: "/openapi.json", API: true, handler: s.openapi},
		{Method: "GET", Pattern: "/metrics", Perm: auth.ViewDashboard, API: true, handler: s.prometheus},
		{Method: "GET", Pattern: "/api/v1/me", Perm: "", API: true, handler: s.apiMe},
		{Method: "GET", Pattern: "/api/v1/dashboard", Perm: auth.ViewDashboard, API: true, handler: s.apiDashboard},
		{Method: "GET", Pattern: "/api/v1/sla", Perm: auth.ViewDashboard, API: true, handler: s.apiSLA},
		{Method: "GET", Pattern: "/api/v1/metrics", Perm: auth.ViewDashboard, API: true, handler: s.apiMetrics},
		{Method: "GET", Pattern: "/api/v1/rules", Perm: auth.ViewDashboard, API: true, handler: s.apiRules},
		{Method: "GET", Pattern: "/api/v1/events", Perm: auth.ViewDashboard, API: true, handler: s.apiEvents},
		{Method: "GET", Pattern: "/api/v1/cases", Perm: auth.ViewRecords, API: true, handler: s.apiCases},
		{Method: "GET", Pattern: "/api/v1/cases/{source}/{id}", Perm: auth.ViewRecords, API: true, handler: s.apiCase},
		{Method: "GET", Pattern: "/api/v1/alerts", Perm: auth.ViewRecords, API: true, handler: s.apiAlerts},
		{Method: "GET", Pattern: "/api/v1/alerts/{source}/{id}", Perm: auth.ViewRecords, API: true, handler: s.apiAlert},
		{Method: "POST", Pattern: "/api/v1/ingest", Perm: auth.IngestData, API: true, Write: true, handler: s.apiIngest},
		{Method: "GET", Pattern: "/api/v1/users", Perm: auth.ViewUsers, API: true, handler: s.apiUsers},
		{Method: "POST", Pattern: "/api/v1/users", Perm: auth.Administer, API: true, Write: true, handler: s.apiCreateUser},
		{Method: "POST", Pattern: "/api/v1/tokens", Perm: auth.Administer, API: true, Write: true, handler: s.apiCreateToken},
		{Method: "GET", Pattern: "/api/v1/audit", Perm: auth.Administer, API: true, handler: s.apiAudit},
		{Method: "GET", Pattern: "/api/v1/staffing/plan", Perm: auth.PlanResources, API: true, handler: s.apiStaffingPlan},
		{Method: "GET", Pattern: "/api/v1/budget/plan", Perm: auth.PlanResources, API: true, handler: s.apiBudgetPlan},
		{Method: "GET", Pattern: "/api/v1/intel/matches", Perm: auth.ViewRecords, API: true, handler: s.apiIntelMatches},
		{Method: "GET", Pattern: "/api/v1/intel/indicators", Perm: auth.ViewRecords, API: true, handler: s.apiIntelIndicators},
		{Method: "GET", Pattern: "/api/v1/intel/profiles", Perm: auth.ViewDashboard, API: true, handler: s.apiIntelProfiles},
		{Method: "GET", Pattern: "/api/v1/intel/profiles/{id}", Perm: auth.ViewDashboard, API: true, handler: s.apiIntelProfile},
		{Method: "GET", Pattern: "/api/v1/intel/feeds", Perm: auth.ViewDashboard, API: true, handler: s.apiIntelFeeds},
		{Method: "GET", Pattern: "/api/v1/settings/org", Perm: auth.ViewDashboard, API: true, handler: s.apiOrgProfile},
		{Method: "PUT", Pattern: "/api/v1/settings/org", Perm: auth.PlanResources, API: true, Write: true, handler: s.apiSetOrgProfile},
		{Method: "GET", Pattern: "/api/v1/sla/policies", Perm: auth.PlanResources, API: true, handler: s.apiSLAPolicies},
		{Method: "GET", Pattern: "/api/v1/sla/policies/{name}/{version}", Perm: auth.PlanResources, API: true, handler: s.apiSLAPolicy},
		{Method: "POST", Pattern: "/api/v1/sla/policies/{name}/{version}/disable", Perm: auth.PlanResources, API: true, Write: true, handler: s.apiDisableSLAPolicy},
		{Method: "GET", Pattern: "/api/v1/runbooks", Perm: auth.ViewDashboard, API: true, handler: s.apiRunbooks},
		{Method: "GET", Pattern: "/api/v1/runbooks/{id}", Perm: auth.ViewDashboard, API: true, handler: s.apiRunbook},
		{Method: "GET", Pattern: "/api/v1/metrics/runbooks", Perm: auth.ViewDashboard, API: true, handler: s.apiRunbookMetrics},
		{Method: "GET", Pattern: "/api/v1/runbook-runs", Perm: auth.ViewRecords, API: true, handler: s.apiRunbookRuns},
		{Method: "POST", Pattern: "/api/v1/runbook-runs", Perm: auth.IngestData, API: true, Write: true, handler: s.apiRecordRunbookRun},
		{Method: "GET", Pattern: "/api/v1/training/assessment", Perm: auth.PlanResources, API: true, handler: s.apiTeamSkills},
		{Method: "GET", Pattern: "/api/v1/coverage", Perm: auth.ViewDashboard, API: true, handler: s.apiCoverage},
		{Method: "GET", Pattern: "/api/v1/coverage/layer", Perm: auth.ViewDashboard, API: true, handler: s.apiCoverageLayer},
		{Method: "GET", Pattern: "/api/v1/roadmap", Perm: auth.PlanResources, API: true, handler: s.apiRoadmap},
		{Method: "POST", Pattern: "/api/v1/roadmap", Perm: auth.PlanResources, API: true, Write: true, handler: s.apiSaveRoadmap},

		{Method: "GET", Pattern: "/login", handler: s.loginPage},
		{Method: "POST", Pattern: "/login", Write: true, handler: s.loginSubmit},
		{Method: "POST", Pattern: "/logout", Perm: "", Write: true, handler: s.logout},
		{Method: "GET", Pattern: "/{$}", Perm: auth.ViewDashboard, handler: s.overviewPage},
		{Method: "GET", Pattern: "/performance", Perm: auth.ViewDashboard, handler: s.performancePage},
		{Method: "GET", Pattern: "/sla", Perm: auth.ViewDashboard, handler: s.slaPage},
		{Method: "GET", Pattern: "/rules", Perm: auth.ViewDashboard, handler: s.rulesPage},
		{Method: "GET", Pattern: "/cases", Perm: auth.ViewRecords, handler: s.casesPage},
		{Method: "GET", Pattern: "/cases/{source}/{id}", Perm: auth.ViewRecords, handler: s.casePage},
		{Method: "GET", Pattern: "/staffing", Perm: auth.PlanResources, handler: s.staffingPage},
		{Method: "GET", Pattern: "/staffing/skills", Perm: auth.PlanResources, handler: s.skillsPage},
		{Method: "GET", Pattern: "/budget", Perm: auth.PlanResources, handler: s.budgetPage},
		{Method: "GET", Pattern: "/audit", Perm: auth.Administer, handler: s.auditPage},
		{Method: "GET", Pattern: "/intel", Perm: auth.ViewRecords, handler: s.intelPage},
		{Method: "GET", Pattern: "/intel/profiles/{id}", Perm: auth.ViewDashboard, handler: s.intelProfilePage},
		{Method: "GET", Pattern: "/settings", Perm: auth.ViewDashboard, handler: s.settingsPage},
		{Method: "POST", Pattern: "/settings/org", Perm: auth.PlanResources, Write: true, handler: s.settingsOrgSubmit},
		{Method: "GET", Pattern: "/runbooks", Perm: auth.ViewDashboard, handler: s.runbooksPage},
		{Method: "GET", Pattern: "/runbooks/{id}", Perm: auth.ViewDashboard, handler: s.runbookPage},
		{Method: "GET", Pattern: "/team", Perm: auth.PlanResources, handler: s.teamPage},
		{Method: "GET", Pattern: "/strategy", Perm: auth.PlanResources, handler: s.strategyPage},
	}
	rts = append(rts, s.crisisRoutes()...)
	rts = append(rts, s.reportRoutes()...)
	rts = append(rts, s.techRoutes()...)
	if s.cfg.OIDC != nil {
		rts = append(rts,
			Route{Method: "GET", Pattern: "/auth/oidc/login", handler: s.oidcLogin},
			Route{Method: "GET", Pattern: "/auth/oidc/callback", Write: true, OwnCSRF: true, handler: s.oidcCallback})
	}
	return rts
}

type ctxKey int

const (
	principalKey ctxKey = iota
	infoKey
)

// reqInfo collects what middleware learns about a request for the access
// log, the metrics and the audit log.
type reqInfo struct {
	route  string
	user   string
	role   string
	remote string
	detail string
	target string
}

func info(r *http.Request) *reqInfo {
	if ri, ok := r.Context().Value(infoKey).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// principal returns the request's authenticated user, if any.
func principal(r *http.Request) (auth.Principal, bool) {
	p, ok := r.Context().Value(principalKey).(auth.Principal)
	return p, ok
}

// auditDetail attaches a note to the request's audit entry.
func auditDetail(r *http.Request, detail string) { info(r).detail = detail }

func (s *Server) remote(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			return strings.TrimSpace(strings.Split(xff, ",")[0])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// accessLog logs every request as one structured line and counts it.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{remote: s.remote(r)}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), infoKey, ri)))
		d := time.Since(start)
		route := ri.route
		if route == "" {
			route = "other"
		}
		s.prom.observe(r.Method, route, sw.code(), d)
		lvl := slog.LevelInfo
		if quietRoutes[route] && sw.code() < 400 {
			lvl = slog.LevelDebug
		}
		s.log.Log(r.Context(), lvl, "http request", "method", r.Method, "path", r.URL.Path, "route", route, "status", sw.code(),
			"bytes", sw.bytes, "duration_ms", float64(d.Microseconds())/1000, "remote", ri.remote, "user", ri.user)
	})
}

// quietRoutes are polled by machines; their successes are logged at debug
// level so they do not drown the access log.
var quietRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

// Content-Security-Policy of every response: no inline script or style,
// no framing, no plugins.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// public marks a handler's route for the logs without authentication.
func (s *Server) public(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info(r).route = route
		h.ServeHTTP(w, r)
	})
}

const sessionCookie = "wf_session"

// authenticate finds the request's principal: a bearer token, else the
// session cookie.
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return auth.Principal{}, auth.ErrInvalid
		}
		return s.auth.Token(r.Context(), strings.TrimSpace(tok))
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return auth.Principal{}, auth.ErrInvalid
	}
	return s.auth.Session(r.Context(), c.Value)
}

// guard wraps a route with authentication, the permission check, CSRF
// for cookie-authenticated writes, and the audit log for writes.
func (s *Server) guard(rt Route) http.Handler {
	isAPI := rt.API || strings.HasPrefix(rt.Pattern, "/mcp")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := info(r)
		ri.route = rt.Method + " " + rt.Pattern
		p, err := s.authenticate(r)
		authed := err == nil
		if err != nil && !errors.Is(err, auth.ErrInvalid) {
			s.log.Error("authenticating", "err", err)
			httpError(w, http.StatusInternalServerError, "authentication failed")
			return
		}
		if authed {
			ri.user, ri.role = p.Name, string(p.Role)
			r = r.WithContext(context.WithValue(r.Context(), principalKey, p))
		}
		sw := &statusWriter{ResponseWriter: w}
		if rt.Write {
			defer func() { s.audit(r, rt, sw.code()) }()
		}
		if rt.Perm != "" {
			if !authed {
				if isAPI {
					w.Header().Set("WWW-Authenticate", `Bearer realm="watchfloor"`)
					httpError(sw, http.StatusUnauthorized, "authentication required")
				} else {
					http.Redirect(sw, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				}
				return
			}
			if !p.Role.Can(rt.Perm) {
				msg := "your role (" + string(p.Role) + ") may not do this"
				if isAPI {
					httpError(sw, http.StatusForbidden, msg)
				} else {
					v := s.newView(sw, r, "", "Not allowed")
					v.Message = "Your role (" + string(p.Role) + ") may not see this page."
					s.render(sw, http.StatusForbidden, "error", v)
				}
				return
			}
		}
		if rt.Write && !rt.OwnCSRF && authed && p.Via == "session" {
			tok := r.Header.Get("X-CSRF-Token")
			if tok == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
				tok = r.PostFormValue("csrf")
			}
			if !p.CheckCSRF(tok) {
				httpError(sw, http.StatusForbidden, "missing or wrong CSRF token")
				return
			}
		}
		rt.handler(sw, r)
	})
}

// audit writes a write request's audit entry. Requests that did not
// authenticate are recorded only for sign-in (attempts name an account).
func (s *Server) audit(r *http.Request, rt Route, status int) {
	ri := info(r)
	if ri.user == "" {
		return
	}
	target := ri.target
	if target == "" {
		target = r.URL.RequestURI()
	}
	e := store.AuditEntry{Actor: ri.user, Role: ri.role, Action: rt.Method + " " + rt.Pattern, Target: target,
		Remote: ri.remote, Status: status, Detail: ri.detail}
	if err := s.auth.Audit(context.WithoutCancel(r.Context()), e); err != nil {
		s.log.Error("writing audit log", "err", err, "action", e.Action, "actor", e.Actor)
	}
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
}

func httpError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}
