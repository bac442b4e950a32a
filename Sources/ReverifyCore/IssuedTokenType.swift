/// The kinds of JWT Reverify signs, told apart by the JOSE header `typ` (RFC 7515 4.1.9): ID tokens carry
/// `JWT`, access tokens `at+jwt` (RFC 9068 2.1). Both are signed with the same keys and share most claims, so
/// the header is what keeps one from being accepted as the other (RFC 8725 3.11 explicit typing).
public enum IssuedTokenType: Equatable, Sendable {
    case idToken
    case accessToken
    /// Anything else, including a missing `typ` (Reverify always sets one).
    case unknown

    /// Reads `typ` as RFC 7515 4.1.9 says: case-insensitive, with an optional `application/` prefix.
    public init(typ: String?) {
        guard var value = typ?.lowercased() else {
            self = .unknown
            return
        }
        if value.hasPrefix("application/") { value.removeFirst("application/".count) }
        switch value {
        case "jwt": self = .idToken
        case "at+jwt": self = .accessToken
        default: self = .unknown
        }
    }
}
