package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
)

// Sign-in with OpenID Connect: /auth/oidc/login sends the browser to the
// provider with a fresh state, nonce and PKCE challenge, kept in a signed,
// short-lived cookie; /auth/oidc/callback checks the state against that
// cookie, redeems the code, verifies the ID token and opens a session.

const (
	oidcCookie    = "wf_oidc"
	oidcCookieTTL = 10 * time.Minute
)

// oidcFlow is what a sign-in carries from login to callback.
type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
	Expires  int64  `json:"exp"`
}

func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	o := s.cfg.OIDC
	fl := oidcFlow{State: rand.Text(), Nonce: rand.Text(), Verifier: auth.NewVerifier(),
		Next: safeNext(r.URL.Query().Get("next")), Expires: s.now().Add(oidcCookieTTL).Unix()}
	b, _ := json.Marshal(fl)
	payload := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: payload + "." + signFlow(o.StateKey(), payload), Path: "/auth/oidc/",
		MaxAge: int(oidcCookieTTL.Seconds()), HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, o.AuthCodeURL(fl.State, fl.Nonce, fl.Verifier), http.StatusFound)
}

func signFlow(key []byte, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// readFlow returns the sign-in the cookie carries, if it is this server's,
// unexpired and for the state the provider sent back.
func (s *Server) readFlow(r *http.Request) (oidcFlow, error) {
	var fl oidcFlow
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		return fl, errors.New("no sign-in in progress in this browser (the cookie is missing)")
	}
	payload, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(signFlow(s.cfg.OIDC.StateKey(), payload))) {
		return fl, errors.New("the sign-in cookie is not this server's")
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(b, &fl) != nil {
		return fl, errors.New("the sign-in cookie is malformed")
	}
	if s.now().Unix() > fl.Expires {
		return fl, errors.New("the sign-in took too long")
	}
	if st := r.URL.Query().Get("state"); st == "" || subtle.ConstantTimeCompare([]byte(st), []byte(fl.State)) != 1 {
		return fl, errors.New("the state does not match this browser's sign-in")
	}
	return fl, nil
}

func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	ri.target = "session (OpenID Connect)"
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/auth/oidc/", MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	fail := func(status int, msg string, err error) {
		if ri.user != "" {
			auditDetail(r, "OpenID Connect sign-in failed: "+err.Error())
		}
		if status >= 500 {
			s.log.Error("signing in with OpenID Connect", "err", err)
		} else {
			s.log.Warn("OpenID Connect sign-in refused", "reason", err.Error(), "remote", ri.remote)
		}
		v := s.newView(w, r, "", "Sign in")
		v.Data, v.Message = loginData{Next: "/", SSO: s.cfg.OIDC.Name()}, msg
		s.render(w, status, "login", v)
	}
	fl, err := s.readFlow(r)
	if err != nil {
		fail(http.StatusBadRequest, "Sign-in could not be completed: "+err.Error()+". Start again.", err)
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		err := errors.New(e + ": " + q.Get("error_description"))
		fail(http.StatusUnauthorized, "The identity provider refused the sign-in ("+err.Error()+").", err)
		return
	}
	id, err := s.cfg.OIDC.Exchange(r.Context(), q.Get("code"), fl.Verifier, fl.Nonce)
	if err != nil {
		fail(http.StatusUnauthorized, "The identity provider's answer could not be verified; the reason is logged.", err)
		return
	}
	ri.user = id.Username
	secret, p, err := s.auth.LoginOIDC(r.Context(), s.cfg.OIDC, id, ri.remote)
	switch {
	case errors.Is(err, auth.ErrNoRole):
		fail(http.StatusForbidden, "Your account at the identity provider has no Watchfloor role. Ask an administrator.", err)
		return
	case errors.Is(err, auth.ErrInvalid):
		fail(http.StatusForbidden, "This account is disabled.", err)
		return
	case err != nil:
		fail(http.StatusInternalServerError, "Sign-in failed; the error is logged.", err)
		return
	}
	ri.user, ri.role = p.Name, string(p.Role)
	auditDetail(r, "signed in with OpenID Connect as "+id.Subject)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, fl.Next, http.StatusSeeOther)
}
