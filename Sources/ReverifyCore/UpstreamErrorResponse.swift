/// An error an upstream provider returned to our callback (RFC 6749 4.1.2.1), reduced to what is safe to keep
/// in the audit log: operators need the provider's `error_description` (e.g. "max_age invalid") to fix a
/// set-up, but it is attacker-reachable text, so it is bounded and stripped to the characters the spec allows.
public struct UpstreamErrorResponse: Equatable, Sendable {
    public static let errorLimit = 64
    public static let descriptionLimit = 256

    public let error: String
    public let description: String?

    public init(error: String, description: String?) {
        self.error = Self.sanitized(error, limit: Self.errorLimit)
        let description = description.map { Self.sanitized($0, limit: Self.descriptionLimit) }
        self.description = description?.isEmpty == false ? description : nil
    }

    /// RFC 6749 4.1.2.1: `error` and `error_description` use %x20-21 / %x23-5B / %x5D-7E only. Anything else
    /// (control characters and newlines that could forge log lines, quotes, backslashes, non-ASCII) becomes
    /// `?`; the result is cut to `limit` characters.
    public static func sanitized(_ text: String, limit: Int) -> String {
        var result = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            let allowed = (0x20...0x7E).contains(scalar.value) && scalar != "\"" && scalar != "\\"
            result.unicodeScalars.append(allowed ? scalar : "?")
        }
        return result
    }
}
