package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.st.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// meResponse describes the caller.
type meResponse struct {
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	Via         string   `json:"via"`
	Permissions []string `json:"permissions"`
	CSRF        string   `json:"csrf_token,omitempty"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	p, ok := principal(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="watchfloor"`)
		httpError(w, http.StatusUnauthorized, "authentication required")
		return
	}
	m := meResponse{Name: p.Name, Role: string(p.Role), Via: p.Via, CSRF: p.CSRF, Permissions: []string{}}
	for _, perm := range []auth.Permission{auth.ViewDashboard, auth.ViewRecords, auth.ViewUsers, auth.PlanResources, auth.IngestData, auth.Administer} {
		if p.Role.Can(perm) {
			m.Permissions = append(m.Permissions, string(perm))
		}
	}
	writeJSON(w, http.StatusOK, m)
}

// dashboard returns the live dashboard (see cachedDashboard).
func (s *Server) dashboard(ctx context.Context) (*metrics.Dashboard, error) {
	e, err := s.cachedDashboard(ctx)
	if err != nil {
		return nil, err
	}
	return e.d, nil
}

// invalidate marks cached results stale after a write.
func (s *Server) invalidate() {
	s.perfMu.Lock()
	s.perf = nil
	s.perfMu.Unlock()
}

func (s *Server) fail(w http.ResponseWriter, what string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		httpError(w, http.StatusNotFound, err.Error())
		return
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	s.log.Error(what, "err", err)
	httpError(w, http.StatusInternalServerError, what+" failed")
}

func (s *Server) apiDashboard(w http.ResponseWriter, r *http.Request) {
	e, err := s.cachedDashboard(r.Context())
	if err != nil {
		s.fail(w, "building the dashboard", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(e.json)
}

// SLAResponse lists open cases whose SLA clocks are at risk or overdue.
type SLAResponse struct {
	Now      time.Time         `json:"now"`
	AtRisk   []metrics.SLAItem `json:"sla_at_risk"`
	Breached []metrics.SLAItem `json:"sla_breached"`
	// Counts are by status ("at_risk", "breached"), clock and priority.
	Counts map[string]map[string]map[string]int `json:"counts"`
}

func slaSummary(d *metrics.Dashboard) SLAResponse {
	out := SLAResponse{Now: d.Now, AtRisk: d.AtRisk, Breached: d.Breached, Counts: map[string]map[string]map[string]int{}}
	for status, items := range map[string][]metrics.SLAItem{"at_risk": d.AtRisk, "breached": d.Breached} {
		m := map[string]map[string]int{}
		for _, it := range items {
			if m[it.Clock] == nil {
				m[it.Clock] = map[string]int{}
			}
			m[it.Clock][it.Priority]++
		}
		out.Counts[status] = m
	}
	if out.AtRisk == nil {
		out.AtRisk = []metrics.SLAItem{}
	}
	if out.Breached == nil {
		out.Breached = []metrics.SLAItem{}
	}
	return out
}

func (s *Server) apiSLA(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashboard(r.Context())
	if err != nil {
		s.fail(w, "building the dashboard", err)
		return
	}
	writeJSON(w, http.StatusOK, slaSummary(d))
}

// windowQuery reads the window parameters: a timeframe, or from and to.
func windowQuery(q url.Values) metrics.WindowQuery {
	return metrics.WindowQuery{Timeframe: q.Get("timeframe"), From: q.Get("from"), To: q.Get("to")}
}

// window resolves the request's window as every surface does (the report
// service: ending today, or with the newest data when it is older).
func (s *Server) window(ctx context.Context, q url.Values) (metrics.Window, metrics.Timeframe, error) {
	res, err := s.svc.Resolve(ctx, windowQuery(q))
	return res.Window, res.Timeframe, err
}

func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: want true or false", name)
	}
	return b, nil
}

