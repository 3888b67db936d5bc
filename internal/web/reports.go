package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/report"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Reports: the executive report, the shift handover and the weekly
// operations review generated on demand and kept in the history,
// downloaded in any format, and the schedules serve runs — managers and
// admins only (they hold the roster's costs, every KPI and each analyst's
// figures).

func (s *Server) reportRoutes() []Route {
	p := auth.PlanResources
	return []Route{
		{Method: "GET", Pattern: "/api/v1/reports", Perm: p, API: true, handler: s.apiReports},
		{Method: "POST", Pattern: "/api/v1/reports/executive", Perm: p, API: true, Write: true, handler: s.apiGenerateReport},
		{Method: "POST", Pattern: "/api/v1/reports/shift", Perm: p, API: true, Write: true, handler: s.apiGenerateShift},
		{Method: "POST", Pattern: "/api/v1/reports/operations", Perm: p, API: true, Write: true, handler: s.apiGenerateOperations},
		{Method: "GET", Pattern: "/api/v1/reports/{id}", Perm: p, API: true, handler: s.apiReport},
		{Method: "GET", Pattern: "/api/v1/report-schedules", Perm: p, API: true, handler: s.apiReportSchedules},
		{Method: "POST", Pattern: "/api/v1/report-schedules", Perm: p, API: true, Write: true, handler: s.apiCreateReportSchedule},
		{Method: "DELETE", Pattern: "/api/v1/report-schedules/{name}", Perm: p, API: true, Write: true, handler: s.apiDeleteReportSchedule},
		{Method: "GET", Pattern: "/reports", Perm: p, handler: s.reportsPage},
		{Method: "POST", Pattern: "/reports", Perm: p, Write: true, handler: s.reportsSubmit},
	}
}

// reports is the schedule runner (and, through it, the report sources).
func (s *Server) reports() *report.Schedules {
	if s.cfg.Reports != nil {
		return s.cfg.Reports
	}
	return &report.Schedules{Sources: report.Sources{Store: s.st, Metrics: s.svc, Crisis: s.cfg.Crisis, Staffing: s.cfg.Staffing,
		Budget: s.cfg.Budget}, Notifier: s.cfg.Crisis.Notifier, Log: s.log, Now: s.cfg.Now}
}

// ReportList is a page of the report history.
type ReportList struct {
	Total   int                  `json:"total"`
	Offset  int                  `json:"offset"`
	Reports []store.StoredReport `json:"reports"`
}

func (s *Server) apiReports(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, err := intParam(q, "offset", 0, 1<<30)
	if err != nil {
		s.answer(w, "", nil, badRequest{err})
		return
	}
	limit, err := intParam(q, "limit", 50, 500)
	if err != nil {
		s.answer(w, "", nil, badRequest{err})
		return
	}
	list, total, err := s.st.Reports(r.Context(), offset, limit)
	s.answer(w, "listing reports", ReportList{Total: total, Offset: offset, Reports: list}, err)
}

// GenerateReportRequest asks for an executive report: a period (week,
// month, quarter) or explicit first and last days.
type GenerateReportRequest struct {
	Period string `json:"period"`
	From   string `json:"from"`
	To     string `json:"to"`
}

// generate builds and stores a report for the signed-in user.
func (s *Server) generate(r *http.Request, req report.Request) (report.Report, int64, error) {
	p, _ := principal(r)
	rep, id, err := s.reports().Sources.GenerateKind(r.Context(), req, p.Name, "")
	if err == nil {
		c := rep.Covers()
		info(r).target = fmt.Sprintf("report:%d", id)
		auditDetail(r, fmt.Sprintf("%s %s to %s", c.Kind, c.From, c.To))
	}
	return rep, id, err
}

func (s *Server) apiGenerateReport(w http.ResponseWriter, r *http.Request) {
	var req GenerateReportRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.answerGenerated(w, r, report.Request{Kind: report.KindExecutive, Period: req.Period, From: req.From, To: req.To})
}

// GenerateShiftRequest asks for the shift handover of a day (YYYY-MM-DD;
// empty: today, or the day of the newest data).
type GenerateShiftRequest struct {
	Day string `json:"day"`
}

func (s *Server) apiGenerateShift(w http.ResponseWriter, r *http.Request) {
	var req GenerateShiftRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.answerGenerated(w, r, report.Request{Kind: report.KindShift, Day: req.Day})
}

// GenerateOperationsRequest asks for the operations review of explicit
// first and last days, or (both empty) the last 7 days.
type GenerateOperationsRequest struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func (s *Server) apiGenerateOperations(w http.ResponseWriter, r *http.Request) {
	var req GenerateOperationsRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.answerGenerated(w, r, report.Request{Kind: report.KindOperations, From: req.From, To: req.To})
}

// GeneratedReport is a report kept in the history, with its data (an
// executive report, a shift handover or an operations review, as kind
// says).
type GeneratedReport struct {
	ID     int64         `json:"id"`
	Kind   string        `json:"kind"`
	Report report.Report `json:"report"`
}

func (s *Server) answerGenerated(w http.ResponseWriter, r *http.Request, req report.Request) {
	rep, id, err := s.generate(r, req)
	if err != nil {
		s.reportError(w, "generating the report", err)
		return
	}
	writeJSON(w, http.StatusCreated, GeneratedReport{ID: id, Kind: rep.Covers().Kind, Report: rep})
}

