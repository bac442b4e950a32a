/// How a client authenticates at the token endpoint (OIDC Core 9, RFC 7591 2).
public enum ClientAuthMethod: String, Codable, Sendable, CaseIterable {
    case clientSecretBasic = "client_secret_basic"
    case clientSecretPost = "client_secret_post"
    case privateKeyJWT = "private_key_jwt"
    case none

    public var isPublic: Bool { self == .none }
}

/// A sensitive action a client names instead of hard-coding `max_age` (DESIGN 5).
public struct ActionPolicy: Codable, Equatable, Sendable {
    public let maxAge: Seconds
    public let methods: Set<AuthMethod>

    public init(maxAge: Seconds, methods: Set<AuthMethod> = Set(AuthMethod.allCases)) {
        self.maxAge = maxAge
        self.methods = methods
    }
}

/// What the protocol rules need to know about a relying party.
public struct RegisteredClient: Equatable, Sendable {
    public let id: ClientID
    public let name: String
    public let authMethod: ClientAuthMethod
    public let redirectURIs: [String]
    public let postLogoutRedirectURIs: [String]
    public let actions: [String: ActionPolicy]

    public init(
        id: ClientID, name: String, authMethod: ClientAuthMethod, redirectURIs: [String],
        postLogoutRedirectURIs: [String] = [], actions: [String: ActionPolicy] = [:]
    ) {
        self.id = id
        self.name = name
        self.authMethod = authMethod
        self.redirectURIs = redirectURIs
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.actions = actions
    }

    public var isPublic: Bool { authMethod.isPublic }

    /// RFC 9700 2.1 / OIDC Core 3.1.2.1: redirect URIs are compared by exact string match.
    public func isRegistered(redirectURI: String) -> Bool {
        redirectURIs.contains(redirectURI)
    }
}
