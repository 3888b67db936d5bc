package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/crisis"
)

func init() {
	funcs["rfc3339"] = func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	funcs["money"] = func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	funcs["clocksIn"] = func(cs []crisis.Clock, state string) int {
		n := 0
		for _, c := range cs {
			if string(c.State) == state {
				n++
			}
		}
		return n
	}
	funcs["openTasks"] = func(ts []crisis.Task) int {
		n := 0
		for _, t := range ts {
			if !t.Done() {
				n++
			}
		}
		return n
	}
}

// crisisRoutes are the major-incident API and the war-room pages.
func (s *Server) crisisRoutes() []Route {
	read, write := auth.ViewRecords, auth.ManageIncidents
	return []Route{
		{Method: "GET", Pattern: "/api/v1/incidents", Perm: read, API: true, handler: s.apiIncidents},
		{Method: "POST", Pattern: "/api/v1/incidents", Perm: write, API: true, Write: true, handler: s.apiDeclare},
		{Method: "GET", Pattern: "/api/v1/incidents/{id}", Perm: read, API: true, handler: s.apiIncident},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/events", Perm: write, API: true, Write: true, handler: s.apiIncidentEvent},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/roles", Perm: write, API: true, Write: true, handler: s.apiIncidentRole},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/updates", Perm: write, API: true, Write: true, handler: s.apiIncidentUpdate},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/tasks", Perm: write, API: true, Write: true, handler: s.apiIncidentTask},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/notify", Perm: write, API: true, Write: true, handler: s.apiIncidentNotify},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/close", Perm: write, API: true, Write: true, handler: s.apiIncidentClose},
		{Method: "GET", Pattern: "/api/v1/incidents/{id}/review", Perm: read, API: true, handler: s.apiIncidentReview},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/review", Perm: write, API: true, Write: true, handler: s.apiIncidentRecordReview},

		{Method: "GET", Pattern: "/incidents", Perm: read, handler: s.incidentsPage},
		{Method: "GET", Pattern: "/incidents/{id}", Perm: read, handler: s.warRoomPage},
		{Method: "POST", Pattern: "/incidents/{id}/entries", Perm: write, Write: true, handler: s.warRoomEntry},
	}
}

// crisisService returns the server's major-incident service (New sets a
// default one when the configuration names none).
func (s *Server) crisisService() *crisis.Service { return s.cfg.Crisis }

func actorOf(r *http.Request) crisis.Actor {
	p, _ := principal(r)
	return crisis.Actor{Name: p.Name, Source: "web"}
}

// crisisFail answers a crisis error: 400 for a refusal or a malformed
// field, 404 for an unknown incident, 500 (logged) otherwise.
func (s *Server) crisisFail(w http.ResponseWriter, r *http.Request, what string, err error) {
	auditDetail(r, "refused: "+err.Error())
	var br badRequest
	switch {
	case errors.Is(err, crisis.ErrInvalid) || errors.As(err, &br):
		httpError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, crisis.ErrNotFound):
		httpError(w, http.StatusNotFound, err.Error())
	default:
		s.fail(w, what, err)
	}
}

// incidentWrite decodes a write's JSON body into a T, runs it, and answers
// with the incident's status view (status on success) after pushing a live
// update; do returns the incident and a note for the audit log.
func incidentWrite[T any](s *Server, w http.ResponseWriter, r *http.Request, what string, status int,
	do func(req T) (*crisis.Incident, string, error)) {
	var req T
	if !decodeBody(w, r, &req) {
		return
	}
	inc, detail, err := do(req)
	if err != nil {
		s.crisisFail(w, r, what, err)
		return
	}
	info(r).target = "incident:" + inc.Ref
	auditDetail(r, detail)
	v, err := s.crisisService().Status(r.Context(), inc.Ref)
	if err != nil {
		s.fail(w, "reading the incident", err)
		return
	}
	s.changed(context.WithoutCancel(r.Context()))
	writeJSON(w, status, v)
}

// parseTime reads an optional RFC 3339 time from a request body.
func parseTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, badRequest{fmt.Errorf("%s: want an RFC 3339 time such as 2026-03-08T01:12:00Z", name)}
	}
	return t.UTC(), nil
}

func (s *Server) apiIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intParam(q, "limit", 50, 1000)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, err := s.crisisService().List(r.Context(), q.Get("open") == "true", limit)
	s.answer(w, "listing incidents", items, err)
}

