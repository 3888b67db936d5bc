package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

type pageTemplate = template.Template

var funcs = template.FuncMap{
	// duration and pct take a number or a nullable one: null is no data,
	// shown as "—", never as 0.
	"duration": func(v any) string {
		if f, ok := figure(v); ok {
			return humanDuration(f)
		}
		return noData
	},
	"pct": func(v any) string {
		if f, ok := figure(v); ok {
			return fmt.Sprintf("%.1f%%", 100*f)
		}
		return noData
	},
	// hours takes seconds, or nullable hours ("—" when null).
	"hours": func(v any) string {
		switch x := v.(type) {
		case float64:
			return fmt.Sprintf("%.1f h", x/3600)
		case *float64:
			if h, ok := metrics.Value(x); ok {
				return fmt.Sprintf("%.1f h", h)
			}
		}
		return noData
	},
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"lower": strings.ToLower,
	"list":  func(v ...string) []string { return v },
}

// noData is how a page shows a figure without data.
const noData = "—"

// figure reads a template value that is a number or a nullable number.
func figure(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case *float64:
		return metrics.Value(x)
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

// humanDuration renders seconds as "3d 4h", "2h 05m" or "12m".
func humanDuration(sec float64) string {
	if sec <= 0 || math.IsNaN(sec) {
		return "0m"
	}
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

// parsePages parses each page with the shared layout.
func parsePages() (map[string]*pageTemplate, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parsing layout: %w", err)
	}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*pageTemplate{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(assets, n)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", n, err)
		}
		out[base] = t
	}
	return out, nil
}

// view is what every page template receives.
type view struct {
	Title   string
	Nav     string
	User    *auth.Principal
	CSRF    string
	Kiosk   bool
	Theme   string // "dark" or "light"
	Query   string // the page's query for theme/kiosk links
	Path    string
	Now     time.Time
	Data    any
	Message string
}

func (v view) Can(p string) bool { return v.User != nil && v.User.Role.Can(auth.Permission(p)) }

