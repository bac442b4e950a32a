import Foundation
import GRDB
import ReverifyCore

/// The embedded SQLite implementation of ``Store``. It owns the `DatabaseWriter`; every method
/// is one transaction, and no caller ever writes SQL.
public final class SQLiteStore: Store {
    public let writer: any DatabaseWriter
    private let migrations: MigrationRunner
    /// Clients in memory, revalidated against the `clients` generation (issue 13).
    let clientCache = ClientCache()
    /// The hot paths' reads on the calling thread; `nil` for a writer that is not a file's pool.
    let inlineReaders: InlineReaders?
    /// Seals and opens secrets at rest (issue 15.3); `nil` stores them in the clear, as before.
    let sealer: (any SecretSealing)?

    /// Opens the database at `path` and brings its schema up to date.
    public convenience init(path: String, migrations: MigrationRunner = .bundled, sealer: (any SecretSealing)? = nil) throws {
        let pool = try DatabaseConnection.open(path: path)
        try self.init(writer: pool, migrations: migrations, sealer: sealer)
    }

    /// Refuses (``StoreError/masterKeyRequired``, ``StoreError/masterKeyMismatch``) a database whose sealed
    /// secrets `sealer` cannot open, before migrating it.
    public init(writer: any DatabaseWriter, migrations: MigrationRunner = .bundled, sealer: (any SecretSealing)? = nil) throws {
        self.writer = writer
        inlineReaders = (writer as? DatabasePool).map { InlineReaders(path: $0.path, configuration: $0.configuration) }
        self.migrations = migrations
        self.sealer = sealer
        try Self.checkSecretsOpen(writer, sealer: sealer)
        try migrations.migrate(writer)
    }

    /// A checkpointer for the server to run beside the writer (``WALCheckpointer``); `nil` for a writer that is
    /// not a file's pool.
    public func walCheckpointer() throws -> WALCheckpointer? {
        try (writer as? DatabasePool).map { try WALCheckpointer(pool: $0) }
    }

    public func schemaStatus() async throws -> SchemaStatus {
        try migrations.status(writer)
    }

