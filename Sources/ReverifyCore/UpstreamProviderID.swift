/// An upstream OpenID Connect provider that users may re-verify through (`ups_…`).
public struct UpstreamProviderID: PrefixedIdentifier {
    public static let prefix = "ups"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}
