/// Where a claim is delivered.
public enum ClaimsTarget: Sendable {
    case idToken
    case userinfo
}

/// The standard claims (OIDC Core 5.1) Reverify holds about a user. Claims it does not hold (address,
/// phone, picture…) are never returned, even when requested: they are omitted, never invented.
public enum StandardClaim: String, CaseIterable, Sendable {
    case name
    case givenName = "given_name"
    case familyName = "family_name"
    case preferredUsername = "preferred_username"
    case updatedAt = "updated_at"
    case email
    case emailVerified = "email_verified"

    /// OIDC Core 5.4: the scope value that releases this claim.
    public var scope: String {
        switch self {
        case .email, .emailVerified: "email"
        default: "profile"
        }
    }
}

/// The one place that decides which standard claims a token or the userinfo response carries
/// (issue 17, item 1): those a granted scope releases (OIDC Core 5.4) plus those the `claims`
/// parameter asks for in that target, essential or voluntary (OIDC Core 5.5).
public enum ClaimsSelection {
    public static func claims(for target: ClaimsTarget, scopes: Set<String>, request: ClaimsRequest?) -> Set<StandardClaim> {
        var selected = Set(StandardClaim.allCases.filter { scopes.contains($0.scope) })
        let asked: [String: ClaimRequest?]? = switch target {
        case .idToken: request?.idToken
        case .userinfo: request?.userinfo
        }
        for name in asked?.keys ?? [:].keys {
            if let claim = StandardClaim(rawValue: name) { selected.insert(claim) }
        }
        return selected
    }
}
