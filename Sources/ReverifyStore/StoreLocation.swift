import Foundation

/// Where the store lives, as `--database` / `REVERIFY_DATABASE` name it (issue 14): a file path or `sqlite:` URL
/// keeps the embedded SQLite store; a `postgres://` (or `postgresql://`) URL selects the shared PostgreSQL store.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// Parses `value`; `passwordFromEnvironment` (`REVERIFY_DATABASE_PASSWORD`) supplies a PostgreSQL password the
    /// URL leaves out, so it need not appear in process listings or shell history.
    public init(_ value: String, passwordFromEnvironment: String? = nil) throws {
        let lowered = value.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(url: value, passwordFromEnvironment: passwordFromEnvironment))
        } else if lowered.hasPrefix("sqlite://") {
            self = .sqlite(path: String(value.dropFirst("sqlite://".count)))
        } else if lowered.hasPrefix("sqlite:") {
            self = .sqlite(path: String(value.dropFirst("sqlite:".count)))
        } else if lowered.contains("://") {
            throw StoreError.invalid("--database: unsupported URL scheme in \(value) (use a file path, sqlite: or postgres://)")
        } else {
            self = .sqlite(path: value)
        }
        if case .sqlite(let path) = self, path.isEmpty { throw StoreError.invalid("--database: the SQLite path is empty") }
    }

    /// For messages and logs: never the password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.redacted
        }
    }

    public var isPostgres: Bool { if case .postgres = self { true } else { false } }
}
