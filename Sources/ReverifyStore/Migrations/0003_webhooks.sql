-- Webhooks (DESIGN 3): registered endpoints, the transactional outbox, one delivery per endpoint × event,
-- and every attempt. Event rows are written in the same transaction as the audit row they report, so a
-- crash can delay an event, never lose it. Scheduling times are milliseconds since the epoch (`_ms`).

CREATE TABLE webhook_endpoints (
    id                          TEXT PRIMARY KEY,            -- whe_…
    url                         TEXT NOT NULL,
    event_types                 TEXT,                        -- JSON array of event types; NULL = all
    allow_private               INTEGER NOT NULL DEFAULT 0,  -- operator allowed private/loopback targets
    -- Signing secrets, `whsec_<base64 key>`. Unlike every other secret here they cannot be hashed: HMAC
    -- needs the key itself on every delivery (as `signing_keys.private_key_pem` needs the private key).
    -- They are protected like that column, by the database file's permissions, are never logged, and
    -- are shown to the operator only when created or rotated. Envelope encryption under a key kept
    -- outside the database (KMS) is the upgrade path if the file's protection is not enough.
    secret                      TEXT NOT NULL,
    previous_secret             TEXT,                        -- still signs until previous_secret_expires_at
    previous_secret_expires_at  INTEGER,
    created_at                  INTEGER NOT NULL,
    disabled_at                 INTEGER,                     -- set by `410 Gone`; no delivery while set
    disabled_reason             TEXT,
    paused_until_ms             INTEGER                      -- 429/502/503/504/Retry-After slow-down
);

CREATE TABLE outbox_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,       -- commit order: deliveries go out in this order
    id              TEXT NOT NULL UNIQUE,                    -- evt_…, the webhook-id
    type            TEXT NOT NULL,
    payload         TEXT NOT NULL,                           -- the exact JSON body that is signed and sent
    created_at      INTEGER NOT NULL,                        -- the reported change's time (body created_at)
    enqueued_at_ms  INTEGER NOT NULL                         -- wall clock inside the writing transaction
);

CREATE TABLE webhook_deliveries (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id          TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id             TEXT NOT NULL REFERENCES outbox_events(id) ON DELETE CASCADE,
    event_seq            INTEGER NOT NULL,                   -- copy of outbox_events.seq for ordering
    status               TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivering', 'delivered', 'dead')),
    attempts             INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms   INTEGER NOT NULL,
    -- A worker claims a row by writing its id and a lease; an expired lease (crashed worker) can be
    -- claimed again. Only a live lease on some row of an endpoint keeps other workers off that endpoint.
    lease_owner          TEXT,
    lease_expires_at_ms  INTEGER,
    last_status          INTEGER,                            -- HTTP status of the last attempt
    last_error           TEXT,
    created_at           INTEGER NOT NULL,
    delivered_at_ms      INTEGER,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at_ms);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, status, event_seq);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_id);

CREATE TABLE webhook_attempts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id     INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt         INTEGER NOT NULL,                        -- 1 for the first attempt of this delivery
    worker          TEXT NOT NULL,
    started_at_ms   INTEGER NOT NULL,
    latency_ms      INTEGER NOT NULL,
    http_status     INTEGER,                                 -- NULL when no response (connect error, timeout)
    error           TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);
