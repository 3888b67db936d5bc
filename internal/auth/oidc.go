package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/watchfloor/watchfloor/internal/store"
)

// OIDCConfig configures sign-in with an OpenID Connect provider
// (authorization code flow with PKCE).
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is read
	// from Issuer + "/.well-known/openid-configuration".
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's callback, ending in /auth/oidc/callback,
	// as registered with the provider.
	RedirectURL string
	// RolesClaim names the ID token claim holding the user's groups or
	// roles (a string or a list of strings); "groups" when empty.
	RolesClaim string
	// Roles maps a value of the claim to a Watchfloor role. A user with
	// several mapped values gets the most privileged role.
	Roles map[string]Role
	// DefaultRole is given to users with no mapped value; empty refuses
	// them.
	DefaultRole Role
	// Name labels the sign-in button ("single sign-on" when empty).
	Name string
}

// OIDC signs users in with an OpenID Connect provider.
type OIDC struct {
	cfg      OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// Identity is what a verified ID token says about the user.
type Identity struct {
	// Subject is "issuer subject", the account's key.
	Subject string
	// Username is the preferred_username claim, else the e-mail, else the
	// subject.
	Username string
	Email    string
	// Values are the roles claim's values.
	Values []string
}

// ErrNoRole is returned when the provider vouches for a user whose groups
// map to no role and no default role is set.
var ErrNoRole = errors.New("the identity provider gives this user no Watchfloor role")

// NewOIDC reads the provider's discovery document and checks cfg.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.RedirectURL == "" {
		return nil, errors.New("OpenID Connect needs an issuer, a client id, a client secret and a redirect URL")
	}
	u, err := url.Parse(cfg.RedirectURL)
	if err != nil || !u.IsAbs() || !strings.HasSuffix(u.Path, "/auth/oidc/callback") {
		return nil, fmt.Errorf("OpenID Connect redirect URL %q: want an absolute URL ending in /auth/oidc/callback", cfg.RedirectURL)
	}
	for v, r := range cfg.Roles {
		if _, err := ParseRole(string(r)); err != nil || r == Ingest {
			return nil, fmt.Errorf("OpenID Connect role mapping %q: role %q is not a sign-in role (viewer, analyst, manager, admin)", v, r)
		}
	}
	if cfg.DefaultRole != "" {
		if _, err := ParseRole(string(cfg.DefaultRole)); err != nil || cfg.DefaultRole == Ingest {
			return nil, fmt.Errorf("OpenID Connect default role %q is not a sign-in role", cfg.DefaultRole)
		}
	}
	if cfg.RolesClaim == "" {
		cfg.RolesClaim = "groups"
	}
	if cfg.Name == "" {
		cfg.Name = "single sign-on"
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("reading the OpenID Connect provider %s: %w", cfg.Issuer, err)
	}
	return &OIDC{
		cfg: cfg,
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"}},
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
	}, nil
}

// Name is the label of the sign-in button.
func (o *OIDC) Name() string { return o.cfg.Name }

// StateKey is the key this server signs its sign-in state cookie with,
// derived from the client secret so that replicas sharing the
// configuration accept each other's cookies.
func (o *OIDC) StateKey() []byte {
	sum := sha256.Sum256([]byte("watchfloor oidc state\x00" + o.cfg.ClientSecret))
	return sum[:]
}

// AuthCodeURL is where to send the browser: the provider's authorization
// endpoint with the state, the nonce and the PKCE challenge of verifier.
func (o *OIDC) AuthCodeURL(state, nonce, verifier string) string {
	return o.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
}

// NewVerifier returns a fresh PKCE code verifier.
func NewVerifier() string { return oauth2.GenerateVerifier() }

// Exchange redeems an authorization code and verifies the ID token that
// comes with it: signature, issuer, audience, expiry and nonce.
func (o *OIDC) Exchange(ctx context.Context, code, verifier, nonce string) (Identity, error) {
	tok, err := o.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("redeeming the authorization code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, errors.New("the provider's token answer has no id_token")
	}
	idt, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("verifying the ID token: %w", err)
	}
	if idt.Nonce == "" || idt.Nonce != nonce {
		return Identity{}, errors.New("verifying the ID token: nonce does not match this sign-in")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("reading the ID token's claims: %w", err)
	}
	id := Identity{Subject: idt.Issuer + " " + idt.Subject}
	id.Email, _ = claims["email"].(string)
	if verified, ok := claims["email_verified"].(bool); ok && !verified {
		id.Email = ""
	}
	id.Username, _ = claims["preferred_username"].(string)
	switch {
	case id.Username != "":
	case id.Email != "":
		id.Username = id.Email
	default:
		id.Username = idt.Subject
	}
	switch v := claims[o.cfg.RolesClaim].(type) {
	case string:
		id.Values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				id.Values = append(id.Values, s)
			}
		}
	}
	return id, nil
}

