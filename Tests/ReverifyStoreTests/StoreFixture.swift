import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore

/// A store on a real SQLite file in a fresh temporary folder.
struct StoreFixture {
    let directory: URL
    let path: String
    let store: SQLiteStore
    let now = UnixTime(1_795_000_000)

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reverify-\(UUID().uuidString)")
        path = directory.appendingPathComponent("test.sqlite").path
        store = try SQLiteStore(path: path)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    func user(_ email: String = "alice@example.com") async throws -> UserRecord {
        let user = UserRecord(
            id: UserID(rawValue: IdentifierGenerator.make(prefix: "usr")), email: email, name: nil, passwordHash: nil,
            createdAt: now, updatedAt: now)
        try await store.createUser(user)
        return user
    }

    func client() async throws -> StoredClient {
        let client = StoredClient(
            record: ClientRecord(
                id: ClientID(rawValue: IdentifierGenerator.make(prefix: "cli")), name: "RP", secretHash: nil,
                tokenEndpointAuthMethod: .none, createdAt: now),
            redirectURIs: ["https://rp.example/cb", "https://rp.example/cb2"], postLogoutRedirectURIs: ["https://rp.example/"])
        try await store.createClient(client)
        return client
    }

    func session(for user: UserRecord, authTime: UnixTime? = nil) async throws -> SessionRecord {
        let session = SessionRecord(
            id: SessionID(rawValue: IdentifierGenerator.make(prefix: "ses")), secretHash: OpaqueToken.generate().hash.hex,
            userId: user.id, createdAt: now, authTime: authTime ?? now, amr: [.pwd], acr: .singleFactor,
            verifications: VerificationHistory([.password: now]), ipAddress: "127.0.0.1", userAgent: "test",
            deviceId: nil, lastSeenAt: now, idleExpiresAt: now + .hours(1), expiresAt: now + .days(1))
        try await store.createSession(
            session, audit: AuditRecord(at: now, event: .signIn, outcome: .success, userId: user.id, sessionId: session.id))
        return session
    }

    /// A pending sign-in flow for a fresh client, as the authorization endpoint would store it.
    func pendingRequest() async throws -> AuthorizationRequestID {
        let client = try await client()
        let request = AuthorizeRequest(
            clientID: client.record.id, redirectURI: "https://rp.example/cb", scopes: ["openid"], state: nil, nonce: nil,
            codeChallenge: nil, maxAge: nil, prompt: PromptSet(), idTokenHint: nil, loginHint: nil, acrValues: [], action: nil,
            receivedAt: now)
        let id = AuthorizationRequestID(rawValue: IdentifierGenerator.make(prefix: "req"))
        try await store.saveAuthorizationRequest(
            AuthorizationRequestRecord(
                id: id, browserHash: "b", csrfHash: "c", clientId: client.record.id, request: request, sessionId: nil,
                pinnedUserId: nil, reason: .noSession, createdAt: now, expiresAt: now + 900))
        return id
    }

    func code(client: StoredClient, session: SessionRecord, minAuthTime: UnixTime? = nil, scope: String = "openid") async throws
        -> AuthorizationCodeRecord
    {
        let code = AuthorizationCodeRecord(
            codeHash: OpaqueToken.generate().hash.hex, clientId: client.record.id, redirectUri: "https://rp.example/cb",
            sessionId: session.id, userId: session.userId, scope: scope, nonce: "n", codeChallenge: nil,
            minAuthTime: minAuthTime, createdAt: now, expiresAt: now + 60)
        try await store.insertCode(code)
        return code
    }

    var replayAudit: AuditRecord { AuditRecord(at: now, event: .codeReplay, outcome: .failure, reason: "code_replay") }
    var reuseAudit: AuditRecord { AuditRecord(at: now, event: .refreshTokenReuse, outcome: .failure, reason: "refresh_reuse") }

    func issuance(at time: UnixTime? = nil) -> (TokenIssuance, refreshHash: String) {
        let grant = GrantID(rawValue: IdentifierGenerator.make(prefix: "grt"))
        let refresh = OpaqueToken.generate().hash.hex
        let t = time ?? now
        return (
            TokenIssuance(
                grantID: grant,
                refreshToken: RefreshTokenRecord(tokenHash: refresh, grantId: grant, parentHash: nil, createdAt: t, expiresAt: t + .days(1)),
                accessToken: AccessTokenRecord(jti: IdentifierGenerator.make(prefix: "at"), grantId: grant, expiresAt: t + 600)),
            refresh
        )
    }
}
