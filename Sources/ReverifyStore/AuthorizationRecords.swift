import GRDB
import ReverifyCore

/// A row of `authorization_requests`: a hosted flow waiting for the user to verify.
public struct AuthorizationRequestRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "authorization_requests"

    public var id: AuthorizationRequestID
    /// SHA-256 of the browser cookie that started the flow; another browser cannot finish it.
    public var browserHash: String
    public var csrfHash: String
    public var clientId: ClientID
    public var request: AuthorizeRequest
    /// The session being re-verified; `nil` for sign-in.
    public var sessionId: SessionID?
    /// The only user this flow may authenticate (session user or `id_token_hint` subject).
    public var pinnedUserId: UserID?
    public var reason: ReauthReason
    public var createdAt: UnixTime
    public var expiresAt: UnixTime
    public var completedAt: UnixTime?
    /// Set when the flow verifies a person for an agent's approval (issue 12): it continues to the approval page,
    /// not to a code. Kept in its own column, not in `continuation`, so the approval is a foreign key.
    public var approvalId: ApprovalID?
    /// What completing the flow leads to; `nil` is ``VerificationContinuation/authorization`` (issue 18).
    public var continuation: VerificationContinuation?

    /// What completing the flow leads to.
    public var next: VerificationContinuation {
        if let approvalId { return .approval(approvalId) }
        return continuation ?? .authorization
    }

    public init(
        id: AuthorizationRequestID, browserHash: String, csrfHash: String, clientId: ClientID,
        request: AuthorizeRequest, sessionId: SessionID?, pinnedUserId: UserID?, reason: ReauthReason,
        createdAt: UnixTime, expiresAt: UnixTime, continuation: VerificationContinuation? = nil
    ) {
        self.continuation = continuation
        self.id = id
        self.browserHash = browserHash
        self.csrfHash = csrfHash
        self.clientId = clientId
        self.request = request
        self.sessionId = sessionId
        self.pinnedUserId = pinnedUserId
        self.reason = reason
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A row of `grants`: the family of tokens that one code redemption produced.
public struct GrantRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "grants"

    public var id: GrantID
    public var clientId: ClientID
    public var userId: UserID
    public var sessionId: SessionID
    public var scope: String
    public var nonce: String?
    /// The `claims` request of the authorization (OIDC Core 5.5), honoured for the grant's life.
    public var claims: ClaimsRequest?
    /// The sensitive action the grant was issued for, whose token lifetime applies.
    public var action: String?
    public var createdAt: UnixTime
    public var revokedAt: UnixTime?
    public var revokedReason: String?

    public init(
        id: GrantID, clientId: ClientID, userId: UserID, sessionId: SessionID, scope: String, nonce: String?,
        claims: ClaimsRequest? = nil, createdAt: UnixTime
    ) {
        self.claims = claims
        self.id = id
        self.clientId = clientId
        self.userId = userId
        self.sessionId = sessionId
        self.scope = scope
        self.nonce = nonce
        self.createdAt = createdAt
    }
}

extension GrantRecord {
    /// Whether the grant's tokens still work. A grant dies with its session (idle or absolute expiry,
    /// sign-out, revocation) unless it was issued with `offline_access` (issue 9, item 7; OIDC Core 11);
    /// an explicit revocation of the grant always ends it.
    public func isBacked(by session: SessionRecord, at now: UnixTime) -> Bool {
        revokedAt == nil && (Scope.grantsOfflineAccess(scope) || session.isActive(at: now))
    }
}

/// A row of `authorization_codes` (RFC 6749 4.1.2): single use, short-lived, bound to everything.
public struct AuthorizationCodeRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "authorization_codes"

    public var codeHash: String
    public var clientId: ClientID
    public var redirectUri: String
    public var sessionId: SessionID
    public var userId: UserID
    public var scope: String
    public var nonce: String?
    public var codeChallenge: String?
    /// The `claims` request parameter (OIDC Core 5.5), handed on to the grant.
    public var claims: ClaimsRequest?
    /// The sensitive action the request named, handed on to the grant.
    public var action: String?
    /// DESIGN 2: the session's `auth_time` must be at least this when the code is redeemed.
    public var minAuthTime: UnixTime?
    public var createdAt: UnixTime
    public var expiresAt: UnixTime
    public var usedAt: UnixTime?
    public var grantId: GrantID?

    public init(
        codeHash: String, clientId: ClientID, redirectUri: String, sessionId: SessionID, userId: UserID,
        scope: String, nonce: String?, codeChallenge: String?, claims: ClaimsRequest? = nil, minAuthTime: UnixTime?,
        createdAt: UnixTime, expiresAt: UnixTime
    ) {
        self.claims = claims
        self.codeHash = codeHash
        self.clientId = clientId
        self.redirectUri = redirectUri
        self.sessionId = sessionId
        self.userId = userId
        self.scope = scope
        self.nonce = nonce
        self.codeChallenge = codeChallenge
        self.minAuthTime = minAuthTime
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A row of `refresh_tokens`. Rotation marks the old row used; presenting a used one again
/// revokes the whole grant (RFC 9700 4.14.2).
public struct RefreshTokenRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "refresh_tokens"

    public var tokenHash: String
    public var grantId: GrantID
    public var parentHash: String?
    public var createdAt: UnixTime
    public var expiresAt: UnixTime
    public var usedAt: UnixTime?

    public init(tokenHash: String, grantId: GrantID, parentHash: String?, createdAt: UnixTime, expiresAt: UnixTime) {
        self.tokenHash = tokenHash
        self.grantId = grantId
        self.parentHash = parentHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// Whether presenting this token at `now` is a replay: it was already rotated, and not within `grace`
    /// seconds (a client retrying a lost response). RFC 9700 4.14.2: a replay revokes the whole family.
    public func isReplay(at now: UnixTime, grace: Seconds) -> Bool {
        guard let usedAt else { return false }
        return !(grace > 0 && usedAt <= now && now - usedAt <= grace)
    }
}

/// A row of `access_tokens`: the `jti` of each JWT access token, so it can be revoked and introspected.
public struct AccessTokenRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "access_tokens"

    public var jti: String
    public var grantId: GrantID
    public var expiresAt: UnixTime
    public var revokedAt: UnixTime?
    /// Consumed by its first introspection (issue 12 item 5: actions registered `once`).
    public var oneShot: Bool

    public init(jti: String, grantId: GrantID, expiresAt: UnixTime, oneShot: Bool = false) {
        self.jti = jti
        self.grantId = grantId
        self.expiresAt = expiresAt
        self.oneShot = oneShot
    }
}
