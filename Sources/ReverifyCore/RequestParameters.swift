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

    /// Every usable, non-empty parameter, sorted by name (what a pushed request stores).
    public var usablePairs: [(String, String)] {
        values.filter { !$0.value.isEmpty && isUsable($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// OIDC Core 6.3.3 / RFC 9101 6.3: the parameters inside a request object win over those in the URL;
    /// with `objectOnly` (a client that must sign its requests) the URL contributes only `client_id`.
    public func merging(requestObject: [String: String], objectOnly: Bool) -> RequestParameters {
        var merged = objectOnly ? [:] : values.filter { isUsable($0.key) }
        merged["request"] = nil
        if let clientID = values["client_id"] { merged["client_id"] = clientID }
        for (name, value) in requestObject where name != "request" && name != "request_uri" { merged[name] = value }
        return RequestParameters(merged.sorted { $0.key < $1.key }.map { ($0.key, Optional($0.value)) })
    }
}
