import GRDB
import ReverifyCore

extension FactorID: RawValueColumn {}
extension UserFactorKind: RawValueColumn {}

/// A row of `user_factors`: one second factor of a user, of any kind (issue 18). Kind-specific columns are
/// optional; a TOTP uses `secret` and `lastUsedStep`.
public struct FactorRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "user_factors"

    public var id: FactorID
    public var userId: UserID
    public var kind: UserFactorKind
    /// The name the user gave it ("Phone"), shown on the security page.
    public var name: String
    public var createdAt: UnixTime
    public var lastUsedAt: UnixTime?
    /// `nil` until the factor is proven to work (a TOTP: one valid code); unconfirmed factors never verify anyone.
    public var confirmedAt: UnixTime?
    /// TOTP: the shared secret, the HMAC key HummingbirdOTP computes codes with. Sealed at rest with a master key.
    public var secret: String?
    /// TOTP: the newest time step accepted (RFC 6238 5.2: each code works once).
    public var lastUsedStep: Int64?

    public init(
        id: FactorID, userId: UserID, kind: UserFactorKind, name: String, createdAt: UnixTime,
        confirmedAt: UnixTime? = nil, secret: String? = nil
    ) {
        self.id = id
        self.userId = userId
        self.kind = kind
        self.name = name
        self.createdAt = createdAt
        self.confirmedAt = confirmedAt
        self.secret = secret
    }

    public var isConfirmed: Bool { confirmedAt != nil }

    /// The audit `detail` of a factor change, from which `authentication.factor_*` events take their data.
    public var auditDetail: [String: String] {
        ["factor_id": id.rawValue, "factor_kind": kind.rawValue, "factor_name": name]
    }
}

/// What happened when a TOTP step was presented to the store.
public enum TOTPUse: Sendable, Equatable {
    /// Recorded: the step is now the factor's last used step.
    case accepted
    /// The step is at or before the last one used: a replayed code.
    case replayed
    /// The factor does not exist (any more), is not this user's, or is not confirmed.
    case unknownFactor
}
