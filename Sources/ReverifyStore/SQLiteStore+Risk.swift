import Foundation
import GRDB
import ReverifyCore

/// What the store knows about where a user has verified from (issue 11).
public struct RiskHistory: Sendable, Equatable {
    public var deviceKnown: Bool
    public var networkKnown: Bool
    public var recentFailures: Int
    public var addressFailures: Int
    public var flags: Set<String>
}

extension SQLiteStore {
    public func riskHistory(
        user: UserID, session: SessionID, deviceHash: String?, networkPrefix: String?, attemptSubject: String,
        ipAddress: String?, at now: UnixTime, networkMemory: Seconds, velocityWindow: Seconds
    ) async throws -> RiskHistory {
        try await writer.read { db in
            try Self.riskHistory(
                user: user, session: session, deviceHash: deviceHash, networkPrefix: networkPrefix,
                attemptSubject: attemptSubject, ipAddress: ipAddress, at: now, networkMemory: networkMemory,
                velocityWindow: velocityWindow, db)
        }
    }

    /// Every silent authorize asks this (issue 13): one kept statement, its counts as scalar subqueries.
    static func riskHistory(
        user: UserID, session: SessionID, deviceHash: String?, networkPrefix: String?, attemptSubject: String,
        ipAddress: String?, at now: UnixTime, networkMemory: Seconds, velocityWindow: Seconds, _ db: Database
    ) throws -> RiskHistory {
        let since = now - velocityWindow
        let row = try Row.fetchOne(
            db.cachedStatement(sql: riskHistorySQL),
            arguments: [
                user, deviceHash, user, networkPrefix, now - networkMemory, attemptSubject, since, ipAddress, since,
                session, now,
            ])
        guard let row else { throw StoreError.notFound("risk history") }
        let flags: [String] = try decodeRecordJSON([String].self, from: Data((row[4] as String? ?? "[]").utf8))
        return RiskHistory(
            deviceKnown: (row[0] as Int? ?? 0) > 0,
            // No address (a test or a socket without one): nothing to compare.
            networkKnown: networkPrefix == nil || (row[1] as Int? ?? 0) > 0,
            recentFailures: row[2] as Int? ?? 0, addressFailures: row[3] as Int? ?? 0, flags: Set(flags))
    }

    /// A NULL device, network or address matches no row, so its count is 0.
    static let riskHistorySQL = """
        SELECT
            (SELECT COUNT(*) FROM user_devices WHERE user_id = ? AND device_hash = ?),
            (SELECT COUNT(*) FROM user_networks WHERE user_id = ? AND prefix = ? AND last_seen_at >= ?),
            (\(AttemptSQL.failuresOfSubjectSince)),
            (\(AttemptSQL.failuresFromAddressSince)),
            (SELECT json_group_array(reason) FROM session_flags WHERE session_id = ? AND (until IS NULL OR until > ?))
        """

    public func rememberVerificationContext(user: UserID, deviceHash: String?, networkPrefix: String?, at now: UnixTime) async throws {
        try await writer.write { db in
            if let deviceHash {
                try db.execute(
                    sql: """
                        INSERT INTO user_devices (user_id, device_hash, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)
                        ON CONFLICT (user_id, device_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at
                        """, arguments: [user, deviceHash, now, now])
            }
            if let networkPrefix {
                try db.execute(
                    sql: """
                        INSERT INTO user_networks (user_id, prefix, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)
                        ON CONFLICT (user_id, prefix) DO UPDATE SET last_seen_at = excluded.last_seen_at
                        """, arguments: [user, networkPrefix, now, now])
            }
        }
    }

    public func flagSession(id: SessionID, reason: String, until: UnixTime?, at now: UnixTime, audit: AuditRecord) async throws {
        try await writer.write { db in
            guard try SessionRecord.exists(db, key: id) else { throw StoreError.notFound("session \(id)") }
            try db.execute(
                sql: "INSERT INTO session_flags (session_id, reason, created_at, until) VALUES (?, ?, ?, ?)",
                arguments: [id, reason, now, until])
            try audit.insert(db)
        }
    }
}
