import ArgumentParser
import ReverifyStore

/// `reverify copy-data`: moves an existing SQLite deployment onto PostgreSQL (issue 14 item 5).
struct CopyData: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy-data",
        abstract: "Copy every row of a SQLite database into a new, empty PostgreSQL database (migrated first).")

    @Option(help: "The SQLite file to copy; no server may be using it.") var from: String
    @Option(help: "postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…] (password also from REVERIFY_DATABASE_PASSWORD).")
    var to: String
    @Option(name: .long, help: "The master key file the secrets are sealed with, if any (env REVERIFY_MASTER_KEY_FILE).")
    var masterKeyFile: String?

    func run() async throws {
        // Without --master-key-file, DatabaseOptions falls back to REVERIFY_MASTER_KEY_FILE, as every command does.
        let options = try DatabaseOptions.parse(["--database", to] + (masterKeyFile.map { ["--master-key-file", $0] } ?? []))
        guard case .postgres(let target) = try options.location() else {
            throw CLIError("--to must be a postgres:// URL")
        }
        guard case .sqlite(let source) = try StoreLocation(from) else { throw CLIError("--from must be a SQLite file") }
        let store = try await PostgresStore.open(target, sealer: try options.sealer(), schema: .migrate, maximumConnections: 2)
        defer { store.close() }
        let report: SQLiteToPostgresCopy.Report
        do {
            report = try await SQLiteToPostgresCopy.copy(fromSQLite: source, to: store)
        } catch let error as StoreError {
            throw CLIError(error.description)
        }
        for (table, rows) in report.tables where rows > 0 { print("\(table): \(rows)") }
        print("copied \(report.totalRows) rows in \(report.tables.count) tables from \(source) to \(target.redacted)")
    }
}
