import GRDB
import ReverifyCore

/// The busiest reads, by key, on prepared statements kept per connection (`cachedStatement`): the issue 13
/// profile showed SQLite parsing the query interface's generated SQL on every request.
extension SQLiteStore {
    static let refreshTokenChainSQL = """
        SELECT \(RefreshTokenRecord.selection), \(GrantRecord.selection), \(SessionRecord.selection), \(UserRecord.selection)
        FROM refresh_tokens
        JOIN grants ON grants.id = refresh_tokens.grant_id
        LEFT JOIN sessions ON sessions.id = grants.session_id
        LEFT JOIN users ON users.id = grants.user_id
        WHERE refresh_tokens.token_hash = ?
        """

    /// A refresh token with its grant, and the grant's session and user where they still exist: what a rotation
    /// reads, in one statement (issue 13).
    static func refreshTokenChain(hash: String, _ db: Database) throws
        -> (token: RefreshTokenRecord, grant: GrantRecord, session: SessionRecord?, user: UserRecord?)?
    {
        try PositionalCursor(db.cachedStatement(sql: refreshTokenChainSQL), arguments: [hash]) { columns in
            (
                try RefreshTokenRecord(&columns), try GrantRecord(&columns), try SessionRecord.ifPresent(&columns),
                try UserRecord.ifPresent(&columns)
            )
        }.single()
    }

    static let sessionWithUserSQL = """
        SELECT \(SessionRecord.selection), \(UserRecord.selection)
        FROM sessions JOIN users ON users.id = sessions.user_id
        WHERE sessions.secret_hash = ?
        """

    /// The session a cookie names, with its user, in one statement.
    static func sessionWithUser(secretHash: String, _ db: Database) throws -> (SessionRecord, UserRecord)? {
        try PositionalCursor(db.cachedStatement(sql: sessionWithUserSQL), arguments: [secretHash]) { columns in
            (try SessionRecord(&columns), try UserRecord(&columns))
        }.single()
    }

    static func user(id: UserID, _ db: Database) throws -> UserRecord? {
        try UserRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?"), arguments: [id])
    }

    static func session(id: SessionID, _ db: Database) throws -> SessionRecord? {
        try SessionRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM sessions WHERE id = ?"), arguments: [id])
    }

    static func session(secretHash: String, _ db: Database) throws -> SessionRecord? {
        try SessionRecord.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM sessions WHERE secret_hash = ?"), arguments: [secretHash])
    }

    static func grant(id: GrantID, _ db: Database) throws -> GrantRecord? {
        try GrantRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM grants WHERE id = ?"), arguments: [id])
    }

    static func refreshToken(hash: String, _ db: Database) throws -> RefreshTokenRecord? {
        try RefreshTokenRecord.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM refresh_tokens WHERE token_hash = ?"), arguments: [hash])
    }

    static func accessToken(jti: String, _ db: Database) throws -> AccessTokenRecord? {
        try AccessTokenRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM access_tokens WHERE jti = ?"), arguments: [jti])
    }

    public func sessionWithUser(secretHash: String) async throws -> (SessionRecord, UserRecord)? {
        try await readStatementInline { db in try Self.sessionWithUser(secretHash: secretHash, db) }
    }

    public func sessionWithUser(secretHash: String, risk: RiskQuery) async throws
        -> (SessionRecord, UserRecord, RiskHistory?)?
    {
        try await readInline { db in
            guard let (session, user) = try Self.sessionWithUser(secretHash: secretHash, db) else { return nil }
            guard session.isActive(at: risk.at), !user.isDisabled else { return (session, user, nil) }
            let history = try Self.riskHistory(
                user: user.id, session: session.id, deviceHash: risk.deviceHash, networkPrefix: risk.networkPrefix,
                attemptSubject: risk.attemptSubject(user), ipAddress: risk.ipAddress, at: risk.at,
                networkMemory: risk.networkMemory, velocityWindow: risk.velocityWindow, db)
            return (session, user, history)
        }
    }

    /// Every token check reads this chain (issue 13). One statement is one snapshot, so it runs outside a
    /// transaction: four lookups in a transaction spent a third of their time beginning and committing it.
    public func accessTokenChain(jti: String) async throws -> AccessTokenChain? {
        try await readStatementInline { db in try Self.accessTokenChain(jti: jti, db) }
    }

    static let accessTokenChainSQL = """
        SELECT \(AccessTokenRecord.selection), \(GrantRecord.selection), \(SessionRecord.selection), \(UserRecord.selection)
        FROM access_tokens
        JOIN grants ON grants.id = access_tokens.grant_id
        JOIN sessions ON sessions.id = grants.session_id
        LEFT JOIN users ON users.id = sessions.user_id
        WHERE access_tokens.jti = ?
        """

