-- The twin of migrations/0023_webhook_claim_index.sql: each endpoint's due deliveries in event order, with the
-- retry time in the index so rows waiting for a retry are skipped without reading the table.
CREATE INDEX webhook_deliveries_endpoint_due ON webhook_deliveries(endpoint_id, status, event_seq, next_attempt_at_ms);
DROP INDEX webhook_deliveries_endpoint;
