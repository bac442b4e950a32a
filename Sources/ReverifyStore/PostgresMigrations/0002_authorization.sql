-- The authorization code flow: pending hosted flows, grants and the tokens issued from them.

CREATE TABLE authorization_requests (
    id              TEXT PRIMARY KEY,
    browser_hash    TEXT NOT NULL,             -- SHA-256 of the browser cookie that started it
    csrf_hash       TEXT NOT NULL,
    client_id       TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    request         TEXT NOT NULL,             -- JSON of the validated AuthorizeRequest
    session_id      TEXT REFERENCES sessions(id) ON DELETE CASCADE,
    pinned_user_id  TEXT REFERENCES users(id) ON DELETE CASCADE,
    reason          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    completed_at    BIGINT
);

CREATE TABLE grants (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    nonce           TEXT,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT,
    revoked_reason  TEXT
);
CREATE INDEX grants_session ON grants(session_id);

CREATE TABLE authorization_codes (
    code_hash       TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    nonce           TEXT,
    code_challenge  TEXT,
    min_auth_time   BIGINT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT,
    grant_id        TEXT REFERENCES grants(id) ON DELETE CASCADE
);

CREATE TABLE refresh_tokens (
    token_hash   TEXT PRIMARY KEY,
    grant_id     TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    parent_hash  TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens(grant_id);

CREATE TABLE access_tokens (
    jti         TEXT PRIMARY KEY,
    grant_id    TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX access_tokens_grant ON access_tokens(grant_id);
