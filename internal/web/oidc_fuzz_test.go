package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/auth/idptest"
)

// FuzzOIDCStateCookie feeds the callback's cookie and state parser
// arbitrary values: it must never panic, and it accepts only a value this
// server signed, unexpired, for the state given. The seed corpus is in
// testdata/fuzz/FuzzOIDCStateCookie; the signed seed below is made at run
// time (the key comes from the test provider's secret).
func FuzzOIDCStateCookie(f *testing.F) {
	idp := idptest.New(f)
	o, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{Issuer: idp.URL, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
		RedirectURL: "https://w.example/auth/oidc/callback"})
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{cfg: Config{OIDC: o, Now: func() time.Time { return testNow }}}
	rec := httptest.NewRecorder()
	s.oidcLogin(rec, httptest.NewRequest("GET", "/auth/oidc/login?next=/cases", nil))
	signed := rec.Result().Cookies()[0].Value
	loc, _ := url.Parse(rec.Header().Get("Location"))
	f.Add(signed, loc.Query().Get("state"))
	f.Fuzz(func(t *testing.T, cookie, state string) {
		r := httptest.NewRequest("GET", "/auth/oidc/callback?state="+url.QueryEscape(state), nil)
		r.AddCookie(&http.Cookie{Name: oidcCookie, Value: cookie})
		fl, err := s.readFlow(r)
		if err != nil {
			return
		}
		// Accepted: the value is signed by this server and names this state.
		payload, sig, _ := strings.Cut(r.Cookies()[0].Value, ".")
		if sig != signFlow(o.StateKey(), payload) || fl.State != state || state == "" {
			t.Fatalf("accepted cookie %q for state %q", cookie, state)
		}
	})
}
