import Foundation
import GRDB
import Logging
import PostgresNIO
import ReverifyCore

/// The shared PostgreSQL implementation of ``Store`` (issue 14): several `reverify serve` instances on one
/// database keep every guarantee the embedded SQLite store makes. Each method is one transaction
/// (``PostgresDatabase/write(_:)`` runs it serializable, retried on conflict), written with the same SQL and
/// the same records as ``SQLiteStore``, so the two backends differ only where the dialects do.
public final class PostgresStore: Store, SealingStore {
    public let database: PostgresDatabase
    let migrations: PostgresMigrationRunner
    /// Clients in memory, revalidated against the `clients` generation, as for SQLite (issue 13).
    let clientCache = ClientCache()
    let sealer: (any SecretSealing)?
    let notifications: PostgresNotifications

    /// What opening does with the schema.
    public enum SchemaHandling: Sendable {
        /// Applies what is pending (`serve`, and the tests).
        case migrate
        /// Refuses a database with pending migrations (administration commands never change the schema by accident).
        case requireCurrent
        /// Leaves it as it is (`reverify migrate` checks the secrets first, then calls ``migrate()``).
        case asIs
    }

    /// Connects (one clear error when the server cannot be reached or refuses the credentials), refuses a
    /// database whose sealed secrets `sealer` cannot open, and handles the schema as `schema` says.
    public static func open(
        _ location: PostgresLocation, sealer: (any SecretSealing)? = nil, schema: SchemaHandling = .migrate,
        migrations: PostgresMigrationRunner = .bundled, maximumConnections: Int = 20,
        logger: Logger = Logger(label: "reverify.postgres")
    ) async throws -> PostgresStore {
        let database = try await PostgresDatabase.connect(location, maximumConnections: maximumConnections, logger: logger)
        do {
            let store = PostgresStore(database: database, migrations: migrations, sealer: sealer)
            let status = try await migrations.status(database)
            if !status.unknown.isEmpty { throw StoreError.schemaNewerThanBinary(applied: status.unknown) }
            try await store.checkSecretsOpen()
            switch schema {
            case .migrate: try await migrations.migrate(database)
            case .requireCurrent where !status.pending.isEmpty:
                throw StoreError.invalid(
                    "the database at \(location.redacted) needs migrating (\(status.pending.joined(separator: ", "))); run `reverify migrate`")
            case .requireCurrent, .asIs: break
            }
            return store
        } catch {
            database.close()
            throw error
        }
    }

    init(database: PostgresDatabase, migrations: PostgresMigrationRunner, sealer: (any SecretSealing)?) {
        self.database = database
        self.migrations = migrations
        self.sealer = sealer
        notifications = PostgresNotifications(database: database)
    }

    /// Ends the pool and the notification listener.
    public func close() {
        notifications.stop()
        database.close()
    }

    /// Applies the pending migrations; returns their identifiers.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await migrations.migrate(database)
    }

    public func schemaStatus() async throws -> SchemaStatus {
        try await migrations.status(database)
    }

    public func webhookEventNotifications() -> AsyncStream<Void> {
        notifications.stream()
    }

    static func notImplemented(_ function: String) -> StoreError {
        StoreError.invalid("PostgresStore.\(function) is not implemented yet")
    }
}

extension PostgresStore {
    /// Refuses a database whose sealed secrets `sealer` cannot open, before anything is written (issue 15.3).
    func checkSecretsOpen() async throws {
        let sealed = try await database.read { tx in
            var sealed: [(row: String, value: String)] = []
            for (table, key, column) in Self.secretColumns {
                // A database from before a table existed (or an empty one) has nothing sealed in it yet.
                guard try await tx.value(String.self, "SELECT to_regclass(?)::text", [table]) != nil else { continue }
                for row in try await tx.rows(
                    "SELECT \(key) AS id, \(column) AS value FROM \(table) WHERE \(column) LIKE ?", [SealedValue.prefix + "%"])
                {
                    let id: String = row["id"]
                    sealed.append(("\(table):\(id)", row["value"]))
                }
            }
            return sealed
        }
        for (row, value) in sealed { try Self.checkOpens(value, row: row, sealer: sealer) }
    }
}
