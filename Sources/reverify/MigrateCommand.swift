import ArgumentParser
import ReverifyStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the database or bring its schema up to date.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let pool = try DatabaseConnection.open(path: database.database)
        // Like every command, refuses a database whose encrypted secrets the given key (or none) cannot open.
        try SQLiteStore.checkSecretsOpen(pool, sealer: try database.sealer())
        let applied = try MigrationRunner.bundled.migrate(pool)
        if applied.isEmpty {
            print("database \(database.database) is up to date")
        } else {
            print("applied \(applied.joined(separator: ", ")) to \(database.database)")
        }
    }
}
