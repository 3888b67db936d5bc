package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/auth/idptest"
)

func TestServeOIDCFlags(t *testing.T) {
	ctx := context.Background()
	if p, err := (&oidcOptions{}).provider(ctx); p != nil || err != nil {
		t.Fatalf("without --oidc-issuer: %v %v", p, err)
	}
	idp := idptest.New(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(idp.ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := oidcOptions{issuer: idp.URL, clientID: idp.ClientID, secretFile: secret, redirect: "https://w.example/auth/oidc/callback",
		claim: "groups", roles: []string{"soc-leads=manager", "soc=analyst"}, name: "Corp SSO"}
	p, err := ok.provider(ctx)
	if err != nil || p.Name() != "Corp SSO" {
		t.Fatalf("provider: %v", err)
	}
	t.Setenv("WATCHFLOOR_OIDC_CLIENT_SECRET", "from-env")
	for _, c := range []struct {
		mut  func(*oidcOptions)
		want string
	}{
		{func(o *oidcOptions) { o.roles = []string{"soc"} }, "want VALUE=ROLE"},
		{func(o *oidcOptions) { o.roles = []string{"soc=root"} }, "not a sign-in role"},
		{func(o *oidcOptions) { o.secretFile = filepath.Join(t.TempDir(), "none") }, "reading the OpenID Connect client secret"},
		{func(o *oidcOptions) { o.redirect = "http://w.example/login" }, "/auth/oidc/callback"},
	} {
		o := ok
		c.mut(&o)
		if _, err := o.provider(ctx); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
	// The secret from the environment when no file is named.
	o := ok
	o.secretFile = ""
	if _, err := o.provider(ctx); err != nil {
		t.Errorf("secret from the environment: %v", err)
	}
}
