import Foundation
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyCrypto
import ReverifyStore
import Testing

/// DESIGN 2: re-authentication re-verifies THE SAME user. Whatever a method proves about another
/// account is refused, leaves the session untouched, and is audited.
@Suite struct SameUserPinningTests {
    @Test func anotherUsersPasswordOnConfirmItsYouIsRefusedAndChangesNothing() async throws {
        let app = try await TestApp.make()
        let bob = try await app.makeUser(email: "bob@example.com", password: "bob's own long password")
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let before = try #require(try await app.sessions().first)
            app.clock.advance(120)

            let page = try await browser.open(app.authorizeURI("&prompt=login"))
            #expect(page.text.contains("Confirm it"))
            let result = try await browser.submit(
                page, "/password", ["email": bob.email, "password": "bob's own long password"])

            #expect(result.status == .unauthorized)
            #expect(queryItem("code", in: result.location) == nil)
            let after = try #require(try await app.store.session(id: before.id))
            #expect(after.authTime == before.authTime)
            #expect(after.userId == app.user.id)
            let reauths = try await app.audit().filter { $0.event == .reauthentication }
            #expect(reauths.map(\.outcome) == [.failure])
            #expect(try await app.audit(of: bob).allSatisfy { $0.outcome != .success })
        }
    }

    @Test func pinnedSignInWithAnotherUserTypedIsSubjectMismatch() async throws {
        let app = try await TestApp.make()
        let bob = try await app.makeUser(email: "bob@example.com", password: "bob's own long password")
        try await app.run { client in
            let first = RouterBrowser(app, client)
            let hint = try #require(try await first.signInAndRedeem()["id_token"] as? String)
            let sessionsBefore = try await app.sessions().count

            // A browser with no session, sent here with Alice's id_token_hint: the sign-in is pinned to Alice.
            let other = RouterBrowser(app, client)
            let page = try await other.open(app.authorizeURI("&id_token_hint=\(hint)"))
            #expect(page.text.contains("Sign in"))
            let result = try await other.submit(
                page, "/password", ["email": bob.email, "password": "bob's own long password"])

            #expect(result.status == .unauthorized)
            #expect(result.text.contains("Sign in as alice@example.com"))
            #expect(other.sessionCookie == nil)
            #expect(try await app.sessions(of: bob).isEmpty)
            #expect(try await app.sessions().count == sessionsBefore)
            let refusal = try #require(try await app.audit().first)
            #expect(refusal.event == .signIn && refusal.outcome == .failure && refusal.reason == "subject_mismatch")
        }
    }

    @Test func magicLinkForAnotherUserCannotCompleteThisUsersFlow() async throws {
        let app = try await TestApp.make()
        let bob = try await app.makeUser(email: "bob@example.com")
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let before = try #require(try await app.sessions().first)
            app.clock.advance(120)
            let flowID = try #require(try await browser.open(app.authorizeURI("&prompt=login")).flowID)
            let flow = try #require(try await app.store.authorizationRequest(id: flowID))
            // A link that proves Bob's mailbox, bound to Alice's pending flow and browser. No route mints
            // one (sending is pinned to the flow's user); this is the last line of defence if one ever did.
            let token = OpaqueToken.generate(prefix: "rvm")
            let now = app.clock.now()
            try await app.store.createMagicLink(
                MagicLinkRecord(
                    id: IdentifierGenerator.make(prefix: "mgl"), requestId: flowID, userId: bob.id,
                    browserHash: flow.browserHash, tokenHash: token.hash.hex, codeHash: "unused", createdAt: now,
                    expiresAt: now + 600, ipAddress: nil, userAgent: nil))

            let confirmation = try await browser.get("/reauth/magic/\(token.value)")
            #expect(confirmation.status == .ok)
            let result = try await browser.post("/reauth/magic/\(token.value)", ["csrf_token": try csrf(in: confirmation)])

            #expect(result.status == .forbidden)
            #expect(result.text.contains("different account"))
            #expect(try await app.store.session(id: before.id)?.authTime == before.authTime)
            #expect(try await app.sessions(of: bob).isEmpty)
            let refusal = try #require(try await app.audit(of: bob).first)
            #expect(refusal.event == .reauthentication && refusal.outcome == .failure && refusal.reason == "subject_mismatch")
            #expect(try await app.audit().allSatisfy { !($0.event == .reauthentication && $0.outcome == .success) })
        }
    }

    @Test func emailOnConfirmItsYouGoesToTheSessionUserWhateverIsTyped() async throws {
        let app = try await TestApp.make()
        let bob = try await app.makeUser(email: "bob@example.com")
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let page = try await browser.open(app.authorizeURI("&prompt=login"))

            let check = try await browser.submit(page, "/email", ["email": bob.email])

            #expect(check.status == .ok)
            let flow = try #require(check.flowID)
            #expect(try await app.store.newestMagicLink(request: flow)?.userId == app.user.id)
        }
    }

    @Test func pinnedSignInSendsNoEmailForAnotherTypedAddress() async throws {
        let app = try await TestApp.make()
        let bob = try await app.makeUser(email: "bob@example.com")
        try await app.run { client in
            let first = RouterBrowser(app, client)
            let hint = try #require(try await first.signInAndRedeem()["id_token"] as? String)
            let other = RouterBrowser(app, client)
            let page = try await other.open(app.authorizeURI("&id_token_hint=\(hint)"))

            let refused = try await other.submit(page, "/email", ["email": bob.email])

            #expect(refused.status == .unauthorized)
            #expect(refused.text.contains("Sign in as alice@example.com"))
            let flow = try #require(refused.flowID)
            #expect(try await app.store.newestMagicLink(request: flow) == nil)
        }
    }
}
