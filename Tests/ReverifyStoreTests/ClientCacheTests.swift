import Foundation
import GRDB
import ReverifyCore
@testable import ReverifyStore
import Testing

/// Issue 13: clients are served from memory, yet a change is never missed for longer than the revalidation
/// window, whoever makes it — on every backend (issue 14: another instance on the same PostgreSQL database is
/// what the CLI is for SQLite).
@Suite struct ClientCacheTests {
    @Test(arguments: Backend.all) func aChangeThroughThisStoreIsSeenAtOnce(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let client = try await fixture.client()
        #expect(try await store.client(id: client.record.id)?.record.secretHash == nil)

        try await store.setClientSecretHash("new-hash", for: client.record.id, at: fixture.now)

        #expect(try await store.client(id: client.record.id)?.record.secretHash == "new-hash")
    }

    /// Caches `changed` and `other`, lets `change` run in another process, waits out the window, then reads
    /// `other` first: that read revalidates the whole cache, so `changed` is only right if the change moved
    /// the generation.
    func afterAnotherProcess(
        _ fixture: StoreFixture, changes client: StoredClient, _ change: (any Store) async throws -> Void
    ) async throws -> StoredClient? {
        let store = fixture.store
        let other = try await fixture.client()
        _ = try await store.client(id: client.record.id)
        _ = try await store.client(id: other.record.id)
        // A second store on the same database is what the CLI (or another instance) is: this store hears nothing
        // from it.
        let cli = try await fixture.reopen()
        defer { (cli as? PostgresStore)?.close() }
        try await change(cli)
        try await Task.sleep(for: ClientCache.revalidateAfter + .milliseconds(20))
        _ = try await store.client(id: other.record.id)
        return try await store.client(id: client.record.id)
    }

    @Test(arguments: Backend.all) func aSecretRotatedByAnotherProcessIsSeenWithinTheRevalidationWindow(_ backend: Backend)
        async throws
    {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let client = try await fixture.client()
        let seen = try await afterAnotherProcess(fixture, changes: client) { cli in
            try await cli.setClientSecretHash("rotated-by-cli", for: client.record.id, at: fixture.now)
        }
        #expect(seen?.record.secretHash == "rotated-by-cli")
    }

    @Test(arguments: Backend.all) func aClientDeletedByAnotherProcessIsGoneWithinTheRevalidationWindow(_ backend: Backend)
        async throws
    {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let client = try await fixture.client()
        let seen = try await afterAnotherProcess(fixture, changes: client) { cli in
            try await cli.deleteClient(id: client.record.id)
        }
        #expect(seen == nil)
    }

    @Test(arguments: Backend.all) func redirectURIsChangedByAnotherProcessAreSeenWithinTheRevalidationWindow(
        _ backend: Backend
    ) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let client = try await fixture.client()
        // An edit of the redirect URIs alone (no clients row changes) must move the generation too. Raw SQL, as
        // an operator's would be: it bypasses every store, so the cache hears nothing of it.
        let seen = try await afterAnotherProcess(fixture, changes: client) { _ in
            try await fixture.execute(
                "INSERT INTO client_redirect_uris (client_id, kind, uri, position) VALUES (?, 'login', ?, 9)",
                [client.record.id.rawValue, "https://rp.example/new"])
        }
        #expect(seen?.redirectURIs.contains("https://rp.example/new") == true)
    }
}
