-- Retention (issue 9 item 5): indexes for finding what has expired, and for the foreign-key lookups that
-- deleting a grant or a session cascades through (without them every cascade scans the child table).

CREATE INDEX authorization_requests_expires ON authorization_requests(expires_at);
CREATE INDEX authorization_requests_session ON authorization_requests(session_id);
CREATE INDEX magic_links_expires ON magic_links(expires_at);
CREATE INDEX upstream_states_expires ON upstream_states(expires_at);
CREATE INDEX authorization_codes_expires ON authorization_codes(expires_at);
CREATE INDEX authorization_codes_grant ON authorization_codes(grant_id);
CREATE INDEX authorization_codes_session ON authorization_codes(session_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens(expires_at);
CREATE INDEX access_tokens_expires ON access_tokens(expires_at);
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX verification_attempts_started ON verification_attempts(started_at);
CREATE INDEX email_send_requests_requested ON email_send_requests(requested_at);
CREATE INDEX webhook_deliveries_delivered ON webhook_deliveries(status, delivered_at_ms);
CREATE INDEX outbox_events_enqueued ON outbox_events(enqueued_at_ms);