    static func accessTokenChain(jti: String, _ db: Database) throws -> AccessTokenChain? {
        try PositionalCursor(db.cachedStatement(sql: accessTokenChainSQL), arguments: [jti]) { columns in
            AccessTokenChain(
                token: try AccessTokenRecord(&columns), grant: try GrantRecord(&columns), session: try SessionRecord(&columns),
                user: try UserRecord.ifPresent(&columns))
        }.single()
    }

    // The busiest writes likewise. GRDB's record `insert` and `update` build a dictionary of the record's columns
    // on every call, and `update` rewrites every column (and every index over them): a quarter of the writer's
    // time in a refresh, which writes three token rows, and a cost in every authorize, which writes a code (issue
    // 13). The tests hold these to what the records' own `insert` and `update` write.

    static func insert(_ token: RefreshTokenRecord, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO refresh_tokens (token_hash, grant_id, parent_hash, created_at, expires_at, used_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [token.tokenHash, token.grantId, token.parentHash, token.createdAt, token.expiresAt, token.usedAt])
    }

    /// Every sign-in writes one (in the order of ``SessionRecord/columns``).
    static func insert(_ session: SessionRecord, _ db: Database) throws {
        try db.cachedStatement(sql: insertSessionSQL).execute(arguments: [
            session.id, session.secretHash, session.userId, session.createdAt, session.authTime, try recordJSON(session.amr),
            session.acr, try recordJSON(session.verifications), session.ipAddress, session.userAgent, session.deviceId,
            session.lastSeenAt, session.idleExpiresAt, session.expiresAt, session.revokedAt, try recordJSON(session.levels),
        ])
    }

    /// Every sign-in and step-up starts one (in the order of ``AuthorizationRequestRecord/columns``).
    static func insert(_ flow: AuthorizationRequestRecord, _ db: Database) throws {
        try db.cachedStatement(sql: insertFlowSQL).execute(arguments: [
            flow.id, flow.browserHash, flow.csrfHash, flow.clientId, try recordJSON(flow.request), flow.sessionId,
            flow.pinnedUserId, flow.reason, flow.createdAt, flow.expiresAt, flow.completedAt, flow.approvalId,
            try flow.continuation.map(recordJSON),
        ])
    }

    // Built once: the kept statement is looked up by its text on every insert.
    private static let insertSessionSQL = SessionRecord.insertSQL
    private static let insertFlowSQL = AuthorizationRequestRecord.insertSQL

    /// The flow ends, once (with its code, its cancellation or its approval): `false` when it had ended already.
    static func completeAuthorizationRequest(id: AuthorizationRequestID, at: UnixTime, _ db: Database) throws -> Bool {
        try db.cachedStatement(sql: "UPDATE authorization_requests SET completed_at = ? WHERE id = ? AND completed_at IS NULL")
            .execute(arguments: [at, id])
        return db.changesCount == 1
    }

    static func insert(_ token: AccessTokenRecord, _ db: Database) throws {
        try db.cachedStatement(
            sql: "INSERT INTO access_tokens (jti, grant_id, expires_at, revoked_at, one_shot) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [token.jti, token.grantId, token.expiresAt, token.revokedAt, token.oneShot])
    }

    static func insert(_ code: AuthorizationCodeRecord, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO authorization_codes (code_hash, client_id, redirect_uri, session_id, user_id, scope, nonce,
                    code_challenge, claims, action, min_auth_time, created_at, expires_at, used_at, grant_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            code.codeHash, code.clientId, code.redirectUri, code.sessionId, code.userId, code.scope, code.nonce,
            code.codeChallenge, try code.claims.map(recordJSON), code.action, code.minAuthTime, code.createdAt,
            code.expiresAt, code.usedAt, code.grantId,
        ])
    }

    static func markRefreshTokenUsed(hash: String, at: UnixTime, _ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?")
            .execute(arguments: [at, hash])
    }

    static func markCodeUsed(_ code: AuthorizationCodeRecord, _ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE authorization_codes SET used_at = ?, grant_id = ? WHERE code_hash = ?")
            .execute(arguments: [code.usedAt, code.grantId, code.codeHash])
    }

    public func insertCode(_ code: AuthorizationCodeRecord, audit: AuditRecord) async throws {
        try await writer.write { db in
            try Self.append(audit, db)
            try Self.insert(code, db)
        }
    }

    /// One statement on ``InlineReaders`` when there are any, otherwise through the pool: no transaction around it.
    func readStatementInline<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if let inlineReaders { return try inlineReaders.readStatement(body) }
        return try await writer.read(body)
    }

    /// A read on ``InlineReaders`` when there are any, otherwise through the pool.
    private func readInline<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if let inlineReaders { return try inlineReaders.read(body) }
        return try await writer.read(body)
    }
}
