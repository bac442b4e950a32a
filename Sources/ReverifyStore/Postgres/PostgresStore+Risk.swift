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
    /// statement (``RiskHistoryQuery``): each statement is a round trip here (issue 13).
    static func riskHistory(
        user: UserID, session: SessionID, deviceHash: String?, networkPrefix: String?, attemptSubject: String,
        ipAddress: String?, at now: UnixTime, networkMemory: Seconds, velocityWindow: Seconds, _ tx: PostgresTransaction
    ) async throws -> RiskHistory {
        let query = RiskHistoryQuery(
            user: user, session: session, deviceHash: deviceHash, networkPrefix: networkPrefix,
            attemptSubject: attemptSubject, ipAddress: ipAddress, now: now, networkMemory: networkMemory,
            velocityWindow: velocityWindow)
        guard let row = try await tx.orderedRows(riskHistorySQL, query.arguments).first?.values
        else { throw StoreError.invalid("the risk history query returned no row") }
        return try query.history(row)
    }

    static let riskHistorySQL = RiskHistoryQuery.sql(flagsArray: "COALESCE(json_agg(reason), '[]')::text")

    public func rememberVerificationContext(user: UserID, deviceHash: String?, networkPrefix: String?, at now: UnixTime) async throws {
        try await database.write { tx in
            try await Self.remember(VerifiedContext(user: user, deviceHash: deviceHash, networkPrefix: networkPrefix, at: now), tx)
        }
    }

    static func remember(_ context: VerifiedContext, _ tx: PostgresTransaction) async throws {
        for statement in context.statements {
            try await tx.execute(statement.sql, statement.arguments)
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
