/// One reason the server should not take traffic yet (issue 15.5).
public enum ReadinessProblem: Sendable, Equatable, CustomStringConvertible {
    /// The database did not answer a read.
    case databaseUnavailable
    /// Migrations this binary ships that the database has not applied.
    case migrationsPending([String])
    /// Migrations the database has applied that this binary does not know (a newer binary migrated it).
    case schemaNewerThanBinary([String])
    /// No active ES256 signing key could be loaded: no token could be signed.
    case noSigningKey

    public var description: String {
        switch self {
        case .databaseUnavailable: "database unavailable"
        case .migrationsPending(let ids): "migrations pending: \(ids.joined(separator: ", "))"
        case .schemaNewerThanBinary(let ids): "database migrated by a newer binary: \(ids.joined(separator: ", "))"
        case .noSigningKey: "no active signing key loaded"
        }
    }
}

/// What the server observed when asked whether it is ready; the rule below judges it.
public struct ReadinessFacts: Sendable, Equatable {
    public var databaseAnswered: Bool
    public var pendingMigrations: [String]
    public var unknownMigrations: [String]
    public var signingKeyLoaded: Bool

    public init(databaseAnswered: Bool, pendingMigrations: [String], unknownMigrations: [String], signingKeyLoaded: Bool) {
        self.databaseAnswered = databaseAnswered
        self.pendingMigrations = pendingMigrations
        self.unknownMigrations = unknownMigrations
        self.signingKeyLoaded = signingKeyLoaded
    }
}

/// Readiness (as opposed to liveness): ready only when the database answers, its schema is exactly the one
/// this binary expects, and a signing key is loaded. Every problem is listed, so an operator sees all of them.
public enum Readiness {
    public static func problems(_ facts: ReadinessFacts) -> [ReadinessProblem] {
        var problems: [ReadinessProblem] = []
        if !facts.databaseAnswered {
            problems.append(.databaseUnavailable)
        } else {
            // The schema can only be judged when the database answered.
            if !facts.pendingMigrations.isEmpty { problems.append(.migrationsPending(facts.pendingMigrations)) }
            if !facts.unknownMigrations.isEmpty { problems.append(.schemaNewerThanBinary(facts.unknownMigrations)) }
        }
        if !facts.signingKeyLoaded { problems.append(.noSigningKey) }
        return problems
    }
}
