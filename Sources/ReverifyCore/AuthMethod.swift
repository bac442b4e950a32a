/// A way a user can actively prove who they are.
public enum AuthMethod: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    case password
    case emailCode = "email_code"
    case magicLink = "magic_link"
    case federated

    /// The RFC 8176 `amr` value this method contributes.
    public var amr: AMR {
        switch self {
        case .password: .pwd
        case .emailCode, .magicLink: .otp
        case .federated: .fed
        }
    }

    /// Methods that prove the same factor count once for `mfa`.
    var factor: AMR { amr }
}

/// An Authentication Method Reference value (RFC 8176 section 2).
///
/// A struct rather than an enum because upstream providers may send values we pass through.
public struct AMR: RawRepresentable, Hashable, Codable, Sendable, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let pwd: AMR = "pwd"
    public static let otp: AMR = "otp"
    public static let fed: AMR = "fed"
    public static let mfa: AMR = "mfa"
}

/// The authentication context class a verification reached.
public enum ACR: String, Codable, Sendable, CaseIterable {
    /// One factor verified.
    case singleFactor = "urn:reverify:acr:1fa"
    /// Two different factors verified within the freshness window.
    case multiFactor = "urn:reverify:acr:mfa"
}

/// The record of which methods a session has verified and when, from which `amr`/`acr` derive.
public struct VerificationHistory: Codable, Equatable, Sendable {
    public private(set) var lastVerified: [AuthMethod: UnixTime]

    public init(_ lastVerified: [AuthMethod: UnixTime] = [:]) { self.lastVerified = lastVerified }

    /// Records an active verification and returns the resulting `amr` and `acr`.
    ///
    /// `mfa` is claimed only when a *different* factor was also verified within `window`
    /// of this verification (RFC 8176 `mfa`; DESIGN 2).
    public mutating func record(
        _ method: AuthMethod, at time: UnixTime, window: Seconds, extraAMR: [AMR] = []
    ) -> (amr: [AMR], acr: ACR) {
        lastVerified[method] = time
        var amr = [method.amr]
        for value in extraAMR where !amr.contains(value) { amr.append(value) }
        let otherFactors = lastVerified.contains { other, when in
            other.factor != method.factor && time - when <= window
        }
        if otherFactors {
            // An upstream may already have said `mfa`; list it once (RFC 8176 values are a set).
            if !amr.contains(.mfa) { amr.append(.mfa) }
            return (amr, .multiFactor)
        }
        return (amr, .singleFactor)
    }
}
