import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing
import Foundation


@Suite final class MagicLinkStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.sqliteStore }
    let policy = OneTimeCodePolicy()

    init() throws { fixture = try StoreFixture() }
    deinit { fixture.remove() }

    private func link(_ id: String, request: AuthorizationRequestID, user: UserRecord, code: String, at: UnixTime? = nil)
        -> MagicLinkRecord
    {
        let t = at ?? fixture.now
        return MagicLinkRecord(
            id: id, requestId: request, userId: user.id, browserHash: "b", tokenHash: TokenHash(of: "token-\(id)").hex,
            codeHash: TokenHash(of: "\(id):\(code)").hex, createdAt: t, expiresAt: t + 600, ipAddress: "10.0.0.1",
            userAgent: "ua")
    }

    private func check(_ request: AuthorizationRequestID, _ code: String, at: UnixTime? = nil) async throws -> CodeCheck {
        try await store.checkCode(
            request: request, codeHash: { TokenHash(of: "\($0):\(code)").hex }, policy: policy, at: at ?? fixture.now + 1)
    }

    @Test func rightCodeIsAcceptedOnce() async throws {
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await store.createMagicLink(link("mgl_1", request: request, user: user, code: "123456"))
        guard case .accepted(let link) = try await check(request, "123456") else { Issue.record("not accepted"); return }
        #expect(link.consumedAt != nil)
        #expect(try await check(request, "123456") == .unusable(.used))
        #expect(try await store.consumeMagicLink(tokenHash: TokenHash(of: "token-mgl_1").hex, policy: policy, at: fixture.now + 2) == nil)
    }

    @Test func fiveWrongCodesBurnTheCodeForGood() async throws {
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await store.createMagicLink(link("mgl_1", request: request, user: user, code: "123456"))
        for remaining in (0..<5).reversed() {
            #expect(try await check(request, "000000") == .wrong(remainingAttempts: remaining))
        }
        #expect(try await check(request, "123456") == .unusable(.burned))
    }

    @Test func expiredCodeIsRefused() async throws {
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await store.createMagicLink(link("mgl_1", request: request, user: user, code: "123456"))
        #expect(try await check(request, "123456", at: fixture.now + 600) == .unusable(.expired))
    }

    @Test func askingAgainSupersedesTheEarlierMessage() async throws {
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await store.createMagicLink(link("mgl_1", request: request, user: user, code: "111111"))
        try await store.createMagicLink(link("mgl_2", request: request, user: user, code: "222222", at: fixture.now + 1))
        #expect(try await store.consumeMagicLink(tokenHash: TokenHash(of: "token-mgl_1").hex, policy: policy, at: fixture.now + 2) == nil)
        #expect(try await check(request, "111111", at: fixture.now + 2) == .wrong(remainingAttempts: 4))
        guard case .accepted = try await check(request, "222222", at: fixture.now + 3) else { Issue.record("not accepted"); return }
    }
}
