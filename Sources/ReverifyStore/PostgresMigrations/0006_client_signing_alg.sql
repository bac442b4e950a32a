-- Per-client ID token signing algorithm (ES256 by default; RS256 for relying parties that need it).

ALTER TABLE clients ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT 'ES256'
    CHECK (id_token_signed_response_alg IN ('ES256', 'RS256'));
