-- Hardening (issue 9): verification attempts reserved before they are checked, verification-email
-- requests counted per address whether or not an account exists, and offline access per client.

-- One row per guess at an account's secrets (password, emailed code). A row is inserted as
-- 'pending' in the same transaction that counts the account's recent failures, so parallel
-- guesses can never exceed the lockout limit; it is settled once the secret was checked.
CREATE TABLE verification_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    subject     TEXT NOT NULL,      -- SHA-256 of the normalised, lower-cased email the attempt names
    kind        TEXT NOT NULL CHECK (kind IN ('password', 'email_code')),
    ip_address  TEXT,
    started_at  INTEGER NOT NULL,
    outcome     TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'failed', 'succeeded', 'void'))
);
CREATE INDEX verification_attempts_subject ON verification_attempts(subject, started_at);

-- One row per accepted request for a verification email, known address or not, so the send limits
-- answer the same for every address.
CREATE TABLE email_send_requests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subject       TEXT NOT NULL,    -- SHA-256 of the normalised, lower-cased email
    ip_address    TEXT,
    requested_at  INTEGER NOT NULL
);
CREATE INDEX email_send_requests_subject ON email_send_requests(subject, requested_at);
CREATE INDEX email_send_requests_ip ON email_send_requests(ip_address, requested_at);

-- OIDC Core 11: only clients allowed offline access get grants that outlive the browser session.
ALTER TABLE clients ADD COLUMN allow_offline_access INTEGER NOT NULL DEFAULT 0;
