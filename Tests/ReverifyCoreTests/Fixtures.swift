import ReverifyCore

/// Builders for the values most rules need, with safe defaults a test overrides.
enum Fixture {
    static let now = UnixTime(1_795_000_000)
    static let user = UserID(rawValue: "usr_alice")
    static let otherUser = UserID(rawValue: "usr_bob")
    static let redirect = "https://rp.example/callback"

    static func client(
        public isPublic: Bool = false, actions: [String: ActionPolicy] = [:]
    ) -> RegisteredClient {
        RegisteredClient(
            id: ClientID(rawValue: "cli_rp"), name: "RP", authMethod: isPublic ? .none : .clientSecretBasic,
            redirectURIs: [redirect], actions: actions)
    }

    static func params(_ overrides: [String: String?] = [:], extra: [(String, String?)] = []) -> RequestParameters {
        var base: [String: String?] = [
            "client_id": "cli_rp", "redirect_uri": redirect, "response_type": "code", "scope": "openid email",
            "state": "s1", "nonce": "n1",
        ]
        for (k, v) in overrides { base[k] = v }
        let pairs = base.compactMap { k, v in v.map { (k, Optional($0)) } }.sorted { $0.0 < $1.0 }
        return RequestParameters(pairs + extra)
    }

    static func request(_ overrides: [String: String?] = [:], client: RegisteredClient = client()) throws -> AuthorizeRequest {
        try AuthorizeRequestValidator.validate(params(overrides), client: client, redirectURI: redirect, now: now)
    }

    static func session(authenticatedSecondsAgo age: Int64, user: UserID = user) -> SessionSnapshot {
        SessionSnapshot(sessionID: SessionID(rawValue: "ses_1"), userID: user, authTime: now - Seconds(age))
    }

    /// A valid S256 challenge (RFC 7636 Appendix B).
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
}
