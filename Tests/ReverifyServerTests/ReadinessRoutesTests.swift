import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct ReadinessRoutesTests {
    /// GETs `/readyz` and returns the status code and the listed reasons.
    func readiness(_ app: TestApp) async throws -> (status: Int, body: [String: Any]) {
        try await app.run { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                (response.status.code, response.jsonObject)
            }
        }
    }

    @Test func readyzAnswers200WhenDatabaseSchemaAndKeyAreFine() async throws {
        let app = try await TestApp.make()
        let (status, body) = try await readiness(app)
        #expect(status == 200)
        #expect(body["status"] as? String == "ready")
        #expect((body["reasons"] as? [String]) == [])
    }

    @Test func readyzAnswers503WhenAMigrationIsPending() async throws {
        let app = try await TestApp.make()
        try await app.store.writer.write { db in
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = '0011_session_levels'")
        }
        let (status, body) = try await readiness(app)
        #expect(status == 503)
        #expect(body["status"] as? String == "not_ready")
        #expect((body["reasons"] as? [String]) == ["migrations pending: 0011_session_levels"])
    }

    @Test func readyzAnswers503WhenANewerBinaryMigratedTheDatabase() async throws {
        let app = try await TestApp.make()
        try await app.store.writer.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_future')")
        }
        let (status, body) = try await readiness(app)
        #expect(status == 503)
        #expect((body["reasons"] as? [String]) == ["database migrated by a newer binary: 9999_future"])
    }

    @Test func readyzAnswers503WithoutASigningKey() async throws {
        let app = try await TestApp.make()
        try await app.store.writer.write { db in try db.execute(sql: "DELETE FROM signing_keys") }
        let (status, body) = try await readiness(app)
        #expect(status == 503)
        #expect((body["reasons"] as? [String]) == ["no active signing key loaded"])
    }

    @Test func readyzAnswers503WhenTheDatabaseDoesNotAnswer() async throws {
        let app = try await TestApp.make()
        try #require(app.store.writer as? DatabasePool).close()
        let (status, body) = try await readiness(app)
        #expect(status == 503)
        #expect((body["reasons"] as? [String] ?? []).contains("database unavailable"))
    }

    @Test func healthzStaysLivenessWhenNotReady() async throws {
        let app = try await TestApp.make()
        try await app.store.writer.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_future')")
        }
        try await app.run { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
