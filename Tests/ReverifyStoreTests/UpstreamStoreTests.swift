import Foundation
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

/// Upstream providers, identity links and single-use upstream states (issue 6).
/// On every backend (issue 14 item 4).
@Suite struct UpstreamStoreTests {
    private func provider(_ name: String = "Corp", in fixture: StoreFixture) async throws -> UpstreamProviderRecord {
        let provider = UpstreamProviderRecord(
            id: UpstreamProviderID(rawValue: IdentifierGenerator.make(prefix: "ups")), name: name,
            issuer: "https://idp.example.com", clientId: "rv", clientSecret: "s", scope: "openid email",
            emailDomains: ["example.com"], createdAt: fixture.now)
        try await fixture.store.createUpstreamProvider(provider)
        return provider
    }

    @Test(arguments: Backend.all) func testProvidersRoundTripAndNamesAreUniqueIgnoringCase(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let corp = try await provider("Corp", in: fixture)
        #expect(try await store.upstreamProvider(name: "corp") == corp)
        #expect(try await store.upstreamProvider(id: corp.id)?.emailDomains == ["example.com"])
        await #expect(throws: StoreError.self) { _ = try await provider("CORP", in: fixture) }
        #expect(try await store.upstreamProviders().count == 1)
    }

    @Test(arguments: Backend.all) func testLinkDomainsAreEmptyByDefaultAndReplacedWhole(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let corp = try await provider(in: fixture)
        #expect(try await store.upstreamProvider(id: corp.id)?.linkDomains == [])
        try await store.setUpstreamLinkDomains(["example.com", "corp.example.com"], for: corp.id)
        #expect(try await store.upstreamProvider(id: corp.id)?.linkDomains == ["example.com", "corp.example.com"])
        try await store.setUpstreamLinkDomains([], for: corp.id)
        #expect(try await store.upstreamProvider(id: corp.id)?.linkDomains == [])
        #expect(try await store.upstreamProvider(id: corp.id)?.emailDomains == ["example.com"], "--domain is untouched")
        await #expect(throws: StoreError.self) {
            try await store.setUpstreamLinkDomains(["x.com"], for: UpstreamProviderID(rawValue: "ups_missing"))
        }
    }

    @Test(arguments: Backend.all) func testASubjectLinksToOneUserAndAUserToOneSubjectPerProvider(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let corp = try await provider(in: fixture)
        let alice = try await fixture.user("alice@example.com")
        let bob = try await fixture.user("bob@example.com")
        let link = UserIdentityRecord(userId: alice.id, providerId: corp.id, subject: "s-1", email: nil, createdAt: fixture.now)
        try await store.linkIdentity(link)
        try await store.linkIdentity(link)  // idempotent
        await #expect(throws: StoreError.self) {
            try await store.linkIdentity(
                UserIdentityRecord(userId: bob.id, providerId: corp.id, subject: "s-1", email: nil, createdAt: fixture.now))
        }
        await #expect(throws: StoreError.self) {
            try await store.linkIdentity(
                UserIdentityRecord(userId: alice.id, providerId: corp.id, subject: "s-2", email: nil, createdAt: fixture.now))
        }
        #expect(try await store.identity(provider: corp.id, subject: "s-1")?.userId == alice.id)
        #expect(try await store.identities(user: bob.id).isEmpty)
        try await store.deleteUpstreamProvider(id: corp.id)
        #expect(try await store.identities(user: alice.id).isEmpty, "links go with their provider")
    }

    @Test(arguments: Backend.all) func testAnUpstreamStateIsClaimedOnce(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let corp = try await provider(in: fixture)
        let request = try await fixture.pendingRequest()
        let state = UpstreamStateRecord(
            stateHash: TokenHash(of: "state").hex, requestId: request, providerId: corp.id, browserHash: "b", nonce: "n",
            codeVerifier: "v", startedAt: fixture.now, expiresAt: fixture.now + 600)
        try await store.saveUpstreamState(state)
        guard case .claimed(let claimed) = try await store.claimUpstreamState(hash: state.stateHash, at: fixture.now + 5) else {
            Issue.record("expected the first claim to succeed")
            return
        }
        #expect(claimed.nonce == "n" && claimed.startedAt == fixture.now)
        guard case .alreadyUsed = try await store.claimUpstreamState(hash: state.stateHash, at: fixture.now + 6) else {
            Issue.record("a replayed state must be refused")
            return
        }
        #expect(try await store.claimUpstreamState(hash: TokenHash(of: "other").hex, at: fixture.now) == .unknown)
    }

    @Test(arguments: Backend.all) func testAnExpiredStateIsBurnedAndRefused(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let corp = try await provider(in: fixture)
        let request = try await fixture.pendingRequest()
        let state = UpstreamStateRecord(
            stateHash: TokenHash(of: "late").hex, requestId: request, providerId: corp.id, browserHash: "b", nonce: "n",
            codeVerifier: "v", startedAt: fixture.now, expiresAt: fixture.now + 600)
        try await store.saveUpstreamState(state)
        guard case .expired = try await store.claimUpstreamState(hash: state.stateHash, at: fixture.now + 600) else {
            Issue.record("expected expired")
            return
        }
        guard case .alreadyUsed = try await store.claimUpstreamState(hash: state.stateHash, at: fixture.now + 601) else {
            Issue.record("expected the expired state to be burned")
            return
        }
    }
}
