/// The authorization endpoint's rules as an ordered pipeline of small checks, in spec order
/// (after node-oidc-provider's `lib/actions/authorization`). Each throws the error it names.
public enum AuthorizeRequestValidator {
    /// Stage 1: can the redirect URI be trusted for error responses? Runs before anything else.
    public static func trustedRedirectURI(
        _ params: RequestParameters, client: RegisteredClient?
    ) throws(UntrustedRedirectError) -> String {
        try checkParameterShape(params)
        guard params["client_id"] != nil else { throw .missingClientID }
        guard let client else { throw .unknownClient }
        return try checkRedirectURI(params, client: client)
    }

    /// Stage 2: the remaining rules; failures are returned to the (now trusted) redirect URI.
    ///
    /// - Parameter decodeClaims: reads the `claims` JSON (the server's JSON decoder; Core has none), or
    ///   `nil` when it is not a JSON object of the OIDC Core 5.5 shape.
    public static func validate(
        _ params: RequestParameters, client: RegisteredClient, redirectURI: String, now: UnixTime,
        decodeClaims: (String) -> ClaimsRequest? = { _ in nil }
    ) throws(OAuthError) -> AuthorizeRequest {
        try checkDuplicates(params)
        try checkUnsupportedRequestObjects(params)
        try checkResponseType(params)
        let scopes = try checkScope(params)
        let challenge = try checkPKCE(params, client: client)
        let maxAge = try checkMaxAge(params)
        let prompt = try checkPrompt(params)
        let action = try checkAction(params, client: client)
        let claims = try checkClaims(params, decode: decodeClaims)
        return AuthorizeRequest(
            clientID: client.id,
            redirectURI: redirectURI,
            scopes: scopes,
            state: params["state"],
            nonce: params["nonce"],
            codeChallenge: challenge,
            maxAge: maxAge,
            prompt: prompt,
            idTokenHint: params["id_token_hint"],
            loginHint: params["login_hint"],
            acrValues: params["acr_values"].map { $0.split(separator: " ").map(String.init) } ?? [],
            claims: claims,
            action: action,
            receivedAt: now
        )
    }

    // MARK: - Stage 1

    static func checkParameterShape(_ params: RequestParameters) throws(UntrustedRedirectError) {
        if params.tooMany { throw .malformedRequest("too many parameters.") }
        for name in ["client_id", "redirect_uri"] where !params.isUsable(name) {
            throw .malformedRequest("\(name) is repeated, too long or badly encoded.")
        }
    }

    /// RFC 9700 2.1: exact string comparison against the registered URIs.
    static func checkRedirectURI(_ params: RequestParameters, client: RegisteredClient) throws(UntrustedRedirectError)
        -> String
    {
        guard let uri = params["redirect_uri"] else { throw .missingRedirectURI }
        guard client.isRegistered(redirectURI: uri) else { throw .unregisteredRedirectURI }
        return uri
    }

    // MARK: - Stage 2

    /// RFC 6749 3.1: parameters MUST NOT be included more than once.
    static func checkDuplicates(_ params: RequestParameters) throws(OAuthError) {
        if let name = params.duplicated.sorted().first {
            throw .invalidRequest("parameter '\(name.prefix(40))' is included more than once")
        }
        if let name = params.malformed.sorted().first {
            throw .invalidRequest("parameter '\(name.prefix(40))' is too long or badly encoded")
        }
    }

    /// A `request` or `request_uri` still present here was not resolved by the caller (who verifies
    /// request objects and pushed requests before validation): refuse it rather than ignore it.
    static func checkUnsupportedRequestObjects(_ params: RequestParameters) throws(OAuthError) {
        if params["request"] != nil { throw .invalidRequestObject("the request object was not verified") }
        if params["request_uri"] != nil { throw .invalidRequestURI("request_uri must come from the pushed authorization request endpoint") }
    }

    /// Only the authorization code flow is offered (RFC 9700 2.1.2: no implicit).
    static func checkResponseType(_ params: RequestParameters) throws(OAuthError) {
        guard let responseType = params["response_type"] else {
            throw .invalidRequest("response_type is required")
        }
        guard responseType == "code" else {
            throw OAuthError(.unsupportedResponseType, "only response_type=code is supported")
        }
        if let mode = params["response_mode"], mode != "query" {
            throw .invalidRequest("only response_mode=query is supported")
        }
    }

    /// OIDC Core 3.1.2.1: scope MUST contain `openid`.
    static func checkScope(_ params: RequestParameters) throws(OAuthError) -> [String] {
        let scopes = (params["scope"] ?? "").split(separator: " ").map(String.init)
        guard scopes.contains("openid") else {
            throw OAuthError(.invalidScope, "scope must include openid")
        }
        let supported: Set<String> = ["openid", "profile", "email", "offline_access"]
        var seen = Set<String>()
        return scopes.filter { supported.contains($0) && seen.insert($0).inserted }
    }

    /// RFC 7636 + RFC 9700 2.1.1: S256 required for public clients, accepted for all, plain refused.
    static func checkPKCE(_ params: RequestParameters, client: RegisteredClient) throws(OAuthError) -> PKCEChallenge? {
        guard let challenge = params["code_challenge"] else {
            if params["code_challenge_method"] != nil {
                throw .invalidRequest("code_challenge_method sent without code_challenge")
            }
            if client.isPublic { throw .invalidRequest("public clients must use PKCE (code_challenge with S256)") }
            return nil
        }
        return try PKCEChallenge(challenge: challenge, method: params["code_challenge_method"])
    }

    /// OIDC Core 3.1.2.1: `max_age` is a non-negative number of seconds.
    static func checkMaxAge(_ params: RequestParameters) throws(OAuthError) -> Seconds? {
        guard let raw = params["max_age"] else { return nil }
        guard raw.utf8.count <= 10, raw.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let value = Int64(raw)
        else {
            throw .invalidRequest("max_age must be a non-negative integer number of seconds")
        }
        return Seconds(value)
    }

    static func checkPrompt(_ params: RequestParameters) throws(OAuthError) -> PromptSet {
        try PromptSet.parse(params["prompt"])
    }

    /// OIDC Core 5.5: `claims` is a JSON object with `id_token` and/or `userinfo` members. Oversized values
    /// (over 4 KB) are already refused as malformed by the parameter parser.
    static func checkClaims(_ params: RequestParameters, decode: (String) -> ClaimsRequest?) throws(OAuthError)
        -> ClaimsRequest?
    {
        guard let raw = params["claims"] else { return nil }
        guard raw.utf8.count <= ClaimsRequest.maximumLength, let claims = decode(raw) else {
            throw .invalidRequest("claims must be a JSON object with id_token and/or userinfo members (OIDC Core 5.5)")
        }
        return claims
    }

    /// DESIGN 5: a named sensitive action must be one the client registered.
    static func checkAction(_ params: RequestParameters, client: RegisteredClient) throws(OAuthError) -> String? {
        guard let action = params["action"] else { return nil }
        guard client.actions[action] != nil else {
            throw .invalidRequest("action '\(action.prefix(64))' is not registered for this client")
        }
        return action
    }
}
