/// A way a user can actively prove who they are.
public enum AuthMethod: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    case password
    case emailCode = "email_code"
    case magicLink = "magic_link"
    case federated
    /// A 6-digit code from an authenticator app (RFC 6238 TOTP, issue 18): something the user has.
    case totp
    /// A WebAuthn credential (issue 18).
    case passkey

    /// The RFC 8176 `amr` value this method contributes. A passkey's values depend on its flags
    /// (`PasskeyAssurance.amr`): `hwk` here stands for a device-bound one.
    public var amr: AMR {
        switch self {
        case .password: .pwd
        case .emailCode, .magicLink, .totp: .otp
        case .federated: .fed
        case .passkey: .hwk
        }
    }

    /// The factor kinds a verification by this method proves. A federated login proves only what the
    /// upstream reports in its own `amr` (issue 9, item 16): "fed" alone is not a kind of factor.
    public func factorKinds(upstreamAMR: [AMR] = []) -> Set<FactorKind> {
        switch self {
        case .password: [.knowledge]
        // An authenticator app is possession, like a mailbox: with a password (knowledge) it makes `mfa`,
        // with an emailed code it does not (RFC 8176 `mfa` needs different kinds). So is a passkey without UV.
        case .emailCode, .magicLink, .totp, .passkey: [.possession]
        case .federated: Set(upstreamAMR.compactMap(\.factorKind))
        }
    }
}

/// The kinds of authentication factor (NIST SP 800-63B 5.1: something you know, have, are).
/// Multi-factor means factors of *different* kinds (RFC 8176 `mfa`).
public enum FactorKind: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    case knowledge
    case possession
    case inherence
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
    /// Proof of possession of a hardware-secured key (a device-bound passkey).
    public static let hwk: AMR = "hwk"
    /// Proof of possession of a software-secured key (a synced passkey: backup eligible).
    public static let swk: AMR = "swk"
    /// The user was verified by the authenticator (WebAuthn UV: a PIN or biometric).
    public static let user: AMR = "user"

    /// The factor kind an RFC 8176 value names, if it names one. `password` is the spelling some
    /// providers use for `pwd`; `fed`, `mfa`, `user`, `rba` and unknown values name no single kind.
    public var factorKind: FactorKind? {
        switch rawValue {
        case "pwd", "password", "pin", "kba": .knowledge
        case "otp", "hwk", "swk", "sms", "tel", "sc", "pop": .possession
        case "fpt", "face", "iris", "retina", "vbm", "bio": .inherence
        default: nil
        }
    }
}

/// The record of which methods and factor kinds a session has verified and when, from which
/// `amr`/`acr` derive.
public struct VerificationHistory: Codable, Equatable, Sendable {
    public private(set) var lastVerified: [AuthMethod: UnixTime]
    /// When each factor kind was last proven; `mfa` needs two kinds within the window.
    public private(set) var lastFactor: [FactorKind: UnixTime]

    public init(_ lastVerified: [AuthMethod: UnixTime] = [:]) {
        self.lastVerified = lastVerified
        self.lastFactor = Self.factors(provenBy: lastVerified)
    }

    /// Records an active verification and returns the resulting `amr` and `acr`.
    ///
    /// `mfa` is claimed only when factors of two different kinds were verified within `window` of this
    /// verification (RFC 8176 `mfa`; DESIGN 2). Two knowledge factors (a local password and an
    /// upstream password) are still one kind. A passkey brings its own values in `extraAMR`
    /// (`PasskeyAssurance.amr`); with `user` (UV) it is a multi-factor cryptographic authenticator
    /// (NIST SP 800-63B 5.1.9) bound to our origin, and reaches `phr` alone (issue 18).
    public mutating func record(
        _ method: AuthMethod, at time: UnixTime, window: Seconds, extraAMR: [AMR] = []
    ) -> (amr: [AMR], acr: ACR) {
        lastVerified[method] = time
        for kind in method.factorKinds(upstreamAMR: extraAMR) { lastFactor[kind] = time }
        var amr = method == .passkey && !extraAMR.isEmpty ? [] : [method.amr]
        for value in extraAMR where !amr.contains(value) { amr.append(value) }
        if method == .passkey, extraAMR.contains(.user) {
            if !amr.contains(.mfa) { amr.append(.mfa) }
            return (amr, .phishingResistant)
        }
        // The level is ours to decide: an upstream's own `mfa` is passed on in `amr`, but only factor kinds
        // we can name count towards `acr` (issue 9, item 16).
        let recentKinds = lastFactor.filter { _, when in time - when <= window }.count
        if recentKinds >= 2 {
            if !amr.contains(.mfa) { amr.append(.mfa) }
            return (amr, .multiFactor)
        }
        return (amr, .singleFactor)
    }

    private static func factors(provenBy methods: [AuthMethod: UnixTime]) -> [FactorKind: UnixTime] {
        var factors: [FactorKind: UnixTime] = [:]
        for (method, when) in methods {
            for kind in method.factorKinds() where factors[kind].map({ $0 < when }) ?? true { factors[kind] = when }
        }
        return factors
    }

    private enum CodingKeys: String, CodingKey { case lastVerified, lastFactor }

    /// Sessions stored before factor kinds were recorded derive them from their methods.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        lastVerified = try container.decode([AuthMethod: UnixTime].self, forKey: .lastVerified)
        lastFactor = try container.decodeIfPresent([FactorKind: UnixTime].self, forKey: .lastFactor)
            ?? Self.factors(provenBy: lastVerified)
    }
}
