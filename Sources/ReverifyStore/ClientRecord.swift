import GRDB
import ReverifyCore

/// A row of `clients`.
public struct ClientRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "clients"

    public var id: ClientID
    public var name: String
    /// SHA-256 (hex) of the client secret; `nil` for public clients.
    public var secretHash: String?
    public var tokenEndpointAuthMethod: ClientAuthMethod
    public var actions: [String: ActionPolicy]
    public var createdAt: UnixTime
    public var secretRotatedAt: UnixTime?
    /// OIDC Registration 2 `id_token_signed_response_alg`.
    public var idTokenSignedResponseAlg: SigningAlgorithm
    /// Whether `offline_access` may be granted: only then do grants outlive the browser session.
    public var allowOfflineAccess: Bool
    /// The least assurance level every request of this client needs (issue 10 floors).
    public var minAcr: ACR?
    /// The client's public keys as a JWK Set (JSON), for its signed request objects (RFC 9101).
    public var jwks: String?
    /// Every authorization parameter must come from a signed request object.
    public var requireSignedRequestObject: Bool
    /// Authorization requests must be pushed first (RFC 9126 6).
    public var requirePar: Bool
    /// May introspect access tokens issued to other clients (RFC 7662 4); see ``IntrospectionPolicy``.
    public var resourceServer: Bool
    /// A web application or a workload (issue 12 item 1).
    public var kind: ClientKind
    /// Where the client publishes its public keys (a JWK Set URL), fetched and cached when it authenticates
    /// with `private_key_jwt`.
    public var jwksUri: String?
    /// The audiences an exchanged token may be asked for (RFC 8693 2.1 `audience`/`resource`).
    public var allowedAudiences: [String]
    /// Claims every client assertion must carry when the client exchanges a token (issue 12 item 2).
    public var requiredAttestation: [String: String]

    public init(
        id: ClientID, name: String, secretHash: String?, tokenEndpointAuthMethod: ClientAuthMethod,
        actions: [String: ActionPolicy] = [:], createdAt: UnixTime, secretRotatedAt: UnixTime? = nil,
        idTokenSignedResponseAlg: SigningAlgorithm = .es256, allowOfflineAccess: Bool = false, minAcr: ACR? = nil,
        jwks: String? = nil, requireSignedRequestObject: Bool = false, requirePar: Bool = false, resourceServer: Bool = false,
        kind: ClientKind = .web, jwksUri: String? = nil, allowedAudiences: [String] = [],
        requiredAttestation: [String: String] = [:]
    ) {
        self.allowedAudiences = allowedAudiences
        self.requiredAttestation = requiredAttestation
        self.kind = kind
        self.jwksUri = jwksUri
        self.jwks = jwks
        self.requireSignedRequestObject = requireSignedRequestObject
        self.requirePar = requirePar
        self.minAcr = minAcr
        self.idTokenSignedResponseAlg = idTokenSignedResponseAlg
        self.allowOfflineAccess = allowOfflineAccess
        self.resourceServer = resourceServer
        self.id = id
        self.name = name
        self.secretHash = secretHash
        self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        self.actions = actions
        self.createdAt = createdAt
        self.secretRotatedAt = secretRotatedAt
    }
}

/// A row of `client_redirect_uris`.
public struct ClientRedirectURIRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "client_redirect_uris"

    /// Whether the URI receives authorization responses or post-logout redirects.
    public enum Kind: String, Codable, Sendable, RawValueColumn {
        case login
        case postLogout = "post_logout"
    }

    public var clientId: ClientID
    public var kind: Kind
    public var uri: String
    public var position: Int
}

/// A client with its registered URIs, as the protocol layer sees it.
public struct StoredClient: Sendable, Equatable {
    public var record: ClientRecord
    public var redirectURIs: [String]
    public var postLogoutRedirectURIs: [String]

    public init(record: ClientRecord, redirectURIs: [String], postLogoutRedirectURIs: [String]) {
        self.record = record
        self.redirectURIs = redirectURIs
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
    }

    public var registered: RegisteredClient {
        RegisteredClient(
            id: record.id, name: record.name, authMethod: record.tokenEndpointAuthMethod,
            redirectURIs: redirectURIs, postLogoutRedirectURIs: postLogoutRedirectURIs, actions: record.actions,
            allowsOfflineAccess: record.allowOfflineAccess, minimumLevel: record.minAcr, kind: record.kind)
    }
}
