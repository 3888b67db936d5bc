package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/training"
)

// RunbookEventSource is the source of the runbook events the API records.
const RunbookEventSource = "watchfloor"

// registry reads the runbook registry.
func (s *Server) registry(ctx context.Context) (*runbook.Registry, error) {
	entries, err := s.st.RunbookEntries(ctx)
	if err != nil {
		return nil, err
	}
	return runbook.NewRegistry(entries), nil
}

func (s *Server) apiRunbooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	removed, err := boolParam(q, "removed")
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	reg, err := s.registry(r.Context())
	if err != nil {
		s.fail(w, "reading the runbook registry", err)
		return
	}
	writeJSON(w, http.StatusOK, reg.Rows(q.Get("type"), removed))
}

// RunbookResponse is one runbook with every version; Shown is the version
// the request asked for (the current one by default).
type RunbookResponse struct {
	*runbook.Entry
	Shown int `json:"shown_version"`
}

// runbookDetail finds a runbook by id (or path, title, alias) and the
// version asked for.
func (s *Server) runbookDetail(ctx context.Context, id string, q url.Values) (RunbookResponse, error) {
	reg, err := s.registry(ctx)
	if err != nil {
		return RunbookResponse{}, err
	}
	e := reg.Lookup(id)
	if e == nil {
		return RunbookResponse{}, fmt.Errorf("runbook %q: %w", id, store.ErrNotFound)
	}
	v := e.Current().Version
	if q.Get("version") != "" {
		n, err := strconv.Atoi(q.Get("version"))
		if err != nil || e.Version(n) == nil {
			return RunbookResponse{}, badRequest{fmt.Errorf("version: %s has versions 1 to %d", e.ID, len(e.Versions))}
		}
		v = n
	}
	return RunbookResponse{Entry: e, Shown: v}, nil
}

func (s *Server) apiRunbook(w http.ResponseWriter, r *http.Request) {
	d, err := s.runbookDetail(r.Context(), r.PathValue("id"), r.URL.Query())
	s.answer(w, "reading a runbook", d, err)
}

