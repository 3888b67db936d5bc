-- Accounts that sign in with OpenID Connect are known by their identity
-- provider's issuer and subject ("issuer subject"), never by a name or
-- e-mail the provider lets people choose.
ALTER TABLE users ADD COLUMN oidc_subject TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_oidc_subject ON users (oidc_subject) WHERE oidc_subject <> '';
