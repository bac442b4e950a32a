import GRDB
import ReverifyCore

/// A row of `user_identities`: our user is the person the provider calls `subject`.
public struct UserIdentityRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "user_identities"

    public var userId: UserID
    public var providerId: UpstreamProviderID
    public var subject: String
    public var email: String?
    public var createdAt: UnixTime

    public init(userId: UserID, providerId: UpstreamProviderID, subject: String, email: String?, createdAt: UnixTime) {
        self.userId = userId
        self.providerId = providerId
        self.subject = subject
        self.email = email
        self.createdAt = createdAt
    }
}
