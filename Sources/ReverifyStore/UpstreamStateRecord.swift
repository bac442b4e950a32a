import GRDB
import ReverifyCore

/// A row of `upstream_states`: one redirect to a provider, waiting for its callback. Single use.
public struct UpstreamStateRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "upstream_states"

    public var stateHash: String
    public var requestId: AuthorizationRequestID
    public var providerId: UpstreamProviderID
    public var browserHash: String
    public var nonce: String
    public var codeVerifier: String
    public var startedAt: UnixTime
    public var expiresAt: UnixTime
    public var usedAt: UnixTime?

    public init(
        stateHash: String, requestId: AuthorizationRequestID, providerId: UpstreamProviderID, browserHash: String,
        nonce: String, codeVerifier: String, startedAt: UnixTime, expiresAt: UnixTime
    ) {
        self.stateHash = stateHash
        self.requestId = requestId
        self.providerId = providerId
        self.browserHash = browserHash
        self.nonce = nonce
        self.codeVerifier = codeVerifier
        self.startedAt = startedAt
        self.expiresAt = expiresAt
    }
}

/// What presenting a `state` at the callback found.
public enum UpstreamStateClaim: Equatable, Sendable {
    case unknown
    /// Seen before: a replayed or double-submitted callback.
    case alreadyUsed(UpstreamStateRecord)
    case expired(UpstreamStateRecord)
    /// Now marked used; this caller alone may continue.
    case claimed(UpstreamStateRecord)
}
