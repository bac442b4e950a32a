-- Emailed one-time secrets: a magic link and a 6-digit code per message, bound to the pending
-- authorization request, the user and the browser that asked. Only hashes are stored.

CREATE TABLE magic_links (
    id               TEXT PRIMARY KEY,
    request_id       TEXT NOT NULL REFERENCES authorization_requests(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    browser_hash     TEXT NOT NULL,             -- SHA-256 of the browser cookie that asked
    token_hash       TEXT NOT NULL UNIQUE,      -- SHA-256 of the link token
    code_hash        TEXT NOT NULL,             -- SHA-256 of id + ":" + code
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    consumed_at      BIGINT,
    failed_attempts  BIGINT NOT NULL DEFAULT 0,
    ip_address       TEXT,
    user_agent       TEXT,
    sent_at          BIGINT,
    send_error       TEXT
);
CREATE INDEX magic_links_request ON magic_links(request_id, created_at);
CREATE INDEX magic_links_user ON magic_links(user_id, created_at);
CREATE INDEX magic_links_ip ON magic_links(ip_address, created_at);
