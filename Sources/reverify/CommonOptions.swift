import ArgumentParser
import Foundation
import ReverifyCore
import ReverifyCrypto
import ReverifyServer
import ReverifyStore

/// `--database` and `--master-key-file`, shared by every command.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: """
            SQLite file (or sqlite:PATH), or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…] for several instances \
            on one PostgreSQL (env REVERIFY_DATABASE; the password may come from REVERIFY_DATABASE_PASSWORD).
            """)
    var database: String = ProcessInfo.processInfo.environment["REVERIFY_DATABASE"] ?? "./data/reverify.sqlite"

    @Option(name: .customLong("master-key-file"), help: "32-byte key file that encrypts secrets at rest (env REVERIFY_MASTER_KEY_FILE).")
    var masterKeyFileOption: String?

    /// The option, or else the environment's: an optional option with a default is deprecated in ArgumentParser.
    var masterKeyFile: String? {
        masterKeyFileOption ?? ProcessInfo.processInfo.environment["REVERIFY_MASTER_KEY_FILE"]
    }

    /// Seals secrets under the master key, when one is configured.
    func sealer() throws -> (any SecretSealing)? {
        try masterKeyFile.map { AESGCMSecretSealer(key: try MasterKey.load(path: $0)) }
    }

    /// Where `--database` points (issue 14); a malformed value is one line and a non-zero exit.
    func location() throws -> StoreLocation {
        do {
            return try StoreLocation(database, passwordFromEnvironment: ProcessInfo.processInfo.environment["REVERIFY_DATABASE_PASSWORD"])
        } catch let error as StoreError {
            throw CLIError(error.description)
        }
    }

    /// The SQLite file, for the commands that work on the file itself (backup, restore).
    func sqlitePath(for command: String) throws -> String {
        switch try location() {
        case .sqlite(let path): return path
        case .postgres:
            throw CLIError("`reverify \(command)` works on a SQLite file; for PostgreSQL use pg_dump and pg_restore")
        }
    }

    /// Opens and migrates the database (for `serve`).
    func openMigrating() async throws -> any Store {
        switch try location() {
        case .sqlite(let path): try SQLiteStore(path: path, sealer: try sealer())
        case .postgres(let location): try await PostgresStore.open(location, sealer: try sealer(), schema: .migrate)
        }
    }

    /// Opens an existing, up-to-date database; administration commands never create one by accident.
    func openExisting() async throws -> any Store {
        switch try location() {
        case .sqlite(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw CLIError("no database at \(path); run `reverify migrate` first or pass --database")
            }
            let pool = try DatabaseConnection.open(path: path)
            let pending = try MigrationRunner.bundled.pending(pool)
            guard pending.isEmpty else {
                throw CLIError("the database at \(path) needs migrating (\(pending.joined(separator: ", "))); run `reverify migrate`")
            }
            return try SQLiteStore(writer: pool, sealer: try sealer())
        case .postgres(let location):
            // Administration commands are one connection's work.
            return try await PostgresStore.open(location, sealer: try sealer(), schema: .requireCurrent, maximumConnections: 2)
        }
    }
}

/// `--json`, for commands that list or create.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON.")
    var json = false

    func print(json value: some Encodable, text: () -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            Swift.print(text())
        }
    }
}

/// A one-line error for the operator; ArgumentParser prints it and exits non-zero.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Reads a secret from standard input, dropping only the final newline.
func readSecretFromStandardInput(what: String) throws -> String {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    var text = String(decoding: data, as: UTF8.self)
    if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
    guard !text.isEmpty else { throw CLIError("no \(what) on standard input") }
    return text
}

func now() -> UnixTime { SystemTimeSource().now() }

/// ISO 8601 for human output.
func formatted(_ time: UnixTime?) -> String {
    guard let time else { return "-" }
    return ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(time.rawValue)))
}
