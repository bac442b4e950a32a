import ArgumentParser
import Foundation
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `reverify upstreams …`: the OpenID Connect providers users may re-verify through (issue 6).
struct Upstreams: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage upstream OpenID Connect providers for delegated SSO.",
        subcommands: [Add.self, List.self, SetLinkDomains.self, Remove.self])

    /// What `upstreams` prints: never the client secret.
    struct View: Encodable {
        let id: String
        let name: String
        let issuer: String
        let client_id: String
        let scope: String
        let email_domains: [String]
        let link_domains: [String]
        let created_at: Int64

        init(_ p: UpstreamProviderRecord) {
            id = p.id.rawValue
            name = p.name
            issuer = p.issuer
            client_id = p.clientId
            scope = p.scope
            email_domains = p.emailDomains
            link_domains = p.linkDomains
            created_at = p.createdAt.rawValue
        }

        var line: String {
            "\(id)  \(name)  \(issuer)  client_id=\(client_id)  domains=\(email_domains.isEmpty ? "-" : email_domains.joined(separator: ","))  link_domains=\(link_domains.isEmpty ? "-" : link_domains.joined(separator: ","))"
        }
    }

    /// Finds a provider by id (`ups_…`) or name.
    static func find(_ nameOrID: String, in store: some Store) async throws -> UpstreamProviderRecord {
        if let id = UpstreamProviderID(validating: nameOrID), let provider = try await store.upstreamProvider(id: id) {
            return provider
        }
        guard let provider = try await store.upstreamProvider(name: nameOrID) else {
            throw CLIError("no upstream provider named \(nameOrID)")
        }
        return provider
    }

    /// A lower-cased domain name, or a one-line error naming the option.
    static func domainName(_ domain: String, option: String) throws -> String {
        let d = domain.lowercased()
        guard d.contains("."), !d.contains("@"), !d.hasPrefix("."), !d.hasSuffix("."),
            d.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") })
        else { throw CLIError("\(option) '\(domain)' is not a domain name") }
        return d
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a provider; the client secret is read from standard input.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Name shown on the button (\"Continue with <name>\").") var name: String
        @Option(help: "Issuer identifier; discovery is read from <issuer>/.well-known/openid-configuration.")
        var issuer: String
        @Option(help: "Our client id at the provider.") var clientId: String
        @Flag(help: "Read the client secret from standard input.") var clientSecretStdin = false
        @Option(help: "Scopes to request (must include openid).") var scope: String = "openid email"
        @Option(name: .customLong("domain"), help: "Email domain whose users are offered this provider at sign-in (repeatable).")
        var domains: [String] = []
        @Option(
            name: .customLong("link-domain"),
            help: "Email domain this provider is trusted for: a first sign-in with a verified address there is linked to the local account with that address (repeatable). Without it, links are made with `reverify users link` only.")
        var linkDomains: [String] = []

        func run() async throws {
            guard name.contains(where: { !$0.isWhitespace }), name.count <= 100, !name.hasPrefix("ups_") else {
                throw CLIError("--name must be 1 to 100 characters and not start with ups_")
            }
            guard let issuerURL = URLComponents(string: issuer), let scheme = issuerURL.scheme?.lowercased(),
                issuerURL.host?.isEmpty == false, issuerURL.query == nil, issuerURL.fragment == nil,
                scheme == "https" || (scheme == "http" && Self.isLoopback(issuerURL.host ?? ""))
            else {
                // OIDC Discovery 2: the issuer is an https URL without query or fragment (http only on loopback).
                throw CLIError("--issuer must be an https URL without query or fragment (http only for localhost)")
            }
            guard !clientId.isEmpty, clientId.count <= 512 else { throw CLIError("--client-id must not be empty") }
            let scopes = scope.split(separator: " ").map(String.init)
            guard scopes.contains("openid") else { throw CLIError("--scope must include openid") }
            let normalizedDomains = try domains.map { try Upstreams.domainName($0, option: "--domain") }
            let normalizedLinkDomains = try linkDomains.map { try Upstreams.domainName($0, option: "--link-domain") }
            guard clientSecretStdin else { throw CLIError("pass --client-secret-stdin and the client secret on standard input") }
            let secret = try readSecretFromStandardInput(what: "client secret")
            let store = try await database.openExisting()
            let provider = UpstreamProviderRecord(
                id: UpstreamProviderID(rawValue: IdentifierGenerator.make(prefix: UpstreamProviderID.prefix)),
                name: name, issuer: issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer, clientId: clientId,
                clientSecret: secret, scope: scopes.joined(separator: " "), emailDomains: normalizedDomains,
                linkDomains: normalizedLinkDomains, createdAt: now())
            do {
                try await store.createUpstreamProvider(provider)
            } catch let error as StoreError {
                throw CLIError(error.description)
            }
            try output.print(json: View(provider)) { "added upstream provider \(provider.id) (\(provider.name))" }
        }

        static func isLoopback(_ host: String) -> Bool {
            host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]"
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List providers.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let providers = try await database.openExisting().upstreamProviders().map(View.init)
            try output.print(json: providers) {
                providers.isEmpty ? "no upstream providers" : providers.map(\.line).joined(separator: "\n")
            }
        }
    }

    struct SetLinkDomains: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-link-domains",
            abstract: "Replace the email domains for which a first sign-in links by verified email (none: links only by `users link`).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Provider name or id.") var nameOrID: String
        @Option(name: .customLong("link-domain"), help: "Email domain (repeatable); give none to stop automatic linking.")
        var linkDomains: [String] = []

        func run() async throws {
            let domains = try linkDomains.map { try Upstreams.domainName($0, option: "--link-domain") }
            let store = try await database.openExisting()
            var provider = try await find(nameOrID, in: store)
            try await store.setUpstreamLinkDomains(domains, for: provider.id)
            provider.linkDomains = domains
            try output.print(json: View(provider)) {
                "upstream provider \(provider.id) links first sign-ins for: \(domains.isEmpty ? "no domain" : domains.joined(separator: ", "))"
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a provider and every link to it.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Provider name or id.") var nameOrID: String

        func run() async throws {
            let store = try await database.openExisting()
            let provider = try await find(nameOrID, in: store)
            try await store.deleteUpstreamProvider(id: provider.id)
            print("removed upstream provider \(provider.id) (\(provider.name))")
        }
    }
}
