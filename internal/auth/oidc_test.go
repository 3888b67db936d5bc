package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth/idptest"
	"github.com/watchfloor/watchfloor/internal/store"
)

const callback = "https://watchfloor.example/auth/oidc/callback"

func newOIDC(t *testing.T, idp *idptest.Provider, def Role) *OIDC {
	t.Helper()
	o, err := NewOIDC(context.Background(), OIDCConfig{Issuer: idp.URL, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
		RedirectURL: callback, Roles: map[string]Role{"soc-analysts": Analyst, "soc-leads": Manager, "soc-viewers": Viewer},
		DefaultRole: def})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// signIn runs the browser's part: to the authorization endpoint and back
// with a code, which Exchange redeems with the verifier and nonce.
func signIn(t *testing.T, o *OIDC, nonce string) (Identity, error) {
	t.Helper()
	verifier := NewVerifier()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(o.AuthCodeURL("st4te", "n0nce", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), callback) || loc.Query().Get("state") != "st4te" {
		t.Fatalf("authorization answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return o.Exchange(context.Background(), loc.Query().Get("code"), verifier, nonce)
}

func TestOIDCSignIn(t *testing.T) {
	ctx := context.Background()
	idp := idptest.New(t)
	s, _ := newService(t)
	o := newOIDC(t, idp, "")

	id, err := signIn(t, o, "n0nce")
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != idp.URL+" alice" || id.Username != "alice" || len(id.Values) != 1 || id.Values[0] != "soc-analysts" {
		t.Fatalf("identity %+v", id)
	}
	secret, p, err := s.LoginOIDC(ctx, o, id, "10.0.0.9")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "alice" || p.Role != Analyst || p.Via != "session" {
		t.Fatalf("principal %+v", p)
	}
	if q, err := s.Session(ctx, secret); err != nil || q.UserID != p.UserID {
		t.Fatalf("session %+v %v", q, err)
	}
	u, _ := s.Store.UserByName(ctx, "alice")
	if u.OIDCSubject != id.Subject || u.PasswordHash != "" {
		t.Fatalf("account %+v", u)
	}
	// No password sign-in for an account without a password.
	if _, _, err := s.Login(ctx, "alice", "", "10.0.0.9"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("password sign-in of an OIDC account: %v", err)
	}

	// The role follows the provider: promoted to lead, the most privileged
	// mapped group wins; same account.
	idp.Claims = func() map[string]any {
		return map[string]any{"sub": "alice", "preferred_username": "alice", "groups": []string{"soc-viewers", "soc-leads", "other"}}
	}
	id, err = signIn(t, o, "n0nce")
	if err != nil {
		t.Fatal(err)
	}
	if _, p2, err := s.LoginOIDC(ctx, o, id, ""); err != nil || p2.UserID != p.UserID || p2.Role != Manager {
		t.Fatalf("second sign-in %+v %v", p2, err)
	}

	// No mapped group and no default role: refused, nothing created.
	idp.Claims = func() map[string]any { return map[string]any{"sub": "mallory", "groups": "contractors"} }
	id, err = signIn(t, o, "n0nce")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.LoginOIDC(ctx, o, id, ""); !errors.Is(err, ErrNoRole) {
		t.Fatalf("unmapped user: %v", err)
	}
	if _, err := s.Store.UserByOIDCSubject(ctx, id.Subject); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an account was created for a refused user: %v", err)
	}
	// With a default role the same user gets it.
	if _, p3, err := s.LoginOIDC(ctx, newOIDC(t, idp, Viewer), id, ""); err != nil || p3.Role != Viewer || p3.Name != "mallory" {
		t.Fatalf("default role %+v %v", p3, err)
	}

	// A provider user named like a local admin gets an account of its
	// own, never the admin's.
	if _, err := s.CreateUser(ctx, "root", Admin, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	idp.Claims = func() map[string]any {
		return map[string]any{"sub": "x-99", "preferred_username": "root", "groups": []string{"soc-analysts"}}
	}
	id, _ = signIn(t, o, "n0nce")
	_, p4, err := s.LoginOIDC(ctx, o, id, "")
	if err != nil || p4.Name == "root" || !strings.HasPrefix(p4.Name, "root-") || p4.Role != Analyst {
		t.Fatalf("name clash: %+v %v", p4, err)
	}

	// A disabled account stays refused.
	u, _ = s.Store.UserByName(ctx, "alice")
	u.Disabled = true
	if err := s.Store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	idp.Claims = func() map[string]any { return map[string]any{"sub": "alice", "groups": []string{"soc-analysts"}} }
	id, _ = signIn(t, o, "n0nce")
	if _, _, err := s.LoginOIDC(ctx, o, id, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("disabled account: %v", err)
	}
}

// TestOIDCTokenChecks: tokens for another client, from another issuer,
// expired, or for another sign-in (nonce) are refused; so is a code
// redeemed with the wrong PKCE verifier.
func TestOIDCTokenChecks(t *testing.T) {
	idp := idptest.New(t)
	o := newOIDC(t, idp, "")
	for _, c := range []struct {
		name   string
		tamper func(map[string]any)
		nonce  string
		want   string
	}{
		{"audience", func(m map[string]any) { m["aud"] = "another-client" }, "n0nce", "audience"},
		{"issuer", func(m map[string]any) { m["iss"] = "https://evil.example" }, "n0nce", "different provider"},
		{"expired", func(m map[string]any) { m["exp"] = time.Now().Add(-time.Hour).Unix() }, "n0nce", "expired"},
		{"nonce", nil, "another-nonce", "nonce"},
		{"no nonce", func(m map[string]any) { delete(m, "nonce") }, "n0nce", "nonce"},
	} {
		idp.Tamper = c.tamper
		_, err := signIn(t, o, c.nonce)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error about %s", c.name, err, c.want)
		}
	}
	idp.Tamper = nil
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(o.AuthCodeURL("s", "n", NewVerifier()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if _, err := o.Exchange(context.Background(), loc.Query().Get("code"), NewVerifier(), "n"); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("wrong PKCE verifier: %v", err)
	}
}

func TestOIDCConfig(t *testing.T) {
	idp := idptest.New(t)
	ok := OIDCConfig{Issuer: idp.URL, ClientID: "c", ClientSecret: "s", RedirectURL: callback}
	for name, mut := range map[string]func(*OIDCConfig){
		"no secret":       func(c *OIDCConfig) { c.ClientSecret = "" },
		"relative":        func(c *OIDCConfig) { c.RedirectURL = "/auth/oidc/callback" },
		"wrong path":      func(c *OIDCConfig) { c.RedirectURL = "https://w.example/callback" },
		"ingest role":     func(c *OIDCConfig) { c.Roles = map[string]Role{"pipes": Ingest} },
		"unknown role":    func(c *OIDCConfig) { c.Roles = map[string]Role{"x": "root"} },
		"bad default":     func(c *OIDCConfig) { c.DefaultRole = "root" },
		"unreachable":     func(c *OIDCConfig) { c.Issuer = "http://127.0.0.1:1" },
		"issuer mismatch": func(c *OIDCConfig) { c.Issuer = idp.URL + "/" },
	} {
		c := ok
		mut(&c)
		if _, err := NewOIDC(context.Background(), c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	o, err := NewOIDC(context.Background(), ok)
	if err != nil || o.Name() != "single sign-on" || len(o.StateKey()) != 32 {
		t.Fatalf("defaults: %v", err)
	}
}
