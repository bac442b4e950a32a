-- Operations (issue 15): the request an audit row was written for (X-Request-ID, kept or generated),
-- so an operator can join the audit log with the server's log lines.
ALTER TABLE audit_log ADD COLUMN request_id TEXT;
