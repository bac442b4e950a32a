-- Issue 9 item 10: introspection answers only the token's own client, or a client registered as a resource
-- server (RFC 7662 4: "the authorization server ... SHOULD ... determine whether the caller is authorized").
ALTER TABLE clients ADD COLUMN resource_server BIGINT NOT NULL DEFAULT 0 CHECK (resource_server IN (0, 1));

-- Issue 9 item 6: a provider links a first SSO sign-in to a local account by email only for the domains
-- listed here (JSON array). Empty: never; links are made with `reverify users link`.
ALTER TABLE upstream_providers ADD COLUMN link_domains TEXT NOT NULL DEFAULT '[]';
