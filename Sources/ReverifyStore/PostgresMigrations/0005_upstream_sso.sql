-- Delegated SSO (issue 6): upstream OpenID Connect providers, the links between our users and their
-- upstream identities, and the pending redirects to a provider (single use, bound to a hosted flow).

CREATE TABLE upstream_providers (
    id                TEXT PRIMARY KEY,                  -- ups_…
    name              TEXT NOT NULL,                     -- unique ignoring case: upstream_providers_name_lower
    issuer            TEXT NOT NULL,                     -- compared exactly with the ID token's iss
    client_id         TEXT NOT NULL,
    -- In the clear, unlike every other secret (DESIGN 4): Reverify must present it to the provider's
    -- token endpoint, so a hash is useless. It is never printed or logged; protect the database file.
    client_secret     TEXT NOT NULL,
    scope             TEXT NOT NULL DEFAULT 'openid email',
    email_domains     TEXT NOT NULL DEFAULT '[]',        -- JSON array; offered on sign-in for these domains
    created_at        BIGINT NOT NULL
);
-- SQLite's `COLLATE NOCASE UNIQUE`: lookups use `lower(name) = lower($1)`, which this index serves.
CREATE UNIQUE INDEX upstream_providers_name_lower ON upstream_providers (lower(name));

CREATE TABLE user_identities (
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider_id  TEXT NOT NULL REFERENCES upstream_providers(id) ON DELETE CASCADE,
    subject      TEXT NOT NULL,                          -- the upstream sub (unique per issuer, OIDC Core 2)
    email        TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (provider_id, subject),
    UNIQUE (user_id, provider_id)
);
CREATE INDEX user_identities_user ON user_identities(user_id);

CREATE TABLE upstream_states (
    state_hash     TEXT PRIMARY KEY,                     -- SHA-256 of the state sent upstream
    request_id     TEXT NOT NULL REFERENCES authorization_requests(id) ON DELETE CASCADE,
    provider_id    TEXT NOT NULL REFERENCES upstream_providers(id) ON DELETE CASCADE,
    browser_hash   TEXT NOT NULL,                        -- SHA-256 of the browser cookie that left
    nonce          TEXT NOT NULL,                        -- sent upstream; compared with the ID token
    code_verifier  TEXT NOT NULL,                        -- PKCE (RFC 7636), sent to the token endpoint
    started_at     BIGINT NOT NULL,                     -- the upstream auth_time must not predate this
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);
CREATE INDEX upstream_states_request ON upstream_states(request_id);
