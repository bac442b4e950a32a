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

    /// Every silent authorize asks this (issue 13): one kept statement (``RiskHistoryQuery``).
    static func riskHistory(
        user: UserID, session: SessionID, deviceHash: String?, networkPrefix: String?, attemptSubject: String,
        ipAddress: String?, at now: UnixTime, networkMemory: Seconds, velocityWindow: Seconds, _ db: Database
    ) throws -> RiskHistory {
        let query = RiskHistoryQuery(
            user: user, session: session, deviceHash: deviceHash, networkPrefix: networkPrefix,
            attemptSubject: attemptSubject, ipAddress: ipAddress, now: now, networkMemory: networkMemory,
            velocityWindow: velocityWindow)
        guard let row = try Row.fetchOne(db.cachedStatement(sql: riskHistorySQL), arguments: StatementArguments(query.arguments))
        else { throw StoreError.notFound("risk history") }
        return try query.history(Array(row.databaseValues))
    }

    static let riskHistorySQL = RiskHistoryQuery.sql(flagsArray: "json_group_array(reason)")

    public func rememberVerificationContext(user: UserID, deviceHash: String?, networkPrefix: String?, at now: UnixTime) async throws {
        try await writer.write { db in
            try Self.remember(VerifiedContext(user: user, deviceHash: deviceHash, networkPrefix: networkPrefix, at: now), db)
        }
    }

    static func remember(_ context: VerifiedContext, _ db: Database) throws {
        for statement in context.statements {
            try db.cachedStatement(sql: statement.sql).execute(arguments: StatementArguments(statement.arguments))
        }
    }

    public func flagSession(id: SessionID, reason: String, until: UnixTime?, at now: UnixTime, audit: AuditRecord) async throws {
        try await writer.write { db in
            guard try SessionRecord.exists(db, key: id) else { throw StoreError.notFound("session \(id)") }
            try db.execute(
                sql: "INSERT INTO session_flags (session_id, reason, created_at, until) VALUES (?, ?, ?, ?)",
                arguments: [id, reason, now, until])
            try Self.append(audit, db)
        }
    }
}
