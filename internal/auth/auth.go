// Package auth is Watchfloor's access control: local users with bcrypt
// password hashes, API tokens and browser sessions (both stored only as
// SHA-256 hashes), the roles and what each may do, CSRF tokens for
// cookie-authenticated writes, login rate limiting, and the audit log of
// writes.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/watchfloor/watchfloor/internal/store"
)

// Role names a set of permissions.
type Role string

// The roles.
const (
	// Viewer sees the aggregate picture: dashboard, KPIs, SLA, rule quality.
	Viewer Role = "viewer"
	// Analyst also reads individual cases and alerts (attacker-controlled
	// text, personal data in entities).
	Analyst Role = "analyst"
	// Manager also sees who has an account.
	Manager Role = "manager"
	// Admin may do everything, including managing users and reading the
	// audit log.
	Admin Role = "admin"
	// Ingest is for pipelines: it may only post data.
	Ingest Role = "ingest"
)

// Roles lists the roles.
var Roles = []Role{Viewer, Analyst, Manager, Admin, Ingest}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want viewer, analyst, manager, admin or ingest)", s)
}

// Permission is something a request needs.
type Permission string

// The permissions.
const (
	// ViewDashboard covers aggregates: dashboard, metrics, SLA, rules, the
	// live event stream and Prometheus metrics.
	ViewDashboard Permission = "view_dashboard"
	// ViewRecords covers individual cases and alerts.
	ViewRecords Permission = "view_records"
	// ViewUsers covers the list of accounts.
	ViewUsers Permission = "view_users"
	// PlanResources covers the staffing and budget plans (the roster's
	// gaps and costs).
	PlanResources Permission = "plan_resources"
	// IngestData covers posting alerts, cases and events.
	IngestData Permission = "ingest"
	// Administer covers creating users and tokens and reading the audit log.
	Administer Permission = "administer"
	// ManageIncidents covers declaring and running major incidents: roles,
	// timeline, tasks, status updates, regulatory events, internal
	// notifications, closing and the review.
	ManageIncidents Permission = "manage_incidents"
	// NotifyExternal covers messages to audiences outside the organisation
	// (regulators, customers, media, partners).
	NotifyExternal Permission = "notify_external"
	// WorkCases covers changing cases: assigning, reprioritising, moving
	// through stages, commenting and closing (the MCP write tools).
	WorkCases Permission = "work_cases"
)

var grants = map[Role][]Permission{
	Viewer:  {ViewDashboard},
	Analyst: {ViewDashboard, ViewRecords, ManageIncidents, WorkCases},
	Manager: {ViewDashboard, ViewRecords, ViewUsers, PlanResources, ManageIncidents, NotifyExternal, WorkCases},
	Admin:   {ViewDashboard, ViewRecords, ViewUsers, PlanResources, IngestData, Administer, ManageIncidents, NotifyExternal, WorkCases},
	Ingest:  {IngestData},
}

// Can reports whether role r holds permission p.
func (r Role) Can(p Permission) bool {
	for _, g := range grants[r] {
		if g == p {
			return true
		}
	}
	return false
}

// Principal is who a request acts as.
type Principal struct {
	UserID int64
	Name   string
	Role   Role
	// Via is "session" or "token".
	Via string
	// CSRF is the session's CSRF token (empty for tokens).
	CSRF string
	// SessionHash identifies the session, for signing out.
	SessionHash string
}

