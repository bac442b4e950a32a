-- Shared Signals (issue 11): transmitters allowed to push Security Event Tokens (RFC 8417, RFC 8935),
-- and the SET ids already received (replay protection).

CREATE TABLE ssf_transmitters (
    issuer      TEXT PRIMARY KEY,
    jwks        TEXT,               -- a JWK Set registered from a file, or
    jwks_uri    TEXT,               -- where the transmitter publishes its keys
    created_at  BIGINT NOT NULL,
    CHECK (jwks IS NOT NULL OR jwks_uri IS NOT NULL)
);

CREATE TABLE ssf_received (
    issuer       TEXT NOT NULL REFERENCES ssf_transmitters(issuer) ON DELETE CASCADE,
    jti          TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
);
