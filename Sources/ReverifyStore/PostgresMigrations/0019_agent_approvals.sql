-- Human approval of an agent's action (issue 12 item 4): OpenID CIBA poll mode with RFC 9396 details.

CREATE TABLE agent_approvals (
    id                      TEXT PRIMARY KEY,
    -- SHA-256 of the auth_req_id the agent polls with, and of the token in the emailed link; never the values.
    request_hash            TEXT NOT NULL UNIQUE,
    link_hash               TEXT NOT NULL UNIQUE,
    client_id               TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    -- NULL when the hint named nobody: the request answers like any other, and simply never gets approved.
    user_id                 TEXT REFERENCES users(id) ON DELETE CASCADE,
    action                  TEXT NOT NULL,
    -- The one RFC 9396 entry, as JSON, carried into the token.
    authorization_details   TEXT NOT NULL,
    binding_message         TEXT,
    scope                   TEXT NOT NULL,
    -- The level and age the approving verification must meet.
    required_acr            TEXT NOT NULL,
    max_age                 BIGINT NOT NULL,
    status                  TEXT NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'granted', 'denied', 'redeemed', 'revoked')),
    created_at              BIGINT NOT NULL,
    expires_at              BIGINT NOT NULL,
    -- CIBA Core 7.3 / 11: the polling interval (raised by slow_down) and the last poll.
    poll_interval           BIGINT NOT NULL,
    last_polled_at          BIGINT,
    -- The browser and verification that may decide (set when the person verified on the approval flow).
    browser_hash            TEXT,
    verification_started_at BIGINT,
    verified_session_id     TEXT REFERENCES sessions(id) ON DELETE SET NULL,
    -- The decision and the approving verification's auth_time / acr / amr (carried into the token).
    decided_at              BIGINT,
    session_id              TEXT REFERENCES sessions(id) ON DELETE SET NULL,
    auth_time               BIGINT,
    acr                     TEXT,
    amr                     TEXT,
    -- The grant the tokens were issued under, once redeemed; revoking the approval revokes it.
    grant_id                TEXT REFERENCES grants(id) ON DELETE SET NULL,
    redeemed_at             BIGINT,
    revoked_at              BIGINT
);
CREATE INDEX agent_approvals_user ON agent_approvals(user_id, created_at);

-- The hosted verification flow an approval starts continues to the approval page, not to a code.
ALTER TABLE authorization_requests ADD COLUMN approval_id TEXT REFERENCES agent_approvals(id) ON DELETE CASCADE;
