-- OpenID conformance (issue 17): profile claims, the claims request carried to tokens and userinfo,
-- client keys for signed request objects, pushed authorization requests.

ALTER TABLE users ADD COLUMN given_name TEXT;
ALTER TABLE users ADD COLUMN family_name TEXT;
ALTER TABLE users ADD COLUMN preferred_username TEXT;

-- The `claims` request parameter (OIDC Core 5.5) as JSON, from the authorization request to the code
-- and on to the grant, so ID tokens and userinfo honour it for the grant's whole life.
ALTER TABLE authorization_codes ADD COLUMN claims TEXT;
ALTER TABLE grants ADD COLUMN claims TEXT;

-- A client's public keys (a JWK Set, JSON) for verifying its signed request objects (RFC 9101).
ALTER TABLE clients ADD COLUMN jwks TEXT;
ALTER TABLE clients ADD COLUMN require_signed_request_object BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN require_par BIGINT NOT NULL DEFAULT 0;

-- RFC 9126: a pushed request, single use, short-lived. Only the SHA-256 of its request_uri is stored.
CREATE TABLE pushed_authorization_requests (
    uri_hash    TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    parameters  TEXT NOT NULL,              -- JSON array of [name, value] pairs, as validated
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

-- RFC 9101 10.8 / RFC 7519 jti: a request object works once while it is unexpired.
CREATE TABLE request_object_jtis (
    client_id   TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    jti         TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
