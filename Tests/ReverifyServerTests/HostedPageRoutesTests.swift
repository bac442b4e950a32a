import Foundation
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyCrypto
import Testing

/// Password verification on the hosted pages.
@Suite struct HostedPageRoutesTests {
    @Test func signInRehashesAPasswordStoredWithOtherParameters() async throws {
        let app = try await TestApp.make()
        let older = Argon2Parameters(memoryKiB: 2048, iterations: 2, parallelism: 1)
        #expect(older != TestApp.argon2)
        let bob = try await app.makeUser(email: "bob@example.com", hasher: Argon2idHasher(parameters: older))
        try await app.run { client in
            let browser = RouterBrowser(app, client)

            let result = try await browser.signIn(email: bob.email)

            #expect(queryItem("code", in: result.location) != nil)
            let stored = try #require(try await app.store.user(id: bob.id)?.passwordHash)
            #expect(stored != bob.passwordHash)
            #expect(Argon2idHasher.parameters(of: stored) == TestApp.argon2)
            #expect(await app.services.hasher.verify(TestApp.password, against: stored) == .valid)
        }
    }

    @Test func signInKeepsAPasswordAlreadyStoredWithTodaysParameters() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)

            let result = try await browser.signIn()

            #expect(queryItem("code", in: result.location) != nil)
            #expect(try await app.store.user(id: app.user.id)?.passwordHash == app.user.passwordHash)
        }
    }
}
