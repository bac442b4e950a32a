import GRDB
import ReverifyCore

/// A row of `signing_keys`. The newest key without `retiredAt` signs; every key without
/// `removedAt` is published in the JWKS.
public struct SigningKeyRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "signing_keys"

    public var kid: String
    public var algorithm: String
    public var privateKeyPem: String
    public var createdAt: UnixTime
    public var retiredAt: UnixTime?
    public var removedAt: UnixTime?

    public init(kid: String, algorithm: String, privateKeyPem: String, createdAt: UnixTime) {
        self.kid = kid
        self.algorithm = algorithm
        self.privateKeyPem = privateKeyPem
        self.createdAt = createdAt
    }

    /// What the key is doing now.
    public enum Status: String, Sendable { case active, retired, removed }

    public var status: Status {
        if removedAt != nil { return .removed }
        return retiredAt == nil ? .active : .retired
    }
}
