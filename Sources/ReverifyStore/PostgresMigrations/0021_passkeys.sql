-- Issue 18 part B: passkeys (W3C WebAuthn Level 3) and the phishing-resistant level.

-- A passkey is a user_factors row of kind 'passkey' (its name, creation and last use; confirmed when added)
-- plus its credential here. Removing the factor removes the credential.
CREATE TABLE passkey_credentials (
    factor_id       TEXT PRIMARY KEY REFERENCES user_factors(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id   TEXT NOT NULL UNIQUE,   -- base64url; WebAuthn L3 7.1 step 26: one account per credential
    public_key      BYTEA NOT NULL,         -- the COSE_Key bytes of the attested credential data
    algorithm       BIGINT NOT NULL CHECK (algorithm IN (-7, -8, -257)),
    sign_count      BIGINT NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    backup_eligible BIGINT NOT NULL CHECK (backup_eligible IN (0, 1)),
    backed_up       BIGINT NOT NULL CHECK (backed_up IN (0, 1)),
    transports      TEXT NOT NULL DEFAULT '[]',
    aaguid          TEXT NOT NULL
);
CREATE INDEX passkey_credentials_user ON passkey_credentials(user_id);

-- Challenges Reverify issued: only the SHA-256 of the base64url challenge is kept; single use, 5 minutes,
-- bound to the session that opened the enrolment page or to the hosted flow whose page offered a passkey.
CREATE TABLE passkey_challenges (
    challenge_hash  TEXT PRIMARY KEY,
    ceremony        TEXT NOT NULL CHECK (ceremony IN ('registration', 'authentication')),
    user_id         TEXT REFERENCES users(id) ON DELETE CASCADE,
    session_id      TEXT,
    request_id      TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);
CREATE INDEX passkey_challenges_expires ON passkey_challenges(expires_at);

-- A client's floor may now be phr (clients create --min-acr phr). SQLite cannot alter a CHECK; the column is
-- replaced by one with the wider CHECK, whatever other columns the table has gained. Done the same way here so
-- min_acr ends up the last column, as in SQLite.
ALTER TABLE clients ADD COLUMN min_acr_next TEXT
    CONSTRAINT clients_min_acr_next_check CHECK (min_acr_next IS NULL OR min_acr_next IN ('urn:reverify:acr:1fa', 'urn:reverify:acr:mfa', 'urn:reverify:acr:phr'));
UPDATE clients SET min_acr_next = min_acr;
ALTER TABLE clients DROP COLUMN min_acr;
ALTER TABLE clients RENAME COLUMN min_acr_next TO min_acr;
ALTER TABLE clients RENAME CONSTRAINT clients_min_acr_next_check TO clients_min_acr_check;
