/// The raw parameters of a protocol request (query or form body), before any rule has looked at them.
///
/// RFC 6749 3.1: "Request and response parameters MUST NOT be included more than once."
/// Duplicates are remembered rather than rejected here, so the caller can decide whether the
/// redirect URI can still be trusted for the error response.
public struct RequestParameters: Sendable {
    public static let maximumValueLength = 4096
    public static let maximumParameterCount = 64

    private var values: [String: String] = [:]
    public private(set) var duplicated: Set<String> = []
    /// Parameters too long or not decodable: present, but not to be relied on.
    public private(set) var malformed: Set<String> = []
    public private(set) var tooMany = false

    /// - Parameter pairs: name/value pairs in order; a `nil` value could not be decoded.
    public init(_ pairs: some Sequence<(String, String?)>) {
        var count = 0
        for (name, value) in pairs {
            count += 1
            if count > Self.maximumParameterCount {
                tooMany = true
                break
            }
            if values[name] != nil { duplicated.insert(name) }
            if let value, value.utf8.count <= Self.maximumValueLength {
                values[name] = value
            } else {
                malformed.insert(name)
                values[name] = ""
            }
        }
    }

    /// The value of a parameter; empty values count as absent (RFC 6749 3.1).
    public subscript(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// Whether a parameter may be relied on: present at most once and of sane size.
    public func isUsable(_ name: String) -> Bool {
        !duplicated.contains(name) && !malformed.contains(name)
    }
}
