import Foundation
import MetricsTestKit
@testable import ReverifyStore
import Synchronization
import Testing

/// Issue 14: the transaction rules behind every PostgreSQL store method.
@Suite(.enabled(if: PostgresTestServer.adminURL != nil)) struct PostgresDatabaseTests {
    func database(metrics: TestMetrics = TestMetrics()) async throws -> PostgresDatabase {
        let database = try await PostgresDatabase.connect(
            try await PostgresTestServer.freshDatabase(), maximumConnections: 8, metrics: metrics)
        try await database.write { tx in
            try await tx.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)")
            try await tx.execute("INSERT INTO counters VALUES ('a', 0)")
        }
        return database
    }

    /// Increments the counter in a write whose first attempt's connection dies before COMMIT (PostgreSQL rolls
    /// that attempt's update back); how many attempts the write took.
    func incrementLosingTheFirstConnection(_ database: PostgresDatabase) async throws -> Int {
        let attempts = Atomic<Int>(0)
        try await database.write { tx in
            let attempt = attempts.add(1, ordering: .relaxed).newValue
            try await tx.execute("UPDATE counters SET value = value + 1 WHERE name = 'a'")
            if attempt == 1 { try await tx.execute("SELECT pg_terminate_backend(pg_backend_pid())") }
        }
        return attempts.load(ordering: .relaxed)
    }

    @Test func aConnectionLostMidTransactionIsRetriedOnAnotherFromTheStart() async throws {
        let database = try await database()
        defer { database.close() }
        let attempts = try await incrementLosingTheFirstConnection(database)

        #expect(attempts == 2)
        #expect(try await database.read { tx in try await tx.value(Int64.self, "SELECT value FROM counters") } == 1)
    }

    @Test func eachRetryIsCountedWithItsReason() async throws {
        let metrics = TestMetrics()
        let database = try await database(metrics: metrics)
        defer { database.close() }
        _ = try await incrementLosingTheFirstConnection(database)

        // A reason never counted has no counter at all.
        let counted = PostgresDatabase.RetryReason.allCases.map { reason in
            (reason, (try? metrics.expectCounter(PostgresDatabase.retryCounterLabel, [("reason", reason.rawValue)]))?.totalValue ?? 0)
        }
        #expect(counted.map(\.1).reduce(0, +) == 1, "one retry, counted once: \(counted)")
        #expect(counted.first { $0.1 == 1 }?.0 == .serverUnavailable, "the server ended the connection: \(counted)")
    }

    @Test func conflictingTransactionsRunAsIfOneAfterTheOther() async throws {
        let database = try await database()
        defer { database.close() }

        // Read-then-write, 20 at once: without serializable isolation and the retry, increments would be lost.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await database.write { tx in
                        let value = try await tx.value(Int64.self, "SELECT value FROM counters WHERE name = 'a'") ?? 0
                        try await tx.execute("UPDATE counters SET value = ? WHERE name = 'a'", [value + 1])
                    }
                }
            }
            try await group.waitForAll()
        }

        #expect(try await database.read { tx in try await tx.value(Int64.self, "SELECT value FROM counters") } == 20)
    }

    @Test func anErrorInTheBodyRollsBackAndIsNotRetried() async throws {
        let database = try await database()
        defer { database.close() }
        let attempts = Atomic<Int>(0)
        struct Refused: Error {}

        await #expect(throws: Refused.self) {
            try await database.write { tx in
                attempts.add(1, ordering: .relaxed)
                try await tx.execute("UPDATE counters SET value = 99")
                throw Refused()
            }
        }

        #expect(attempts.load(ordering: .relaxed) == 1)
        #expect(try await database.read { tx in try await tx.value(Int64.self, "SELECT value FROM counters") } == 0)
    }
}
