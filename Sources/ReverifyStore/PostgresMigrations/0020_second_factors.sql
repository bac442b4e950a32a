-- Issue 18: second factors (authenticator apps now, passkeys next) and the account security page.

-- One row per enrolled factor, whatever its kind. Kind-specific columns: a TOTP's secret (sealed with the
-- master key when one is configured, like every secret the server must read back) and the last time step
-- accepted (RFC 6238 5.2: a code works once). A passkey's columns come with its own migration.
CREATE TABLE user_factors (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('totp', 'passkey')),
    name            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_used_at    BIGINT,
    confirmed_at    BIGINT,          -- NULL until confirmed (a TOTP by one valid code); only confirmed factors count
    secret          TEXT,             -- TOTP shared secret
    last_used_step  BIGINT            -- TOTP: the newest step accepted; a step at or before it is refused
);
CREATE INDEX user_factors_user ON user_factors(user_id, created_at);

-- A hosted verification continues as its flow asks: NULL issues a code to the client (as before); JSON
-- {"accountSecurity":{"returnTo":"/account/security"}} returns to the account security page.
ALTER TABLE authorization_requests ADD COLUMN continuation TEXT;

-- The account security page's own re-verifications are hosted flows of Reverify itself. Pending flows
-- reference a client, so Reverify is one: internal, never listed, never usable at the authorization or
-- token endpoints (no redirect URI, no secret), never deletable.
ALTER TABLE clients ADD COLUMN internal BIGINT NOT NULL DEFAULT 0 CHECK (internal IN (0, 1));
INSERT INTO clients (id, name, secret_hash, token_endpoint_auth_method, actions, created_at, internal)
    VALUES ('cli_reverify_account', 'Reverify', NULL, 'none', '{}', 0, 1);

-- Authenticator-app codes share the account's failure budget with passwords and emailed codes: widen the
-- kinds an attempt may have. (SQLite rebuilds the table for this; PostgreSQL replaces the CHECK in place,
-- which leaves the same columns and indexes.)
ALTER TABLE verification_attempts DROP CONSTRAINT verification_attempts_kind_check;
ALTER TABLE verification_attempts ADD CONSTRAINT verification_attempts_kind_check
    CHECK (kind IN ('password', 'email_code', 'totp'));
