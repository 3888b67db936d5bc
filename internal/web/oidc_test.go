package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/auth/idptest"
	"github.com/watchfloor/watchfloor/internal/store"
)

// oidcFixture is the fixture server with sign-in through a test provider
// that maps soc-analysts to analyst.
func oidcFixture(t *testing.T) (*fixture, *idptest.Provider) {
	t.Helper()
	idp := idptest.New(t)
	f := newFixtureWith(t, func(cfg *Config, base string) {
		o, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{Issuer: idp.URL, ClientID: idp.ClientID,
			ClientSecret: idp.ClientSecret, RedirectURL: base + "/auth/oidc/callback", Roles: map[string]auth.Role{"soc-analysts": auth.Analyst},
			Name: "Example SSO"})
		if err != nil {
			t.Fatal(err)
		}
		cfg.OIDC = o
	})
	return f, idp
}

// jarClient is a client with cookies that follows redirects.
func jarClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

func TestOIDCSignInFlow(t *testing.T) {
	f, _ := oidcFixture(t)
	if body := readBody(t, f.do("GET", "/login", "", "")); !strings.Contains(body, `href="/auth/oidc/login?next=%2f"`) ||
		!strings.Contains(body, "Sign in with Example SSO") {
		t.Fatalf("sign-in page lacks the SSO button:\n%s", body)
	}
	b := jarClient(t)
	// To the provider and back, then to the page asked for.
	resp, err := b.Get(f.ts.URL + "/auth/oidc/login?next=" + url.QueryEscape("/cases"))
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/cases" {
		t.Fatalf("ended at %s with %d: %.300s", resp.Request.URL, resp.StatusCode, body)
	}
	var me struct{ Name, Role string }
	req, _ := http.NewRequest("GET", f.ts.URL+"/api/v1/me", nil)
	resp, err = b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(readBody(t, resp)), &me); err != nil {
		t.Fatal(err)
	}
	if me.Name != "alice" || me.Role != "analyst" {
		t.Fatalf("signed in as %+v", me)
	}
	entries, err := f.st.AuditEntries(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || e.Action == "GET /auth/oidc/callback" && e.Actor == "alice" && e.Role == "analyst" && e.Status == 303 &&
			strings.HasPrefix(e.Detail, "signed in with OpenID Connect as http://127.0.0.1")
	}
	if !found {
		t.Errorf("no audit entry for the sign-in: %+v", entries)
	}
	// next stays on this site.
	resp, err = noRedirectJar(b).Get(f.ts.URL + "/auth/oidc/login?next=" + url.QueryEscape("//evil.example/x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb := followOnce(t, b, resp.Header.Get("Location"))
	if loc := cb.Header.Get("Location"); cb.StatusCode != 303 || loc != "/" {
		t.Errorf("open redirect: callback answered %d to %q", cb.StatusCode, loc)
	}
}

// noRedirectJar is b without following redirects.
func noRedirectJar(b *http.Client) *http.Client {
	return &http.Client{Jar: b.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// followOnce asks the provider's authorization URL and then the callback
// it redirects to, returning the callback's answer unfollowed.
func followOnce(t *testing.T, b *http.Client, authURL string) *http.Response {
	t.Helper()
	c := noRedirectJar(b)
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestOIDCSignInRefusals(t *testing.T) {
	f, idp := oidcFixture(t)
	start := func(b *http.Client) string {
		resp, err := noRedirectJar(b).Get(f.ts.URL + "/auth/oidc/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 302 {
			t.Fatalf("login answered %d", resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}
	callback := func(b *http.Client, query string) (int, string) {
		resp, err := noRedirectJar(b).Get(f.ts.URL + "/auth/oidc/callback?" + query)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readBody(t, resp)
	}
	hasSession := func(b *http.Client) bool {
		u, _ := url.Parse(f.ts.URL)
		for _, c := range b.Jar.Cookies(u) {
			if c.Name == sessionCookie {
				return true
			}
		}
		return false
	}

	// No sign-in started in this browser.
	if code, body := callback(jarClient(t), "code=x&state=y"); code != 400 || !strings.Contains(body, "cookie is missing") {
		t.Errorf("callback without the cookie: %d", code)
	}
	// A state that is not this browser's (login CSRF).
	b := jarClient(t)
	start(b)
	if code, body := callback(b, "code=x&state=forged"); code != 400 || !strings.Contains(body, "state does not match") {
		t.Errorf("forged state: %d", code)
	}
	// The provider refused; its text is shown escaped.
	b = jarClient(t)
	au, _ := url.Parse(start(b))
	q := url.Values{"state": {au.Query().Get("state")}, "error": {"access_denied"}, "error_description": {"<b>no</b>"}}
	if code, body := callback(b, q.Encode()); code != 401 || !strings.Contains(body, "access_denied: &lt;b&gt;no&lt;/b&gt;") {
		t.Errorf("provider error: %d %s", code, body)
	}
	// A user without a mapped group: refused and audited.
	idp.Claims = func() map[string]any {
		return map[string]any{"sub": "eve", "preferred_username": "eve", "groups": []string{"contractors"}}
	}
	b = jarClient(t)
	if resp := followOnce(t, b, start(b)); resp.StatusCode != 403 || hasSession(b) {
		t.Errorf("unmapped user: %d, session %v", resp.StatusCode, hasSession(b))
	}
	entries, _ := f.st.AuditEntries(context.Background(), store.AuditFilter{})
	refused := false
	for _, e := range entries {
		refused = refused || e.Actor == "eve" && e.Status == 403 && strings.Contains(e.Detail, "no Watchfloor role")
	}
	if !refused {
		t.Errorf("the refusal is not audited: %+v", entries)
	}
	// A token for another client is refused.
	idp.Claims = func() map[string]any {
		return map[string]any{"sub": "bob", "groups": []string{"soc-analysts"}, "aud": "other"}
	}
	b = jarClient(t)
	if resp := followOnce(t, b, start(b)); resp.StatusCode != 401 || hasSession(b) {
		t.Errorf("wrong audience: %d", resp.StatusCode)
	}
	// The cookie is single-use: replaying the callback fails.
	idp.Claims = func() map[string]any { return map[string]any{"sub": "carol", "groups": []string{"soc-analysts"}} }
	b = jarClient(t)
	c := noRedirectJar(b)
	resp, err := c.Get(start(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cbURL := resp.Header.Get("Location")
	if resp, err = c.Get(cbURL); err != nil || resp.StatusCode != 303 {
		t.Fatalf("first callback: %v %v", resp, err)
	}
	resp.Body.Close()
	if resp, err = c.Get(cbURL); err != nil || resp.StatusCode != 400 {
		t.Errorf("replayed callback: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}
