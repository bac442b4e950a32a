-- Workload clients and private_key_jwt (issue 12 item 1).

-- A web application (hosted pages, redirect URIs) or a workload (back channel only).
ALTER TABLE clients ADD COLUMN kind TEXT NOT NULL DEFAULT 'web' CHECK (kind IN ('web', 'workload'));
-- Where the client publishes its public keys (a JWK Set URL), instead of or besides `jwks`.
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;
-- Token exchange (RFC 8693): the audiences (resource servers) the client may ask an exchanged token for,
-- as a JSON array, and the claims its client assertions must carry on every exchange (re-attestation,
-- `--attest name=value`), as a JSON object.
ALTER TABLE clients ADD COLUMN allowed_audiences TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN required_attestation TEXT NOT NULL DEFAULT '{}';

-- RFC 7523 3 item 7: a client assertion works once while it is unexpired.
CREATE TABLE client_assertion_jtis (
    client_id   TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    jti         TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);

-- Issue 12 item 5: a token exchanged for an action registered `once` is consumed by its first introspection
-- (revoked_at is set then), so a replayed privileged call fails.
ALTER TABLE access_tokens ADD COLUMN one_shot BIGINT NOT NULL DEFAULT 0;
