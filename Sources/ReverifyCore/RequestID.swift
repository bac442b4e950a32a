/// The identifier that ties a request's log lines and audit rows together (issue 15.2). A caller's
/// `X-Request-ID` is kept when it is well formed, so an operator can follow one request across a proxy,
/// the relying party and Reverify; anything else is replaced, never echoed.
public struct RequestID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// At most this many characters; longer values are replaced.
    public static let maximumLength = 128

    /// Accepts 1–128 characters of `[A-Za-z0-9._-]` and nothing else: no spaces, quotes or control
    /// characters that could forge a log line or a header.
    public init?(rawValue: String) {
        guard (1...Self.maximumLength).contains(rawValue.utf8.count),
            rawValue.utf8.allSatisfy({ Self.allowed($0) })
        else { return nil }
        self.rawValue = rawValue
    }

    /// A new random identifier (128 bits, hex). Not a secret: it only needs to be unique.
    /// Every request without a usable `X-Request-ID` makes one: two numbers as 16 hex digits each, through the
    /// table-driven hex encoder (formatting by `String(_:radix:)` and padding was 0.8% of a silent authorize).
    public static func generate<G: RandomNumberGenerator>(using generator: inout G) -> RequestID {
        let (high, low) = ((generator.next() as UInt64).bigEndian, (generator.next() as UInt64).bigEndian)
        return RequestID(rawValue: withUnsafeBytes(of: (high, low)) { ByteEncoding.hex($0) })!
    }

    public static func generate() -> RequestID {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// The caller's value when well formed, else a new one.
    public static func accepting(_ header: String?) -> RequestID {
        header.flatMap(RequestID.init(rawValue:)) ?? generate()
    }

    public var description: String { rawValue }

    private static func allowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    /// The request being served by the current task, so records written on its behalf (audit rows) carry it
    /// without every call site passing it along. Set by the server's request middleware.
    @TaskLocal public static var current: RequestID?
}
