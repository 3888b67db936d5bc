package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func newService(t *testing.T) (*Service, *time.Time) {
	t.Helper()
	st := storetest.Open(t, storetest.SQLitePath(t))
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	return &Service{Store: st, Now: func() time.Time { return now }, BcryptCost: bcrypt.MinCost}, &now
}

func TestRolePermissions(t *testing.T) {
	want := map[Role]string{
		Viewer:  "view_dashboard",
		Analyst: "view_dashboard view_records",
		Manager: "view_dashboard view_records view_users plan_resources",
		Admin:   "view_dashboard view_records view_users plan_resources ingest administer",
		Ingest:  "ingest",
	}
	all := []Permission{ViewDashboard, ViewRecords, ViewUsers, PlanResources, IngestData, Administer}
	for _, r := range Roles {
		var got []string
		for _, p := range all {
			if r.Can(p) {
				got = append(got, string(p))
			}
		}
		if g := strings.Join(got, " "); g != want[r] {
			t.Errorf("%s can %q, want %q", r, g, want[r])
		}
	}
	if Role("root").Can(ViewDashboard) {
		t.Error("an unknown role holds a permission")
	}
}

func TestLoginSessionAndRateLimit(t *testing.T) {
	ctx := context.Background()
	s, now := newService(t)
	if _, err := s.CreateUser(ctx, "ada", Admin, "short"); err == nil {
		t.Fatal("a short password was accepted")
	}
	if _, err := s.CreateUser(ctx, "bad name", Admin, "correct horse battery"); err == nil {
		t.Fatal("a name with a space was accepted")
	}
	if _, err := s.CreateUser(ctx, "ada", Admin, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	u, _ := s.Store.UserByName(ctx, "ada")
	if !strings.HasPrefix(u.PasswordHash, "$2a$") || strings.Contains(u.PasswordHash, "battery") {
		t.Fatalf("stored hash %q", u.PasswordHash)
	}

	cookie, p, err := s.Login(ctx, "ada", "correct horse battery", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "ada" || p.Role != Admin || p.Via != "session" || p.CSRF == "" {
		t.Fatalf("principal %+v", p)
	}
	if _, _, err := s.Store.SessionByHash(ctx, cookie); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("the session secret is stored in clear")
	}
	got, err := s.Session(ctx, cookie)
	if err != nil || got.Name != "ada" || got.CSRF != p.CSRF {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	if !got.CheckCSRF(p.CSRF) || got.CheckCSRF("") || got.CheckCSRF(p.CSRF+"x") {
		t.Fatal("CheckCSRF accepts the wrong token or refuses the right one")
	}
	*now = now.Add(13 * time.Hour)
	if _, err := s.Session(ctx, cookie); !errors.Is(err, ErrInvalid) {
		t.Fatalf("expired session: %v", err)
	}

	// Five failures lock the address and the name; a success resets.
	for i := range 5 {
		if _, _, err := s.Login(ctx, "ada", "wrong password!", "10.0.0.2"); !errors.Is(err, ErrInvalid) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, _, err := s.Login(ctx, "ada", "correct horse battery", "10.0.0.3"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("after 5 failures on the name: %v", err)
	}
	*now = now.Add(16 * time.Minute)
	if _, _, err := s.Login(ctx, "ada", "correct horse battery", "10.0.0.3"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if _, _, err := s.Login(ctx, "nobody", "correct horse battery", "10.0.0.4"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown user: %v", err)
	}

	// A disabled account can no longer sign in.
	u, _ = s.Store.UserByName(ctx, "ada")
	u.Disabled = true
	s.Store.UpdateUser(ctx, u)
	if _, _, err := s.Login(ctx, "ada", "correct horse battery", "10.0.0.5"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("disabled user: %v", err)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s, now := newService(t)
	if _, err := s.CreateUser(ctx, "pipeline", Ingest, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Login(ctx, "pipeline", "", "10.0.0.1"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("token-only account signed in: %v", err)
	}
	secret, tok, err := s.CreateToken(ctx, "pipeline", "siem", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) != len(TokenPrefix)+43 || tok.Hash != HashSecret(secret) {
		t.Fatalf("token %q, %+v", secret, tok)
	}
	p, err := s.Token(ctx, secret)
	if err != nil || p.Name != "pipeline" || p.Role != Ingest || p.Via != "token" || p.CSRF != "" {
		t.Fatalf("Token = %+v, %v", p, err)
	}
	for _, bad := range []string{"", "wfat_", secret + "x", strings.TrimPrefix(secret, TokenPrefix)} {
		if _, err := s.Token(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Token(%q) = %v", bad, err)
		}
	}
	*now = now.Add(24 * time.Hour)
	if _, err := s.Token(ctx, secret); !errors.Is(err, ErrInvalid) {
		t.Fatalf("expired token: %v", err)
	}
	// A revocation is seen once the cached verdict (5 s) has aged out, or
	// at once after ForgetTokens.
	secret2, tok2, _ := s.CreateToken(ctx, "pipeline", "forever", 0)
	if _, err := s.Token(ctx, secret2); err != nil {
		t.Fatal(err)
	}
	if err := s.Store.RevokeAPIToken(ctx, tok2.ID, *now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, secret2); err != nil {
		t.Fatalf("cached token refused within its TTL: %v", err)
	}
	*now = now.Add(5 * time.Second)
	if _, err := s.Token(ctx, secret2); !errors.Is(err, ErrInvalid) {
		t.Fatalf("revoked token after the cache TTL: %v", err)
	}
	secret3, tok3, _ := s.CreateToken(ctx, "pipeline", "third", 0)
	s.Token(ctx, secret3)
	s.Store.RevokeAPIToken(ctx, tok3.ID, *now)
	s.ForgetTokens()
	if _, err := s.Token(ctx, secret3); !errors.Is(err, ErrInvalid) {
		t.Fatalf("revoked token after ForgetTokens: %v", err)
	}
}

func TestLimiterWindow(t *testing.T) {
	l := NewLimiter(2, time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.Fail("k", t0)
	l.Fail("k", t0.Add(30*time.Second))
	cases := []struct {
		at   time.Duration
		want bool
	}{{45 * time.Second, false}, {60 * time.Second, true}, {91 * time.Second, true}}
	for _, c := range cases {
		if got := l.Allow("k", t0.Add(c.at)); got != c.want {
			t.Errorf("Allow at +%s = %v, want %v", c.at, got, c.want)
		}
	}
	if !l.Allow("other", t0) {
		t.Error("an unrelated key is limited")
	}
}
