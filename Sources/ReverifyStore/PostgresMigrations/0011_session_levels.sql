-- Assurance levels (issue 10): when the session last achieved each level, next to auth_time.
-- JSON {"achievedAt": {"<acr>": <unix time>, …}}; levels above 1fa decay after their lifetime.

ALTER TABLE sessions ADD COLUMN levels TEXT NOT NULL DEFAULT '{"achievedAt":{}}';

-- Sessions from before: their last verification achieved 1fa, and mfa when that is what it reached.
UPDATE sessions SET levels = CASE
    WHEN acr = 'urn:reverify:acr:mfa' THEN json_build_object('achievedAt',
        json_build_object('urn:reverify:acr:1fa', auth_time, 'urn:reverify:acr:mfa', auth_time))::text
    ELSE json_build_object('achievedAt', json_build_object('urn:reverify:acr:1fa', auth_time))::text
END;

-- A client's floor: the least level every request of this client needs (clients create --min-acr).
ALTER TABLE clients ADD COLUMN min_acr TEXT
    CHECK (min_acr IS NULL OR min_acr IN ('urn:reverify:acr:1fa', 'urn:reverify:acr:mfa'));
