import GRDB
import ReverifyCore

/// Authorization requests, codes, grants and tokens: the twins of `SQLiteStore`'s, statement for statement.
/// The single-use rules (a code, a refresh token, a pushed request, a `jti`) are check-then-write bodies that
/// stay correct across instances because ``PostgresDatabase/write(_:)`` is serializable: of two transactions
/// that both saw the row unused, one fails with 40001 and is run again, and then sees it used.
extension PostgresStore {
    public func saveAuthorizationRequest(_ request: AuthorizationRequestRecord, audit: AuditRecord?) async throws {
        try await database.write { tx in
            if let audit { try await tx.insert(audit) }
            try await tx.insert(request)
        }
    }

    public func authorizationRequest(id: AuthorizationRequestID) async throws -> AuthorizationRequestRecord? {
        try await database.read { tx in
            try await tx.fetchOne(AuthorizationRequestRecord.self, "SELECT * FROM authorization_requests WHERE id = ?", [id])
        }
    }

    public func completeAuthorizationRequest(id: AuthorizationRequestID, code: AuthorizationCodeRecord, at: UnixTime)
        async throws -> Bool
    {
        try await database.write { tx in
            guard try await Self.completeRequest(id: id, at: at, tx) else { return false }
            try await tx.insert(code)
            return true
        }
    }

    public func bindAuthorizationRequest(id: AuthorizationRequestID, session: SessionID, user: UserID) async throws {
        try await database.write { tx in
            let changed = try await tx.execute(
                "UPDATE authorization_requests SET session_id = ?, pinned_user_id = ? WHERE id = ? AND completed_at IS NULL",
                [session, user, id])
            if changed == 0 { throw StoreError.notFound("open authorization request \(id)") }
        }
    }

    public func cancelAuthorizationRequest(id: AuthorizationRequestID, at: UnixTime, audit: AuditRecord) async throws
        -> Bool
    {
        try await database.write { tx in
            guard try await Self.completeRequest(id: id, at: at, tx) else { return false }
            try await tx.insert(audit)
            return true
        }
    }

    public func finishAuthorizationRequest(id: AuthorizationRequestID, at: UnixTime) async throws -> Bool {
        try await database.write { tx in try await Self.completeRequest(id: id, at: at, tx) }
    }

    /// Marks an open flow completed; `false` when it was already (a flow ends once).
    private static func completeRequest(id: AuthorizationRequestID, at: UnixTime, _ tx: PostgresTransaction) async throws
        -> Bool
    {
        try await tx.execute(
            "UPDATE authorization_requests SET completed_at = ? WHERE id = ? AND completed_at IS NULL", [at, id]) == 1
    }

    public func insertCode(_ code: AuthorizationCodeRecord) async throws {
        try await database.write { tx in try await tx.insert(code) }
    }

    public func redeemCode(
        hash: String, at now: UnixTime, issuance: TokenIssuance, replayAudit: AuditRecord,
        validate: @escaping @Sendable (AuthorizationCodeRecord, SessionRecord) -> OAuthError?
    ) async throws -> CodeRedemption {
        try await database.write { tx in
            guard var code = try await tx.fetchOne(
                AuthorizationCodeRecord.self, "SELECT * FROM authorization_codes WHERE code_hash = ?", [hash])
            else { return .unknown }
            if code.usedAt != nil {
                // RFC 6749 4.1.2 / RFC 9700 4.5: a replayed code revokes what it issued.
                var audit = replayAudit
                if let grantId = code.grantId {
                    try await Self.revokeGrants([grantId], at: now, reason: "code_replay", tx)
                    audit.detail["revoked_grant"] = grantId.rawValue
                }
                audit.userId = audit.userId ?? code.userId
                audit.sessionId = audit.sessionId ?? code.sessionId
                try await tx.insert(audit)
                return .replayed(revokedGrant: code.grantId)
            }
            // Burn the code on every first presentation, valid or not: it never works twice.
            code.usedAt = now
            if now >= code.expiresAt {
                try await tx.update(code)
                return .expired
            }
            guard let session = try await Self.session(id: code.sessionId, tx), session.isActive(at: now) else {
                try await tx.update(code)
                return .rejected(.invalidGrant("the session that issued this code has ended"))
            }
            if let error = validate(code, session) {
                try await tx.update(code)
                return .rejected(error)
            }
            var grant = GrantRecord(
                id: issuance.grantID, clientId: code.clientId, userId: code.userId, sessionId: code.sessionId,
                scope: code.scope, nonce: code.nonce, claims: code.claims, createdAt: now)
            grant.action = code.action
            try await tx.insert(grant)
            code.grantId = grant.id
            try await tx.update(code)
            if let refresh = issuance.refreshToken { try await tx.insert(refresh) }
            try await tx.insert(issuance.accessToken)
            return .redeemed(code: code, grant: grant, session: session)
        }
    }

