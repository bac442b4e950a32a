/// A span of time in whole seconds, as OAuth and OIDC express lifetimes and `max_age`.
public struct Seconds: RawRepresentable, Hashable, Comparable, Codable, Sendable, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ value: Int64) { self.rawValue = value }
    public init(integerLiteral value: Int64) { self.rawValue = value }

    public static func minutes(_ m: Int64) -> Seconds { Seconds(m * 60) }
    public static func hours(_ h: Int64) -> Seconds { Seconds(h * 3600) }
    public static func days(_ d: Int64) -> Seconds { Seconds(d * 86_400) }

    public var description: String { "\(rawValue)s" }
    public static func < (lhs: Seconds, rhs: Seconds) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A point in time as seconds since the Unix epoch: the unit of `auth_time`, `iat` and `exp` (OIDC Core 2).
public struct UnixTime: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ seconds: Int64) { self.rawValue = seconds }

    public var description: String { String(rawValue) }
    public static func < (lhs: UnixTime, rhs: UnixTime) -> Bool { lhs.rawValue < rhs.rawValue }
    public static func + (lhs: UnixTime, rhs: Seconds) -> UnixTime { UnixTime(lhs.rawValue + rhs.rawValue) }
    public static func - (lhs: UnixTime, rhs: Seconds) -> UnixTime { UnixTime(lhs.rawValue - rhs.rawValue) }
    public static func - (lhs: UnixTime, rhs: UnixTime) -> Seconds { Seconds(lhs.rawValue - rhs.rawValue) }
}

/// Where "now" comes from; injected so rules about time can be tested without sleeping.
public protocol TimeSource: Sendable {
    func now() -> UnixTime
}
