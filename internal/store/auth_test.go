package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func TestAuthRecords(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

		id, err := st.CreateUser(ctx, store.User{Name: "ada", Role: "admin", PasswordHash: "h1", CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUser(ctx, store.User{Name: "ada", Role: "viewer", CreatedAt: now}); !errors.Is(err, store.ErrExists) {
			t.Fatalf("duplicate user: got %v, want ErrExists", err)
		}
		u, err := st.UserByName(ctx, "ada")
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != id || u.Role != "admin" || u.PasswordHash != "h1" || !u.CreatedAt.Equal(now) || u.Disabled {
			t.Fatalf("user = %+v", u)
		}
		u.Role, u.Disabled = "viewer", true
		if err := st.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if u2, _ := st.UserByID(ctx, id); u2.Role != "viewer" || !u2.Disabled {
			t.Fatalf("updated user = %+v", u2)
		}
		if _, err := st.UserByName(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}
		if n, _ := st.CountUsers(ctx); n != 1 {
			t.Fatalf("CountUsers = %d", n)
		}
		tid, err := st.CreateAPIToken(ctx, store.APIToken{UserID: id, Name: "ci", Hash: "th", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		tok, tu, err := st.TokenByHash(ctx, "th")
		if err != nil {
			t.Fatal(err)
		}
		if tok.ID != tid || tok.Name != "ci" || !tok.ExpiresAt.Equal(now.Add(time.Hour)) || !tok.RevokedAt.IsZero() || tu.Name != "ada" {
			t.Fatalf("token = %+v, user = %+v", tok, tu)
		}
		if err := st.RevokeAPIToken(ctx, tid, now); err != nil {
			t.Fatal(err)
		}
		if tok, _, _ := st.TokenByHash(ctx, "th"); !tok.RevokedAt.Equal(now) {
			t.Fatalf("revoked_at = %v", tok.RevokedAt)
		}
		if err := st.RevokeAPIToken(ctx, tid, now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second revoke: %v", err)
		}

		for i, exp := range []time.Time{now.Add(-time.Minute), now.Add(time.Hour)} {
			se := store.Session{Hash: []string{"old", "new"}[i], UserID: id, CSRF: "c", Remote: "10.0.0.1", CreatedAt: now, ExpiresAt: exp}
			if err := st.CreateSession(ctx, se); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := st.DeleteExpiredSessions(ctx, now); err != nil || n != 1 {
			t.Fatalf("DeleteExpiredSessions = %d, %v", n, err)
		}
		se, su, err := st.SessionByHash(ctx, "new")
		if err != nil || se.CSRF != "c" || se.Remote != "10.0.0.1" || su.Name != "ada" {
			t.Fatalf("session = %+v, %+v, %v", se, su, err)
		}
		if err := st.DeleteSession(ctx, "new"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.SessionByHash(ctx, "new"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted session: %v", err)
		}

		for i, action := range []string{"POST /login", "POST /api/v1/ingest", "POST /logout"} {
			if _, err := st.AppendAudit(ctx, store.AuditEntry{At: now.Add(time.Duration(i) * time.Second), Actor: "ada", Role: "admin",
				Action: action, Remote: "10.0.0.1", Status: 200}); err != nil {
				t.Fatal(err)
			}
		}
		all, err := st.AuditEntries(ctx, store.AuditFilter{})
		if err != nil || len(all) != 3 || all[0].Action != "POST /logout" || !all[2].At.Equal(now) {
			t.Fatalf("audit = %+v, %v", all, err)
		}
		page, _ := st.AuditEntries(ctx, store.AuditFilter{AfterID: all[0].ID, Limit: 1})
		if len(page) != 1 || page[0].Action != "POST /api/v1/ingest" {
			t.Fatalf("audit page = %+v", page)
		}
		// Users, tokens, sessions and the audit log leave the data version
		// of a new store as it is.
		if v, err := st.DataVersion(ctx); err != nil || v != "1" {
			t.Fatalf("DataVersion = %q, %v", v, err)
		}
		// OpenID Connect accounts: found by subject, which is unique;
		// local accounts (empty subject) are never found by it.
		sid, err := st.CreateUser(ctx, store.User{Name: "grace", Role: "analyst", OIDCSubject: "https://idp.example 42", CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		if g, err := st.UserByOIDCSubject(ctx, "https://idp.example 42"); err != nil || g.ID != sid || g.Name != "grace" || g.PasswordHash != "" {
			t.Fatalf("by subject: %+v, %v", g, err)
		}
		if _, err := st.CreateUser(ctx, store.User{Name: "grace2", Role: "viewer", OIDCSubject: "https://idp.example 42", CreatedAt: now}); !errors.Is(err, store.ErrExists) {
			t.Fatalf("duplicate subject: got %v, want ErrExists", err)
		}
		if _, err := st.CreateUser(ctx, store.User{Name: "local2", Role: "viewer", CreatedAt: now}); err != nil {
			t.Fatalf("a second local account (empty subject): %v", err)
		}
		if _, err := st.UserByOIDCSubject(ctx, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("empty subject: %v", err)
		}
	})
}
