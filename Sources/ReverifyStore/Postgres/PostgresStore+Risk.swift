import GRDB
import ReverifyCore

/// Known devices and networks, failure velocity and session flags (issue 11): the PostgreSQL twins of
/// `SQLiteStore+Risk.swift`.
extension PostgresStore {
    public func riskHistory(
        user: UserID, session: SessionID, deviceHash: String?, networkPrefix: String?, attemptSubject: String,
        ipAddress: String?, at now: UnixTime, networkMemory: Seconds, velocityWindow: Seconds
    ) async throws -> RiskHistory {
        try await database.read { tx in
            try await Self.riskHistory(
                user: user, session: session, deviceHash: deviceHash, networkPrefix: networkPrefix,
                attemptSubject: attemptSubject, ipAddress: ipAddress, at: now, networkMemory: networkMemory,
                velocityWindow: velocityWindow, tx)
        }
    }

    /// Inside a caller's transaction: every silent authorize asks this with its session (`sessionWithUser`).
    static func riskHistory(
        user: UserID, session: SessionID, deviceHash: String?, networkPrefix: String?, attemptSubject: String,
        ipAddress: String?, at now: UnixTime, networkMemory: Seconds, velocityWindow: Seconds, _ tx: PostgresTransaction
    ) async throws -> RiskHistory {
        var deviceKnown = false
        if let deviceHash {
            deviceKnown = try await tx.count(
                "SELECT COUNT(*) FROM user_devices WHERE user_id = ? AND device_hash = ?", [user, deviceHash]) > 0
        }
        var networkKnown = true  // no address (a test or a socket without one): nothing to compare
        if let networkPrefix {
            networkKnown = try await tx.count(
                "SELECT COUNT(*) FROM user_networks WHERE user_id = ? AND prefix = ? AND last_seen_at >= ?",
                [user, networkPrefix, now - networkMemory]) > 0
        }
        let since = now - velocityWindow
        let failures = try await tx.count(AttemptSQL.failuresOfSubjectSince, [attemptSubject, since])
        var addressFailures = 0
        if let ipAddress {
            addressFailures = try await tx.count(AttemptSQL.failuresFromAddressSince, [ipAddress, since])
        }
        let flags = try await tx.values(
            String.self, "SELECT reason FROM session_flags WHERE session_id = ? AND (until IS NULL OR until > ?)",
            [session, now])
        return RiskHistory(
            deviceKnown: deviceKnown, networkKnown: networkKnown, recentFailures: failures,
            addressFailures: addressFailures, flags: Set(flags))
    }

    public func rememberVerificationContext(user: UserID, deviceHash: String?, networkPrefix: String?, at now: UnixTime) async throws {
        try await database.write { tx in
            if let deviceHash {
                try await tx.execute(
                    """
                    INSERT INTO user_devices (user_id, device_hash, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (user_id, device_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at
                    """, [user, deviceHash, now, now])
            }
            if let networkPrefix {
                try await tx.execute(
                    """
                    INSERT INTO user_networks (user_id, prefix, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (user_id, prefix) DO UPDATE SET last_seen_at = excluded.last_seen_at
                    """, [user, networkPrefix, now, now])
            }
        }
    }

    public func flagSession(id: SessionID, reason: String, until: UnixTime?, at now: UnixTime, audit: AuditRecord) async throws {
        try await database.write { tx in
            guard try await Self.session(id: id, tx) != nil else { throw StoreError.notFound("session \(id)") }
            try await tx.execute(
                "INSERT INTO session_flags (session_id, reason, created_at, until) VALUES (?, ?, ?, ?)", [id, reason, now, until])
            try await tx.insert(audit)
        }
    }
}
