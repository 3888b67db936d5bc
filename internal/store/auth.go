package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// User is a local account of the web server.
type User struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
	// PasswordHash is the bcrypt hash; empty for accounts that only use
	// API tokens (ingest pipelines).
	PasswordHash string `json:"-"`
	// OIDCSubject is "issuer subject" for an account that signs in with
	// OpenID Connect; empty for local accounts.
	OIDCSubject string    `json:"oidc_subject,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	Disabled    bool      `json:"disabled"`
}

// APIToken is a bearer token of a user. Only the SHA-256 of the secret is
// stored.
type APIToken struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	Name      string    `json:"name"`
	Hash      string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: never
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Session is a signed-in browser. Hash is the SHA-256 of the cookie value.
type Session struct {
	Hash      string
	UserID    int64
	CSRF      string
	Remote    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuditEntry is one write made through the server: who, what, when and
// from where.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Role   string    `json:"role"`
	Action string    `json:"action"` // e.g. "POST /api/v1/ingest"
	Target string    `json:"target,omitempty"`
	Remote string    `json:"remote"`
	Status int       `json:"status"` // the HTTP status answered
	Detail string    `json:"detail,omitempty"`
}

// ErrExists is returned when a record with the same unique name exists.
var ErrExists = errors.New("already exists")

// authWrite runs fn in a write transaction of its own. Users, tokens,
// sessions and the audit log are no data a report reads: the data version
// stays.
func (s *Store) authWrite(ctx context.Context, fn func(dbConn) error) error {
	return s.connWrite(ctx, false, fn)
}

// recordWrite runs fn, which changes records the reports, pages or
// answers read, in a write transaction of its own that bumps the data
// version.
func (s *Store) recordWrite(ctx context.Context, fn func(dbConn) error) error {
	return s.connWrite(ctx, true, fn)
}

func (s *Store) connWrite(ctx context.Context, bump bool, fn func(dbConn) error) error {
	run := func(c dbConn) error {
		if err := fn(c); err != nil || !bump {
			return err
		}
		return bumpDataVersion(ctx, c)
	}
	if s.engine == SQLite {
		return s.writeSQLite(ctx, run)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := run(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func isUniqueViolation(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint") || strings.Contains(msg, "SQLSTATE 23505") ||
		strings.Contains(msg, "duplicate key")
}

// CreateUser stores a new user and returns its id; ErrExists when the name
// or the OpenID Connect subject is taken.
func (s *Store) CreateUser(ctx context.Context, u User) (int64, error) {
	var id int64
	err := s.authWrite(ctx, func(c dbConn) error {
		return c.QueryRowContext(ctx, s.rebind(`INSERT INTO users (name, role, password_hash, oidc_subject, created_at, disabled)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), u.Name, u.Role, u.PasswordHash, u.OIDCSubject, u.CreatedAt.UnixMicro(),
			boolInt(u.Disabled)).Scan(&id)
	})
	if err != nil {
		if isUniqueViolation(err) {
			return 0, fmt.Errorf("user %q (or its OpenID Connect subject): %w", u.Name, ErrExists)
		}
		return 0, fmt.Errorf("creating user %q: %w", u.Name, err)
	}
	return id, nil
}

// UpdateUser changes a user's role, password hash and disabled flag.
func (s *Store) UpdateUser(ctx context.Context, u User) error {
	return s.authWrite(ctx, func(c dbConn) error {
		res, err := c.ExecContext(ctx, s.rebind(`UPDATE users SET role = ?, password_hash = ?, disabled = ? WHERE id = ?`),
			u.Role, u.PasswordHash, boolInt(u.Disabled), u.ID)
		if err != nil {
			return fmt.Errorf("updating user %q: %w", u.Name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %q: %w", u.Name, ErrNotFound)
		}
		return nil
	})
}

const userColumns = `id, name, role, password_hash, oidc_subject, created_at, disabled`

func scanUser(sc interface{ Scan(...any) error }, u *User) error {
	var created, disabled int64
	if err := sc.Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, &u.OIDCSubject, &created, &disabled); err != nil {
		return err
	}
	u.CreatedAt = time.UnixMicro(created).UTC()
	u.Disabled = disabled != 0
	return nil
}

func (s *Store) userWhere(ctx context.Context, what, cond string, arg any) (User, error) {
	var u User
	err := scanUser(s.r.QueryRowContext(ctx, s.rebind(`SELECT `+userColumns+` FROM users WHERE `+cond), arg), &u)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %s: %w", what, ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("reading user %s: %w", what, err)
	}
	return u, nil
}

// UserByName returns the user with the given name.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	return s.userWhere(ctx, fmt.Sprintf("%q", name), "name = ?", name)
}

// UserByOIDCSubject returns the user signing in as the given OpenID
// Connect "issuer subject".
func (s *Store) UserByOIDCSubject(ctx context.Context, subject string) (User, error) {
	if subject == "" {
		return User{}, fmt.Errorf("user with an empty OpenID Connect subject: %w", ErrNotFound)
	}
	return s.userWhere(ctx, "with OpenID Connect subject "+fmt.Sprintf("%q", subject), "oidc_subject = ?", subject)
}

// UserByID returns the user with the given id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	return s.userWhere(ctx, fmt.Sprint(id), "id = ?", id)
}

// Users returns all users by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := scanUser(rows, &u); err != nil {
			return nil, fmt.Errorf("listing users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting users: %w", err)
	}
	return n, nil
}

