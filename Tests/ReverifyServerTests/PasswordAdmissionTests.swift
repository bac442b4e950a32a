import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import Testing

@testable import ReverifyServer

/// Issue 13: password verifications are admitted to the hashing pool through a bounded gate; when it is
/// full the sign-in is answered at once with 503 and Retry-After, and nothing counts against the account.
@Suite struct PasswordAdmissionTests {
    @Test func aFullHashingQueueAnswers503WithRetryAfterAndCountsNoGuess() async throws {
        let app = try await TestApp.make { $0.passwordQueueLimit = 0 }
        let gate = app.services.passwordGate
        #expect(gate.capacity == PasswordHashingPool.threads)
        // A flood in progress: every hashing thread is taken.
        for _ in 0..<gate.capacity { #expect(gate.tryEnter()) }
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let page = try await browser.open(app.authorizeURI())
            let fields = ["email": app.user.email, "password": TestApp.password]

            let refused = try await browser.submit(page, "/password", fields).response

            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "1")
            let counted = try await app.store.writer.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM verification_attempts WHERE outcome <> 'void'") ?? -1
            }
            #expect(counted == 0)
            #expect(try await app.store.sessions(user: app.user.id).isEmpty)
            #expect(gate.admittedCount == gate.capacity)
        }
    }

    @Test func theSameFormSignsInOnceAPlaceFreesUp() async throws {
        let app = try await TestApp.make { $0.passwordQueueLimit = 0 }
        let gate = app.services.passwordGate
        for _ in 0..<gate.capacity { #expect(gate.tryEnter()) }
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let page = try await browser.open(app.authorizeURI())
            let fields = ["email": app.user.email, "password": TestApp.password]
            #expect(try await browser.submit(page, "/password", fields).status == .serviceUnavailable)

            gate.leave()
            let retried = try await browser.submit(page, "/password", fields).response

            #expect(retried.status == .found)
            #expect(queryItem("code", in: retried.location) != nil)
            // The verification gave its place back.
            #expect(gate.admittedCount == gate.capacity - 1)
        }
    }
}
