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

    /// Connects (one clear error when the server cannot be reached or refuses the credentials), brings the
    /// schema up to date, and refuses a database whose sealed secrets `sealer` cannot open.
    public static func open(
        _ location: PostgresLocation, sealer: (any SecretSealing)? = nil, migrations: PostgresMigrationRunner = .bundled,
        maximumConnections: Int = 20, logger: Logger = Logger(label: "reverify.postgres")
    ) async throws -> PostgresStore {
        let database = try await PostgresDatabase.connect(location, maximumConnections: maximumConnections, logger: logger)
        do {
            let store = PostgresStore(database: database, migrations: migrations, sealer: sealer)
            try await migrations.migrate(database)
            try await store.checkSecretsOpen()
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
                for row in try await tx.rows(
                    "SELECT \(key) AS id, \(column) AS value FROM \(table) WHERE \(column) LIKE ?", [SealedValue.prefix + "%"])
                {
                    let id: String = row["id"]
                    sealed.append(("\(table):\(id)", row["value"]))
                }
            }
            return sealed
        }
        for (row, value) in sealed {
            guard let sealer else { throw StoreError.masterKeyRequired }
            do { _ = try sealer.open(value, row: row) } catch { throw StoreError.masterKeyMismatch }
        }
    }
}