// CreateAPIToken stores a token (its hash) and returns its id.
func (s *Store) CreateAPIToken(ctx context.Context, t APIToken) (int64, error) {
	var id int64
	err := s.authWrite(ctx, func(c dbConn) error {
		return c.QueryRowContext(ctx, s.rebind(`INSERT INTO api_tokens (user_id, name, hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`), t.UserID, t.Name, t.Hash, t.CreatedAt.UnixMicro(), micros(t.ExpiresAt)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("creating API token %q: %w", t.Name, err)
	}
	return id, nil
}

// TokenByHash returns the token with the given hash and its user.
func (s *Store) TokenByHash(ctx context.Context, hash string) (APIToken, User, error) {
	var t APIToken
	var u User
	var created, uCreated, disabled int64
	var expires, revoked sql.NullInt64
	err := s.r.QueryRowContext(ctx, s.rebind(`SELECT t.id, t.user_id, t.name, t.hash, t.created_at, t.expires_at, t.revoked_at,
		u.id, u.name, u.role, u.password_hash, u.created_at, u.disabled
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`), hash).Scan(
		&t.ID, &t.UserID, &t.Name, &t.Hash, &created, &expires, &revoked,
		&u.ID, &u.Name, &u.Role, &u.PasswordHash, &uCreated, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return t, u, fmt.Errorf("API token: %w", ErrNotFound)
	}
	if err != nil {
		return t, u, fmt.Errorf("reading API token: %w", err)
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = time.UnixMicro(created).UTC(), fromMicros(expires), fromMicros(revoked)
	u.CreatedAt, u.Disabled = time.UnixMicro(uCreated).UTC(), disabled != 0
	return t, u, nil
}

// RevokeAPIToken marks a token revoked as of at.
func (s *Store) RevokeAPIToken(ctx context.Context, id int64, at time.Time) error {
	return s.authWrite(ctx, func(c dbConn) error {
		res, err := c.ExecContext(ctx, s.rebind(`UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), at.UnixMicro(), id)
		if err != nil {
			return fmt.Errorf("revoking API token %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("API token %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, se Session) error {
	return s.authWrite(ctx, func(c dbConn) error {
		_, err := c.ExecContext(ctx, s.rebind(`INSERT INTO sessions (hash, user_id, csrf, remote, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
			se.Hash, se.UserID, se.CSRF, se.Remote, se.CreatedAt.UnixMicro(), se.ExpiresAt.UnixMicro())
		if err != nil {
			return fmt.Errorf("creating session: %w", err)
		}
		return nil
	})
}

// SessionByHash returns the session with the given hash and its user.
func (s *Store) SessionByHash(ctx context.Context, hash string) (Session, User, error) {
	var se Session
	var u User
	var created, expires, uCreated, disabled int64
	err := s.r.QueryRowContext(ctx, s.rebind(`SELECT s.hash, s.user_id, s.csrf, s.remote, s.created_at, s.expires_at,
		u.id, u.name, u.role, u.password_hash, u.created_at, u.disabled
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?`), hash).Scan(
		&se.Hash, &se.UserID, &se.CSRF, &se.Remote, &created, &expires,
		&u.ID, &u.Name, &u.Role, &u.PasswordHash, &uCreated, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return se, u, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return se, u, fmt.Errorf("reading session: %w", err)
	}
	se.CreatedAt, se.ExpiresAt = time.UnixMicro(created).UTC(), time.UnixMicro(expires).UTC()
	u.CreatedAt, u.Disabled = time.UnixMicro(uCreated).UTC(), disabled != 0
	return se, u, nil
}

// DeleteSession removes a session (sign-out).
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	return s.authWrite(ctx, func(c dbConn) error {
		if _, err := c.ExecContext(ctx, s.rebind(`DELETE FROM sessions WHERE hash = ?`), hash); err != nil {
			return fmt.Errorf("deleting session: %w", err)
		}
		return nil
	})
}

// DeleteExpiredSessions removes sessions that expired before now and
// returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.authWrite(ctx, func(c dbConn) error {
		res, err := c.ExecContext(ctx, s.rebind(`DELETE FROM sessions WHERE expires_at < ?`), now.UnixMicro())
		if err != nil {
			return fmt.Errorf("deleting expired sessions: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// AppendAudit records one write and returns the entry's id.
func (s *Store) AppendAudit(ctx context.Context, e AuditEntry) (int64, error) {
	var id int64
	err := s.authWrite(ctx, func(c dbConn) error {
		return c.QueryRowContext(ctx, s.rebind(`INSERT INTO audit_log (at, actor, role, action, target, remote, status, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), e.At.UnixMicro(), e.Actor, e.Role, e.Action, e.Target, e.Remote, e.Status, e.Detail).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("writing audit entry: %w", err)
	}
	return id, nil
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	Actor   string
	AfterID int64 // keyset paging: entries with a smaller id (newest first)
	Limit   int   // default 100
}

// AuditEntries returns audit entries, newest first.
func (s *Store) AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var w where
	if f.Actor != "" {
		w.add("actor = ?", f.Actor)
	}
	if f.AfterID > 0 {
		w.add("id < ?", f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT id, at, actor, role, action, target, remote, status, detail FROM audit_log`+
		w.String()+fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("listing audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Role, &e.Action, &e.Target, &e.Remote, &e.Status, &e.Detail); err != nil {
			return nil, fmt.Errorf("listing audit log: %w", err)
		}
		e.At = time.UnixMicro(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
