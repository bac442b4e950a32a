/// A value of the `prompt` authorization parameter (OIDC Core 3.1.2.1).
public enum Prompt: String, Codable, Sendable, CaseIterable {
    case none
    case login
    case consent
    case selectAccount = "select_account"
}

/// The parsed, validated set of `prompt` values.
public struct PromptSet: Codable, Equatable, Sendable {
    public let values: Set<Prompt>

    public init(_ values: Set<Prompt> = []) { self.values = values }

    /// Parses the space-delimited `prompt` value.
    ///
    /// OIDC Core 3.1.2.1: "If this parameter contains none with any other value, an error is returned."
    public static func parse(_ raw: String?) throws(OAuthError) -> PromptSet {
        guard let raw, !raw.isEmpty else { return PromptSet() }
        var values = Set<Prompt>()
        for token in raw.split(separator: " ", omittingEmptySubsequences: true) {
            guard let prompt = Prompt(rawValue: String(token)) else {
                throw .invalidRequest("prompt value '\(token.prefix(32))' is not supported")
            }
            values.insert(prompt)
        }
        if values.contains(.none) && values.count > 1 {
            throw .invalidRequest("prompt=none cannot be combined with other prompt values")
        }
        return PromptSet(values)
    }

    public var isNone: Bool { values.contains(.none) }
    public var forcesLogin: Bool { values.contains(.login) }

    public var rawValue: String? {
        values.isEmpty ? nil : values.map(\.rawValue).sorted().joined(separator: " ")
    }
}
