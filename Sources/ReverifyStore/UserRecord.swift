import GRDB
import ReverifyCore

/// A row of `users`.
public struct UserRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "users"

    public var id: UserID
    public var email: String
    public var name: String?
    /// OIDC Core 5.1 profile claims, released by the `profile` scope or the `claims` parameter.
    public var givenName: String?
    public var familyName: String?
    public var preferredUsername: String?
    /// Argon2id PHC string; `nil` for users who only verify by email or SSO.
    public var passwordHash: String?
    public var emailVerified: Bool
    public var disabledAt: UnixTime?
    public var createdAt: UnixTime
    public var updatedAt: UnixTime

    public init(
        id: UserID, email: String, name: String?, passwordHash: String?, emailVerified: Bool = false,
        disabledAt: UnixTime? = nil, createdAt: UnixTime, updatedAt: UnixTime, givenName: String? = nil,
        familyName: String? = nil, preferredUsername: String? = nil
    ) {
        self.givenName = givenName
        self.familyName = familyName
        self.preferredUsername = preferredUsername
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

extension UserRecord {
    /// The value of a standard claim this user has, or `nil` when Reverify does not hold it.
    public func value(of claim: StandardClaim) -> StandardClaimValue? {
        switch claim {
        case .name: name.map(StandardClaimValue.string)
        case .givenName: givenName.map(StandardClaimValue.string)
        case .familyName: familyName.map(StandardClaimValue.string)
        case .preferredUsername: preferredUsername.map(StandardClaimValue.string)
        case .updatedAt: .number(updatedAt.rawValue)
        case .email: .string(email)
        case .emailVerified: .bool(emailVerified)
        }
    }

    /// Every selected claim this user holds, by claim name.
    public func claims(_ selected: Set<StandardClaim>) -> [String: StandardClaimValue] {
        Dictionary(uniqueKeysWithValues: selected.compactMap { claim in value(of: claim).map { (claim.rawValue, $0) } })
    }
}

/// A standard claim's JSON value.
public enum StandardClaimValue: Encodable, Equatable, Sendable {
    case string(String)
    case number(Int64)
    case bool(Bool)

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .number(let n): try c.encode(n)
        case .bool(let b): try c.encode(b)
        }
    }
}
