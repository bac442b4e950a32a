import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing
import Foundation


/// Emailed links and codes, on every backend (issue 14 item 4).
@Suite struct MagicLinkStoreTests {
    let policy = OneTimeCodePolicy()

    private func link(_ fixture: StoreFixture, _ id: String, request: AuthorizationRequestID, user: UserRecord, code: String, at: UnixTime? = nil)
        -> MagicLinkRecord
    {
        let t = at ?? fixture.now
        return MagicLinkRecord(
            id: id, requestId: request, userId: user.id, browserHash: "b", tokenHash: TokenHash(of: "token-\(id)").hex,
            codeHash: TokenHash(of: "\(id):\(code)").hex, createdAt: t, expiresAt: t + 600, ipAddress: "10.0.0.1",
            userAgent: "ua")
    }

    private func check(_ fixture: StoreFixture, _ request: AuthorizationRequestID, _ code: String, at: UnixTime? = nil) async throws -> CodeCheck {
        try await fixture.store.checkCode(
            request: request, codeHash: { TokenHash(of: "\($0):\(code)").hex }, policy: policy, at: at ?? fixture.now + 1)
    }

    @Test(arguments: Backend.all) func rightCodeIsAcceptedOnce(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await store.createMagicLink(link(fixture, "mgl_1", request: request, user: user, code: "123456"))
        guard case .accepted(let link) = try await check(fixture, request, "123456") else { Issue.record("not accepted"); return }
        #expect(link.consumedAt != nil)
        #expect(try await check(fixture, request, "123456") == .unusable(.used))
        #expect(try await store.consumeMagicLink(tokenHash: TokenHash(of: "token-mgl_1").hex, policy: policy, at: fixture.now + 2) == nil)
    }

    @Test(arguments: Backend.all) func fiveWrongCodesBurnTheCodeForGood(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await store.createMagicLink(link(fixture, "mgl_1", request: request, user: user, code: "123456"))
        for remaining in (0..<5).reversed() {
            #expect(try await check(fixture, request, "000000") == .wrong(remainingAttempts: remaining))
        }
        #expect(try await check(fixture, request, "123456") == .unusable(.burned))
    }

    @Test(arguments: Backend.all) func expiredCodeIsRefused(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await store.createMagicLink(link(fixture, "mgl_1", request: request, user: user, code: "123456"))
        #expect(try await check(fixture, request, "123456", at: fixture.now + 600) == .unusable(.expired))
    }

    @Test(arguments: Backend.all) func askingAgainSupersedesTheEarlierMessage(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await store.createMagicLink(link(fixture, "mgl_1", request: request, user: user, code: "111111"))
        try await store.createMagicLink(link(fixture, "mgl_2", request: request, user: user, code: "222222", at: fixture.now + 1))
        #expect(try await store.consumeMagicLink(tokenHash: TokenHash(of: "token-mgl_1").hex, policy: policy, at: fixture.now + 2) == nil)
        #expect(try await check(fixture, request, "111111", at: fixture.now + 2) == .wrong(remainingAttempts: 4))
        guard case .accepted = try await check(fixture, request, "222222", at: fixture.now + 3) else { Issue.record("not accepted"); return }
    }

    /// Two messages sent within one second: the second is the flow's newest, on PostgreSQL too (no rowid there).
    @Test(arguments: Backend.all) func askingAgainWithinASecondStillSupersedes(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        for (id, code) in [("mgl_b", "111111"), ("mgl_a", "222222")] {
            try await store.createMagicLink(link(fixture, id, request: request, user: user, code: code))
        }
        #expect(try await store.newestMagicLink(request: request)?.id == "mgl_a")
        #expect(try await check(fixture, request, "111111") == .wrong(remainingAttempts: 4))
        guard case .accepted = try await check(fixture, request, "222222") else { Issue.record("not accepted"); return }
        #expect(try await store.newestMagicLink(request: request)?.id == "mgl_a")
    }

    /// Ten simultaneous presentations of the right code, on two instances: it is accepted once.
    @Test(arguments: Backend.all) func parallelChecksAcceptTheCodeOnce(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let other = try await fixture.reopen()
        defer { (other as? PostgresStore)?.close() }
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await fixture.store.createMagicLink(link(fixture, "mgl_1", request: request, user: user, code: "123456"))
        let policy = policy
        let outcomes = try await withThrowingTaskGroup(of: CodeCheck.self) { group in
            for i in 0..<10 {
                let store = i.isMultiple(of: 2) ? fixture.store : other
                group.addTask {
                    try await store.checkCode(
                        request: request, codeHash: { TokenHash(of: "\($0):123456").hex }, policy: policy, at: fixture.now + 1)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .accepted = $0 { true } else { false } }.count == 1)
        #expect(outcomes.filter { $0 == .unusable(.used) }.count == 9)
    }
}