// Errors.
var (
	// ErrInvalid is returned for a wrong name, password, token or session;
	// it does not say which, so accounts cannot be enumerated.
	ErrInvalid = errors.New("invalid credentials")
	// ErrInvalidInput wraps errors in a user name, role or password given
	// to CreateUser or SetPassword.
	ErrInvalidInput = errors.New("invalid input")
	// ErrRateLimited is returned when too many sign-in attempts failed.
	ErrRateLimited = errors.New("too many failed sign-in attempts; try again later")
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// TokenPrefix starts every API token, so leaked tokens are easy to find
// with secret scanners.
const TokenPrefix = "wfat_"

// Service authenticates and authorises against the store.
type Service struct {
	Store *store.Store
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// SessionTTL is how long a sign-in lasts (12 hours when zero).
	SessionTTL time.Duration
	// BcryptCost is the hashing cost (bcrypt.DefaultCost when zero).
	BcryptCost int
	// Limiter throttles sign-in failures per account and address: after 5
	// failures from one address for one account, each further attempt
	// waits twice as long as the last, from 2 s up to 15 min (the default
	// when nil). Other addresses can still sign in to that account.
	Limiter *Limiter
	// AddressLimiter throttles an address's failures over every account
	// (password spraying): 20 free, then from 2 s up to 15 min (the
	// default when nil).
	AddressLimiter *Limiter
	// TokenCacheTTL is how long a verified API token is trusted without
	// asking the store again (5 seconds when zero; negative disables the
	// cache). Revoking a token or disabling its user takes effect within
	// it. At thousands of API requests a second this saves a database
	// read per request.
	TokenCacheTTL time.Duration

	limitOnce  sync.Once
	tokenMu    sync.Mutex
	tokenCache map[string]cachedToken
}

type cachedToken struct {
	p     Principal
	until time.Time
}

// maxCachedTokens bounds the token cache; it is emptied when full.
const maxCachedTokens = 10000

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// limiters returns the sign-in throttles, making the defaults on first use.
func (s *Service) limiters() (perAccount, perAddress *Limiter) {
	s.limitOnce.Do(func() {
		if s.Limiter == nil {
			s.Limiter = NewLimiter(5, 2*time.Second, 15*time.Minute)
		}
		if s.AddressLimiter == nil {
			s.AddressLimiter = NewLimiter(20, 2*time.Second, 15*time.Minute)
		}
	})
	return s.Limiter, s.AddressLimiter
}

// HashSecret is the SHA-256 (hex) under which tokens and sessions are
// stored. Their 256 random bits make a slow hash unnecessary.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// randomString returns n random bytes, base64url encoded.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CheckName checks a user name: 1–64 characters of letters, digits, and
// . _ - @.
func CheckName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return fmt.Errorf("%w: user name must have 1 to 64 characters", ErrInvalidInput)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)) {
			return fmt.Errorf("%w: user name %q: only letters, digits and . _ - @ are allowed", ErrInvalidInput, name)
		}
	}
	return nil
}

// CreateUser adds a user. An empty password makes a token-only account
// (for the ingest role); otherwise it must have MinPasswordLength
// characters.
func (s *Service) CreateUser(ctx context.Context, name string, role Role, password string) (store.User, error) {
	if err := CheckName(name); err != nil {
		return store.User{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return store.User{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	u := store.User{Name: name, Role: string(role), CreatedAt: s.now()}
	if password != "" {
		h, err := s.hashPassword(password)
		if err != nil {
			return u, err
		}
		u.PasswordHash = h
	}
	id, err := s.Store.CreateUser(ctx, u)
	if err != nil {
		return u, err
	}
	u.ID = id
	return u, nil
}

// SetPassword changes a user's password and ends the account's sessions:
// whoever knew the old password is signed out everywhere. API tokens are
// separate credentials and stay valid (revoke them with users revoke).
func (s *Service) SetPassword(ctx context.Context, name, password string) error {
	u, err := s.Store.UserByName(ctx, name)
	if err != nil {
		return err
	}
	if u.PasswordHash, err = s.hashPassword(password); err != nil {
		return err
	}
	if err := s.Store.UpdateUser(ctx, u); err != nil {
		return err
	}
	if _, err := s.Store.DeleteUserSessions(ctx, u.ID); err != nil {
		return fmt.Errorf("ending the sessions of %s: %w", name, err)
	}
	return nil
}

// SetDisabled disables or re-enables an account. Disabling ends its
// sessions (re-enabling does not bring them back) and stops its API tokens
// in this process at once, in others within the token cache's TTL.
func (s *Service) SetDisabled(ctx context.Context, name string, disabled bool) (store.User, error) {
	u, err := s.Store.UserByName(ctx, name)
	if err != nil {
		return u, err
	}
	u.Disabled = disabled
	if err := s.Store.UpdateUser(ctx, u); err != nil {
		return u, err
	}
	if disabled {
		if _, err := s.Store.DeleteUserSessions(ctx, u.ID); err != nil {
			return u, fmt.Errorf("ending the sessions of %s: %w", name, err)
		}
		s.ForgetTokens()
	}
	return u, nil
}

func (s *Service) hashPassword(password string) (string, error) {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return "", fmt.Errorf("%w: password must have at least %d characters", ErrInvalidInput, MinPasswordLength)
	}
	if len(password) > 72 {
		return "", fmt.Errorf("%w: password must have at most 72 bytes (a bcrypt limit)", ErrInvalidInput)
	}
	cost := s.BcryptCost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hashing password: %w", err)
	}
	return string(h), nil
}

// equaliserHash is the bcrypt hash a sign-in for an unknown name is
// checked against, so a wrong name costs as much time as a wrong password.
// It is made at the first sign-in, not at start-up: hashing takes about
// 85 ms, which every CLI command paid when it was a package variable.
var equaliserHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("watchfloor-timing-equaliser"), bcrypt.DefaultCost)
	return h
})

