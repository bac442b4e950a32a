import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

@Suite struct SecretsAtRestTests {
    let sealer = AESGCMSecretSealer(key: try! MasterKey(bytes: [UInt8](repeating: 3, count: 32)))
    let otherSealer = AESGCMSecretSealer(key: try! MasterKey(bytes: [UInt8](repeating: 4, count: 32)))
    static let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----"

    func path() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("reverify-sealed-\(UUID().uuidString)")
            .appendingPathComponent("db.sqlite").path
    }

    func rawColumn(_ path: String, _ sql: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: sql) }
    }

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

    @Test func signingKeyIsStoredSealedAndReadBackInTheClear() async throws {
        let path = path()
        let store = try SQLiteStore(path: path, sealer: sealer)
        try await store.addActiveSigningKey(SigningKeyRecord(kid: "k1", algorithm: "ES256", privateKeyPem: Self.pem, createdAt: UnixTime(1)))
        let raw = try rawColumn(path, "SELECT private_key_pem FROM signing_keys")
        #expect(raw.count == 1 && SealedValue.isSealed(raw[0]) && !raw[0].contains("BEGIN"))
        #expect(try await store.publishedSigningKeys().first?.privateKeyPem == Self.pem)
        #expect(try await store.allSigningKeys().first?.privateKeyPem == Self.pem)
    }

    @Test func webhookSecretsAreStoredSealedIncludingAfterRotation() async throws {
        let path = path()
        let store = try SQLiteStore(path: path, sealer: sealer)
        let endpoint = endpoint()
        try await store.createWebhookEndpoint(endpoint)
        try await store.rotateWebhookSecret(id: endpoint.id, newSecret: "whsec_bmV3LXNlY3JldA", previousValidUntil: UnixTime(2_000_000_000))
        let raw = try rawColumn(path, "SELECT secret || ' ' || previous_secret FROM webhook_endpoints")
        #expect(!raw[0].contains("whsec_"))
        let read = try #require(try await store.webhookEndpoint(id: endpoint.id))
        #expect(read.secret == "whsec_bmV3LXNlY3JldA")
        #expect(read.previousSecret == endpoint.secret)
        #expect(try await store.webhookEndpoints().first?.secret == "whsec_bmV3LXNlY3JldA")
    }

    @Test func upstreamClientSecretIsStoredSealed() async throws {
        let path = path()
        let store = try SQLiteStore(path: path, sealer: sealer)
        let provider = provider()
        try await store.createUpstreamProvider(provider)
        #expect(try rawColumn(path, "SELECT client_secret FROM upstream_providers").allSatisfy(SealedValue.isSealed))
        #expect(try await store.upstreamProvider(id: provider.id)?.clientSecret == "upstream-client-secret")
        #expect(try await store.upstreamProvider(name: "Corp")?.clientSecret == "upstream-client-secret")
        #expect(try await store.upstreamProviders().first?.clientSecret == "upstream-client-secret")
    }

    @Test func withoutASealerSecretsStayInTheClear() async throws {
        let path = path()
        let store = try SQLiteStore(path: path)
        try await store.createWebhookEndpoint(endpoint())
        #expect(try rawColumn(path, "SELECT secret FROM webhook_endpoints") == ["whsec_c2VjcmV0LWJ5dGVz"])
        #expect(try await store.secretInventory() == SecretInventory(sealed: 0, plaintext: 1))
    }

    @Test func sealedDatabaseRefusesToOpenWithoutAKey() async throws {
        let path = path()
        try await SQLiteStore(path: path, sealer: sealer).createWebhookEndpoint(endpoint())
        #expect(throws: StoreError.masterKeyRequired) { try SQLiteStore(path: path) }
    }

    @Test func sealedDatabaseRefusesToOpenWithAnotherKey() async throws {
        let path = path()
        try await SQLiteStore(path: path, sealer: sealer).createWebhookEndpoint(endpoint())
        #expect(throws: StoreError.masterKeyMismatch) { try SQLiteStore(path: path, sealer: otherSealer) }
    }

    @Test func sealingExistingSecretsEncryptsEveryPlaintextOne() async throws {
        let path = path()
        let plain = try SQLiteStore(path: path)
        try await plain.addActiveSigningKey(SigningKeyRecord(kid: "k1", algorithm: "ES256", privateKeyPem: Self.pem, createdAt: UnixTime(1)))
        try await plain.createWebhookEndpoint(endpoint())
        try await plain.createUpstreamProvider(provider())
        let keyed = try SQLiteStore(path: path, sealer: sealer)
        #expect(try await keyed.sealPlaintextSecrets() == 3)
        #expect(try await keyed.secretInventory() == SecretInventory(sealed: 3, plaintext: 0))
        #expect(try await keyed.publishedSigningKeys().first?.privateKeyPem == Self.pem)
        #expect(try await keyed.sealPlaintextSecrets() == 0)
    }

    @Test func resealingMovesEverySecretToTheNewKey() async throws {
        let path = path()
        let old = try SQLiteStore(path: path, sealer: sealer)
        try await old.addActiveSigningKey(SigningKeyRecord(kid: "k1", algorithm: "ES256", privateKeyPem: Self.pem, createdAt: UnixTime(1)))
        try await old.createWebhookEndpoint(endpoint())
        #expect(try await old.resealSecrets(with: otherSealer) == 2)
        #expect(throws: StoreError.masterKeyMismatch) { try SQLiteStore(path: path, sealer: sealer) }
        let new = try SQLiteStore(path: path, sealer: otherSealer)
        #expect(try await new.publishedSigningKeys().first?.privateKeyPem == Self.pem)
    }
}
