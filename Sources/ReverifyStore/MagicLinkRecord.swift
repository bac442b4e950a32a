import GRDB
import ReverifyCore

/// A row of `magic_links`: one emailed message's link and code, stored as hashes.
public struct MagicLinkRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "magic_links"

    public var id: String
    public var requestId: AuthorizationRequestID
    public var userId: UserID
    public var browserHash: String
    public var tokenHash: String
    /// SHA-256 of `id:code`, so equal codes in different messages never share a hash.
    public var codeHash: String
    public var createdAt: UnixTime
    public var expiresAt: UnixTime
    public var consumedAt: UnixTime?
    public var failedAttempts: Int
    public var ipAddress: String?
    public var userAgent: String?
    public var sentAt: UnixTime?
    public var sendError: String?

    public init(
        id: String, requestId: AuthorizationRequestID, userId: UserID, browserHash: String, tokenHash: String,
        codeHash: String, createdAt: UnixTime, expiresAt: UnixTime, ipAddress: String?, userAgent: String?
    ) {
        self.id = id
        self.requestId = requestId
        self.userId = userId
        self.browserHash = browserHash
        self.tokenHash = tokenHash
        self.codeHash = codeHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.failedAttempts = 0
        self.ipAddress = ipAddress
        self.userAgent = userAgent
    }
}

/// The result of presenting a code.
public enum CodeCheck: Equatable, Sendable {
    case accepted(MagicLinkRecord)
    case wrong(remainingAttempts: Int)
    case unusable(OneTimeCodePolicy.State)
    case none
}
