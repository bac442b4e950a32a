import ArgumentParser
import ReverifyStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the database or bring its schema up to date.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let location = try database.location()
        let applied: [String]
        switch location {
        case .sqlite(let path):
            let pool = try DatabaseConnection.open(path: path)
            // Like every command, refuses a database whose encrypted secrets the given key (or none) cannot open.
            try SQLiteStore.checkSecretsOpen(pool, sealer: try database.sealer())
            applied = try MigrationRunner.bundled.migrate(pool)
        case .postgres(let postgres):
            let store = try await PostgresStore.open(postgres, sealer: try database.sealer(), schema: .asIs, maximumConnections: 2)
            defer { store.close() }
            applied = try await store.migrate()
        }
        if applied.isEmpty {
            print("database \(location) is up to date")
        } else {
            print("applied \(applied.joined(separator: ", ")) to \(location)")
        }
    }
}
