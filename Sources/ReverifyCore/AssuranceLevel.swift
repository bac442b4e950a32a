/// The authentication context class (assurance level) a session reached, lowest first (DESIGN 5).
///
/// `phr` (issue 18) sits above `mfa`: a user-verified passkey, bound to the issuer's origin, cannot be
/// phished the way a password or a one-time code can.
public enum ACR: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable, Comparable {
    /// One factor verified.
    case singleFactor = "urn:reverify:acr:1fa"
    /// Two factors of different kinds verified within the mfa window.
    case multiFactor = "urn:reverify:acr:mfa"
    /// A phishing-resistant authenticator with user verification (a passkey, WebAuthn L3).
    case phishingResistant = "urn:reverify:acr:phr"

    var rank: Int {
        switch self {
        case .singleFactor: 1
        case .multiFactor: 2
        case .phishingResistant: 3
        }
    }

    public static func < (lhs: ACR, rhs: ACR) -> Bool { lhs.rank < rhs.rank }

    /// `1fa`, `mfa`, `phr` (as operators type them) or the full URN.
    public init?(name: String) {
        if let full = ACR(rawValue: name) {
            self = full
        } else if let short = ACR.allCases.first(where: { $0.shortName == name.lowercased() }) {
            self = short
        } else {
            return nil
        }
    }

    /// The last segment of the URN: `1fa`, `mfa`, `phr`.
    public var shortName: String { String(rawValue.split(separator: ":").last ?? "") }

    /// How a hosted page names the level to a person.
    public var humanName: String {
        switch self {
        case .singleFactor: "one verification"
        case .multiFactor: "a second step"
        case .phishingResistant: "a passkey"
        }
    }
}

/// How long each level above `1fa` stays valid after it was achieved (issue 10: levels decay).
public struct LevelLifetimes: Sendable, Equatable {
    public var lifetimes: [ACR: Seconds]

    public init(_ lifetimes: [ACR: Seconds] = [.multiFactor: .minutes(15)]) { self.lifetimes = lifetimes }

    /// `nil` for a level that never decays (`1fa` lasts as long as the session).
    public func lifetime(of level: ACR) -> Seconds? {
        level == .singleFactor ? nil : lifetimes[level] ?? .minutes(15)
    }

    /// Parses `mfa=900` (the `--acr-lifetime` syntax): a level above 1fa and a positive number of seconds.
    public static func parse(_ text: String) -> (ACR, Seconds)? {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let level = ACR(name: String(parts[0])), level != .singleFactor,
            let seconds = Int64(parts[1]), seconds > 0, seconds <= 86_400 * 30
        else { return nil }
        return (level, Seconds(seconds))
    }
}

/// When a session last achieved each level, stored next to `auth_time`.
public struct LevelHistory: Codable, Equatable, Sendable {
    public private(set) var achievedAt: [ACR: UnixTime]

    public init(_ achievedAt: [ACR: UnixTime] = [:]) { self.achievedAt = achievedAt }

    /// Achieving a level achieves every level below it too.
    public mutating func record(_ level: ACR, at time: UnixTime) {
        for lower in ACR.allCases where lower <= level { achievedAt[lower] = time }
    }

    /// The highest level still valid at `now`: a decayed level no longer counts (issue 10, item 3).
    public func effectiveLevel(at now: UnixTime, lifetimes: LevelLifetimes) -> ACR {
        ACR.allCases.sorted(by: >).first { isValid($0, at: now, lifetimes: lifetimes) } ?? .singleFactor
    }

    /// Whether `level` was achieved, has not decayed, and (when `maxAge` is given) was achieved within it:
    /// `max_age` applies to the level asked for (issue 10, item 2).
    public func satisfies(_ level: ACR, maxAge: Seconds?, at now: UnixTime, lifetimes: LevelLifetimes) -> Bool {
        guard isValid(level, at: now, lifetimes: lifetimes), let when = achievedAt[level] else { return false }
        if let maxAge, now - when > maxAge { return false }
        return true
    }

    private func isValid(_ level: ACR, at now: UnixTime, lifetimes: LevelLifetimes) -> Bool {
        guard let when = achievedAt[level] else { return false }
        guard let lifetime = lifetimes.lifetime(of: level) else { return true }
        return now - when <= lifetime
    }
}

/// Which rule asked for a level; recorded in audit rows and events (issue 10, item 7).
public enum LevelSource: String, Codable, Sendable, CaseIterable {
    /// `acr_values` in the request (voluntary).
    case request
    /// An essential `acr` claim in the `claims` parameter.
    case essentialClaim = "essential_claim"
    /// The client's registered minimum.
    case clientFloor = "client_floor"
    /// The named action's registered minimum.
    case action
    /// The risk policy (issue 11): the context changed enough to need a second factor.
    case risk
}

/// The level an authorization request needs, and whether failing to reach it is an error.
public struct LevelRequirement: Codable, Equatable, Sendable {
    public let level: ACR
    /// Essential claims and registered floors must be met or the request fails
    /// (`unmet_authentication_requirements`); a voluntary `acr_values` continues with the level reached.
    public let essential: Bool
    /// Every rule that asked for `level`.
    public let sources: [LevelSource]

    public init(level: ACR, essential: Bool, sources: [LevelSource]) {
        self.level = level
        self.essential = essential
        self.sources = sources
    }

    /// Combines what each rule asks: the highest level wins; a request can raise a floor, never lower it.
    public static func combine(_ asks: [(ACR, LevelSource)]) -> LevelRequirement? {
        guard let level = asks.map(\.0).max() else { return nil }
        let sources = asks.filter { $0.0 == level }.map(\.1)
        return LevelRequirement(level: level, essential: sources.contains { $0 != .request }, sources: sources)
    }
}
