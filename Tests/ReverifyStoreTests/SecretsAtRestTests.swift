import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

/// Secrets at rest (issue 15.3), on every backend (issue 14): the raw columns hold sealed values, the store
/// hands them back in the clear, and a database refuses to open without the key that sealed it.
@Suite struct SecretsAtRestTests {
    let sealer = AESGCMSecretSealer(key: try! MasterKey(bytes: [UInt8](repeating: 3, count: 32)))
    let otherSealer = AESGCMSecretSealer(key: try! MasterKey(bytes: [UInt8](repeating: 4, count: 32)))
    static let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----"

    func endpoint(secret: String = "whsec_c2VjcmV0LWJ5dGVz") -> WebhookEndpointRecord {
        WebhookEndpointRecord(
            id: WebhookEndpointID(rawValue: IdentifierGenerator.make(prefix: "whe")), url: "https://rp.example/hook",
            eventTypes: nil, allowPrivate: false, secret: secret, createdAt: UnixTime(1_795_000_000))
    }

    func provider() -> UpstreamProviderRecord {
        UpstreamProviderRecord(
            id: UpstreamProviderID(rawValue: IdentifierGenerator.make(prefix: UpstreamProviderID.prefix)), name: "Corp",
            issuer: "https://idp.example", clientId: "rp", clientSecret: "upstream-client-secret", scope: "openid",
            emailDomains: [], createdAt: UnixTime(1_795_000_000))
    }

    /// Another store on the fixture's database (as the CLI would open it), closed after `body`.
    func reopened<T>(_ fixture: StoreFixture, sealer: (any SecretSealing)?, _ body: (any Store) async throws -> T)
        async throws -> T
    {
        let store = try await fixture.reopen(sealer: sealer)
        defer { (store as? PostgresStore)?.close() }
        return try await body(store)
    }

    @Test(arguments: Backend.all) func signingKeyIsStoredSealedAndReadBackInTheClear(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend, sealer: sealer)
        defer { fixture.remove() }
        let store = fixture.store
        try await store.addActiveSigningKey(SigningKeyRecord(kid: "k1", algorithm: "ES256", privateKeyPem: Self.pem, createdAt: UnixTime(1)))
        let raw = try await fixture.strings("SELECT private_key_pem FROM signing_keys")
        #expect(raw.count == 1 && SealedValue.isSealed(raw[0]) && !raw[0].contains("BEGIN"))
        #expect(try await store.publishedSigningKeys().first?.privateKeyPem == Self.pem)
        #expect(try await store.allSigningKeys().first?.privateKeyPem == Self.pem)
    }

    @Test(arguments: Backend.all) func webhookSecretsAreStoredSealedIncludingAfterRotation(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend, sealer: sealer)
        defer { fixture.remove() }
        let store = fixture.store
        let endpoint = endpoint()
        try await store.createWebhookEndpoint(endpoint)
        try await store.rotateWebhookSecret(id: endpoint.id, newSecret: "whsec_bmV3LXNlY3JldA", previousValidUntil: UnixTime(2_000_000_000))
        let raw = try await fixture.strings("SELECT secret || ' ' || previous_secret FROM webhook_endpoints")
        #expect(!raw[0].contains("whsec_"))
        let read = try #require(try await store.webhookEndpoint(id: endpoint.id))
        #expect(read.secret == "whsec_bmV3LXNlY3JldA")
        #expect(read.previousSecret == endpoint.secret)
        #expect(try await store.webhookEndpoints().first?.secret == "whsec_bmV3LXNlY3JldA")
    }

    @Test(arguments: Backend.all) func upstreamClientSecretIsStoredSealed(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend, sealer: sealer)
        defer { fixture.remove() }
        let store = fixture.store
        let provider = provider()
        try await store.createUpstreamProvider(provider)
        #expect(try await fixture.strings("SELECT client_secret FROM upstream_providers").allSatisfy(SealedValue.isSealed))
        #expect(try await store.upstreamProvider(id: provider.id)?.clientSecret == "upstream-client-secret")
        #expect(try await store.upstreamProvider(name: "Corp")?.clientSecret == "upstream-client-secret")
        #expect(try await store.upstreamProviders().first?.clientSecret == "upstream-client-secret")
    }

    @Test(arguments: Backend.all) func withoutASealerSecretsStayInTheClear(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        try await store.createWebhookEndpoint(endpoint())
        #expect(try await fixture.strings("SELECT secret FROM webhook_endpoints") == ["whsec_c2VjcmV0LWJ5dGVz"])
        #expect(try await store.secretInventory() == SecretInventory(sealed: 0, plaintext: 1))
    }

    @Test(arguments: Backend.all) func sealedDatabaseRefusesToOpenWithoutAKey(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend, sealer: sealer)
        defer { fixture.remove() }
        try await fixture.store.createWebhookEndpoint(endpoint())
        await #expect(throws: StoreError.masterKeyRequired) { try await reopened(fixture, sealer: nil) { _ in } }
    }

    @Test(arguments: Backend.all) func sealedDatabaseRefusesToOpenWithAnotherKey(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend, sealer: sealer)
        defer { fixture.remove() }
        try await fixture.store.createWebhookEndpoint(endpoint())
        await #expect(throws: StoreError.masterKeyMismatch) { try await reopened(fixture, sealer: otherSealer) { _ in } }
    }

    @Test(arguments: Backend.all) func sealingExistingSecretsEncryptsEveryPlaintextOne(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let plain = fixture.store
        try await plain.addActiveSigningKey(SigningKeyRecord(kid: "k1", algorithm: "ES256", privateKeyPem: Self.pem, createdAt: UnixTime(1)))
        try await plain.createWebhookEndpoint(endpoint())
        try await plain.createUpstreamProvider(provider())
        let keyed = try await fixture.reopen(sealer: sealer)
        defer { (keyed as? PostgresStore)?.close() }
        #expect(try await keyed.sealPlaintextSecrets() == 3)
        #expect(try await keyed.secretInventory() == SecretInventory(sealed: 3, plaintext: 0))
        #expect(try await keyed.publishedSigningKeys().first?.privateKeyPem == Self.pem)
        #expect(try await keyed.sealPlaintextSecrets() == 0)
    }

    @Test(arguments: Backend.all) func resealingMovesEverySecretToTheNewKey(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend, sealer: sealer)
        defer { fixture.remove() }
        let old = fixture.store
        try await old.addActiveSigningKey(SigningKeyRecord(kid: "k1", algorithm: "ES256", privateKeyPem: Self.pem, createdAt: UnixTime(1)))
        try await old.createWebhookEndpoint(endpoint())
        #expect(try await old.resealSecrets(with: otherSealer) == 2)
        await #expect(throws: StoreError.masterKeyMismatch) { try await reopened(fixture, sealer: sealer) { _ in } }
        let new = try await fixture.reopen(sealer: otherSealer)
        defer { (new as? PostgresStore)?.close() }
        #expect(try await new.publishedSigningKeys().first?.privateKeyPem == Self.pem)
    }
}
