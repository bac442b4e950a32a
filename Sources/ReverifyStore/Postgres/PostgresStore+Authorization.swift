import GRDB
import ReverifyCore

extension PostgresStore {
    public func saveAuthorizationRequest(_ request: AuthorizationRequestRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func authorizationRequest(id: AuthorizationRequestID) async throws -> AuthorizationRequestRecord? {
        throw Self.notImplemented(#function)
    }

    public func completeAuthorizationRequest(id: AuthorizationRequestID, code: AuthorizationCodeRecord, at: UnixTime)
        async throws -> Bool {
        throw Self.notImplemented(#function)
    }

    public func bindAuthorizationRequest(id: AuthorizationRequestID, session: SessionID, user: UserID) async throws {
        throw Self.notImplemented(#function)
    }

    public func cancelAuthorizationRequest(id: AuthorizationRequestID, at: UnixTime, audit: AuditRecord) async throws
        -> Bool {
        throw Self.notImplemented(#function)
    }

    public func finishAuthorizationRequest(id: AuthorizationRequestID, at: UnixTime) async throws -> Bool {
        throw Self.notImplemented(#function)
    }

    public func insertCode(_ code: AuthorizationCodeRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func redeemCode(
        hash: String, at now: UnixTime, issuance: TokenIssuance, replayAudit: AuditRecord,
        validate: @Sendable (AuthorizationCodeRecord, SessionRecord) -> OAuthError?
    ) async throws -> CodeRedemption {
        throw Self.notImplemented(#function)
    }

    public func rotateRefreshToken(
        hash: String, at now: UnixTime, issuance: TokenIssuance, reuseAudit: AuditRecord, reuseGrace: Seconds,
        validate: @Sendable (GrantRecord) -> OAuthError?
    ) async throws -> RefreshRotation {
        throw Self.notImplemented(#function)
    }

    public func grant(id: GrantID) async throws -> GrantRecord? {
        throw Self.notImplemented(#function)
    }

    public func revokeGrant(id: GrantID, at: UnixTime, reason: String) async throws {
        throw Self.notImplemented(#function)
    }

    public func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        throw Self.notImplemented(#function)
    }

    public func accessToken(jti: String) async throws -> AccessTokenRecord? {
        throw Self.notImplemented(#function)
    }

    public func revokeAccessToken(jti: String, at: UnixTime) async throws {
        throw Self.notImplemented(#function)
    }

    public func savePushedRequest(_ request: PushedRequestRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func consumePushedRequest(uriHash: String, client: ClientID, at now: UnixTime) async throws -> PushedRequestRecord? {
        throw Self.notImplemented(#function)
    }

    public func recordRequestObjectJTI(client: ClientID, jti: String, expiresAt: UnixTime, at now: UnixTime) async throws -> Bool {
        throw Self.notImplemented(#function)
    }

    public func recordClientAssertionJTI(client: ClientID, jti: String, expiresAt: UnixTime, at now: UnixTime) async throws
        -> Bool {
        throw Self.notImplemented(#function)
    }
}
