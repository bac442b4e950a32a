import Foundation

/// A PostgreSQL server and database from a `postgres://user:password@host:port/database?sslmode=…` URL
/// (the libpq URI form, PostgreSQL 15 docs 34.1.1).
public struct PostgresLocation: Sendable, Equatable {
    /// libpq's `sslmode` values (PostgreSQL docs 34.19.1), minus `allow`, which only adds a plaintext fallback.
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable
        /// TLS if the server offers it, unverified: libpq's default.
        case prefer
        /// TLS, encrypted but unverified (libpq: "require" checks no certificate).
        case require
        /// TLS with a certificate signed by a trusted CA, any host name.
        case verifyCA = "verify-ca"
        /// TLS with a trusted certificate for this host name.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// A PEM file of CA certificates for `verify-ca`/`verify-full` (`sslrootcert`); the system's when absent.
    public var sslRootCertificate: String?

    public init(
        host: String, port: Int = 5432, username: String, password: String?, database: String, sslMode: SSLMode = .prefer,
        sslRootCertificate: String? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.sslRootCertificate = sslRootCertificate
    }

    public init(url: String, passwordFromEnvironment: String? = nil) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else { throw StoreError.invalid("--database: \(Self.redact(url)) is not a postgres:// URL") }
        guard let host = components.host, !host.isEmpty else {
            throw StoreError.invalid("--database: the PostgreSQL URL names no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError.invalid("--database: the PostgreSQL URL names no user (postgres://USER@host/database)")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty else {
            throw StoreError.invalid("--database: the PostgreSQL URL names no database (postgres://user@host/DATABASE)")
        }
        var sslMode = SSLMode.prefer
        var rootCertificate: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                    let known = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw StoreError.invalid("--database: sslmode=\(item.value ?? "") is not one of \(known)")
                }
                sslMode = mode
            case "sslrootcert": rootCertificate = item.value
            default:
                throw StoreError.invalid("--database: unsupported PostgreSQL URL parameter \(item.name) (sslmode, sslrootcert)")
            }
        }
        self.init(
            host: host, port: components.port ?? 5432, username: user,
            password: components.password ?? passwordFromEnvironment, database: database, sslMode: sslMode,
            sslRootCertificate: rootCertificate)
    }

    /// The URL without its password, for messages and logs.
    public var redacted: String {
        "postgres://\(username)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }

    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "the URL"
    }
}

extension PostgresLocation {
    /// The URL, password included: for handing to another process of ours, never for messages.
    public var urlString: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        components.queryItems = [URLQueryItem(name: "sslmode", value: sslMode.rawValue)]
            + (sslRootCertificate.map { [URLQueryItem(name: "sslrootcert", value: $0)] } ?? [])
        return components.string!
    }
}
