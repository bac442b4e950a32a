/// A point in time as milliseconds since the Unix epoch. Webhook scheduling, leases and latency need
/// finer steps than the whole seconds of ``UnixTime``.
public struct UnixMilliseconds: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ milliseconds: Int64) { self.rawValue = milliseconds }
    public init(_ time: UnixTime) { self.rawValue = time.rawValue * 1000 }

    /// The whole second this instant falls in.
    public var unixTime: UnixTime { UnixTime(rawValue >= 0 ? rawValue / 1000 : (rawValue - 999) / 1000) }

    public var description: String { String(rawValue) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public static func + (lhs: Self, rhs: Duration) -> Self { Self(lhs.rawValue + rhs.wholeMilliseconds) }
    public static func - (lhs: Self, rhs: Self) -> Duration { .milliseconds(lhs.rawValue - rhs.rawValue) }
}

extension Duration {
    /// The duration truncated to whole milliseconds.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
