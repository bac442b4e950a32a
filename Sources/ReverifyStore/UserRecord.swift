import GRDB
import ReverifyCore

/// A row of `users`.
public struct UserRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "users"

    public var id: UserID
    public var email: String
    public var name: String?
    /// Argon2id PHC string; `nil` for users who only verify by email or SSO.
    public var passwordHash: String?
    public var emailVerified: Bool
    public var disabledAt: UnixTime?
    public var createdAt: UnixTime
    public var updatedAt: UnixTime

    public init(
        id: UserID, email: String, name: String?, passwordHash: String?, emailVerified: Bool = false,
        disabledAt: UnixTime? = nil, createdAt: UnixTime, updatedAt: UnixTime
    ) {
        self.id = id
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.emailVerified = emailVerified
        self.disabledAt = disabledAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var isDisabled: Bool { disabledAt != nil }
}
