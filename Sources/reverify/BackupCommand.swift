import ArgumentParser
import Foundation
import ReverifyStore

/// `reverify backup`: a consistent copy of the database while the server runs (issue 15.4).
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database to a new file while the server keeps running (SQLite online backup).")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "The new file to write; an existing file is never overwritten.") var to: String

    func run() throws {
        let path = try database.sqlitePath(for: "backup")
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("no database at \(path)")
        }
        let pages = try DatabaseBackup.backup(database: path, to: to)
        print("backed up \(path) to \(to) (\(pages) pages)")
    }
}

/// `reverify restore`: replaces the database with a backup, never under a running server (issue 15.4).
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace the database with a backup; refused while a server uses the database.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "The backup file to restore.") var from: String

    func run() throws {
        let path = try database.sqlitePath(for: "restore")
        try DatabaseBackup.restore(database: path, from: from)
        print("restored \(path) from \(from); run `reverify migrate` if this binary is newer than the backup")
    }
}
