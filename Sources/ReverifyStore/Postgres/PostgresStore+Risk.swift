import Foundation
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

    /// Inside a caller's transaction: every silent authorize asks this with its session (`sessionWithUser`). One
    /// statement, its counts as scalar subqueries: each statement is a round trip here (issue 13).
    static func riskHistory(
        user: UserID, session: SessionID, deviceHash: String?, networkPrefix: String?, attemptSubject: String,
        ipAddress: String?, at now: UnixTime, networkMemory: Seconds, velocityWindow: Seconds, _ tx: PostgresTransaction
    ) async throws -> RiskHistory {
        let since = now - velocityWindow
        guard let row = try await tx.orderedRows(
            riskHistorySQL,
            [user, deviceHash, user, networkPrefix, now - networkMemory, attemptSubject, since, ipAddress, since, session, now]
        ).first?.values, row.count == 5
        else { throw StoreError.invalid("the risk history query returned no row") }
        func count(_ i: Int) -> Int { Int(Int64.fromDatabaseValue(row[i]) ?? 0) }
        let flags = try decodeRecordJSON([String].self, from: Data((String.fromDatabaseValue(row[4]) ?? "[]").utf8))
        return RiskHistory(
            deviceKnown: count(0) > 0,
            // No address (a test or a socket without one): nothing to compare.
            networkKnown: networkPrefix == nil || count(1) > 0,
            recentFailures: count(2), addressFailures: count(3), flags: Set(flags))
    }

    /// The twin of `SQLiteStore.riskHistorySQL`. A NULL device, network or address matches no row, so its count is 0.
    static let riskHistorySQL = """
        SELECT
            (SELECT COUNT(*) FROM user_devices WHERE user_id = ? AND device_hash = ?),
            (SELECT COUNT(*) FROM user_networks WHERE user_id = ? AND prefix = ? AND last_seen_at >= ?),
            (\(AttemptSQL.failuresOfSubjectSince)),
            (\(AttemptSQL.failuresFromAddressSince)),
            (SELECT COALESCE(json_agg(reason), '[]')::text FROM session_flags
             WHERE session_id = ? AND (until IS NULL OR until > ?))
        """

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
