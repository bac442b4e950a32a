/// A JWT time claim as it arrives in JSON (RFC 7519 2 "NumericDate": seconds since the epoch, a JSON number
/// that may be fractional), read into a ``UnixTime`` only when it is a time we can compute with.
///
/// A signed token from an upstream is still untrusted input: `exp = 2^63` or `auth_time = -2^63` must be
/// refused, not trap in `Int64(Double)` or overflow in a subtraction (issue 9 item 13).
public enum NumericDate: Equatable, Sendable {
    case absent
    case time(UnixTime)
    /// Not finite, negative, or after ``latest``.
    case outOfRange

    /// 9999-12-31T23:59:59Z. Far enough for any real token; small enough that `time ± Seconds` never overflows.
    public static let latest = UnixTime(253_402_300_799)

    public init(_ seconds: Double?) {
        guard let seconds else {
            self = .absent
            return
        }
        // RFC 7519 2: "non-integer values can be represented"; we keep whole seconds (toward zero).
        guard seconds.isFinite, seconds >= 0, seconds <= Double(Self.latest.rawValue),
            let whole = Int64(exactly: seconds.rounded(.towardZero))
        else {
            self = .outOfRange
            return
        }
        self = .time(UnixTime(whole))
    }
}