// reportError answers a report request the caller got wrong with 400.
func (s *Server) reportError(w http.ResponseWriter, what string, err error) {
	if metrics.IsArgError(err) || errors.Is(err, report.ErrInvalid) {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.fail(w, what, err)
}

// storedReport reads the report a request's path names.
func (s *Server) storedReport(r *http.Request) (store.StoredReport, report.Report, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.StoredReport{}, nil, badRequest{fmt.Errorf("report %q: want a positive number", r.PathValue("id"))}
	}
	sr, err := s.st.ReportByID(r.Context(), id)
	if err != nil {
		return sr, nil, err
	}
	e, err := report.Load(sr)
	return sr, e, err
}

func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) {
	sr, e, err := s.storedReport(r)
	if err != nil {
		s.answer(w, "reading the report", nil, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if !validFormat(format) {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("format %q: want one of %s", format, strings.Join(report.Formats, ", ")))
		return
	}
	var b bytes.Buffer
	if err := e.Render(&b, format); err != nil {
		s.fail(w, "rendering the report", err)
		return
	}
	w.Header().Set("Content-Type", report.ContentType(format))
	w.Header().Set("Cache-Control", "no-store")
	if format != "json" {
		// A download, never rendered in this origin.
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="watchfloor-%s-%s-%s.%s"`, sr.Kind, sr.From, sr.To, format))
	}
	w.Write(b.Bytes())
}

func validFormat(f string) bool {
	for _, ok := range report.Formats {
		if f == ok {
			return true
		}
	}
	return false
}

func (s *Server) apiReportSchedules(w http.ResponseWriter, r *http.Request) {
	all, err := s.st.ReportSchedules(r.Context())
	s.answer(w, "listing report schedules", all, err)
}

// ReportScheduleRequest creates a schedule.
type ReportScheduleRequest struct {
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	Period     string   `json:"period"`
	Spec       string   `json:"spec"`
	Channels   []string `json:"channels"`
	Recipients []string `json:"recipients"`
}

func (s *Server) apiCreateReportSchedule(w http.ResponseWriter, r *http.Request) {
	var req ReportScheduleRequest
	if !decodeBody(w, r, &req) {
		return
	}
	p, _ := principal(r)
	info(r).target = "report_schedule:" + req.Name
	rs, err := s.reports().Create(r.Context(), report.ScheduleInput{Name: req.Name, Kind: req.Kind, Period: req.Period, Spec: req.Spec,
		Channels: req.Channels, Recipients: req.Recipients, By: p.Name})
	if err != nil {
		auditDetail(r, "rejected: "+err.Error())
		s.reportError(w, "creating the report schedule", err)
		return
	}
	auditDetail(r, rs.Spec+" "+rs.Period)
	writeJSON(w, http.StatusCreated, rs)
}

func (s *Server) apiDeleteReportSchedule(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	info(r).target = "report_schedule:" + name
	if err := s.st.DeleteReportSchedule(r.Context(), name); err != nil {
		s.fail(w, "removing the report schedule", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// reportsData is what the Reports page shows.
type reportsData struct {
	Reports   []store.StoredReport
	Total     int
	Schedules []store.ReportSchedule
	Periods   []string
	Formats   []string
	Generated int64
	Error     string
	// Form is what was asked, shown again with the error in its kind's form.
	Form report.Request
	// Titles name each kind of report.
	Titles map[string]string
}

func (s *Server) reportsView(w http.ResponseWriter, r *http.Request) (view, *reportsData, error) {
	list, total, err := s.st.Reports(r.Context(), 0, 100)
	if err != nil {
		return view{}, nil, err
	}
	sch, err := s.st.ReportSchedules(r.Context())
	if err != nil {
		return view{}, nil, err
	}
	d := &reportsData{Reports: list, Total: total, Schedules: sch, Periods: report.Periods, Formats: report.Formats[:3],
		Form: report.Request{Period: "month"}, Titles: map[string]string{}}
	for _, k := range report.Kinds {
		d.Titles[k] = report.KindTitle(k)
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("generated"), 10, 64); err == nil {
		d.Generated = id
	}
	v := s.newView(w, r, "reports", "Reports")
	v.Data = d
	return v, d, nil
}

func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request) {
	v, _, err := s.reportsView(w, r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "reports", v)
}

func (s *Server) reportsSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		httpError(w, http.StatusBadRequest, "invalid form")
		return
	}
	req := report.Request{Kind: r.PostFormValue("kind"), Period: r.PostFormValue("period"), From: r.PostFormValue("from"),
		To: r.PostFormValue("to"), Day: r.PostFormValue("day")}
	if req.Kind == "" {
		req.Kind = report.KindExecutive
	}
	_, id, err := s.generate(r, req)
	if err != nil {
		if !metrics.IsArgError(err) && !errors.Is(err, report.ErrInvalid) {
			s.pageError(w, r, err)
			return
		}
		auditDetail(r, "rejected: "+err.Error())
		v, d, verr := s.reportsView(w, r)
		if verr != nil {
			s.pageError(w, r, verr)
			return
		}
		d.Form, d.Error = req, err.Error()
		s.render(w, http.StatusBadRequest, "reports", v)
		return
	}
	s.changed(context.WithoutCancel(r.Context()))
	http.Redirect(w, r, "/reports?generated="+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
