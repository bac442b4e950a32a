import GRDB
import ReverifyCore

extension UpstreamProviderID: RawValueColumn {}

/// A row of `upstream_providers`: an OpenID Connect provider users may re-verify through.
public struct UpstreamProviderRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "upstream_providers"

    public var id: UpstreamProviderID
    public var name: String
    public var issuer: String
    public var clientId: String
    /// Kept in the clear because the token endpoint needs it; never printed or logged.
    public var clientSecret: String
    public var scope: String
    /// Email domains for which sign-in offers this provider.
    public var emailDomains: [String]
    /// Email domains for which a first sign-in may link to the local account with the same verified address
    /// (``UpstreamAccountLinking``). Empty: never.
    public var linkDomains: [String]
    public var createdAt: UnixTime

    public init(
        id: UpstreamProviderID, name: String, issuer: String, clientId: String, clientSecret: String, scope: String,
        emailDomains: [String], linkDomains: [String] = [], createdAt: UnixTime
    ) {
        self.linkDomains = linkDomains
        self.id = id
        self.name = name
        self.issuer = issuer
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.scope = scope
        self.emailDomains = emailDomains
        self.createdAt = createdAt
    }
}
