import Foundation
import ReverifyCore
@testable import ReverifyStore
import Testing

/// The store backends every store test runs against (issue 14 item 4).
enum Backend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// SQLite always; PostgreSQL when `scripts/test` started a server (`REVERIFY_TEST_POSTGRES`).
    static var all: [Backend] {
        PostgresTestServer.adminURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }
}

/// The throwaway PostgreSQL server of `scripts/test`: each fixture gets a new database on it.
enum PostgresTestServer {
    static var adminURL: String? { ProcessInfo.processInfo.environment["REVERIFY_TEST_POSTGRES"] }

    private static let admin = Task<PostgresDatabase, any Error> {
        guard let url = adminURL else { throw StoreError.invalid("REVERIFY_TEST_POSTGRES is not set") }
        return try await PostgresDatabase.connect(try PostgresLocation(url: url), maximumConnections: 4)
    }

    /// A new, empty database; its name is random.
    static func freshDatabase() async throws -> PostgresLocation {
        let admin = try await admin.value
        let name = "reverify_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin.executeOutsideTransaction("CREATE DATABASE \(name)")
        var location = admin.location
        location.database = name
        return location
    }
}

@Suite struct BackendAvailabilityTests {
    /// Under CI the PostgreSQL half of the suite must run, never be skipped for want of a server.
    @Test func postgresRunsUnderCI() {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            #expect(PostgresTestServer.adminURL != nil, "scripts/test must start PostgreSQL (REVERIFY_TEST_POSTGRES)")
        }
    }
}
