import GRDB
import ReverifyCore

/// The busiest reads and writes, each one transaction (issue 13), as `SQLiteStore+HotPaths` does them.
extension PostgresStore {
    public func sessionWithUser(secretHash: String) async throws -> (SessionRecord, UserRecord)? {
        try await database.statement { tx in try await Self.sessionWithUser(secretHash: secretHash, tx) }
    }

    /// The session a cookie names, with its user, in one statement.
    static func sessionWithUser(secretHash: String, _ tx: PostgresTransaction) async throws -> (SessionRecord, UserRecord)? {
        guard let row = try await tx.joinedRows(
            """
            SELECT row_to_json(s)::text, row_to_json(u)::text FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.secret_hash = ?
            """, [secretHash]).first, let session = row[0], let user = row[1]
        else { return nil }
        return (try SessionRecord(row: session), try UserRecord(row: user))
    }

    public func sessionWithUser(secretHash: String, risk: RiskQuery) async throws
        -> (SessionRecord, UserRecord, RiskHistory?)?
    {
        try await database.read { tx in
            // Two statements in one snapshot: the session with its user, then the risk history (issue 13: each
            // statement is a round trip).
            guard let (session, user) = try await Self.sessionWithUser(secretHash: secretHash, tx) else { return nil }
            guard session.isActive(at: risk.at), !user.isDisabled else { return (session, user, nil) }
            let history = try await Self.riskHistory(
                user: user.id, session: session.id, deviceHash: risk.deviceHash, networkPrefix: risk.networkPrefix,
                attemptSubject: risk.attemptSubject(user), ipAddress: risk.ipAddress, at: risk.at,
                networkMemory: risk.networkMemory, velocityWindow: risk.velocityWindow, tx)
            return (session, user, history)
        }
    }

    /// One statement, where SQLite reads four rows by key: each would be a round trip here (userinfo and
    /// introspection, issue 13).
    public func accessTokenChain(jti: String) async throws -> AccessTokenChain? {
        try await database.statement { tx in
            guard let row = try await tx.joinedRows(
                """
                SELECT row_to_json(t)::text, row_to_json(g)::text, row_to_json(s)::text, row_to_json(u)::text
                FROM access_tokens t JOIN grants g ON g.id = t.grant_id JOIN sessions s ON s.id = g.session_id
                LEFT JOIN users u ON u.id = s.user_id WHERE t.jti = ?
                """, [jti]).first, let token = row[0], let grant = row[1], let session = row[2]
            else { return nil }
            return AccessTokenChain(
                token: try AccessTokenRecord(row: token), grant: try GrantRecord(row: grant),
                session: try SessionRecord(row: session), user: try row[3].map { try UserRecord(row: $0) })
        }
    }

    public func insertCode(_ code: AuthorizationCodeRecord, audit: AuditRecord) async throws {
        try await database.write { tx in
            try await tx.insert(audit)
            try await tx.insert(code)
        }
    }
}
