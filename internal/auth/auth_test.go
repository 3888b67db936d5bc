package auth

import (
	"context"
	"errors"
	"fmt"
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
		Analyst: "view_dashboard view_records manage_incidents work_cases",
		Manager: "view_dashboard view_records view_users plan_resources manage_incidents notify_external work_cases",
		Admin:   "view_dashboard view_records view_users plan_resources ingest administer manage_incidents notify_external work_cases",
		Ingest:  "ingest",
	}
	all := []Permission{ViewDashboard, ViewRecords, ViewUsers, PlanResources, IngestData, Administer, ManageIncidents, NotifyExternal, WorkCases}
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

	// Five failures from one address throttle that address for that
	// account only: the account still signs in from another address.
	for i := range 5 {
		if _, _, err := s.Login(ctx, "ada", "wrong password!", "10.0.0.2"); !errors.Is(err, ErrInvalid) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, _, err = s.Login(ctx, "ada", "correct horse battery", "10.0.0.2")
	var rl *RateLimitError
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("sixth attempt from the failing address: %v", err)
	}
	if _, _, err := s.Login(ctx, "ada", "correct horse battery", "10.0.0.3"); err != nil {
		t.Fatalf("from another address after 5 failures elsewhere: %v", err)
	}
	*now = now.Add(2 * time.Second)
	if _, _, err := s.Login(ctx, "ada", "correct horse battery", "10.0.0.2"); err != nil {
		t.Fatalf("after the backoff: %v", err)
	}
	if _, _, err := s.Login(ctx, "nobody", "correct horse battery", "10.0.0.4"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown user: %v", err)
	}

	// A disabled account can no longer sign in.
	if _, err := s.SetDisabled(ctx, "ada", true); err != nil {
		t.Fatal(err)
	}
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

// TestLimiterBackoff pins the schedule: two free failures, then waits of
// 1 s, 2 s, 4 s, capped at 4 s, forgotten after 16 s without a failure.
func TestLimiterBackoff(t *testing.T) {
	l := NewLimiter(2, time.Second, 4*time.Second)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	steps := []struct {
		fail float64 // a failure at this second
		wait time.Duration
	}{
		{0, 0},                 // 1 failure: free
		{0.5, time.Second},     // 2: the next attempt waits 1 s
		{1.5, 2 * time.Second}, // 3
		{3.5, 4 * time.Second}, // 4
		{7.5, 4 * time.Second}, // 5: capped
	}
	for i, st := range steps {
		l.Fail("k", at(st.fail))
		if got := l.Wait("k", at(st.fail)); got != st.wait {
			t.Errorf("after failure %d: wait %s, want %s", i+1, got, st.wait)
		}
	}
	if got := l.Wait("k", at(9.5)); got != 2*time.Second {
		t.Errorf("2 s into a 4 s wait: %s left, want 2s", got)
	}
	if got := l.Wait("k", at(7.5+16)); got != 0 {
		t.Errorf("after 16 s quiet: wait %s", got)
	}
	l.Fail("k", at(24))
	if got := l.Wait("k", at(24)); got != 0 {
		t.Errorf("a forgotten key's first failure waits %s", got)
	}
	if l.Wait("other", t0) != 0 {
		t.Error("an unrelated key is limited")
	}
	l.Fail("k", at(25))
	l.Reset("k")
	if l.Wait("k", at(25)) != 0 {
		t.Error("Reset kept the failures")
	}
}

// TestLoginAttackerCannotLockOut: an address that fails a thousand times
// against the admin waits up to 15 minutes itself, while the admin signs
// in from another address at once; an address spraying many accounts is
// slowed over all of them.
func TestLoginAttackerCannotLockOut(t *testing.T) {
	ctx := context.Background()
	s, now := newService(t)
	for _, n := range []string{"admin", "bob"} {
		if _, err := s.CreateUser(ctx, n, Admin, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
	}
	const attacker, admin = "203.0.113.9", "10.1.1.1"
	for i := range 1000 {
		_, _, err := s.Login(ctx, "admin", "guess", attacker)
		if err == nil {
			t.Fatal("a wrong password signed in")
		}
		if i%50 == 0 {
			if _, _, err := s.Login(ctx, "admin", "correct horse battery", admin); err != nil {
				t.Fatalf("the admin from their own address after %d attacker attempts: %v", i, err)
			}
		}
		var rl *RateLimitError
		if errors.As(err, &rl) {
			*now = now.Add(rl.RetryAfter) // the attacker waits out every backoff
		}
	}
	if w := s.Limiter.Wait("admin\x00"+attacker, *now); w != 0 {
		t.Fatalf("the attacker waited out its backoff but must still wait %s", w)
	}
	s.Limiter.Fail("admin\x00"+attacker, *now)
	if w := s.Limiter.Wait("admin\x00"+attacker, *now); w != 15*time.Minute {
		t.Errorf("attacker's wait after 1000 failures = %s, want the 15 min cap", w)
	}
	// Spraying: 20 failures over different accounts from one address, then
	// the address waits for every account, including one it never tried.
	const sprayer = "198.51.100.7"
	for i := range 20 {
		if _, _, err := s.Login(ctx, fmt.Sprintf("user%d", i), "guess", sprayer); !errors.Is(err, ErrInvalid) {
			t.Fatalf("spray %d: %v", i, err)
		}
	}
	if _, _, err := s.Login(ctx, "bob", "correct horse battery", sprayer); !errors.Is(err, ErrRateLimited) {
		t.Errorf("after a 20-account spray the address signs in to a new account: %v", err)
	}
	if _, _, err := s.Login(ctx, "bob", "correct horse battery", admin); err != nil {
		t.Errorf("bob from another address during the spray: %v", err)
	}
}

// TestCredentialChangesEndSessions: a password change ends every session
// of the account (and only of that account); disabling does too, and
// re-enabling does not revive them.
func TestCredentialChangesEndSessions(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	for _, n := range []string{"ada", "bob"} {
		if _, err := s.CreateUser(ctx, n, Analyst, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
	}
	login := func(name, remote string) string {
		t.Helper()
		c, _, err := s.Login(ctx, name, "correct horse battery", remote)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ada1, ada2, bob := login("ada", "10.0.0.1"), login("ada", "10.0.0.2"), login("bob", "10.0.0.3")
	if err := s.SetPassword(ctx, "ada", "another long passphrase"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{ada1, ada2} {
		if _, err := s.Session(ctx, c); !errors.Is(err, ErrInvalid) {
			t.Errorf("ada's session after her password change: %v", err)
		}
	}
	if _, err := s.Session(ctx, bob); err != nil {
		t.Errorf("bob's session after ada's password change: %v", err)
	}
	bob2 := login("bob", "10.0.0.4")
	if _, err := s.SetDisabled(ctx, "bob", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetDisabled(ctx, "bob", false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{bob, bob2} {
		if _, err := s.Session(ctx, c); !errors.Is(err, ErrInvalid) {
			t.Errorf("bob's session after disable and enable: %v", err)
		}
	}
	login("bob", "10.0.0.4") // re-enabled: signs in afresh
}