// runbookWindow is the timeframe's window ending today, a quarter unless
// the request names another.
func (s *Server) runbookWindow(ctx context.Context, q url.Values) (metrics.Window, error) {
	if q.Get("timeframe") == "" {
		q = cloneValues(q)
		q.Set("timeframe", string(metrics.Quarterly))
	}
	w, _, err := s.window(ctx, q)
	if err != nil {
		return w, badRequest{err}
	}
	return w, nil
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// runbookMetrics measures the runbook program over the request's window.
func (s *Server) runbookMetrics(ctx context.Context, q url.Values) (*runbook.Report, error) {
	w, err := s.runbookWindow(ctx, q)
	if err != nil {
		return nil, err
	}
	rules, err := (&metrics.Engine{Store: s.st}).Rules(ctx, w)
	if err != nil {
		return nil, err
	}
	rep, err := runbook.Measure(ctx, s.st, w.String(), w.From, w.To, s.now(), rules.RuleVolumes())
	if err != nil {
		return nil, err
	}
	if id := q.Get("runbook"); id != "" && !rep.Only(id) {
		return nil, badRequest{fmt.Errorf("runbook %q is not in the registry", id)}
	}
	return rep, nil
}

func (s *Server) apiRunbookMetrics(w http.ResponseWriter, r *http.Request) {
	rep, err := s.runbookMetrics(r.Context(), r.URL.Query())
	s.answer(w, "measuring runbooks", rep, err)
}

// RunbookRunsResponse lists runbook runs, newest first.
type RunbookRunsResponse struct {
	Window string              `json:"window,omitempty"`
	Total  int                 `json:"total"`
	Runs   []runbook.Execution `json:"runs"`
}

func (s *Server) runbookRuns(ctx context.Context, q url.Values) (RunbookRunsResponse, error) {
	out := RunbookRunsResponse{Runs: []runbook.Execution{}}
	limit, err := intParam(q, "limit", 50, 1000)
	if err != nil {
		return out, badRequest{err}
	}
	var execs []runbook.Execution
	var from, to time.Time
	if ref := q.Get("case"); ref != "" {
		c, err := s.st.CaseByRef(ctx, ref)
		if err != nil {
			return out, err
		}
		reg, err := s.registry(ctx)
		if err != nil {
			return out, err
		}
		log, err := s.st.CaseEvents(ctx, c.ID)
		if err != nil {
			return out, err
		}
		execs = runbook.CaseRuns(reg, c, log)
	} else {
		w, err := s.runbookWindow(ctx, q)
		if err != nil {
			return out, err
		}
		if _, execs, _, err = runbook.Executions(ctx, s.st, w.From, w.To); err != nil {
			return out, err
		}
		from, to, out.Window = w.From, w.To, w.String()
	}
	execs = runbook.Newest(execs, from, to, q.Get("runbook"))
	out.Total = len(execs)
	out.Runs = append(out.Runs, execs[:min(limit, len(execs))]...)
	return out, nil
}

func (s *Server) apiRunbookRuns(w http.ResponseWriter, r *http.Request) {
	out, err := s.runbookRuns(r.Context(), r.URL.Query())
	s.answer(w, "listing runbook runs", out, err)
}

// RecordRunRequest records a runbook run (or part of one) on a case.
type RecordRunRequest struct {
	// Case is a Watchfloor case id or SOURCE/EXTERNAL_ID.
	Case string `json:"case"`
	runbook.Record
}

// RecordRunResponse is the run as the case's log now has it.
type RecordRunResponse struct {
	Run    runbook.Execution `json:"run"`
	Events []int64           `json:"event_ids"`
}

func (s *Server) apiRecordRunbookRun(w http.ResponseWriter, r *http.Request) {
	var req RecordRunRequest
	if !decodeBody(w, r, &req) {
		auditDetail(r, "invalid body")
		return
	}
	p, _ := principal(r)
	info(r).target = req.Case
	c, err := s.st.CaseByRef(r.Context(), req.Case)
	if err != nil {
		auditDetail(r, "case not found")
		if errors.Is(err, store.ErrNotFound) {
			httpError(w, http.StatusNotFound, "case "+strconv.Quote(req.Case)+" not found")
		} else {
			httpError(w, http.StatusBadRequest, err.Error())
		}
		return
	}
	x, ids, err := runbook.RecordRun(r.Context(), s.st, c, req.Record, p.Name, RunbookEventSource, "api:"+rand.Text(), s.now())
	if err != nil {
		auditDetail(r, "refused: "+err.Error())
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	auditDetail(r, fmt.Sprintf("runbook=%s run=%s events=%d outcome=%s", x.Runbook, x.Run, len(ids), x.Outcome))
	s.changed(context.WithoutCancel(r.Context()))
	writeJSON(w, http.StatusOK, RecordRunResponse{Run: x, Events: ids})
}

// assessment assesses the team's skills.
func (s *Server) assessment(ctx context.Context, q url.Values) (*training.Assessment, error) {
	certs, err := boolParam(q, "certifications")
	if err != nil {
		return nil, badRequest{err}
	}
	days, err := intParam(q, "history_days", 0, 366)
	if err != nil {
		return nil, badRequest{err}
	}
	return training.Assess(ctx, s.st, training.Options{At: s.now(), Certifications: certs, HistoryDays: days, Staffing: s.cfg.Staffing})
}

func (s *Server) apiTeamSkills(w http.ResponseWriter, r *http.Request) {
	as, err := s.assessment(r.Context(), r.URL.Query())
	s.answer(w, "assessing team skills", as, err)
}

func (s *Server) runbooksPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(w, r, "runbooks", "Runbooks")
	q := r.URL.Query()
	reg, err := s.registry(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rep, err := s.runbookMetrics(r.Context(), q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	stats := map[string]runbook.Stats{}
	for _, st := range rep.Runbooks {
		stats[st.ID] = st
	}
	syncs, err := s.st.RunbookSyncs(r.Context(), 5)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	tf := q.Get("timeframe")
	if tf == "" {
		tf = string(metrics.Quarterly)
	}
	v.Data = struct {
		Rows      []runbook.Row
		Stats     map[string]runbook.Stats
		R         *runbook.Report
		Syncs     []runbook.SyncResult
		Timeframe string
	}{reg.Rows("", false), stats, rep, syncs, tf}
	s.render(w, http.StatusOK, "runbooks", v)
}

func (s *Server) runbookPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, err := s.runbookDetail(r.Context(), r.PathValue("id"), q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	mq := cloneValues(q)
	mq.Set("runbook", d.ID)
	rep, err := s.runbookMetrics(r.Context(), mq)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var st *runbook.Stats
	if len(rep.Runbooks) == 1 {
		st = &rep.Runbooks[0]
	}
	v := s.newView(w, r, "runbooks", "Runbook "+d.ID)
	v.Data = struct {
		E       *runbook.Entry
		V       *runbook.Version
		Stats   *runbook.Stats
		Window  string
		Overdue bool
	}{d.Entry, d.Entry.Version(d.Shown), st, rep.Window, st != nil && st.Overdue}
	s.render(w, http.StatusOK, "runbook", v)
}

func (s *Server) teamPage(w http.ResponseWriter, r *http.Request) {
	q := cloneValues(r.URL.Query())
	if q.Get("certifications") == "" {
		q.Set("certifications", "true")
	}
	as, err := s.assessment(r.Context(), q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "team", "Team skills")
	skills := map[string]bool{}
	for _, a := range as.Analysts {
		for k := range a.Skills {
			skills[k] = true
		}
	}
	var names []string
	for k := range skills {
		names = append(names, k)
	}
	sort.Strings(names)
	v.Data = struct {
		A      *training.Assessment
		Skills []string
		Today  time.Time
	}{as, names, s.now()}
	s.render(w, http.StatusOK, "team", v)
}

// joinList joins strings for templates.
func joinList(v []string) string { return strings.Join(v, ", ") }

func init() {
	funcs["join"] = joinList
	funcs["pctp"] = func(v *float64) string {
		if v == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", 100**v)
	}
	funcs["margin"] = func(d, m *float64) string {
		if d == nil || m == nil {
			return "—"
		}
		sign := "+"
		if *d < 0 {
			sign = "−"
		}
		txt := sign + humanDuration(abs(*d)) + " ± " + humanDuration(*m)
		if !runbook.Significant(d, m) {
			txt += " (no difference shown)"
		}
		return txt
	}
	funcs["date"] = func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format(time.DateOnly)
	}
	funcs["mix"] = output.Counts
	funcs["level"] = func(m map[string]int, k string) string {
		if v := m[k]; v > 0 {
			return strconv.Itoa(v)
		}
		return ""
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func init() {
	funcs["pathesc"] = url.PathEscape
	funcs["durp"] = func(v *float64) string {
		if v == nil {
			return "—"
		}
		return humanDuration(*v)
	}
}