// performance computes a report, with the previous window when trend is
// set and, when series is, the trend of the timeframe's last 8 periods
// aligned to period starts (see metrics.SeriesWindow).
func (s *Server) performance(ctx context.Context, q url.Values) (*metrics.Report, error) {
	pq := metrics.PerformanceQuery{WindowQuery: windowQuery(q), GroupBy: q.Get("group_by")}
	var err error
	if pq.Trend, err = boolParam(q, "trend"); err != nil {
		return nil, badRequest{err}
	}
	if pq.IncludeTests, err = boolParam(q, "include_tests"); err != nil {
		return nil, badRequest{err}
	}
	if pq.Series, err = boolParam(q, "series"); err != nil {
		return nil, badRequest{err}
	}
	rep, err := s.svc.Performance(ctx, pq)
	if metrics.IsArgError(err) {
		return nil, badRequest{err}
	}
	return rep, err
}

// badRequest marks an error caused by the request's parameters.
type badRequest struct{ error }

func (s *Server) answer(w http.ResponseWriter, what string, v any, err error) {
	var br badRequest
	switch {
	case errors.As(err, &br):
		httpError(w, http.StatusBadRequest, br.Error())
	case err != nil:
		s.fail(w, what, err)
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) apiMetrics(w http.ResponseWriter, r *http.Request) {
	s.cachedJSON(w, r, "computing metrics", func(ctx context.Context) (any, error) {
		return s.performance(ctx, r.URL.Query())
	})
}

func intParam(q url.Values, name string, def, max int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > max {
		return 0, badRequest{fmt.Errorf("%s: want a whole number from 0 to %d", name, max)}
	}
	return n, nil
}

func timeParam(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, badRequest{fmt.Errorf("%s: want an RFC 3339 time", name)}
	}
	return t.UTC(), nil
}

func caseFilter(q url.Values) (store.CaseFilter, error) {
	f := store.CaseFilter{Source: q.Get("source"), Assignee: q.Get("assignee")}
	var err error
	if v := q.Get("stage"); v != "" {
		if f.Stage, err = model.ParseStage(v); err != nil {
			return f, badRequest{fmt.Errorf("stage: %w", err)}
		}
	}
	if v := q.Get("priority"); v != "" {
		if f.Priority, err = model.ParsePriority(v); err != nil {
			return f, badRequest{fmt.Errorf("priority: %w", err)}
		}
	}
	if f.Open, err = boolParam(q, "open"); err != nil {
		return f, badRequest{err}
	}
	after, err := intParam(q, "after", 0, 1<<62)
	if err != nil {
		return f, err
	}
	f.AfterID = int64(after)
	f.Limit, err = intParam(q, "limit", 100, 1000)
	return f, err
}

// Page is a list answer with the cursor of the next page.
type Page[T any] struct {
	Items []T `json:"items"`
	// Next is the value of the after parameter that fetches the next
	// page; 0 when this page is the last.
	Next int64 `json:"next"`
}

func (s *Server) listCases(ctx context.Context, q url.Values) (Page[model.Case], error) {
	f, err := caseFilter(q)
	if err != nil {
		return Page[model.Case]{}, err
	}
	cs, err := s.st.Cases(ctx, f)
	if err != nil {
		return Page[model.Case]{}, err
	}
	p := Page[model.Case]{Items: cs}
	if p.Items == nil {
		p.Items = []model.Case{}
	}
	if f.Limit > 0 && len(cs) == f.Limit {
		p.Next = cs[len(cs)-1].ID
	}
	return p, nil
}

func (s *Server) apiCases(w http.ResponseWriter, r *http.Request) {
	p, err := s.listCases(r.Context(), r.URL.Query())
	s.answer(w, "listing cases", p, err)
}

