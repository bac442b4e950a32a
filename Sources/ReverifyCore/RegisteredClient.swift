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
    /// Registered to receive `offline_access` grants, which outlive the browser session (OIDC Core 11).
    public let allowsOfflineAccess: Bool

    public init(
        id: ClientID, name: String, authMethod: ClientAuthMethod, redirectURIs: [String],
        postLogoutRedirectURIs: [String] = [], actions: [String: ActionPolicy] = [:], allowsOfflineAccess: Bool = false
    ) {
        self.allowsOfflineAccess = allowsOfflineAccess
        self.id = id
        self.name = name
        self.authMethod = authMethod
        self.redirectURIs = redirectURIs
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.actions = actions
    }

    public var isPublic: Bool { authMethod.isPublic }

    /// The scopes a request is granted: what it asked for, less `offline_access` unless this client is
    /// registered for it (OIDC Core 11: the server decides whether to honour it).
    public func grantedScopes(requested: [String]) -> [String] {
        requested.filter { $0 != Scope.offlineAccess || allowsOfflineAccess }
    }

    /// RFC 9700 2.1 / OIDC Core 3.1.2.1: redirect URIs are compared by exact string match.
    public func isRegistered(redirectURI: String) -> Bool {
        redirectURIs.contains(redirectURI)
    }
}

/// Scope values with a meaning of their own.
public enum Scope {
    /// OIDC Core 11: a grant usable while the user is not present, so it outlives the browser session.
    public static let offlineAccess = "offline_access"

    /// Whether a space-separated scope string contains `offline_access`.
    public static func grantsOfflineAccess(_ scope: String) -> Bool {
        scope.split(separator: " ").contains { $0 == offlineAccess }
    }
}
