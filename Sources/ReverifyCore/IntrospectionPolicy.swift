/// Who may learn about a token at the introspection endpoint (issue 9 item 10).
///
/// RFC 7662 4: the endpoint must not become a way for any client to probe any token. A client may always
/// introspect what was issued to it; a client registered as a resource server may also introspect access
/// tokens whose audience it serves. Everything else is answered `active: false`, exactly as for an unknown
/// token (RFC 7662 2.2), so a refusal tells the caller nothing.
public enum IntrospectionPolicy {
    /// The kinds of token the endpoint understands.
    public enum TokenKind: Equatable, Sendable {
        case accessToken
        case refreshToken
    }

    /// - Parameters:
    ///   - caller: the authenticated client asking.
    ///   - callerIsResourceServer: whether it was registered as a resource server.
    ///   - tokenClient: the client the token was issued to (`client_id`).
    ///   - audience: the token's `aud` values (empty for refresh tokens, which no resource server ever sees).
    ///   - servedAudience: the audience resource servers of this deployment serve (Reverify's access tokens
    ///     name the issuer, RFC 9068 3).
    public static func allows(
        caller: ClientID, callerIsResourceServer: Bool, tokenClient: ClientID, kind: TokenKind, audience: [String],
        servedAudience: String
    ) -> Bool {
        if caller == tokenClient { return true }
        // A refresh token is a credential of its client alone; a resource server never receives one.
        return callerIsResourceServer && kind == .accessToken && audience.contains(servedAudience)
    }
}
