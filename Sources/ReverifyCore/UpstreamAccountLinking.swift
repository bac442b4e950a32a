/// Whether a first sign-in through an upstream provider — a subject not linked to anyone yet — may be linked
/// to the local account with the same email address (issue 9 item 6).
///
/// An upstream asserting `email_verified` only vouches for addresses it is authoritative for: a partner's
/// identity provider can assert `ceo@our-company.com` as easily as its own staff's addresses. So linking by
/// email happens only for domains the operator explicitly allowed on that provider (`--link-domain`); any
/// other first sign-in is refused, and the link is made by an operator (`reverify users link`).
public enum UpstreamAccountLinking {
    public enum Decision: Equatable, Sendable {
        /// Link to the account with this (normalised) address, if there is one.
        case link(email: String)
        case refuse(Refusal)
    }

    /// Why no automatic link is made; recorded in the audit log.
    public enum Refusal: String, Equatable, Sendable {
        case noEmail = "no_email"
        case emailNotVerified = "email_not_verified"
        case domainNotAllowed = "domain_not_allowed"
        /// The provider's address is not the signed-in user's.
        case differentAddress = "different_address"
    }

    public static func decide(email: String?, emailVerified: Bool?, linkDomains: [String]) -> Decision {
        guard let email = email.flatMap(AccountRules.normalizedEmail) else { return .refuse(.noEmail) }
        // OIDC Core 5.1: only an address the provider says it verified says anything about who this is.
        guard emailVerified == true else { return .refuse(.emailNotVerified) }
        guard let at = email.lastIndex(of: "@") else { return .refuse(.noEmail) }
        let domain = email[email.index(after: at)...].lowercased()
        // Exact domain match: "example.com" does not allow "evil-example.com" nor "mail.example.com".
        guard linkDomains.contains(where: { $0.lowercased() == domain }) else { return .refuse(.domainNotAllowed) }
        return .link(email: email)
    }

    /// A signed-in user re-verifying through a provider they are not linked to yet ("linking from an existing
    /// verified session"). The session already proves who the user is, so the provider need not be trusted for
    /// a whole domain; it must still be offered for the user's domain (`--domain`), and must vouch, verified,
    /// for exactly the session user's address — a thief of the session cookie cannot bind an upstream
    /// account of their own.
    public static func decideForSession(
        email: String?, emailVerified: Bool?, sessionEmail: String, providerDomains: [String]
    ) -> Decision {
        guard let email = email.flatMap(AccountRules.normalizedEmail) else { return .refuse(.noEmail) }
        guard emailVerified == true else { return .refuse(.emailNotVerified) }
        guard !providerDomains.isEmpty, UpstreamIDTokenRules.emailDomainAllowed(sessionEmail, domains: providerDomains)
        else { return .refuse(.domainNotAllowed) }
        guard email.lowercased() == sessionEmail.lowercased() else { return .refuse(.differentAddress) }
        return .link(email: email)
    }
}
