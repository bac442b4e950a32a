/// Who a backchannel authentication request names (OpenID CIBA Core 7.1): exactly one hint.
public enum BackchannelHint: Equatable, Sendable {
    /// `login_hint`: the person's email address.
    case email(String)
    /// `id_token_hint`: an ID token this server issued to the person (checked by the server, expiry ignored).
    case idToken(String)
}

/// The checks of a `POST /oauth2/bc-authorize` request that need no lookup (OpenID CIBA Core 7.1, 13).
/// Pure; the route applies them before reading anything, so a refused request changes nothing.
public enum BackchannelRequestRules {
    /// OpenID CIBA Core 4: the grant type the agent polls the token endpoint with.
    public static let grantType = "urn:openid:params:grant-type:ciba"
    /// Scopes an approved request may carry: an approval yields a short-lived token and no refresh token.
    public static let supportedScopes: Set<String> = ["openid", "profile", "email"]

    /// CIBA Core 7.1: "one (and only one) of the hints"; `login_hint_token` is not supported.
    public static func hint(loginHint: String?, idTokenHint: String?, loginHintToken: String?) throws(OAuthError)
        -> BackchannelHint
    {
        let sent = [loginHint, idTokenHint, loginHintToken].compactMap { $0 }
        guard sent.count == 1 else {
            throw .invalidRequest(
                sent.isEmpty ? "login_hint or id_token_hint is required" : "send only one of login_hint, id_token_hint, login_hint_token")
        }
        if loginHintToken != nil { throw .invalidRequest("login_hint_token is not supported; send login_hint (an email)") }
        if let idTokenHint { return .idToken(idTokenHint) }
        guard let email = loginHint.flatMap(AccountRules.normalizedEmail) else {
            throw .invalidRequest("login_hint must be an email address")
        }
        return .email(email)
    }

    /// CIBA Core 7.1 `scope`: space-separated, from `supportedScopes`; `openid` when none is sent.
    /// `offline_access` is refused: nothing issued on an approval outlives its action.
    public static func scopes(_ requested: String?) throws(OAuthError) -> [String] {
        guard let requested else { return ["openid"] }
        let asked = requested.split(separator: " ").map(String.init)
        guard !asked.isEmpty else { throw OAuthError(.invalidScope, "scope is empty") }
        if let unknown = asked.first(where: { !supportedScopes.contains($0) }) {
            throw OAuthError(.invalidScope, "scope '\(unknown.prefix(40))' cannot be approved (allowed: openid profile email)")
        }
        var seen = Set<String>()
        return asked.filter { seen.insert($0).inserted }
    }

    /// The level the approval's verification must reach: the action's floor, the client's floor, raised
    /// by the best supported level `acr_values` names (CIBA Core 7.1; unknown values are ignored as in
    /// OIDC Core 3.1.2.1). A request can raise a floor, never lower it.
    public static func requiredLevel(acrValues: String?, action: ActionPolicy, clientFloor: ACR?) -> ACR {
        let asked = (acrValues ?? "").split(separator: " ").compactMap { ACR(rawValue: String($0)) }
        return ([.singleFactor] + asked + [action.minimumLevel, clientFloor].compactMap { $0 }).max() ?? .singleFactor
    }
}