// roleRank orders the sign-in roles by privilege.
var roleRank = map[Role]int{Viewer: 1, Analyst: 2, Manager: 3, Admin: 4}

// RoleFor is the most privileged role the identity's values map to, else
// the default role; ErrNoRole when there is neither.
func (o *OIDC) RoleFor(id Identity) (Role, error) {
	var best Role
	for _, v := range id.Values {
		if r, ok := o.cfg.Roles[v]; ok && roleRank[r] > roleRank[best] {
			best = r
		}
	}
	if best == "" {
		best = o.cfg.DefaultRole
	}
	if best == "" {
		return "", ErrNoRole
	}
	return best, nil
}

// LoginOIDC opens a session for a verified identity. The account is found
// by the identity's subject, or created on first sign-in under the
// provider's user name (made a valid, unused name; never linked to an
// existing local account, so a name chosen at the provider cannot take one
// over). The role follows the provider at every sign-in; a disabled
// account stays refused.
func (s *Service) LoginOIDC(ctx context.Context, o *OIDC, id Identity, remote string) (string, Principal, error) {
	role, err := o.RoleFor(id)
	if err != nil {
		return "", Principal{}, err
	}
	u, err := s.Store.UserByOIDCSubject(ctx, id.Subject)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if u, err = s.createOIDCUser(ctx, id, role); err != nil {
			return "", Principal{}, err
		}
	case err != nil:
		return "", Principal{}, err
	default:
		if u.Disabled {
			return "", Principal{}, ErrInvalid
		}
		if Role(u.Role) != role {
			u.Role = string(role)
			if err := s.Store.UpdateUser(ctx, u); err != nil {
				return "", Principal{}, err
			}
		}
	}
	return s.openSession(ctx, u, remote)
}

// createOIDCUser makes the account of a first OpenID Connect sign-in.
func (s *Service) createOIDCUser(ctx context.Context, id Identity, role Role) (store.User, error) {
	base := oidcName(id.Username)
	sum := sha256.Sum256([]byte(id.Subject))
	names := []string{base, base + "-" + hex.EncodeToString(sum[:3])}
	var last error
	for _, name := range names {
		u := store.User{Name: name, Role: string(role), OIDCSubject: id.Subject, CreatedAt: s.now()}
		uid, err := s.Store.CreateUser(ctx, u)
		if err == nil {
			u.ID = uid
			return u, nil
		}
		if !errors.Is(err, store.ErrExists) {
			return store.User{}, err
		}
		last = err
		// A concurrent first sign-in of the same subject may have won.
		if u, err := s.Store.UserByOIDCSubject(ctx, id.Subject); err == nil {
			return u, nil
		}
	}
	return store.User{}, fmt.Errorf("creating the account of %s: %w", id.Subject, last)
}

// oidcName turns a provider's user name into a valid account name:
// characters outside CheckName's set become "-", and it is cut to 54
// characters to leave room for a suffix.
func oidcName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
		if b.Len() >= 54 {
			break
		}
	}
	if b.Len() == 0 {
		return "oidc-user"
	}
	return b.String()
}

// openSession stores a new session of u and returns the cookie value.
func (s *Service) openSession(ctx context.Context, u store.User, remote string) (string, Principal, error) {
	now := s.now()
	secret := randomString(32)
	ttl := s.SessionTTL
	if ttl == 0 {
		ttl = 12 * time.Hour
	}
	se := store.Session{Hash: HashSecret(secret), UserID: u.ID, CSRF: randomString(32), Remote: remote, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.Store.CreateSession(ctx, se); err != nil {
		return "", Principal{}, err
	}
	return secret, Principal{UserID: u.ID, Name: u.Name, Role: Role(u.Role), Via: "session", CSRF: se.CSRF, SessionHash: se.Hash}, nil
}