func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.AlertFilter{Source: q.Get("source"), RuleID: q.Get("rule_id")}
	var err error
	if f.Since, err = timeParam(q, "since"); err != nil {
		s.answer(w, "", nil, err)
		return
	}
	if f.Until, err = timeParam(q, "until"); err != nil {
		s.answer(w, "", nil, err)
		return
	}
	if v := q.Get("min_severity"); v != "" {
		if f.MinSeverity, err = model.ParseSeverity(v); err != nil {
			s.answer(w, "", nil, badRequest{fmt.Errorf("min_severity: %w", err)})
			return
		}
	}
	after, err := intParam(q, "after", 0, 1<<62)
	if err != nil {
		s.answer(w, "", nil, err)
		return
	}
	f.AfterID = int64(after)
	if f.Limit, err = intParam(q, "limit", 100, 1000); err != nil {
		s.answer(w, "", nil, err)
		return
	}
	as, err := s.st.Alerts(r.Context(), f)
	if err != nil {
		s.fail(w, "listing alerts", err)
		return
	}
	p := Page[model.Alert]{Items: as}
	if p.Items == nil {
		p.Items = []model.Alert{}
	}
	for i := range p.Items {
		p.Items[i].Raw = nil
	}
	if f.Limit > 0 && len(as) == f.Limit {
		p.Next = as[len(as)-1].ID
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiAlert(w http.ResponseWriter, r *http.Request) {
	a, err := s.st.AlertByExternalID(r.Context(), r.PathValue("source"), r.PathValue("id"))
	s.answer(w, "reading the alert", a, err)
}

// IngestResponse is what an ingest request stored.
type IngestResponse struct {
	Format    string         `json:"format"`
	Records   int            `json:"records"`
	Rejected  int            `json:"rejected"`
	Inserted  map[string]int `json:"inserted"`
	Updated   map[string]int `json:"updated"`
	Unchanged map[string]int `json:"unchanged"`
	Events    int            `json:"events"`
	// Rejects lists the first 100 rejected records' locations and reasons.
	Rejects []IngestReject `json:"rejects"`
	// Repairs counts what text hygiene replaced; FutureDated the records
	// stored although dated ahead of the clock; Warnings lists the first
	// 100 records stored with a warning.
	Repairs     ingest.Repairs `json:"repairs"`
	FutureDated int            `json:"future_dated"`
	Warnings    []IngestReject `json:"warnings"`
}

// IngestLimitResponse answers a streamed ingest body that ran over the
// size limit: the error and what was stored before it.
type IngestLimitResponse struct {
	Error string `json:"error"`
	IngestResponse
}

// IngestReject is one rejected record.
type IngestReject struct {
	Loc    string `json:"loc"`
	Reason string `json:"reason"`
}

func kindCounts(m map[store.Kind]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

func (s *Server) apiIngest(w http.ResponseWriter, r *http.Request) {
	p, _ := principal(r)
	format := r.URL.Query().Get("format")
	if format != "" {
		if _, err := ingest.Lookup(format); err != nil {
			auditDetail(r, "unknown format")
			httpError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if r.ContentLength > s.cfg.MaxIngestBytes {
		// Refused before a byte is read: nothing is stored.
		auditDetail(r, fmt.Sprintf("refused: body of %d bytes over the %d-byte limit", r.ContentLength, s.cfg.MaxIngestBytes))
		httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes exceeds the limit of %d bytes; nothing was stored: split the input",
			r.ContentLength, s.cfg.MaxIngestBytes))
		return
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxIngestBytes)
	resp := IngestResponse{Rejects: []IngestReject{}, Warnings: []IngestReject{}}
	// SLA policies, teams, shifts and analysts change how work is judged
	// and staffed: only an admin may send them (an ingest token may not).
	opt := ingest.Options{Format: format, Matcher: s.matcher, RestrictReference: !p.Role.Can(auth.Administer), OnReject: func(loc string, err error) {
		if len(resp.Rejects) < 100 {
			resp.Rejects = append(resp.Rejects, IngestReject{Loc: loc, Reason: err.Error()})
		}
	}, OnWarning: func(loc, msg string) {
		if len(resp.Warnings) < 100 {
			resp.Warnings = append(resp.Warnings, IngestReject{Loc: loc, Reason: msg})
		}
	}}
	sum, err := ingest.Run(r.Context(), s.st, body, "api:"+p.Name, opt)
	if herr := s.huntAfterIngest(r.Context(), sum); herr != nil && err == nil {
		err = herr
	}
	resp.Format, resp.Records, resp.Rejected, resp.Events = sum.Format, sum.Records, sum.Rejected, sum.Events
	resp.Repairs, resp.FutureDated = sum.Repairs, sum.FutureDated
	resp.Inserted, resp.Updated, resp.Unchanged = kindCounts(sum.Inserted), kindCounts(sum.Updated), kindCounts(sum.Unchanged)
	auditDetail(r, fmt.Sprintf("format=%s records=%d rejected=%d events=%d", sum.Format, sum.Records, sum.Rejected, sum.Events))
	if sum.Records > 0 {
		s.changed(context.WithoutCancel(r.Context()))
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		// A body without a length (chunked) ran over the limit while
		// streaming: the batches written before it are stored, and the
		// answer says how many records that was, so the client can resume
		// after them (ingest is idempotent, so resending them is safe too).
		writeJSON(w, http.StatusRequestEntityTooLarge, IngestLimitResponse{
			Error: fmt.Sprintf("request body exceeds the limit of %d bytes; the records counted here were stored before the limit was reached: "+
				"send the rest in another request", s.cfg.MaxIngestBytes),
			IngestResponse: resp})
	case err != nil && !errors.Is(err, ingest.ErrRejects):
		httpError(w, http.StatusBadRequest, err.Error())
	default:
		writeJSON(w, http.StatusOK, resp)
	}
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.st.Users(r.Context())
	if us == nil {
		us = []store.User{}
	}
	s.answer(w, "listing users", us, err)
}

// CreateUserRequest creates an account.
type CreateUserRequest struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password,omitempty"`
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		httpError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) {
	var req CreateUserRequest
	if !decodeBody(w, r, &req) {
		return
	}
	info(r).target = "user:" + req.Name
	role, err := auth.ParseRole(req.Role)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	u, err := s.auth.CreateUser(r.Context(), req.Name, role, req.Password)
	switch {
	case errors.Is(err, store.ErrExists):
		httpError(w, http.StatusConflict, err.Error())
	case errors.Is(err, auth.ErrInvalidInput):
		httpError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		s.fail(w, "creating the user", err)
	default:
		auditDetail(r, "role="+u.Role)
		writeJSON(w, http.StatusCreated, u)
	}
}

// CreateTokenRequest issues an API token for a user.
type CreateTokenRequest struct {
	User string `json:"user"`
	Name string `json:"name"`
	// TTLHours is the token's lifetime; 0 means it does not expire.
	TTLHours int `json:"ttl_hours,omitempty"`
}

// CreateTokenResponse carries the new token; it is shown only once.
type CreateTokenResponse struct {
	Token     string         `json:"token"`
	Info      store.APIToken `json:"info"`
	User      string         `json:"user"`
	ExpiresAt time.Time      `json:"expires_at,omitzero"`
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) {
	var req CreateTokenRequest
	if !decodeBody(w, r, &req) {
		return
	}
	info(r).target = "user:" + req.User
	if req.TTLHours < 0 {
		httpError(w, http.StatusBadRequest, "ttl_hours must not be negative")
		return
	}
	secret, t, err := s.auth.CreateToken(r.Context(), req.User, req.Name, time.Duration(req.TTLHours)*time.Hour)
	if err != nil {
		s.fail(w, "creating the token", err)
		return
	}
	auditDetail(r, fmt.Sprintf("token id=%d name=%q", t.ID, t.Name))
	writeJSON(w, http.StatusCreated, CreateTokenResponse{Token: secret, Info: t, User: req.User, ExpiresAt: t.ExpiresAt})
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, err := intParam(q, "after", 0, 1<<62)
	if err != nil {
		s.answer(w, "", nil, err)
		return
	}
	limit, err := intParam(q, "limit", 100, 1000)
	if err != nil {
		s.answer(w, "", nil, err)
		return
	}
	es, err := s.st.AuditEntries(r.Context(), store.AuditFilter{Actor: q.Get("actor"), AfterID: int64(after), Limit: limit})
	if err != nil {
		s.fail(w, "reading the audit log", err)
		return
	}
	p := Page[store.AuditEntry]{Items: es}
	if p.Items == nil {
		p.Items = []store.AuditEntry{}
	}
	if limit > 0 && len(es) == limit {
		p.Next = es[len(es)-1].ID
	}
	writeJSON(w, http.StatusOK, p)
}