func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request) {
	v, err := s.crisisService().Status(r.Context(), r.PathValue("id"))
	if err != nil {
		s.crisisFail(w, r, "reading the incident", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// DeclareRequest declares a major incident.
type DeclareRequest struct {
	Title    string   `json:"title"`
	Severity string   `json:"severity"`
	Cases    []string `json:"cases"`
	AwareAt  string   `json:"aware_at"`
	Regimes  []string `json:"regimes"`
	// Commander defaults to the caller.
	Commander string `json:"commander"`
}

func (s *Server) apiDeclare(w http.ResponseWriter, r *http.Request) {
	incidentWrite(s, w, r, "declaring the incident", http.StatusCreated, func(req DeclareRequest) (*crisis.Incident, string, error) {
		aware, err := parseTime("aware_at", req.AwareAt)
		if err != nil {
			return nil, "", err
		}
		inc, err := s.crisisService().Declare(r.Context(), actorOf(r), crisis.DeclareInput{Title: req.Title, Severity: req.Severity,
			Cases: req.Cases, AwareAt: aware, Regimes: req.Regimes, Commander: req.Commander})
		if err != nil {
			return nil, "", err
		}
		return inc, "declared " + inc.Ref + " at " + inc.Severity, nil
	})
}

// EventRequest records a trigger, a submission, a timeline entry or a pin.
type EventRequest struct {
	Type      string `json:"type"`
	At        string `json:"at"`
	Text      string `json:"text"`
	Regime    string `json:"regime"`
	Report    string `json:"report"`
	Reference string `json:"reference"`
	Pin       bool   `json:"pin"`
	PinSeq    int64  `json:"pin_seq"`
	Unpin     bool   `json:"unpin"`
}

func (s *Server) apiIncidentEvent(w http.ResponseWriter, r *http.Request) {
	incidentWrite(s, w, r, "recording the event", http.StatusOK, func(req EventRequest) (*crisis.Incident, string, error) {
		at, err := parseTime("at", req.At)
		if err != nil {
			return nil, "", err
		}
		inc, err := s.crisisService().RecordEvent(r.Context(), actorOf(r), r.PathValue("id"), crisis.EventInput{Type: req.Type, At: at,
			Text: req.Text, Regime: req.Regime, Report: req.Report, Reference: req.Reference, Pin: req.Pin, PinSeq: req.PinSeq, Unpin: req.Unpin})
		return inc, "event " + req.Type + " " + req.Regime, err
	})
}

// RoleRequest assigns, hands over or releases a role.
type RoleRequest struct {
	Role     string `json:"role"`
	Person   string `json:"person"`
	Handover bool   `json:"handover"`
	Release  bool   `json:"release"`
	At       string `json:"at"`
}

func (s *Server) apiIncidentRole(w http.ResponseWriter, r *http.Request) {
	incidentWrite(s, w, r, "changing the role", http.StatusOK, func(req RoleRequest) (*crisis.Incident, string, error) {
		at, err := parseTime("at", req.At)
		if err != nil {
			return nil, "", err
		}
		inc, err := s.crisisService().AssignRole(r.Context(), actorOf(r), r.PathValue("id"), crisis.RoleInput{Role: req.Role, Person: req.Person,
			Handover: req.Handover, Release: req.Release, At: at})
		return inc, "role " + req.Role + " " + req.Person, err
	})
}

// UpdateRequest posts a status update and/or changes the incident.
type UpdateRequest struct {
	Conditions string   `json:"conditions"`
	Actions    string   `json:"actions"`
	Needs      string   `json:"needs"`
	Summary    string   `json:"summary"`
	Severity   string   `json:"severity"`
	Status     string   `json:"status"`
	Title      string   `json:"title"`
	AddRegimes []string `json:"add_regimes"`
	Cases      []string `json:"cases"`
}

func (s *Server) apiIncidentUpdate(w http.ResponseWriter, r *http.Request) {
	incidentWrite(s, w, r, "updating the incident", http.StatusOK, func(req UpdateRequest) (*crisis.Incident, string, error) {
		inc, err := s.crisisService().PostUpdate(r.Context(), actorOf(r), r.PathValue("id"), crisis.UpdateInput{Conditions: req.Conditions,
			Actions: req.Actions, Needs: req.Needs, Summary: req.Summary, Severity: req.Severity, Status: req.Status, Title: req.Title,
			AddRegimes: req.AddRegimes, Cases: req.Cases})
		return inc, "update", err
	})
}

// TaskRequest adds a task (no id) or changes one.
type TaskRequest struct {
	ID     int    `json:"id"`
	Title  string `json:"title"`
	Owner  string `json:"owner"`
	Due    string `json:"due"`
	Status string `json:"status"`
}

func (s *Server) apiIncidentTask(w http.ResponseWriter, r *http.Request) {
	incidentWrite(s, w, r, "changing the task", http.StatusOK, func(req TaskRequest) (*crisis.Incident, string, error) {
		due, err := parseTime("due", req.Due)
		if err != nil {
			return nil, "", err
		}
		inc, err := s.crisisService().Task(r.Context(), actorOf(r), r.PathValue("id"), crisis.TaskInput{ID: req.ID, Title: req.Title,
			Owner: req.Owner, Due: due, Status: req.Status})
		return inc, fmt.Sprintf("task %d %s", req.ID, req.Status), err
	})
}

// NotifyRequest sends an audience's message, previews it (dry_run), or
// registers a stakeholder (register).
type NotifyRequest struct {
	Audience string              `json:"audience"`
	Note     string              `json:"note"`
	DryRun   bool                `json:"dry_run"`
	Register *crisis.Stakeholder `json:"register"`
}

func (s *Server) apiIncidentNotify(w http.ResponseWriter, r *http.Request) {
	var req NotifyRequest
	if !decodeBody(w, r, &req) {
		return
	}
	svc := s.crisisService()
	external, err := svc.IsExternal(req.Audience)
	if err != nil {
		s.crisisFail(w, r, "", err)
		return
	}
	if p, _ := principal(r); external && !req.DryRun && !p.Role.Can(auth.NotifyExternal) {
		auditDetail(r, "refused: external audience "+req.Audience)
		httpError(w, http.StatusForbidden, "your role ("+string(p.Role)+") may not notify "+req.Audience+": external audiences need the manager role")
		return
	}
	res, err := svc.Notify(r.Context(), actorOf(r), r.PathValue("id"), crisis.NotifyInput{Audience: req.Audience, Note: req.Note,
		DryRun: req.DryRun, Register: req.Register})
	if err != nil {
		s.crisisFail(w, r, "notifying", err)
		return
	}
	sent := 0
	for _, m := range res.Messages {
		if m.Status == "sent" {
			sent++
		}
	}
	auditDetail(r, fmt.Sprintf("audience=%s messages=%d sent=%d dry_run=%t", req.Audience, len(res.Messages), sent, req.DryRun))
	if !req.DryRun {
		s.changed(context.WithoutCancel(r.Context()))
	}
	writeJSON(w, http.StatusOK, res)
}

// CloseRequest closes an incident.
type CloseRequest struct {
	HandoverTo string `json:"handover_to"`
	Summary    string `json:"summary"`
}

func (s *Server) apiIncidentClose(w http.ResponseWriter, r *http.Request) {
	incidentWrite(s, w, r, "closing the incident", http.StatusOK, func(req CloseRequest) (*crisis.Incident, string, error) {
		inc, err := s.crisisService().Close(r.Context(), actorOf(r), r.PathValue("id"), crisis.CloseInput{Handover: req.HandoverTo, Summary: req.Summary})
		if err != nil {
			return nil, "", err
		}
		return inc, "closed; handed over to " + inc.Handover, nil
	})
}

func (s *Server) apiIncidentReview(w http.ResponseWriter, r *http.Request) {
	rv, err := s.crisisService().Review(r.Context(), r.PathValue("id"))
	if err != nil {
		s.crisisFail(w, r, "building the review", err)
		return
	}
	writeJSON(w, http.StatusOK, rv)
}

// ReviewRequest records lessons and follow-up actions.
type ReviewRequest struct {
	Lessons []crisis.Lesson `json:"lessons"`
	Actions []TaskRequest   `json:"actions"`
}

func (s *Server) apiIncidentRecordReview(w http.ResponseWriter, r *http.Request) {
	var req ReviewRequest
	if !decodeBody(w, r, &req) {
		return
	}
	in := crisis.ReviewInput{Lessons: req.Lessons}
	for _, a := range req.Actions {
		due, err := parseTime("due", a.Due)
		if err != nil {
			s.crisisFail(w, r, "", err)
			return
		}
		in.Actions = append(in.Actions, crisis.TaskInput{Title: a.Title, Owner: a.Owner, Due: due})
	}
	if _, err := s.crisisService().RecordReview(r.Context(), actorOf(r), r.PathValue("id"), in); err != nil {
		s.crisisFail(w, r, "recording the review", err)
		return
	}
	auditDetail(r, fmt.Sprintf("lessons=%d actions=%d", len(in.Lessons), len(in.Actions)))
	s.apiIncidentReview(w, r)
}

// incidentsPage lists the incidents with what needs attention.
func (s *Server) incidentsPage(w http.ResponseWriter, r *http.Request) {
	items, err := s.crisisService().List(r.Context(), r.URL.Query().Get("all") != "1", 100)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "incidents", "Major incidents")
	v.Data = struct {
		Items []crisis.ListItem
		All   bool
	}{items, r.URL.Query().Get("all") == "1"}
	s.render(w, http.StatusOK, "incidents", v)
}

// warRoomData is the war-room page's data.
type warRoomData struct {
	V          *crisis.StatusView
	EntryTypes []string
	Recent     []crisis.Entry
	Saved      bool
}

// warRoomPage is the war room: clocks, next update, roles, tasks, pinned
// entries and the timeline; with ?kiosk=1 a wall screen.
func (s *Server) warRoomPage(w http.ResponseWriter, r *http.Request) {
	sv, err := s.crisisService().Status(r.Context(), r.PathValue("id"))
	if err != nil {
		if errors.Is(err, crisis.ErrInvalid) {
			err = badRequest{err}
		}
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "incidents", sv.Ref+" war room")
	d := warRoomData{V: sv, EntryTypes: crisis.EntryTypes, Saved: r.URL.Query().Get("saved") == "1"}
	n := len(sv.Timeline)
	for i := n - 1; i >= 0 && len(d.Recent) < 25; i-- {
		d.Recent = append(d.Recent, sv.Timeline[i])
	}
	v.Data = d
	s.render(w, http.StatusOK, "incident", v)
}

// warRoomEntry adds a timeline entry from the war-room form.
func (s *Server) warRoomEntry(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	inc, err := s.crisisService().RecordEvent(r.Context(), actorOf(r), id, crisis.EventInput{Type: r.PostFormValue("type"),
		Text: r.PostFormValue("text"), Pin: r.PostFormValue("pin") == "on"})
	if err != nil {
		auditDetail(r, "refused: "+err.Error())
		if errors.Is(err, crisis.ErrInvalid) {
			err = badRequest{err}
		}
		s.pageError(w, r, err)
		return
	}
	info(r).target = "incident:" + inc.Ref
	auditDetail(r, "entry "+r.PostFormValue("type"))
	s.changed(context.WithoutCancel(r.Context()))
	http.Redirect(w, r, "/incidents/"+url.PathEscape(strings.TrimPrefix(inc.Ref, "MI-"))+"?saved=1", http.StatusSeeOther)
}

// Prometheus gauges of the open major incidents.
var (
	descIncidents = prometheus.NewDesc("watchfloor_major_incidents_open",
		"Open (active or stable) major incidents by severity and status.", []string{"severity", "status"}, nil)
	descIncidentClocks = prometheus.NewDesc("watchfloor_major_incident_clocks",
		"Regulatory clocks of open major incidents by state (waiting, running, at_risk, overdue, submitted, late).", []string{"state"}, nil)
	descUpdatesOverdue = prometheus.NewDesc("watchfloor_major_incident_updates_overdue",
		"Open major incidents whose status update is overdue on their severity's cadence.", nil, nil)
	descIncidentTasksOverdue = prometheus.NewDesc("watchfloor_major_incident_tasks_overdue",
		"Tasks of open major incidents past their due time.", nil, nil)
)

// crisisCollector reports the open major incidents at scrape time.
type crisisCollector struct{ s *Server }

func (c crisisCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descIncidents, descIncidentClocks, descUpdatesOverdue, descIncidentTasksOverdue} {
		ch <- d
	}
}

func (c crisisCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	items, err := c.s.crisisService().List(ctx, true, 1000)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descIncidents, err)
		return
	}
	open := map[[2]string]int{}
	var updates, tasks int
	for _, it := range items {
		open[[2]string{it.Severity, string(it.Status)}]++
		if it.NextUpdate.State == crisis.CadenceOverdue {
			updates++
		}
		tasks += it.OverdueTasks
	}
	for k, n := range open {
		ch <- prometheus.MustNewConstMetric(descIncidents, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
	states := map[crisis.ClockState]int{crisis.ClockWaiting: 0, crisis.ClockRunning: 0, crisis.ClockAtRisk: 0, crisis.ClockOverdue: 0,
		crisis.ClockSubmitted: 0, crisis.ClockLate: 0}
	for _, it := range items {
		v, err := c.s.crisisService().Status(ctx, it.Ref)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(descIncidentClocks, err)
			return
		}
		for _, k := range v.Clocks {
			states[k.State]++
		}
	}
	for st, n := range states {
		ch <- prometheus.MustNewConstMetric(descIncidentClocks, prometheus.GaugeValue, float64(n), string(st))
	}
	ch <- prometheus.MustNewConstMetric(descUpdatesOverdue, prometheus.GaugeValue, float64(updates))
	ch <- prometheus.MustNewConstMetric(descIncidentTasksOverdue, prometheus.GaugeValue, float64(tasks))
}
