package mcp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	wfauth "github.com/watchfloor/watchfloor/internal/auth"
)

// TokenVerifier checks a bearer token and names who presented it.
type TokenVerifier interface {
	// Verify returns the account the token belongs to and its role, or an
	// error when the token is unknown.
	Verify(ctx context.Context, token string) (Caller, error)
}

// ErrUnknownToken is returned by verifiers for a token they do not know.
var ErrUnknownToken = errors.New("unknown token")

// TokenEnv names the environment variable the CLI reads token hashes from.
const TokenEnv = "WATCHFLOOR_MCP_TOKEN_SHA256"

// SHA256Tokens verifies tokens against stored SHA-256 hashes, so the
// tokens themselves are never stored.
type SHA256Tokens struct {
	entries []tokenHash
}

type tokenHash struct {
	caller Caller
	sum    [sha256.Size]byte
}

// ParseSHA256Tokens reads a token list: comma-separated entries, each the
// hex SHA-256 of a token, optionally prefixed by the identity it stands for
// and a colon ("alice:9f86d0…"), and by the identity and its role
// ("alice:analyst:9f86d0…"). Entries without a name are "token-1",
// "token-2" … in order; entries without a role have defaultRole. Create a
// hash with `printf %s "$TOKEN" | sha256sum`.
func ParseSHA256Tokens(spec string, defaultRole wfauth.Role) (*SHA256Tokens, error) {
	t := &SHA256Tokens{}
	if _, err := wfauth.ParseRole(string(defaultRole)); err != nil {
		return nil, fmt.Errorf("default token role: %w", err)
	}
	for i, e := range strings.Split(spec, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		parts := strings.Split(e, ":")
		name, role, h := fmt.Sprintf("token-%d", i+1), defaultRole, parts[len(parts)-1]
		switch len(parts) {
		case 1:
		case 2:
			name = parts[0]
		case 3:
			r, err := wfauth.ParseRole(strings.TrimSpace(parts[1]))
			if err != nil {
				return nil, fmt.Errorf("token entry %d: %w", i+1, err)
			}
			name, role = parts[0], r
		default:
			return nil, fmt.Errorf("token entry %d: want [name[:role]:]hexhash", i+1)
		}
		b, err := hex.DecodeString(strings.TrimSpace(h))
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("token entry %d: want the 64 hex digits of a SHA-256 hash", i+1)
		}
		th := tokenHash{caller: Caller{Name: strings.TrimSpace(name), Role: role}}
		copy(th.sum[:], b)
		t.entries = append(t.entries, th)
	}
	if len(t.entries) == 0 {
		return nil, errors.New("no token hashes given")
	}
	return t, nil
}

// Verify hashes the token and compares it with every stored hash in
// constant time.
func (t *SHA256Tokens) Verify(_ context.Context, token string) (Caller, error) {
	sum := sha256.Sum256([]byte(token))
	var found Caller
	for _, e := range t.entries {
		if subtle.ConstantTimeCompare(sum[:], e.sum[:]) == 1 && found.Name == "" {
			found = e.caller
		}
	}
	if found.Name == "" {
		return Caller{}, ErrUnknownToken
	}
	return found, nil
}

// HTTPHandler serves the server over streamable HTTP (mount it at /mcp).
// Every request needs "Authorization: Bearer <token>" accepted by v; the
// token's account is the actor of any write and its role decides which
// tools and prompts are listed and callable (see ToolAccess). A missing or
// wrong token is answered 401.
// Sessions idle for DefaultSessionIdle are closed (see HTTPHandlerIdle).
func HTTPHandler(srv *sdk.Server, v TokenVerifier, logger *slog.Logger) http.Handler {
	return HTTPHandlerIdle(srv, v, logger, DefaultSessionIdle)
}

// SessionlessProtocol is the first protocol revision without sessions
// (SEP-2575), the newest the SDK offers.
const SessionlessProtocol = "2026-07-28"

// DefaultSessionIdle is how long an HTTP session may go without a request
// before it is closed and its memory freed; the client then starts a new
// one.
const DefaultSessionIdle = 30 * time.Minute

// HTTPHandlerIdle is HTTPHandler with sessions closed after idle without
// a request (0: never, which lets abandoned sessions pile up).
func HTTPHandlerIdle(srv *sdk.Server, v TokenVerifier, logger *slog.Logger, idle time.Duration) http.Handler {
	get := func(*http.Request) *sdk.Server { return srv }
	stateful := sdk.NewStreamableHTTPHandler(get, &sdk.StreamableHTTPOptions{Logger: logger, SessionTimeout: idle})
	// The SDK serves protocol 2026-07-28 (sessionless: server/discover, the
	// version and client in each request's _meta) only statelessly; a
	// request that names it in Mcp-Protocol-Version and carries no session
	// goes there, every other to the sessions of 2025-11-25 and before.
	sessionless := sdk.NewStreamableHTTPHandler(get, &sdk.StreamableHTTPOptions{Logger: logger, Stateless: true})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Mcp-Session-Id") == "" && r.Header.Get("Mcp-Protocol-Version") >= SessionlessProtocol {
			sessionless.ServeHTTP(w, r)
			return
		}
		stateful.ServeHTTP(w, r)
	})
	verify := func(ctx context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
		c, err := v.Verify(ctx, token)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", auth.ErrInvalidToken, err)
		}
		return tokenInfo(c), nil
	}
	return auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h)
}
