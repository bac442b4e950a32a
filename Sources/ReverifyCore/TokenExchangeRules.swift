/// The one action an exchanged token is bound to: an RFC 9396 `authorization_details` entry of type
/// `reverify_action`, kept whole so the token carries what the client asked for (e.g. an amount).
public struct ActionAuthorization: Equatable, Sendable {
    public static let type = "reverify_action"
    public let action: String
    public let detail: [String: JSONValue]
}

/// Rules for the token exchange grant (RFC 8693) as issue 12 item 3 narrows it: a person's access token
/// becomes a short-lived token for one action, with the caller as actor. Pure; the handler applies them.
public enum TokenExchangeRules {
    public static let grantType = "urn:ietf:params:oauth:grant-type:token-exchange"
    /// RFC 8693 3: the only token type accepted as subject and issued.
    public static let accessTokenType = "urn:ietf:params:oauth:token-type:access_token"
    public static let idTokenType = "urn:ietf:params:oauth:token-type:id_token"
    /// RFC 8693 3: an `actor_token` is the acting workload's own `private_key_jwt` assertion, a JWT.
    public static let jwtTokenType = "urn:ietf:params:oauth:token-type:jwt"
    /// How long an exchanged or approved token lives when its action names no `ttl=` (issue 12: short-lived,
    /// default 5 minutes, per action).
    public static let lifetime: Seconds = .minutes(5)
    /// A delegation chain longer than this is refused (RFC 8693 4.1 leaves the depth to policy).
    public static let maximumActorDepth = 4

    /// RFC 8693 2.1: the subject token must be an access token; only an access token is issued.
    public static func checkTokenTypes(subject: String?, requested: String?) throws(OAuthError) {
        guard let subject else { throw .invalidRequest("subject_token_type is required") }
        if subject == idTokenType { throw .invalidGrant("an ID token cannot be exchanged; present an access token") }
        guard subject == accessTokenType else {
            throw .invalidRequest("subject_token_type must be \(accessTokenType)")
        }
        if let requested, requested != accessTokenType {
            throw .invalidRequest("requested_token_type must be \(accessTokenType)")
        }
    }

    /// RFC 8693 2.1: `actor_token` and `actor_token_type` come together, and the actor token is a JWT.
    public static func checkActorTokenType(token: String?, type: String?) throws(OAuthError) {
        guard token != nil || type != nil else { return }
        guard token != nil else { throw .invalidRequest("actor_token_type without actor_token") }
        guard let type else { throw .invalidRequest("actor_token_type is required with actor_token") }
        guard type == jwtTokenType else { throw .invalidRequest("actor_token_type must be \(jwtTokenType)") }
    }

    /// Narrowing only: the requested scopes must all be in the subject token's (RFC 8693 2.1 `scope`);
    /// none requested means the subject's. `offline_access` never carries over: no refresh token is issued.
    public static func scopes(requested: String?, subject: String) throws(OAuthError) -> [String] {
        let held = subject.split(separator: " ").map(String.init)
        guard let requested else { return held.filter { $0 != Scope.offlineAccess } }
        let asked = requested.split(separator: " ").map(String.init)
        guard !asked.isEmpty else { throw OAuthError(.invalidScope, "scope is empty") }
        if let wider = asked.first(where: { !held.contains($0) }) {
            throw OAuthError(.invalidScope, "scope '\(wider.prefix(40))' is not in the subject token")
        }
        if asked.contains(Scope.offlineAccess) { throw OAuthError(.invalidScope, "an exchanged token cannot have offline_access") }
        var seen = Set<String>()
        return asked.filter { seen.insert($0).inserted }
    }

    /// RFC 8693 2.1 `audience` / RFC 8707 `resource`: one target, from the client's allowed list (an
    /// exchanged token serves one resource server).
    public static func audience(requested: [String], allowed: [String]) throws(OAuthError) -> String {
        let distinct = Set(requested)
        guard let target = distinct.first else { throw OAuthError(.invalidTarget, "audience or resource is required") }
        guard distinct.count == 1 else { throw OAuthError(.invalidTarget, "ask for one audience per exchange") }
        guard allowed.contains(target) else {
            throw OAuthError(.invalidTarget, "'\(target.prefix(80))' is not an audience this client may ask for")
        }
        return target
    }

    /// RFC 9396 2: `authorization_details` naming exactly one action this client registered.
    public static func action(
        _ details: [[String: JSONValue]]?, registered: [String: ActionPolicy]
    ) throws(OAuthError) -> (ActionAuthorization, ActionPolicy) {
        func invalid(_ d: String) -> OAuthError { OAuthError(.invalidAuthorizationDetails, d) }
        guard let details else { throw invalid("authorization_details naming one action is required") }
        guard details.count == 1, let detail = details.first else {
            throw invalid("authorization_details must name exactly one action")
        }
        guard detail["type"]?.string == ActionAuthorization.type else {
            throw invalid("the authorization_details type must be \(ActionAuthorization.type)")
        }
        guard let action = detail["action"]?.string else { throw invalid("the authorization_details entry names no action") }
        guard let policy = registered[action] else {
            throw invalid("action '\(action.prefix(64))' is not registered for this client")
        }
        return (ActionAuthorization(action: action, detail: detail), policy)
    }

    /// RFC 9470 3: whether the person's authentication satisfies the action's policy (age and level); if
    /// not, `insufficient_user_authentication` with the `acr_values` and `max_age` that would.
    public static func userAuthenticationProblem(
        policy: ActionPolicy, authTime: UnixTime, levels: LevelHistory, lifetimes: LevelLifetimes, now: UnixTime
    ) -> OAuthError? {
        let level = policy.minimumLevel ?? .singleFactor
        let fresh = now - authTime <= policy.maxAge
        let leveled = policy.minimumLevel.map { levels.satisfies($0, maxAge: policy.maxAge, at: now, lifetimes: lifetimes) } ?? true
        guard !(fresh && leveled) else { return nil }
        var error = OAuthError(
            .insufficientUserAuthentication,
            fresh
                ? "the person's authentication level is below what this action needs"
                : "the person's last authentication is older than this action allows")
        error.acrValues = level.rawValue
        error.maxAge = policy.maxAge
        return error
    }

    /// How long a token for `policy`'s action lives: its `ttl=` (`--action name=300:ttl=120`), else 5 minutes.
    public static func lifetime(for policy: ActionPolicy) -> Seconds {
        policy.tokenLifetime ?? lifetime
    }

    /// The exchanged token's expiry: the action's lifetime, and never beyond the subject token's.
    public static func expiry(policy: ActionPolicy, subjectExpiry: UnixTime, now: UnixTime) -> UnixTime {
        min(now + lifetime(for: policy), subjectExpiry)
    }

    /// The `act` claim: the caller acts now, after any actor of the subject token; too deep a chain is refused.
    public static func actor(caller: ClientID, previous: ActorClaim?) throws(OAuthError) -> ActorClaim {
        let act = ActorClaim.delegating(to: caller.rawValue, after: previous)
        guard act.depth <= maximumActorDepth else { throw .invalidGrant("the delegation chain is too long") }
        return act
    }
}
