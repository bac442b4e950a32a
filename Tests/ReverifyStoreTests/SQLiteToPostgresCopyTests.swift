import Foundation
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

/// Issue 14 item 5: `reverify copy-data` moves a SQLite deployment onto PostgreSQL, whole, or not at all.
@Suite(.enabled(if: PostgresTestServer.adminURL != nil)) struct SQLiteToPostgresCopyTests {
    /// A SQLite deployment with a row in the tables an operator cares about, secrets sealed under `sealer`.
    func deployment(sealer: (any SecretSealing)?) async throws -> StoreFixture {
        let source = try StoreFixture(sealer: sealer)
        let user = try await source.user()
        let client = try await source.client()
        let session = try await source.session(for: user)
        _ = try await source.code(client: client, session: session)
        try await source.store.addActiveSigningKey(
            SigningKeyRecord(kid: "k1", algorithm: "ES256", privateKeyPem: "-----BEGIN PRIVATE KEY-----", createdAt: source.now))
        try await source.store.createWebhookEndpoint(
            WebhookEndpointRecord(
                id: WebhookEndpointID(rawValue: IdentifierGenerator.make(prefix: "whe")), url: "https://hooks.example/in",
                eventTypes: nil, allowPrivate: false, secret: WebhookSecret.generate().encoded, createdAt: source.now))
        try await source.store.appendAudit(
            AuditRecord(at: source.now, event: .signIn, outcome: .success, userId: user.id, sessionId: session.id))
        return source
    }

    @Test func everyRowArrivesAndReadsBackTheSame() async throws {
        let sealer = AESGCMSecretSealer(key: try MasterKey(bytes: [UInt8](repeating: 5, count: 32)))
        let source = try await deployment(sealer: sealer)
        defer { source.remove() }
        let target = try await PostgresStore.open(try await PostgresTestServer.freshDatabase(), sealer: sealer)
        defer { target.close() }

        let report = try await SQLiteToPostgresCopy.copy(fromSQLite: source.path, to: target)

        let from = source.store, to: any Store = target
        #expect(try await to.users() == from.users())
        #expect(try await to.clients() == from.clients())
        #expect(try await to.sessions(user: nil) == from.sessions(user: nil))
        #expect(try await to.publishedSigningKeys() == from.publishedSigningKeys())
        #expect(try await to.webhookEndpoints() == from.webhookEndpoints())
        #expect(try await to.auditLog(user: nil, limit: 100) == from.auditLog(user: nil, limit: 100))
        let outbox = try await source.strings("SELECT id FROM outbox_events ORDER BY seq")
        #expect(!outbox.isEmpty)
        #expect(try await target.database.read { tx in try await tx.values(String.self, "SELECT id FROM outbox_events ORDER BY seq") } == outbox)
        #expect(report.totalRows == (try await source.count(
            "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM clients) + (SELECT COUNT(*) FROM client_redirect_uris) + (SELECT COUNT(*) FROM sessions) + (SELECT COUNT(*) FROM authorization_codes) + (SELECT COUNT(*) FROM signing_keys) + (SELECT COUNT(*) FROM webhook_endpoints) + (SELECT COUNT(*) FROM audit_log) + (SELECT COUNT(*) FROM outbox_events) + (SELECT COUNT(*) FROM webhook_deliveries)")))
    }

    @Test func identityColumnsContinueAfterTheCopiedIDs() async throws {
        let source = try await deployment(sealer: nil)
        defer { source.remove() }
        let target = try await PostgresStore.open(try await PostgresTestServer.freshDatabase())
        defer { target.close() }
        _ = try await SQLiteToPostgresCopy.copy(fromSQLite: source.path, to: target)
        let newest = try await target.auditLog(user: nil, limit: 1).first?.id ?? 0

        try await target.appendAudit(AuditRecord(at: source.now, event: .signIn, outcome: .success))

        #expect(try await target.auditLog(user: nil, limit: 1).first?.id == newest + 1)
    }

    @Test func aTargetWithRowsIsRefusedAndKeepsThem() async throws {
        let source = try await deployment(sealer: nil)
        defer { source.remove() }
        let target = try await PostgresStore.open(try await PostgresTestServer.freshDatabase())
        defer { target.close() }
        try await target.createUser(
            UserRecord(id: UserID(rawValue: "usr_existing"), email: "someone@example.com", name: nil, passwordHash: nil,
                       createdAt: source.now, updatedAt: source.now))

        await #expect(throws: StoreError.invalid(
            "the PostgreSQL database is not empty (users has rows); copy-data only fills a new database")) {
            _ = try await SQLiteToPostgresCopy.copy(fromSQLite: source.path, to: target)
        }
        #expect(try await target.users().map(\.email) == ["someone@example.com"])
    }

    @Test func aSourceInUseByAServerIsRefused() async throws {
        let source = try await deployment(sealer: nil)
        defer { source.remove() }
        let target = try await PostgresStore.open(try await PostgresTestServer.freshDatabase())
        defer { target.close() }
        let server = try DatabaseLock.shared(forDatabase: source.path)

        await #expect(throws: StoreError.invalid("\(source.path) is in use by a running server; stop it before copying its data")) {
            _ = try await SQLiteToPostgresCopy.copy(fromSQLite: source.path, to: target)
        }
        withExtendedLifetime(server) {}
        #expect(try await target.users().isEmpty)
    }
}
