import Foundation
import GRDB
import ReverifyCore
@testable import ReverifyStore
import Testing

/// Issue 13: clients are served from memory, yet a change is never missed for longer than the revalidation
/// window, whoever makes it.
@Suite struct ClientCacheTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.sqliteStore }

    init() throws { fixture = try StoreFixture() }

    @Test func aChangeThroughThisStoreIsSeenAtOnce() async throws {
        let client = try await fixture.client()
        #expect(try await store.client(id: client.record.id)?.record.secretHash == nil)

        try await store.setClientSecretHash("new-hash", for: client.record.id, at: fixture.now)

        #expect(try await store.client(id: client.record.id)?.record.secretHash == "new-hash")
        fixture.remove()
    }

    /// Caches `changed` and `other`, lets `change` run in another process, waits out the window, then reads
    /// `other` first: that read revalidates the whole cache, so `changed` is only right if the change moved
    /// the generation.
    func afterAnotherProcess(
        changes client: StoredClient, _ change: (SQLiteStore) async throws -> Void
    ) async throws -> StoredClient? {
        let other = try await fixture.client()
        _ = try await store.client(id: client.record.id)
        _ = try await store.client(id: other.record.id)
        // A second store on the same file is what the CLI is: this store hears nothing from it.
        try await change(try SQLiteStore(path: fixture.path))
        try await Task.sleep(for: ClientCache.revalidateAfter + .milliseconds(20))
        _ = try await store.client(id: other.record.id)
        return try await store.client(id: client.record.id)
    }

    @Test func aSecretRotatedByAnotherProcessIsSeenWithinTheRevalidationWindow() async throws {
        let client = try await fixture.client()
        let seen = try await afterAnotherProcess(changes: client) { cli in
            try await cli.setClientSecretHash("rotated-by-cli", for: client.record.id, at: fixture.now)
        }
        #expect(seen?.record.secretHash == "rotated-by-cli")
        fixture.remove()
    }

    @Test func aClientDeletedByAnotherProcessIsGoneWithinTheRevalidationWindow() async throws {
        let client = try await fixture.client()
        let seen = try await afterAnotherProcess(changes: client) { cli in try await cli.deleteClient(id: client.record.id) }
        #expect(seen == nil)
        fixture.remove()
    }

    @Test func redirectURIsChangedByAnotherProcessAreSeenWithinTheRevalidationWindow() async throws {
        let client = try await fixture.client()
        // An edit of the redirect URIs alone (no clients row changes) must move the generation too.
        let seen = try await afterAnotherProcess(changes: client) { cli in
            try await cli.writer.write { db in
                try db.execute(
                    sql: "INSERT INTO client_redirect_uris (client_id, kind, uri, position) VALUES (?, 'login', ?, 9)",
                    arguments: [client.record.id, "https://rp.example/new"])
            }
        }
        #expect(seen?.redirectURIs.contains("https://rp.example/new") == true)
        fixture.remove()
    }
}
