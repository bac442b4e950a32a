/// An opaque, prefixed identifier (`usr_…`, `ses_…`, `cli_…`).
///
/// The prefix makes identifiers self-describing in logs, the CLI and webhooks, and the
/// distinct types stop a `UserID` being passed where a `SessionID` is expected.
public protocol PrefixedIdentifier: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible, Comparable
where RawValue == String {
    static var prefix: String { get }
    init(rawValue: String)
}

extension PrefixedIdentifier {
    public var description: String { rawValue }

    /// Parses an identifier typed by an operator or sent by a client; `nil` if it lacks the prefix.
    public init?(validating string: String) {
        guard string.hasPrefix(Self.prefix + "_"), string.count > Self.prefix.count + 1, string.count <= 128 else { return nil }
        self.init(rawValue: string)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A user account.
public struct UserID: PrefixedIdentifier {
    public static let prefix = "usr"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A browser session's public identifier (the `sid` claim). Never the cookie secret.
public struct SessionID: PrefixedIdentifier {
    public static let prefix = "ses"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A registered relying party.
public struct ClientID: PrefixedIdentifier {
    public static let prefix = "cli"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A pending hosted authorization flow.
public struct AuthorizationRequestID: PrefixedIdentifier {
    public static let prefix = "req"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A grant: everything issued from one code redemption (the unit of revocation).
public struct GrantID: PrefixedIdentifier {
    public static let prefix = "grt"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A request for a person's approval of an agent's action (OpenID CIBA); never the `auth_req_id` itself.
public struct ApprovalID: PrefixedIdentifier {
    public static let prefix = "apr"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A second factor of a user: an authenticator app or a passkey (issue 18).
public struct FactorID: PrefixedIdentifier {
    public static let prefix = "fac"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}