    public func webhookQueueStats() async throws -> [WebhookQueueStats] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.id AS endpoint_id,
                        COUNT(CASE WHEN d.status IN ('pending', 'delivering') THEN 1 END) AS undelivered,
                        MIN(CASE WHEN d.status IN ('pending', 'delivering') THEN d.created_at END) AS oldest,
                        COALESCE(SUM(d.attempts), 0) AS attempts,
                        COUNT(CASE WHEN d.status = 'dead' THEN 1 END) AS dead
                    FROM webhook_endpoints e LEFT JOIN webhook_deliveries d ON d.endpoint_id = e.id
                    GROUP BY e.id ORDER BY e.id
                    """
            ).map { row in
                WebhookQueueStats(
                    endpointId: WebhookEndpointID(rawValue: row["endpoint_id"]), undelivered: row["undelivered"],
                    oldestUndeliveredAt: (row["oldest"] as Int64?).map { UnixTime($0) }, attempts: row["attempts"],
                    dead: row["dead"])
            }
        }
    }

    // MARK: Users

    public func createUser(_ user: UserRecord) async throws {
        do {
            try await writer.write { db in try user.insert(db) }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.duplicateEmail(user.email)
        }
    }

    public func user(id: UserID) async throws -> UserRecord? {
        try await writer.read { db in try Self.user(id: id, db) }
    }

    public func user(email: String) async throws -> UserRecord? {
        // `email` is declared COLLATE NOCASE, so this comparison ignores ASCII case.
        try await readStatementInline { db in
            try UserRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE email = ?"), arguments: [email])
        }
    }

    public func users() async throws -> [UserRecord] {
        try await writer.read { db in try UserRecord.order(Column("created_at"), Column("email")).fetchAll(db) }
    }

    public func setPasswordHash(_ hash: String, for user: UserID, at: UnixTime) async throws {
        try await updateUser(user) { db in
            try UserRecord.filter(key: user).updateAll(db, Column("password_hash").set(to: hash), Column("updated_at").set(to: at))
        }
    }

    public func setDisabled(_ disabled: Bool, user: UserID, at: UnixTime) async throws {
        try await updateUser(user) { db in
            try UserRecord.filter(key: user).updateAll(
                db, Column("disabled_at").set(to: disabled ? at : nil), Column("updated_at").set(to: at))
            if disabled {
                // A disabled account keeps no live session, and each ending is audited (and so published).
                let live = try SessionRecord.filter(Column("user_id") == user && Column("revoked_at") == nil).fetchAll(db)
                for session in live {
                    try SessionRecord.filter(key: session.id).updateAll(db, Column("revoked_at").set(to: at))
                    try Self.revokeGrants(
                        GrantRecord.filter(Column("session_id") == session.id), at: at, reason: "user_disabled", db: db)
                    try Self.append(
                        AuditRecord(
                            at: at, event: .sessionRevoked, outcome: .success, userId: user, sessionId: session.id,
                            reason: "user_disabled"),
                        db)
                }
            }
        }
    }

    public func updateProfile(_ user: UserRecord, at: UnixTime) async throws {
        try await updateUser(user.id) { db in
            try UserRecord.filter(key: user.id).updateAll(
                db, Column("name").set(to: user.name), Column("given_name").set(to: user.givenName),
                Column("family_name").set(to: user.familyName), Column("preferred_username").set(to: user.preferredUsername),
                Column("updated_at").set(to: at))
        }
    }

    private func updateUser(_ id: UserID, _ change: @escaping @Sendable (Database) throws -> Void) async throws {
        try await writer.write { db in
            guard try UserRecord.exists(db, key: id) else { throw StoreError.notFound("user \(id)") }
            try change(db)
        }
    }

    // MARK: Clients

    public func createClient(_ client: StoredClient) async throws {
        defer { clientCache.invalidate() }
        try await writer.write { db in
            try client.record.insert(db)
            try Self.insertURIs(client, db: db)
        }
    }

    private static func insertURIs(_ client: StoredClient, db: Database) throws {
        for (i, uri) in client.redirectURIs.enumerated() {
            try ClientRedirectURIRecord(clientId: client.record.id, kind: .login, uri: uri, position: i).insert(db)
        }
        for (i, uri) in client.postLogoutRedirectURIs.enumerated() {
            try ClientRedirectURIRecord(clientId: client.record.id, kind: .postLogout, uri: uri, position: i).insert(db)
        }
    }

    public func client(id: ClientID) async throws -> StoredClient? {
        let readAt = ContinuousClock.now
        if let cached = clientCache.fresh(id, now: readAt) { return cached }
        let epoch = clientCache.epoch
        let (generation, client) = try await writer.read { db in
            let generation = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT generation FROM cache_generations WHERE name = 'clients'")) ?? 0
            guard let record = try ClientRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM clients WHERE id = ? AND internal = 0"), arguments: [id])
            else { return (generation, nil as StoredClient?) }
            return (generation, try Self.assemble(record, db: db))
        }
        clientCache.store(client, id: id, generation: generation, readAt: readAt, epoch: epoch)
        return client
    }

    public func clients() async throws -> [StoredClient] {
        try await writer.read { db in
            try ClientRecord.filter(Self.notInternal).order(Column("created_at"), Column("name")).fetchAll(db)
                .map { try Self.assemble($0, db: db) }
        }
    }

    /// Reverify's own internal client (the security page's re-verifications, migration 0020) is no relying
    /// party: never listed, found, rotated or deleted.
    static let notInternal = Column("internal") == 0

    private static func assemble(_ record: ClientRecord, db: Database) throws -> StoredClient {
        let uris = try ClientRedirectURIRecord.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM client_redirect_uris WHERE client_id = ? ORDER BY position"),
            arguments: [record.id])
        return StoredClient(
            record: record,
            redirectURIs: uris.filter { $0.kind == .login }.map(\.uri),
            postLogoutRedirectURIs: uris.filter { $0.kind == .postLogout }.map(\.uri))
    }

    public func setClientSecretHash(_ hash: String, for client: ClientID, at: UnixTime) async throws {
        defer { clientCache.invalidate() }
        try await writer.write { db in
            let changed = try ClientRecord.filter(key: client).filter(Self.notInternal).updateAll(
                db, Column("secret_hash").set(to: hash), Column("secret_rotated_at").set(to: at))
            if changed == 0 { throw StoreError.notFound("client \(client)") }
        }
    }

    public func deleteClient(id: ClientID) async throws {
        defer { clientCache.invalidate() }
        try await writer.write { db in
            guard try ClientRecord.filter(key: id).filter(Self.notInternal).deleteAll(db) == 1 else {
                throw StoreError.notFound("client \(id)")
            }
        }
    }

    // MARK: Signing keys

    public func publishedSigningKeys() async throws -> [SigningKeyRecord] {
        try await writer.read { db in
            try SigningKeyRecord.filter(Column("removed_at") == nil).order(Column("created_at").desc, Column("kid"))
                .fetchAll(db)
        }.map(opened)
    }

    public func allSigningKeys() async throws -> [SigningKeyRecord] {
        try await writer.read { db in
            try SigningKeyRecord.order(Column("created_at").desc, Column("kid")).fetchAll(db)
        }.map(opened)
    }

    public func addActiveSigningKey(_ key: SigningKeyRecord) async throws {
        let key = try sealed(key)
        try await writer.write { db in
            // One active key per algorithm: the new one retires only its own kind.
            try SigningKeyRecord.filter(
                Column("retired_at") == nil && Column("removed_at") == nil && Column("algorithm") == key.algorithm
            ).updateAll(db, Column("retired_at").set(to: key.createdAt))
            try key.insert(db)
        }
    }

    public func removeSigningKey(kid: String, at: UnixTime) async throws {
        try await writer.write { db in
            guard let key = try SigningKeyRecord.fetchOne(db, key: kid), key.removedAt == nil else {
                throw StoreError.notFound("published key \(kid)")
            }
            guard key.retiredAt != nil else {
                throw StoreError.invalid("key \(kid) is the active signing key; rotate first")
            }
            try SigningKeyRecord.filter(key: kid).updateAll(db, Column("removed_at").set(to: at))
        }
    }

    // MARK: Sessions

    public func createSession(_ session: SessionRecord, audit: AuditRecord, remembering context: VerifiedContext?) async throws {
        try await writer.write { db in
            try Self.insert(session, db)
            try Self.append(audit, db)
            if let context { try Self.remember(context, db) }
        }
    }

    public func session(secretHash: String) async throws -> SessionRecord? {
        try await writer.read { db in try Self.session(secretHash: secretHash, db) }
    }

    public func session(id: SessionID) async throws -> SessionRecord? {
        try await writer.read { db in try Self.session(id: id, db) }
    }

    public func sessions(user: UserID?) async throws -> [SessionRecord] {
        try await writer.read { db in
            var request = SessionRecord.order(Column("created_at").desc)
            if let user { request = request.filter(Column("user_id") == user) }
            return try request.fetchAll(db)
        }
    }

    public func touchSession(id: SessionID, at: UnixTime, idleExpiresAt: UnixTime) async throws {
        try await writer.write { db in
            _ = try SessionRecord.filter(key: id).updateAll(
                db, Column("last_seen_at").set(to: at), Column("idle_expires_at").set(to: idleExpiresAt))
        }
    }

    public func recordReauthentication(
        session: SessionID, newSecretHash: String, authTime: UnixTime, amr: [AMR], acr: ACR,
        verifications: VerificationHistory, levels: LevelHistory, audit: AuditRecord, remembering context: VerifiedContext?
    ) async throws {
        // As an inserted session's columns are written (sorted keys), so equal histories are equal text.
        let amrJSON = try recordJSON(amr)
        let verificationsJSON = try recordJSON(verifications)
        let levelsJSON = try recordJSON(levels)
        try await writer.write { db in
            let changed = try SessionRecord.filter(key: session).filter(Column("revoked_at") == nil).updateAll(
                db,
                Column("secret_hash").set(to: newSecretHash),
                Column("auth_time").set(to: authTime),
                Column("amr").set(to: amrJSON),
                Column("acr").set(to: acr),
                Column("verifications").set(to: verificationsJSON),
                Column("levels").set(to: levelsJSON))
            if changed == 0 { throw StoreError.notFound("live session \(session)") }
            try Self.append(audit, db)
            if let context { try Self.remember(context, db) }
        }
    }

    public func revokeSession(id: SessionID, at: UnixTime, audit: AuditRecord, keepingOfflineGrants: Bool) async throws
        -> Bool
    {
        try await writer.write { db in
            let changed = try SessionRecord.filter(key: id).filter(Column("revoked_at") == nil)
                .updateAll(db, Column("revoked_at").set(to: at))
            guard changed > 0 else { return false }
            var grants = GrantRecord.filter(Column("session_id") == id)
            if keepingOfflineGrants {
                let offline = try grants.fetchAll(db).filter { Scope.grantsOfflineAccess($0.scope) }.map(\.id)
                grants = grants.filter(!offline.contains(Column("id")))
            }
            try Self.revokeGrants(grants, at: at, reason: "session_revoked", db: db)
            try Self.append(audit, db)
            return true
        }
    }

    // MARK: Audit

    public func appendAudit(_ record: AuditRecord) async throws {
        try await writer.write { db in try Self.append(record, db) }
    }

    public func auditLog(user: UserID?, limit: Int) async throws -> [AuditRecord] {
        try await writer.read { db in
            var request = AuditRecord.order(Column("id").desc).limit(limit)
            if let user { request = request.filter(Column("user_id") == user) }
            return try request.fetchAll(db)
        }
    }

    // MARK: Authorization

    public func saveAuthorizationRequest(_ request: AuthorizationRequestRecord, audit: AuditRecord?) async throws {
        // One write for a sign-in's authorize, not one for its decision and another for its flow (issue 13).
        try await writer.write { db in
            if let audit { try Self.append(audit, db) }
            try Self.insert(request, db)
        }
    }

    public func authorizationRequest(id: AuthorizationRequestID) async throws -> AuthorizationRequestRecord? {
        // Every hosted page and form of a flow reads it (issue 13: on the calling thread, by a kept statement, read
        // by position: Codable decoding of its thirteen columns was a third of the read).
        try await readStatementInline { db in
            try PositionalCursor(db.cachedStatement(sql: Self.authorizationRequestSQL), arguments: [id]) { columns in
                try AuthorizationRequestRecord(&columns)
            }.single()
        }
    }

    private static let authorizationRequestSQL =
        "SELECT \(AuthorizationRequestRecord.selection) FROM authorization_requests WHERE id = ?"

    public func completeAuthorizationRequest(id: AuthorizationRequestID, code: AuthorizationCodeRecord, at: UnixTime)
        async throws -> Bool
    {
        try await writer.write { db in
            guard try Self.completeAuthorizationRequest(id: id, at: at, db) else { return false }
            try Self.insert(code, db)
            return true
        }
    }

    public func bindAuthorizationRequest(id: AuthorizationRequestID, session: SessionID, user: UserID) async throws {
        try await writer.write { db in
            let changed = try AuthorizationRequestRecord.filter(key: id).filter(Column("completed_at") == nil)
                .updateAll(db, Column("session_id").set(to: session), Column("pinned_user_id").set(to: user))
            if changed == 0 { throw StoreError.notFound("open authorization request \(id)") }
        }
    }

    public func cancelAuthorizationRequest(id: AuthorizationRequestID, at: UnixTime, audit: AuditRecord) async throws
        -> Bool
    {
        try await writer.write { db in
            guard try Self.completeAuthorizationRequest(id: id, at: at, db) else { return false }
            try Self.append(audit, db)
            return true
        }
    }

    public func finishAuthorizationRequest(id: AuthorizationRequestID, at: UnixTime) async throws -> Bool {
        try await writer.write { db in try Self.completeAuthorizationRequest(id: id, at: at, db) }
    }

    public func insertCode(_ code: AuthorizationCodeRecord) async throws {
        try await writer.write { db in try Self.insert(code, db) }
    }

    public func redeemCode(
        hash: String, at now: UnixTime, issuance: TokenIssuance, replayAudit: AuditRecord,
        validate: @escaping @Sendable (AuthorizationCodeRecord, SessionRecord) -> OAuthError?
    ) async throws -> CodeRedemption {
        try await writer.write { db in
            guard var code = try AuthorizationCodeRecord.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM authorization_codes WHERE code_hash = ?"), arguments: [hash])
            else { return .unknown }
            if code.usedAt != nil {
                // RFC 6749 4.1.2 / RFC 9700 4.5: a replayed code revokes what it issued.
                var audit = replayAudit
                if let grantId = code.grantId {
                    try Self.revokeGrants(GrantRecord.filter(key: grantId), at: now, reason: "code_replay", db: db)
                    audit.detail["revoked_grant"] = grantId.rawValue
                }
                audit.userId = audit.userId ?? code.userId
                audit.sessionId = audit.sessionId ?? code.sessionId
                try Self.append(audit, db)
                return .replayed(revokedGrant: code.grantId)
            }
            // Burn the code on every first presentation, valid or not: it never works twice.
            code.usedAt = now
            if now >= code.expiresAt {
                try Self.markCodeUsed(code, db)
                return .expired
            }
            guard let session = try Self.session(id: code.sessionId, db), session.isActive(at: now) else {
                try Self.markCodeUsed(code, db)
                return .rejected(.invalidGrant("the session that issued this code has ended"))
            }
            if let error = validate(code, session) {
                try Self.markCodeUsed(code, db)
                return .rejected(error)
            }
            let grant = GrantRecord(
                id: issuance.grantID, clientId: code.clientId, userId: code.userId, sessionId: code.sessionId,
                scope: code.scope, nonce: code.nonce, claims: code.claims, createdAt: now)
            var bound = grant
            bound.action = code.action
            try bound.insert(db)
            code.grantId = grant.id
            try Self.markCodeUsed(code, db)
            if let refresh = issuance.refreshToken { try Self.insert(refresh, db) }
            try Self.insert(issuance.accessToken, db)
            return .redeemed(code: code, grant: bound, session: session)
        }
    }

    public func rotateRefreshToken(
        hash: String, at now: UnixTime, issuance: TokenIssuance, reuseAudit: AuditRecord, reuseGrace: Seconds,
        validate: @escaping @Sendable (GrantRecord) -> OAuthError?
    ) async throws -> RefreshRotation {
        try await writer.write { db in
            guard let (found, grant, session, user) = try Self.refreshTokenChain(hash: hash, db) else { return .unknown }
            var token = found
            if let error = validate(grant) { return .rejected(error) }
            if token.isReplay(at: now, grace: reuseGrace) || grant.revokedAt != nil {
                // RFC 9700 4.14.2: reuse of a rotated refresh token revokes the whole family.
                try Self.revokeGrants(GrantRecord.filter(key: grant.id), at: now, reason: "refresh_reuse", db: db)
                if token.usedAt != nil {
                    var audit = reuseAudit
                    audit.userId = grant.userId
                    audit.sessionId = grant.sessionId
                    audit.detail["revoked_grant"] = grant.id.rawValue
                    try Self.append(audit, db)
                }
                return token.usedAt != nil ? .reused(revokedGrant: grant.id) : .rejected(.invalidGrant("the grant was revoked"))
            }
            if now >= token.expiresAt { return .expired }
            guard let session, grant.isBacked(by: session, at: now)
            else {
                return .rejected(.invalidGrant("the session behind this refresh token has ended"))
            }
            if token.usedAt == nil {
                token.usedAt = now
                try Self.markRefreshTokenUsed(hash: token.tokenHash, at: now, db)
            }
            // Within the grace a repeat gets a sibling of the successor it already received: both hang
            // off this token, and reuse outside the grace still revokes them all.
            if var next = issuance.refreshToken {
                next.grantId = grant.id
                next.parentHash = token.tokenHash
                try Self.insert(next, db)
            }
            var access = issuance.accessToken
            access.grantId = grant.id
            try Self.insert(access, db)
            return .rotated(grant: grant, session: session, user: user)
        }
    }

    public func grant(id: GrantID) async throws -> GrantRecord? {
        try await writer.read { db in try Self.grant(id: id, db) }
    }

    public func revokeGrant(id: GrantID, at: UnixTime, reason: String) async throws {
        try await writer.write { db in
            try Self.revokeGrants(GrantRecord.filter(key: id), at: at, reason: reason, db: db)
        }
    }

    /// Revoking a grant revokes its access tokens too; its refresh tokens die with it (checked on use).
    static func revokeGrants(_ grants: QueryInterfaceRequest<GrantRecord>, at: UnixTime, reason: String, db: Database)
        throws
    {
        let ids = try grants.filter(Column("revoked_at") == nil).fetchAll(db).map(\.id)
        guard !ids.isEmpty else { return }
        try GrantRecord.filter(keys: ids).updateAll(
            db, Column("revoked_at").set(to: at), Column("revoked_reason").set(to: reason))
        try AccessTokenRecord.filter(ids.contains(Column("grant_id")) && Column("revoked_at") == nil)
            .updateAll(db, Column("revoked_at").set(to: at))
    }

    public func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        try await writer.read { db in try Self.refreshToken(hash: hash, db) }
    }

    public func accessToken(jti: String) async throws -> AccessTokenRecord? {
        try await writer.read { db in try Self.accessToken(jti: jti, db) }
    }

    public func revokeAccessToken(jti: String, at: UnixTime) async throws {
        try await writer.write { db in
            _ = try AccessTokenRecord.filter(key: jti).filter(Column("revoked_at") == nil)
                .updateAll(db, Column("revoked_at").set(to: at))
        }
    }
}
