-- Workload clients and private_key_jwt (issue 12 item 1).

-- A web application (hosted pages, redirect URIs) or a workload (back channel only).
ALTER TABLE clients ADD COLUMN kind TEXT NOT NULL DEFAULT 'web' CHECK (kind IN ('web', 'workload'));
-- Where the client publishes its public keys (a JWK Set URL), instead of or besides `jwks`.
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;

-- RFC 7523 3 item 7: a client assertion works once while it is unexpired.
CREATE TABLE client_assertion_jtis (
    client_id   TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    jti         TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
);