// Login checks a name and password and on success opens a session. It
// returns the cookie value (shown once, stored only hashed) and the
// principal.
//
// Failures are throttled per account and address together, and per
// address over all accounts, with backoff (see Limiter); a refused attempt
// returns a *RateLimitError saying when to retry. Nothing is keyed by the
// account alone, so failing on purpose from one address never locks the
// account for anyone else.
func (s *Service) Login(ctx context.Context, name, password, remote string) (string, Principal, error) {
	perAccount, perAddress := s.limiters()
	now := s.now()
	pair := strings.ToLower(name) + "\x00" + remote
	if wait := max(perAccount.Wait(pair, now), perAddress.Wait(remote, now)); wait > 0 {
		return "", Principal{}, &RateLimitError{RetryAfter: wait}
	}
	u, err := s.Store.UserByName(ctx, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", Principal{}, err
	}
	hash := []byte(u.PasswordHash)
	if err != nil || u.PasswordHash == "" {
		hash = equaliserHash()
	}
	cmp := bcrypt.CompareHashAndPassword(hash, []byte(password))
	if err != nil || u.PasswordHash == "" || cmp != nil || u.Disabled || Role(u.Role) == Ingest {
		perAccount.Fail(pair, now)
		perAddress.Fail(remote, now)
		return "", Principal{}, ErrInvalid
	}
	// The address's count is kept: signing in to one's own account must not
	// clear a spray against the others.
	perAccount.Reset(pair)
	return s.openSession(ctx, u, remote)
}

// Session resolves a session cookie value.
func (s *Service) Session(ctx context.Context, secret string) (Principal, error) {
	if secret == "" {
		return Principal{}, ErrInvalid
	}
	se, u, err := s.Store.SessionByHash(ctx, HashSecret(secret))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrInvalid
	}
	if err != nil {
		return Principal{}, err
	}
	if !s.now().Before(se.ExpiresAt) || u.Disabled {
		return Principal{}, ErrInvalid
	}
	return Principal{UserID: u.ID, Name: u.Name, Role: Role(u.Role), Via: "session", CSRF: se.CSRF, SessionHash: se.Hash}, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	if p.SessionHash == "" {
		return nil
	}
	return s.Store.DeleteSession(ctx, p.SessionHash)
}

// CreateToken issues an API token for a user; ttl 0 means it does not
// expire. The token is returned once and stored only hashed.
func (s *Service) CreateToken(ctx context.Context, userName, label string, ttl time.Duration) (string, store.APIToken, error) {
	u, err := s.Store.UserByName(ctx, userName)
	if err != nil {
		return "", store.APIToken{}, err
	}
	secret := TokenPrefix + randomString(32)
	t := store.APIToken{UserID: u.ID, Name: label, Hash: HashSecret(secret), CreatedAt: s.now()}
	if ttl > 0 {
		t.ExpiresAt = t.CreatedAt.Add(ttl)
	}
	if t.ID, err = s.Store.CreateAPIToken(ctx, t); err != nil {
		return "", t, err
	}
	return secret, t, nil
}

// Token resolves a bearer token.
func (s *Service) Token(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Principal{}, ErrInvalid
	}
	hash := HashSecret(secret)
	now := s.now()
	ttl := s.TokenCacheTTL
	if ttl == 0 {
		ttl = 5 * time.Second
	}
	if ttl > 0 {
		s.tokenMu.Lock()
		c, ok := s.tokenCache[hash]
		s.tokenMu.Unlock()
		if ok && now.Before(c.until) {
			return c.p, nil
		}
	}
	p, err := s.token(ctx, hash, now)
	if err == nil && ttl > 0 {
		s.tokenMu.Lock()
		if s.tokenCache == nil || len(s.tokenCache) >= maxCachedTokens {
			s.tokenCache = map[string]cachedToken{}
		}
		s.tokenCache[hash] = cachedToken{p: p, until: now.Add(ttl)}
		s.tokenMu.Unlock()
	}
	return p, err
}

// ForgetTokens empties the token cache, so revocations made through this
// process take effect at once.
func (s *Service) ForgetTokens() {
	s.tokenMu.Lock()
	s.tokenCache = nil
	s.tokenMu.Unlock()
}

func (s *Service) token(ctx context.Context, hash string, now time.Time) (Principal, error) {
	t, u, err := s.Store.TokenByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrInvalid
	}
	if err != nil {
		return Principal{}, err
	}
	if !t.RevokedAt.IsZero() || (!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)) || u.Disabled {
		return Principal{}, ErrInvalid
	}
	return Principal{UserID: u.ID, Name: u.Name, Role: Role(u.Role), Via: "token"}, nil
}

// CheckCSRF compares a submitted CSRF token with the session's in constant
// time.
func (p Principal) CheckCSRF(submitted string) bool {
	return p.CSRF != "" && subtle.ConstantTimeCompare([]byte(p.CSRF), []byte(submitted)) == 1
}

// Audit records a write.
func (s *Service) Audit(ctx context.Context, e store.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	_, err := s.Store.AppendAudit(ctx, e)
	return err
}
