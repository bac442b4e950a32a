-- Foundation: accounts, relying parties, signing keys, browser sessions and the audit trail.
-- Times are seconds since the Unix epoch. Secrets are stored only as hashes (DESIGN 4).

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name            TEXT,
    password_hash   TEXT,                      -- Argon2id PHC string; NULL for password-less users
    email_verified  INTEGER NOT NULL DEFAULT 0,
    disabled_at     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE clients (
    id                          TEXT PRIMARY KEY,
    name                        TEXT NOT NULL,
    secret_hash                 TEXT,          -- SHA-256 of a 256-bit secret; NULL for public clients
    token_endpoint_auth_method  TEXT NOT NULL
        CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none')),
    actions                     TEXT NOT NULL DEFAULT '{}',  -- JSON: sensitive action -> policy
    created_at                  INTEGER NOT NULL,
    secret_rotated_at           INTEGER
);

CREATE TABLE client_redirect_uris (
    client_id   TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('login', 'post_logout')),
    uri         TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (client_id, kind, uri)
);

CREATE TABLE signing_keys (
    kid              TEXT PRIMARY KEY,
    algorithm        TEXT NOT NULL,
    private_key_pem  TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    retired_at       INTEGER,                  -- no longer signs; still published
    removed_at       INTEGER                   -- no longer published
);

CREATE TABLE sessions (
    id                 TEXT PRIMARY KEY,       -- public id (sid claim)
    secret_hash        TEXT NOT NULL UNIQUE,   -- SHA-256 of the cookie secret
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at         INTEGER NOT NULL,
    auth_time          INTEGER NOT NULL,       -- last ACTIVE authentication (OIDC Core 2)
    amr                TEXT NOT NULL,          -- JSON array of RFC 8176 values
    acr                TEXT NOT NULL,
    verifications      TEXT NOT NULL DEFAULT '{}',  -- JSON: method -> last verified time
    ip_address         TEXT,
    user_agent         TEXT,
    device_id          TEXT,
    last_seen_at       INTEGER NOT NULL,
    idle_expires_at    INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    revoked_at         INTEGER
);
CREATE INDEX sessions_user ON sessions(user_id, created_at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    event       TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'info')),
    user_id     TEXT,
    session_id  TEXT,
    client_id   TEXT,
    method      TEXT,
    reason      TEXT,
    ip_address  TEXT,
    user_agent  TEXT,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_user ON audit_log(user_id, at);