// newView fills the common fields; ?theme= sets the theme cookie.
func (s *Server) newView(w http.ResponseWriter, r *http.Request, nav, title string) view {
	v := view{Title: title, Nav: nav, Now: s.now(), Path: r.URL.Path, Theme: "dark"}
	if p, ok := principal(r); ok {
		v.User, v.CSRF = &p, p.CSRF
	}
	q := r.URL.Query()
	v.Kiosk = q.Get("kiosk") == "1"
	if c, err := r.Cookie("wf_theme"); err == nil && (c.Value == "light" || c.Value == "dark") {
		v.Theme = c.Value
	}
	if t := q.Get("theme"); t == "light" || t == "dark" {
		v.Theme = t
		http.SetCookie(w, &http.Cookie{Name: "wf_theme", Value: t, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
	q.Del("theme")
	v.Query = q.Encode()
	return v
}

func (s *Server) render(w http.ResponseWriter, status int, name string, v view) {
	t := s.pages[name]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		s.log.Error("rendering page", "page", name, "err", err)
		http.Error(w, "rendering failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong; the error is logged."
	var br badRequest
	switch {
	case errors.Is(err, store.ErrNotFound):
		status, msg = http.StatusNotFound, "Not found."
	case errors.As(err, &br):
		status, msg = http.StatusBadRequest, br.Error()
	default:
		s.log.Error("page", "path", r.URL.Path, "err", err)
	}
	v := s.newView(w, r, "", "Error")
	v.Message = msg
	s.render(w, status, "error", v)
}

// loginData is the sign-in page's: where to go next, and the single
// sign-on button's label when OpenID Connect is configured.
type loginData struct {
	Next string
	SSO  string
}

func (s *Server) loginData(next string) loginData {
	d := loginData{Next: safeNext(next)}
	if s.cfg.OIDC != nil {
		d.SSO = s.cfg.OIDC.Name()
	}
	return d
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(w, r, "", "Sign in")
	v.Data = s.loginData(r.URL.Query().Get("next"))
	s.render(w, http.StatusOK, "login", v)
}

// safeNext keeps redirects after sign-in on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	next := r.PostFormValue("next")
	ri := info(r)
	ri.user, ri.target = name, "session"
	secret, p, err := s.auth.Login(r.Context(), name, password, ri.remote)
	if err != nil {
		status := http.StatusUnauthorized
		msg := "Wrong name or password."
		if errors.Is(err, auth.ErrRateLimited) {
			status, msg = http.StatusTooManyRequests, "Too many failed attempts. Try again later."
		} else if !errors.Is(err, auth.ErrInvalid) {
			s.log.Error("signing in", "err", err)
			status, msg = http.StatusInternalServerError, "Sign-in failed; the error is logged."
		}
		auditDetail(r, "sign-in failed: "+err.Error())
		v := s.newView(w, r, "", "Sign in")
		v.Data, v.Message = s.loginData(next), msg
		s.render(w, status, "login", v)
		return
	}
	ri.role = string(p.Role)
	auditDetail(r, "signed in")
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if p, ok := principal(r); ok {
		if err := s.auth.Logout(r.Context(), p); err != nil {
			s.log.Error("signing out", "err", err)
		}
		auditDetail(r, "signed out")
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// overviewData is the monitor view.
type overviewData struct {
	D         *metrics.Dashboard
	Summary   LiveSummary
	Stages    []string
	Matrix    []queueRow
	AgeLabels []string
}

type queueRow struct {
	Priority string
	Cells    []int
	Total    int
}

var stages = []string{"new", "triage", "investigating", "contained"}

func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request) {
	sum, err := s.summary(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d, err := s.dashboard(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	od := overviewData{D: d, Summary: sum, Stages: stages, AgeLabels: metrics.AgeLabels}
	for _, p := range model.Priorities {
		pr := p.String()
		row := queueRow{Priority: pr, Cells: make([]int, len(stages))}
		for _, c := range d.Queue {
			if c.Priority != pr {
				continue
			}
			for i, st := range stages {
				if c.Stage == st {
					row.Cells[i] += c.Count
				}
			}
			row.Total += c.Count
		}
		od.Matrix = append(od.Matrix, row)
	}
	v := s.newView(w, r, "overview", "SOC overview")
	v.Data = od
	s.render(w, http.StatusOK, "overview", v)
}

// performanceData is the metrics view.
type performanceData struct {
	Report    *metrics.Report
	Timeframe string
	Charts    []template.HTML
}

func kpiOf(g metrics.GroupResult, k metrics.KPI) metrics.Summary {
	for _, s := range g.KPIs {
		if s.KPI == k {
			return s
		}
	}
	return metrics.Summary{}
}

// TrendCharts draws a report's series: MTTA and MTTR medians, case volume,
// and SLA adherence per period. Reports reuse it.
func TrendCharts(rep *metrics.Report) []template.HTML {
	if len(rep.Series) == 0 {
		return nil
	}
	var labels []string
	mtta, mttr, cases, ackSLA, resSLA := []float64{}, []float64{}, []float64{}, []float64{}, []float64{}
	hoursOrGap := func(s metrics.Summary) float64 {
		if v, ok := metrics.Value(s.Median); ok {
			return v / 3600
		}
		return math.NaN()
	}
	pctOrGap := func(r metrics.SLAResult) float64 {
		if v, ok := metrics.Value(r.Adherence); ok {
			return 100 * v
		}
		return math.NaN()
	}
	for _, p := range rep.Series {
		labels = append(labels, p.Period)
		mtta = append(mtta, hoursOrGap(kpiOf(p.Result, metrics.MTTA)))
		mttr = append(mttr, hoursOrGap(kpiOf(p.Result, metrics.MTTR)))
		cases = append(cases, float64(p.Result.Cases))
		ackSLA = append(ackSLA, pctOrGap(p.Result.SLAAcknowledge))
		resSLA = append(resSLA, pctOrGap(p.Result.SLAResolve))
	}
	return []template.HTML{
		LineChart(Chart{Title: "Median time to acknowledge and resolve", Unit: "h", Labels: labels,
			Series: []ChartSeries{{Name: "MTTA median", Values: mtta}, {Name: "MTTR median", Values: mttr}}}),
		BarChart(Chart{Title: "Cases created", Labels: labels, Series: []ChartSeries{{Name: "cases", Values: cases}}}),
		LineChart(Chart{Title: "SLA adherence", Unit: "%", Labels: labels,
			Series: []ChartSeries{{Name: "acknowledge", Values: ackSLA}, {Name: "resolve", Values: resSLA}}}),
	}
}

func (s *Server) performancePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("timeframe") == "" {
		q.Set("timeframe", "weekly")
	}
	q.Set("series", "true")
	rep, err := s.performance(r.Context(), q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "performance", "SOC performance")
	v.Data = performanceData{Report: rep, Timeframe: q.Get("timeframe"), Charts: TrendCharts(rep)}
	s.render(w, http.StatusOK, "performance", v)
}

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("timeframe") == "" {
		q.Set("timeframe", "monthly")
	}
	rep, err := s.rules(r.Context(), q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "rules", "Rule quality")
	v.Data = struct {
		R         *metrics.RuleReport
		Timeframe string
	}{rep, q.Get("timeframe")}
	s.render(w, http.StatusOK, "rules", v)
}

func (s *Server) casesPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("open") {
		q.Set("open", "true")
	}
	p, err := s.listCases(r.Context(), q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "cases", "Cases")
	next := url.Values{}
	for k, vals := range q {
		next[k] = vals
	}
	if p.Next > 0 {
		next.Set("after", fmt.Sprint(p.Next))
	}
	v.Data = struct {
		Page   Page[model.Case]
		Filter url.Values
		Next   string
	}{Page[model.Case]{Items: p.Items, Next: p.Next}, q, next.Encode()}
	s.render(w, http.StatusOK, "cases", v)
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request) {
	d, err := s.caseDetail(r.Context(), r.PathValue("source"), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "cases", "Case "+d.Case.ExternalID)
	v.Data = d
	s.render(w, http.StatusOK, "case", v)
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, err := intParam(q, "after", 0, 1<<62)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	const limit = 100
	es, err := s.st.AuditEntries(r.Context(), store.AuditFilter{AfterID: int64(after), Limit: limit})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := Page[store.AuditEntry]{Items: es}
	if len(es) == limit {
		p.Next = es[len(es)-1].ID
	}
	v := s.newView(w, r, "audit", "Audit log")
	v.Data = struct{ Page Page[store.AuditEntry] }{p}
	s.render(w, http.StatusOK, "audit", v)
}
