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
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/store"
)

type pageTemplate = template.Template

var funcs = template.FuncMap{
	"duration": humanDuration,
	"pct":      pct,
	"num":      num,
	"dec":      decimal,
	"time": func(t time.Time) string {
		if t.IsZero() {
			return noData
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"lower":   strings.ToLower,
	"inc":     func(i int) int { return i + 1 },
	"secs":    func(n int64) float64 { return float64(n) },
	"list":    func(v ...string) []string { return v },
	"kpiName": kpiName,
	"dict":    dict,
	"plural":  plural,
	// clock names an SLA clock where room is short.
	"clock": func(c string) string {
		if c == "acknowledge" {
			return "ack"
		}
		return c
	},
}

// plural says a count with its noun: "1 clock", "1,204 clocks".
func plural(n any, one, many string) string {
	var v int64
	switch x := n.(type) {
	case int:
		v = int64(x)
	case int64:
		v = x
	}
	if v == 1 {
		return "1 " + one
	}
	return thousands(v) + " " + many
}

// dict makes a map from name, value pairs, for passing several values to
// a sub-template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
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
	Section string // the navigation entry this page belongs to
	User    *auth.Principal
	CSRF    string
	Kiosk   bool
	Rotate  int    // wall-screen rotation interval in seconds; 0: none
	Theme   string // "dark" or "light"
	Path    string
	Now     time.Time
	Data    any
	Message string
	q       url.Values // the page's query without theme
}

// Can reports whether the viewer holds a permission.
func (v view) Can(p string) bool { return v.User != nil && v.User.Role.Can(auth.Permission(p)) }

// Current reports whether a navigation entry is this page's.
func (v view) Current(key string) bool { return v.Section == key }

// newView fills the common fields; ?theme= sets the theme cookie, ?kiosk=1
// turns on the wall screen and ?rotate=N its rotation interval.
func (s *Server) newView(w http.ResponseWriter, r *http.Request, nav, title string) view {
	v := view{Title: title, Section: nav, Now: s.now(), Path: r.URL.Path, Theme: "dark"}
	if p, ok := principal(r); ok {
		v.User, v.CSRF = &p, p.CSRF
	}
	q := r.URL.Query()
	v.Kiosk = q.Get("kiosk") == "1"
	if v.Kiosk {
		v.Rotate = int(s.cfg.KioskRotate / time.Second)
		if n, err := strconv.Atoi(q.Get("rotate")); err == nil && n >= 0 && n <= 24*3600 {
			v.Rotate = n
		}
	}
	if c, err := r.Cookie("wf_theme"); err == nil && (c.Value == "light" || c.Value == "dark") {
		v.Theme = c.Value
	}
	if t := q.Get("theme"); t == "light" || t == "dark" {
		v.Theme = t
		http.SetCookie(w, &http.Cookie{Name: "wf_theme", Value: t, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
	q.Del("theme")
	v.q = q
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

// humanWait says a wait of secs seconds as "45 s" or "3 min".
func humanWait(secs int) string {
	if secs < 90 {
		return strconv.Itoa(secs) + " s"
	}
	return strconv.Itoa((secs+59)/60) + " min"
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
		var rl *auth.RateLimitError
		if errors.As(err, &rl) {
			secs := int(math.Ceil(rl.RetryAfter.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			status, msg = http.StatusTooManyRequests, fmt.Sprintf("Too many failed attempts from your address. Try again in %s.", humanWait(secs))
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
