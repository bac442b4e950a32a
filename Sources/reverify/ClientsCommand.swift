import ArgumentParser
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

struct Clients: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage relying-party applications (OAuth clients).",
        subcommands: [Create.self, List.self, Show.self, RotateSecret.self, Delete.self])

    struct View: Encodable {
        let client_id: String
        let name: String
        let token_endpoint_auth_method: String
        let id_token_signed_response_alg: String
        let allow_offline_access: Bool
        let min_acr: String?
        let has_jwks: Bool
        /// `web` or `workload` (issue 12 item 1).
        let kind: String
        let jwks_uri: String?
        /// Audiences an exchanged token may be asked for (RFC 8693).
        let allowed_audiences: [String]
        /// Claims every client assertion must carry on a token exchange (`--attest`).
        let required_attestation: [String: String]
        let require_signed_request_object: Bool
        let require_par: Bool
        /// Each action's rule as `seconds` or `seconds:level`, the syntax `--action` takes.
        let action_rules: [String: String]
        let redirect_uris: [String]
        let post_logout_redirect_uris: [String]
        let actions: [String: Int64]
        /// May introspect other clients' access tokens (RFC 7662 4).
        let resource_server: Bool
        let created_at: Int64
        /// Present only in the output of `create` and `rotate-secret`: shown once, never stored.
        let client_secret: String?

        init(_ c: StoredClient, secret: String? = nil) {
            client_id = c.record.id.rawValue
            name = c.record.name
            token_endpoint_auth_method = c.record.tokenEndpointAuthMethod.rawValue
            id_token_signed_response_alg = c.record.idTokenSignedResponseAlg.rawValue
            allow_offline_access = c.record.allowOfflineAccess
            min_acr = c.record.minAcr?.rawValue
            has_jwks = c.record.jwks != nil
            kind = c.record.kind.rawValue
            jwks_uri = c.record.jwksUri
            allowed_audiences = c.record.allowedAudiences
            required_attestation = c.record.requiredAttestation
            require_signed_request_object = c.record.requireSignedRequestObject
            require_par = c.record.requirePar
            action_rules = c.record.actions.mapValues { policy in
                "\(policy.maxAge.rawValue)" + (policy.minimumLevel.map { ":\($0.shortName)" } ?? "")
                    + (policy.requiresFreshAttestation ? ":attest" : "") + (policy.oneShot ? ":once" : "")
            }
            redirect_uris = c.redirectURIs
            post_logout_redirect_uris = c.postLogoutRedirectURIs
            actions = c.record.actions.mapValues(\.maxAge.rawValue)
            resource_server = c.record.resourceServer
            created_at = c.record.createdAt.rawValue
            client_secret = secret
        }

        var text: String {
            var lines = [
                "client_id: \(client_id)", "name: \(name)", "kind: \(kind)",
                "token_endpoint_auth_method: \(token_endpoint_auth_method)",
                "id_token_signed_response_alg: \(id_token_signed_response_alg)",
                "allow_offline_access: \(allow_offline_access)",
            ]
            if let min_acr { lines.append("min_acr: \(min_acr)") }
            if let jwks_uri { lines.append("jwks_uri: \(jwks_uri)") }
            lines += allowed_audiences.map { "audience: \($0)" }
            lines += required_attestation.sorted { $0.key < $1.key }.map { "attest: \($0.key)=\($0.value)" }
            lines += redirect_uris.map { "redirect_uri: \($0)" }
            lines += post_logout_redirect_uris.map { "post_logout_redirect_uri: \($0)" }
            lines += action_rules.sorted { $0.key < $1.key }.map { "action: \($0.key)=\($0.value)" }
            if resource_server { lines.append("resource_server: yes (may introspect other clients' access tokens)") }
            if let client_secret { lines.append("client_secret: \(client_secret)   (shown once; store it now)") }
            return lines.joined(separator: "\n")
        }
    }

    static func find(_ id: String, in store: some Store) async throws -> StoredClient {
        guard let clientID = ClientID(validating: id), let client = try await store.client(id: clientID) else {
            throw CLIError("no client with id \(id)")
        }
        return client
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a client; prints its secret once.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Display name shown on the hosted pages.") var name: String
        @Option(name: .customLong("redirect-uri"), help: "Registered redirect URI (repeatable; exact match).")
        var redirectURIs: [String] = []
        @Option(name: .customLong("post-logout-redirect-uri"), help: "Allowed post-logout redirect URI (repeatable).")
        var postLogoutRedirectURIs: [String] = []
        @Flag(help: "A public client (no secret; PKCE required).") var `public` = false
        @Option(
            help: "client_secret_basic (default for web clients), client_secret_post, or private_key_jwt (default for workloads; needs --jwks-file or --jwks-uri).")
        var authMethod: String?
        @Option(help: "web (default) or workload: a service or agent with no redirect URI that cannot use /oauth2/authorize.")
        var kind: String = "web"
        @Option(
            name: .customLong("jwks-uri"),
            help: "The URL where the client publishes its public keys (a JWK Set), fetched and cached for private_key_jwt.")
        var jwksURI: String?
        @Option(
            name: .customLong("audience"),
            help: "An audience (resource server URL) this client may ask an exchanged token for (repeatable; RFC 8693).")
        var audiences: [String] = []
        @Option(
            name: .customLong("attest"),
            help: "A claim every client assertion must carry on a token exchange, e.g. sw_version=1.4.2 (repeatable; private_key_jwt only).")
        var attestations: [String] = []
        @Option(help: "ID token signing algorithm: ES256 (default) or RS256.") var idTokenAlg: String = "ES256"
        @Option(
            name: .customLong("action"),
            help: "A sensitive action, its maximum age, optionally its least level, :attest (a workload must re-attest) and :once (exchanged tokens work for one check), e.g. billing.change=300:mfa:attest:once (repeatable).")
        var actions: [String] = []
        @Option(help: "The least assurance level for every request: 1fa, mfa or phr.") var minAcr: String?
        @Flag(help: "Honour the offline_access scope: its grants outlive the browser session (OIDC Core 11).")
        var allowOfflineAccess = false
        @Flag(help: "A resource server (API): may introspect access tokens issued to other clients. Needs no --redirect-uri.")
        var resourceServer = false
        @Option(help: "A JWK Set file with the client's public keys, for private_key_jwt and signed request objects (RFC 9101).")
        var jwksFile: String?
        @Flag(help: "Accept authorization parameters only from a signed request object (needs --jwks-file).")
        var requireSignedRequestObject = false
        @Flag(help: "Accept authorization requests only through /oauth2/par (RFC 9126).")
        var requirePar = false

        func run() async throws {
            guard name.contains(where: { !$0.isWhitespace }), name.count <= 200 else {
                throw CLIError("--name must be 1 to 200 characters")
            }
            guard let clientKind = ClientKind(rawValue: kind) else { throw CLIError("--kind must be web or workload") }
            if clientKind == .workload {
                // A workload has no browser: nothing of the authorization endpoint applies to it.
                guard redirectURIs.isEmpty && postLogoutRedirectURIs.isEmpty else {
                    throw CLIError("a --kind workload client has no --redirect-uri or --post-logout-redirect-uri")
                }
                guard !`public` && !requireSignedRequestObject && !requirePar else {
                    throw CLIError("a --kind workload client cannot be --public, --require-signed-request-object or --require-par")
                }
            } else {
                guard !redirectURIs.isEmpty || resourceServer else { throw CLIError("at least one --redirect-uri is required") }
            }
            // RFC 7662 2.1: introspection needs client authentication, which a public client cannot do.
            guard !(resourceServer && `public`) else { throw CLIError("a --resource-server must be confidential, not --public") }
            for uri in redirectURIs + postLogoutRedirectURIs {
                if let problem = RedirectURIRules.problem(with: uri) { throw CLIError("invalid redirect URI '\(uri)': \(problem)") }
            }
            let method: ClientAuthMethod
            if `public` {
                guard authMethod == nil else { throw CLIError("a --public client has no --auth-method") }
                method = .none
            } else {
                let name = authMethod ?? (clientKind == .workload ? "private_key_jwt" : "client_secret_basic")
                guard let m = ClientAuthMethod(rawValue: name), m != .none else {
                    throw CLIError("--auth-method must be client_secret_basic, client_secret_post or private_key_jwt")
                }
                method = m
            }
            // A workload proves itself with a key (issue 12 item 2: re-attestation is a fresh assertion).
            guard clientKind == .web || method == .privateKeyJWT else {
                throw CLIError("a --kind workload client authenticates with --auth-method private_key_jwt")
            }
            for audience in audiences where audience.isEmpty || audience.count > 2000 || audience.contains(where: \.isWhitespace) {
                throw CLIError("--audience must be a non-empty URI without spaces")
            }
            var attestation: [String: String] = [:]
            for pair in attestations {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
                    !["iss", "sub", "aud", "exp", "iat", "nbf", "jti"].contains(parts[0])
                else { throw CLIError("--attest must look like name=value, e.g. sw_version=1.4.2 (not a registered JWT claim)") }
                guard attestation.updateValue(parts[1], forKey: parts[0]) == nil else { throw CLIError("an --attest is given twice") }
            }
            guard attestation.isEmpty || method == .privateKeyJWT else {
                throw CLIError("--attest needs --auth-method private_key_jwt: attestation claims come in the client assertion")
            }
            if let jwksURI, let problem = RedirectURIRules.problem(with: jwksURI) {
                throw CLIError("invalid --jwks-uri '\(jwksURI)': \(problem)")
            }
            guard jwksFile == nil || jwksURI == nil else { throw CLIError("give --jwks-file or --jwks-uri, not both") }
            guard method != .privateKeyJWT || jwksFile != nil || jwksURI != nil else {
                throw CLIError("--auth-method private_key_jwt needs --jwks-file or --jwks-uri with the client's public keys")
            }
            guard let idTokenAlgorithm = SigningAlgorithm(rawValue: idTokenAlg.uppercased()) else {
                throw CLIError("--id-token-alg must be ES256 or RS256")
            }
            let minimumLevel = try minAcr.map { name in
                guard let level = ACR(name: name) else { throw CLIError("--min-acr must be 1fa, mfa or phr") }
                return level
            }
            let policies = try Dictionary(actions.map(parseAction), uniquingKeysWith: { _, _ in
                throw CLIError("an --action is given twice")
            })
            var jwks: String?
            if let jwksFile {
                guard let text = try? String(contentsOfFile: jwksFile, encoding: .utf8) else {
                    throw CLIError("cannot read --jwks-file \(jwksFile)")
                }
                if let problem = await ClientKeySet.problem(with: text) { throw CLIError("--jwks-file: \(problem)") }
                jwks = text
            }
            guard !requireSignedRequestObject || jwks != nil || jwksURI != nil else {
                throw CLIError("--require-signed-request-object needs --jwks-file or --jwks-uri with the keys that sign them")
            }
            let store = try await database.openExisting()
            // Only the secret methods have a secret; a private_key_jwt client is never given one it must not use.
            let secret = method == .clientSecretBasic || method == .clientSecretPost ? OpaqueToken.generate(prefix: "rvs") : nil
            let client = StoredClient(
                record: ClientRecord(
                    id: ClientID(rawValue: IdentifierGenerator.make(prefix: ClientID.prefix)), name: name,
                    secretHash: secret?.hash.hex, tokenEndpointAuthMethod: method, actions: policies, createdAt: now(),
                    idTokenSignedResponseAlg: idTokenAlgorithm, allowOfflineAccess: allowOfflineAccess, minAcr: minimumLevel,
                    jwks: jwks, requireSignedRequestObject: requireSignedRequestObject, requirePar: requirePar,
                    resourceServer: resourceServer, kind: clientKind, jwksUri: jwksURI,
                    allowedAudiences: uniqued(audiences), requiredAttestation: attestation),
                redirectURIs: uniqued(redirectURIs),
                postLogoutRedirectURIs: uniqued(postLogoutRedirectURIs))
            try await store.createClient(client)
            try output.print(json: View(client, secret: secret?.value)) { View(client, secret: secret?.value).text }
        }

        func parseAction(_ text: String) throws -> (String, ActionPolicy) {
            guard let parsed = ActionPolicy.parse(text) else {
                throw CLIError("--action must look like name=seconds[:level][:attest][:once], e.g. billing.change=300 or billing.change=300:mfa:attest:once")
            }
            return parsed
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let clients = try await database.openExisting().clients().map { View($0) }
            try output.print(json: clients) {
                clients.isEmpty
                    ? "no clients"
                    : clients.map { "\($0.client_id)  \($0.name)  \($0.token_endpoint_auth_method)" }.joined(separator: "\n")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one client.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Client id.") var id: String

        func run() async throws {
            let client = View(try await find(id, in: database.openExisting()))
            try output.print(json: client) { client.text }
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a new client secret; the old one stops working.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Client id.") var id: String

        func run() async throws {
            let store = try await database.openExisting()
            let client = try await find(id, in: store)
            guard !client.record.tokenEndpointAuthMethod.isPublic else { throw CLIError("client \(id) is public and has no secret") }
            guard client.record.tokenEndpointAuthMethod != .privateKeyJWT else {
                throw CLIError("client \(id) authenticates with private_key_jwt and has no secret")
            }
            let secret = OpaqueToken.generate(prefix: "rvs")
            try await store.setClientSecretHash(secret.hash.hex, for: client.record.id, at: now())
            try output.print(json: ["client_id": id, "client_secret": secret.value]) {
                "client_secret: \(secret.value)   (shown once; store it now)"
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a client and everything issued to it.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Client id.") var id: String

        func run() async throws {
            let store = try await database.openExisting()
            let client = try await find(id, in: store)
            try await store.deleteClient(id: client.record.id)
            print("deleted client \(id)")
        }
    }
}

/// De-duplicates while keeping the operator's order.
private func uniqued(_ values: [String]) -> [String] {
    var seen = Set<String>()
    return values.filter { seen.insert($0).inserted }
}