    public func rotateRefreshToken(
        hash: String, at now: UnixTime, issuance: TokenIssuance, reuseAudit: AuditRecord, reuseGrace: Seconds,
        validate: @escaping @Sendable (GrantRecord) -> OAuthError?
    ) async throws -> RefreshRotation {
        try await database.write { tx in
            guard var token = try await Self.refreshToken(hash: hash, tx),
                let grant = try await Self.grant(id: token.grantId, tx)
            else { return .unknown }
            if let error = validate(grant) { return .rejected(error) }
            if token.isReplay(at: now, grace: reuseGrace) || grant.revokedAt != nil {
                // RFC 9700 4.14.2: reuse of a rotated refresh token revokes the whole family.
                try await Self.revokeGrants([grant.id], at: now, reason: "refresh_reuse", tx)
                if token.usedAt != nil {
                    var audit = reuseAudit
                    audit.userId = grant.userId
                    audit.sessionId = grant.sessionId
                    audit.detail["revoked_grant"] = grant.id.rawValue
                    try await tx.insert(audit)
                }
                return token.usedAt != nil
                    ? .reused(revokedGrant: grant.id) : .rejected(.invalidGrant("the grant was revoked"))
            }
            if now >= token.expiresAt { return .expired }
            guard let session = try await Self.session(id: grant.sessionId, tx), grant.isBacked(by: session, at: now)
            else {
                return .rejected(.invalidGrant("the session behind this refresh token has ended"))
            }
            if token.usedAt == nil {
                token.usedAt = now
                try await tx.update(token)
            }
            // Within the grace a repeat gets a sibling of the successor it already received: both hang
            // off this token, and reuse outside the grace still revokes them all.
            if var next = issuance.refreshToken {
                next.grantId = grant.id
                next.parentHash = token.tokenHash
                try await tx.insert(next)
            }
            var access = issuance.accessToken
            access.grantId = grant.id
            try await tx.insert(access)
            return .rotated(grant: grant, session: session, user: try await Self.user(id: grant.userId, tx))
        }
    }

    public func grant(id: GrantID) async throws -> GrantRecord? {
        try await database.read { tx in try await Self.grant(id: id, tx) }
    }

    public func revokeGrant(id: GrantID, at: UnixTime, reason: String) async throws {
        try await database.write { tx in try await Self.revokeGrants([id], at: at, reason: reason, tx) }
    }

    public func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        try await database.read { tx in try await Self.refreshToken(hash: hash, tx) }
    }

    public func accessToken(jti: String) async throws -> AccessTokenRecord? {
        try await database.read { tx in try await Self.accessToken(jti: jti, tx) }
    }

    public func revokeAccessToken(jti: String, at: UnixTime) async throws {
        try await database.write { tx in
            _ = try await tx.execute("UPDATE access_tokens SET revoked_at = ? WHERE jti = ? AND revoked_at IS NULL", [at, jti])
        }
    }

    // MARK: Pushed requests and seen JWTs

    public func savePushedRequest(_ request: PushedRequestRecord) async throws {
        try await database.write { tx in try await tx.insert(request) }
    }

    public func consumePushedRequest(uriHash: String, client: ClientID, at now: UnixTime) async throws -> PushedRequestRecord? {
        try await database.write { tx in
            guard var pushed = try await tx.fetchOne(
                PushedRequestRecord.self, "SELECT * FROM pushed_authorization_requests WHERE uri_hash = ?", [uriHash]),
                pushed.usedAt == nil
            else { return nil }
            // Used on first presentation, whatever happens next (RFC 9126 4: single use).
            pushed.usedAt = now
            try await tx.update(pushed)
            guard pushed.clientId == client, now < pushed.expiresAt else { return nil }
            return pushed
        }
    }

    public func recordRequestObjectJTI(client: ClientID, jti: String, expiresAt: UnixTime, at now: UnixTime) async throws -> Bool {
        try await database.write { tx in
            try await Self.recordJTI(table: RequestObjectJTIRecord.databaseTableName, client: client, jti: jti, expiresAt: expiresAt, at: now, tx)
        }
    }

    public func recordClientAssertionJTI(client: ClientID, jti: String, expiresAt: UnixTime, at now: UnixTime) async throws
        -> Bool
    {
        try await database.write { tx in
            try await Self.recordJTI(table: ClientAssertionJTIRecord.databaseTableName, client: client, jti: jti, expiresAt: expiresAt, at: now, tx)
        }
    }

    /// Records a `jti` seen for `client`; `false` when it was already seen and has not expired (RFC 7519 4.1.7,
    /// RFC 9101 10.8). `ON CONFLICT DO NOTHING` makes a concurrent twin a plain `false`, not a unique violation.
    private static func recordJTI(
        table: String, client: ClientID, jti: String, expiresAt: UnixTime, at now: UnixTime, _ tx: PostgresTransaction
    ) async throws -> Bool {
        try await tx.execute("DELETE FROM \(table) WHERE expires_at <= ?", [now])
        return try await tx.execute(
            "INSERT INTO \(table) (client_id, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [client, jti, expiresAt]) == 1
    }
}
