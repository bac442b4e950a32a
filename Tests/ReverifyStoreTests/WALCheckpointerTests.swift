import Foundation
import GRDB
@testable import ReverifyStore
import Testing

/// Checkpoints beside the writer instead of inside its commits (issue 13), on a real SQLite file in WAL mode.
@Suite struct WALCheckpointerTests {
    /// A pool on a new file with one table to write to.
    struct Database {
        let folder: URL
        let pool: DatabasePool

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("reverify-wal-\(UUID().uuidString)")
            pool = try DatabaseConnection.open(path: folder.appendingPathComponent("test.sqlite").path)
            try pool.write { db in try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)") }
        }

        /// One transaction, as each request's write is.
        func write() async throws {
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO notes (body) VALUES (?)", arguments: [String(repeating: "x", count: 200)])
            }
        }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    @Test func takingOverStopsTheWritersOwnCheckpointsAndHandingBackRestoresThem() async throws {
        let database = try Database()
        defer { database.remove() }
        let checkpointer = try WALCheckpointer(pool: database.pool)
        #expect(try await checkpointer.writerAutomaticCheckpointPages() == WALCheckpointer.automaticCheckpointPages)

        try await checkpointer.takeOver()
        #expect(try await checkpointer.writerAutomaticCheckpointPages() == 0)

        try await checkpointer.handBack()
        #expect(try await checkpointer.writerAutomaticCheckpointPages() == WALCheckpointer.automaticCheckpointPages)
    }

    @Test func aPassCopiesTheWholeLogIntoTheDatabaseFileWithoutTheWriter() async throws {
        let database = try Database()
        defer { database.remove() }
        let checkpointer = try WALCheckpointer(pool: database.pool)
        try await checkpointer.takeOver()
        for _ in 0..<50 { try await database.write() }

        let pass = try #require(try await checkpointer.pass())

        #expect(pass.logFrames >= 50)
        #expect(pass.checkpointedFrames == pass.logFrames)
        #expect(!pass.writerCheckpointed)
        #expect(try await database.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notes") } == 50)
    }

    /// Without the writer's own checkpoint once the log is long, a log written to without pause would never start
    /// over: a checkpoint beside the writer never reaches its last page.
    @Test func underSteadyWritesTheLogStartsOverOnceItReachesTheLimit() async throws {
        let database = try Database()
        defer { database.remove() }
        let checkpointer = try WALCheckpointer(pool: database.pool, restartFrames: 64)
        try await checkpointer.takeOver()
        let writes = 3000

        let passes = try await withThrowingTaskGroup(of: [WALCheckpointer.Pass].self) { group in
            group.addTask {
                for _ in 0..<writes { try await database.write() }
                return []
            }
            group.addTask {
                var passes: [WALCheckpointer.Pass] = []
                while try await database.pool.read({ db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notes") ?? 0 }) < writes {
                    if let pass = try await checkpointer.pass() { passes.append(pass) }
                    try await Task.sleep(for: .milliseconds(2))
                }
                return passes
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }

        // The log starts over whenever a pass finds it shorter than the pass before (not a timing bound: on a
        // loaded machine passes come late, but without the writer's checkpoint the log never starts over at all).
        let restarts = zip(passes, passes.dropFirst()).filter { $1.logFrames < $0.logFrames }.count
        #expect(passes.contains { $0.writerCheckpointed })
        #expect(restarts >= 3, "the log started over \(restarts) times: \(passes.map(\.logFrames))")
    }
}
