/// Why an authorization request could not even be answered by redirect: shown on a page instead.
///
/// RFC 6749 4.1.2.1: if the client or redirect URI is invalid, the server "MUST NOT automatically
/// redirect the user-agent to the invalid redirection URI".
public enum UntrustedRedirectError: Error, Equatable, Sendable {
    case missingClientID
    case unknownClient
    /// A workload client has no browser and no redirect URI (issue 12 item 1).
    case workloadClient
    case missingRedirectURI
    case unregisteredRedirectURI
    case malformedRequest(String)

    public var message: String {
        switch self {
        case .missingClientID: "The request did not say which application is asking (client_id is missing)."
        case .unknownClient: "The application that sent you here is not registered with this server."
        case .workloadClient: "This application is a workload and cannot send people to sign in."
        case .missingRedirectURI: "The request did not say where to return (redirect_uri is missing)."
        case .unregisteredRedirectURI: "The return address in the request is not registered for this application."
        case .malformedRequest(let detail): "The request could not be understood: \(detail)"
        }
    }
}

/// Why a hosted flow is demanding active authentication, recorded in audit and webhooks.
public enum ReauthReason: String, Codable, Sendable {
    case noSession = "no_session"
    case maxAge = "max_age"
    case promptLogin = "prompt_login"
    case action
    /// The session's assurance level is below what the request, the client or the action needs.
    case assuranceLevel = "acr"
    /// The risk policy asked for a fresh verification (issue 11).
    case risk
    /// Adding or removing a second factor needs a verification within the last 5 minutes (issue 18).
    case accountSecurity = "account_security"
}

/// What the risk policy added to a request (issue 11): set by the server after scoring the context,
/// kept with the pending flow so the hosted pages and the code honour it.
public struct RiskRequirement: Codable, Equatable, Sendable {
    public let outcome: RiskOutcome
    public let triggers: [RiskSignal]

    public init(outcome: RiskOutcome, triggers: [RiskSignal]) {
        self.outcome = outcome
        self.triggers = triggers
    }
}

/// A validated authorization request (OIDC Core 3.1.2.1). Every field is typed; nothing stringly past here
/// except opaque values (`state`, `nonce`) the client owns.
public struct AuthorizeRequest: Codable, Equatable, Sendable {
    public let clientID: ClientID
    public let redirectURI: String
    public let scopes: [String]
    public let state: String?
    public let nonce: String?
    public let codeChallenge: PKCEChallenge?
    public let maxAge: Seconds?
    public let prompt: PromptSet
    public let idTokenHint: String?
    public let loginHint: String?
    public let acrValues: [String]
    /// The `claims` parameter (OIDC Core 5.5), when sent.
    public let claims: ClaimsRequest?
    /// What the risk policy demanded of this request, if anything.
    public private(set) var risk: RiskRequirement?
    public let action: String?
    /// The moment the request arrived: a code for a request that demanded re-authentication
    /// must rest on an `auth_time` no earlier than this (DESIGN 2).
    public let receivedAt: UnixTime

    public init(
        clientID: ClientID, redirectURI: String, scopes: [String], state: String?, nonce: String?,
        codeChallenge: PKCEChallenge?, maxAge: Seconds?, prompt: PromptSet, idTokenHint: String?,
        loginHint: String?, acrValues: [String], claims: ClaimsRequest? = nil, action: String?, receivedAt: UnixTime
    ) {
        self.claims = claims
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.scopes = scopes
        self.state = state
        self.nonce = nonce
        self.codeChallenge = codeChallenge
        self.maxAge = maxAge
        self.prompt = prompt
        self.idTokenHint = idTokenHint
        self.loginHint = loginHint
        self.acrValues = acrValues
        self.action = action
        self.receivedAt = receivedAt
    }

    /// The freshness the client demands: the tighter of `max_age` and the named action's maximum age.
    public func effectiveMaxAge(client: RegisteredClient) -> (Seconds, ReauthReason)? {
        let actionAge = action.flatMap { client.actions[$0]?.maxAge }
        switch (maxAge, actionAge) {
        case let (m?, a?): return a < m ? (a, .action) : (m, .maxAge)
        case let (m?, nil): return (m, .maxAge)
        case let (nil, a?): return (a, .action)
        case (nil, nil): return nil
        }
    }

    /// The level this request needs (issue 10, item 2, 4): the best level `acr_values` lists that Reverify
    /// supports (voluntary; unknown values ignored), the least level an essential `acr` claim accepts, and
    /// the client's and the action's floors. A request can raise a floor, never lower it.
    public func levelRequirement(client: RegisteredClient) -> LevelRequirement? {
        var asks: [(ACR, LevelSource)] = []
        if let best = acrValues.compactMap(ACR.init(rawValue:)).max() { asks.append((best, .request)) }
        if let least = claims?.essentialACR?.min() { asks.append((least, .essentialClaim)) }
        if let floor = client.minimumLevel { asks.append((floor, .clientFloor)) }
        if let action, let floor = client.actions[action]?.minimumLevel { asks.append((floor, .action)) }
        if risk?.outcome == .stepUpMFA { asks.append((.multiFactor, .risk)) }
        return LevelRequirement.combine(asks)
    }

    /// An essential `acr` claim naming only levels Reverify does not support can never be met.
    public var demandsUnsupportedLevel: Bool { claims?.essentialACR?.isEmpty == true }

    /// OIDC Core 3.1.2.1: `max_age=0` is equivalent to `prompt=login`.
    public var demandsLogin: Bool { prompt.forcesLogin || maxAge == Seconds(0) || risk?.outcome == .stepUp }

    /// The same request with what the risk policy demanded.
    public func with(risk: RiskRequirement?) -> AuthorizeRequest {
        var copy = self
        copy.risk = risk
        return copy
    }

    /// The earliest `auth_time` a code issued for this request may rest on, if any.
    public func minimumAuthTime(client: RegisteredClient) -> UnixTime? {
        if demandsLogin { return receivedAt }
        return effectiveMaxAge(client: client).map { receivedAt - $0.0 }
    }
}
