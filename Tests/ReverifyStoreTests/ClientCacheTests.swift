import Foundation
import GRDB
import ReverifyCore
@testable import ReverifyStore
import Testing

/// Issue 13: clients are served from memory, yet a change is never missed for longer than the revalidation
/// window, whoever makes it.
@Suite struct ClientCacheTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.store }

    init() throws { fixture = try StoreFixture() }

    @Test func aChangeThroughThisStoreIsSeenAtOnce() async throws {
        let client = try await fixture.client()
        #expect(try await store.client(id: client.record.id)?.record.secretHash == nil)

        try await store.setClientSecretHash("new-hash", for: client.record.id, at: fixture.now)

        #expect(try await store.client(id: client.record.id)?.record.secretHash == "new-hash")
        fixture.remove()
    }

    @Test func aChangeByAnotherProcessIsSeenWithinTheRevalidationWindow() async throws {
        let client = try await fixture.client()
        #expect(try await store.client(id: client.record.id)?.record.secretHash == nil)
        // A second store on the same file is what the CLI is: this store hears nothing from it.
        let cli = try SQLiteStore(path: fixture.path)

        try await cli.setClientSecretHash("rotated-by-cli", for: client.record.id, at: fixture.now)
        try await Task.sleep(for: ClientCache.revalidateAfter + .milliseconds(20))

        #expect(try await store.client(id: client.record.id)?.record.secretHash == "rotated-by-cli")
        fixture.remove()
    }

    @Test func aClientDeletedByAnotherProcessIsGoneWithinTheRevalidationWindow() async throws {
        let client = try await fixture.client()
        #expect(try await store.client(id: client.record.id) != nil)
        let cli = try SQLiteStore(path: fixture.path)

        try await cli.deleteClient(id: client.record.id)
        try await Task.sleep(for: ClientCache.revalidateAfter + .milliseconds(20))

        #expect(try await store.client(id: client.record.id) == nil)
        fixture.remove()
    }

    @Test func redirectURIsChangedByAnotherProcessAreSeenWithinTheRevalidationWindow() async throws {
        let client = try await fixture.client()
        #expect(try await store.client(id: client.record.id)?.redirectURIs.contains("https://rp.example/new") == false)
        // An edit of the redirect URIs alone (no clients row changes) must move the generation too.
        let other = try DatabaseQueue(path: fixture.path)
        try await other.write { db in
            try db.execute(
                sql: "INSERT INTO client_redirect_uris (client_id, kind, uri, position) VALUES (?, 'login', ?, 9)",
                arguments: [client.record.id, "https://rp.example/new"])
        }
        try await Task.sleep(for: ClientCache.revalidateAfter + .milliseconds(20))

        #expect(try await store.client(id: client.record.id)?.redirectURIs.contains("https://rp.example/new") == true)
        fixture.remove()
    }
}
