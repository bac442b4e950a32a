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
    /// The least assurance level the action needs (`--action billing.change=300:mfa`).
    public let minimumLevel: ACR?
    /// A workload doing this action must re-attest: its client assertion must be fresh (issue 12 item 2,
    /// `--action billing.change=300:mfa:attest`).
    public let requiresFreshAttestation: Bool
    /// Tokens exchanged for this action work for one resource-server check (issue 12 item 5, `:once`).
    public let oneShot: Bool
    /// Tokens minted for this action live at most this long (issue 11 item 5, `--action name=300:mfa:ttl=120`).
    public let tokenLifetime: Seconds?

    public init(
        maxAge: Seconds, methods: Set<AuthMethod> = Set(AuthMethod.allCases), minimumLevel: ACR? = nil,
        requiresFreshAttestation: Bool = false, oneShot: Bool = false, tokenLifetime: Seconds? = nil
    ) {
        self.tokenLifetime = tokenLifetime
        self.oneShot = oneShot
        self.maxAge = maxAge
        self.methods = methods
        self.minimumLevel = minimumLevel
        self.requiresFreshAttestation = requiresFreshAttestation
    }

    private enum CodingKeys: String, CodingKey { case maxAge, methods, minimumLevel, requiresFreshAttestation, oneShot, tokenLifetime }

    /// Policies stored before issue 12 have neither `requiresFreshAttestation` nor `oneShot`: both were off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxAge = try c.decode(Seconds.self, forKey: .maxAge)
        methods = try c.decode(Set<AuthMethod>.self, forKey: .methods)
        minimumLevel = try c.decodeIfPresent(ACR.self, forKey: .minimumLevel)
        requiresFreshAttestation = try c.decodeIfPresent(Bool.self, forKey: .requiresFreshAttestation) ?? false
        oneShot = try c.decodeIfPresent(Bool.self, forKey: .oneShot) ?? false
        tokenLifetime = try c.decodeIfPresent(Seconds.self, forKey: .tokenLifetime)
    }

    /// Parses `name=seconds[:level][:attest][:once][:ttl=N]` as operators type it, e.g. `billing.change=300:mfa:ttl=120`.
    public static func parse(_ text: String) -> (String, ActionPolicy)? {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64,
            parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" })
        else { return nil }
        var rule = parts[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let first = rule.first, let age = Int64(first), age >= 0 else { return nil }
        rule.removeFirst()
        var level: ACR?
        if let named = rule.first.flatMap(ACR.init(name:)) {
            level = named
            rule.removeFirst()
        }
        var attest = false
        var once = false
        var ttl: Seconds?
        for flag in rule {
            switch flag {
            case "attest" where !attest: attest = true
            case "once" where !once: once = true
            case _ where flag.hasPrefix("ttl=") && ttl == nil:
                guard let seconds = Int64(flag.dropFirst(4)), (1...86_400).contains(seconds) else { return nil }
                ttl = Seconds(seconds)
            default: return nil
            }
        }
        return (
            String(parts[0]),
            ActionPolicy(
                maxAge: Seconds(age), minimumLevel: level, requiresFreshAttestation: attest, oneShot: once, tokenLifetime: ttl)
        )
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
    /// The least assurance level every request of this client needs (`--min-acr`).
    public let minimumLevel: ACR?
    /// A web application or a workload (`--kind workload`), which cannot use the authorization endpoint.
    public let kind: ClientKind

    public init(
        id: ClientID, name: String, authMethod: ClientAuthMethod, redirectURIs: [String],
        postLogoutRedirectURIs: [String] = [], actions: [String: ActionPolicy] = [:], allowsOfflineAccess: Bool = false,
        minimumLevel: ACR? = nil, kind: ClientKind = .web
    ) {
        self.kind = kind
        self.minimumLevel = minimumLevel
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
