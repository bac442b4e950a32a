-- Issue 13 (performance): a worker's claim reads each endpoint's due deliveries in event order and stops at
-- its batch, instead of grouping every due delivery of every endpoint. Behind a backlog of 20,000 events
-- the old grouping took ~40 ms per claim, inside the write lock.
--
-- next_attempt_at_ms rides along in the index so that rows waiting for a retry are skipped without reading
-- the table; the old (endpoint_id, status, event_seq) index is a prefix of this one.
CREATE INDEX webhook_deliveries_endpoint_due ON webhook_deliveries(endpoint_id, status, event_seq, next_attempt_at_ms);
DROP INDEX webhook_deliveries_endpoint;
