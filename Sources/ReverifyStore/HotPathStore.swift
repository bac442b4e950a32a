import ReverifyCore

/// An access token with everything that decides whether it is live, read together.
public struct AccessTokenChain: Sendable, Equatable {
    public let token: AccessTokenRecord
    public let grant: GrantRecord
    public let session: SessionRecord
    /// The session's user; `nil` only if the account was deleted.
    public let user: UserRecord?

    public init(token: AccessTokenRecord, grant: GrantRecord, session: SessionRecord, user: UserRecord?) {
        self.token = token
        self.grant = grant
        self.session = session
        self.user = user
    }
}

/// What a risk assessment asks about one request's context (issue 11), read with the session (issue 13).
public struct RiskQuery: Sendable {
    public var deviceHash: String?
    public var networkPrefix: String?
    public var ipAddress: String?
    public var at: UnixTime
    public var networkMemory: Seconds
    public var velocityWindow: Seconds
    /// The attempt subject of the session's user (failures are counted per account).
    public var attemptSubject: @Sendable (UserRecord) -> String

    public init(
        deviceHash: String?, networkPrefix: String?, ipAddress: String?, at: UnixTime, networkMemory: Seconds,
        velocityWindow: Seconds, attemptSubject: @escaping @Sendable (UserRecord) -> String
    ) {
        self.deviceHash = deviceHash
        self.networkPrefix = networkPrefix
        self.ipAddress = ipAddress
        self.at = at
        self.networkMemory = networkMemory
        self.velocityWindow = velocityWindow
        self.attemptSubject = attemptSubject
    }
}

/// What the busiest endpoints read or write, each in one transaction where they used several (issue 13:
/// every transaction is a hop to a connection's queue and back, and the authorize, userinfo and
/// introspection profiles were mostly those hops).
public protocol HotPathStore: Sendable {
    /// The session whose secret has this hash, with its user.
    func sessionWithUser(secretHash: String) async throws -> (SessionRecord, UserRecord)?
    /// The same, and for a live session of an enabled user the risk history `risk` asks for, in the same read:
    /// a silent authorize makes one read and one write (issue 13).
    func sessionWithUser(secretHash: String, risk: RiskQuery) async throws -> (SessionRecord, UserRecord, RiskHistory?)?
    /// An access token by `jti` with its grant, the grant's session and that session's user.
    func accessTokenChain(jti: String) async throws -> AccessTokenChain?
    /// Stores a code together with the audit row of the decision that issued it.
    func insertCode(_ code: AuthorizationCodeRecord, audit: AuditRecord) async throws
}
