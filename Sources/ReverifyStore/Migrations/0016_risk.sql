-- Risk-triggered step-up (issue 11): where each user has verified from, and flags on sessions.

-- Browsers (the long-lived browser cookie, hashed) a user completed a verification in.
CREATE TABLE user_devices (
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_hash    TEXT NOT NULL,
    first_seen_at  INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_hash)
);

-- Networks (IPv4 /24, IPv6 /48) a user completed a verification from.
CREATE TABLE user_networks (
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    prefix         TEXT NOT NULL,
    first_seen_at  INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, prefix)
);

-- Flags an operator (or another system) set on a session, until a time or until cleared.
CREATE TABLE session_flags (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    until       INTEGER
);
CREATE INDEX session_flags_session ON session_flags(session_id);

-- failure_velocity counts failed verifications per address too.
CREATE INDEX verification_attempts_ip ON verification_attempts(ip_address, started_at);
