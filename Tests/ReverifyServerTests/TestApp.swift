import Foundation
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyServer
import ReverifyStore

/// A Reverify application on a temporary SQLite file, with one user and one confidential client.
/// Time comes from ``clock``, which the test advances by hand.
struct TestApp {
    static let password = "correct horse battery staple"
    static let redirect = "http://127.0.0.1:9999/cb"
    static let argon2 = Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)

    let directory: URL
    let store: SQLiteStore
    let services: Services
    let clock: TestClock
    let user: UserRecord
    let clientID: ClientID
    let clientSecret: String

    /// Where the file outbox mailer writes verification emails.
    var outbox: URL { directory.appendingPathComponent("mail") }

    /// - Parameters:
    ///   - issuer: `https://…` makes the cookies `Secure` and `__Host-` prefixed.
    ///   - configure: changes to the configuration.
    static func make(
        issuer: String = "http://127.0.0.1:9000", configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> TestApp {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reverify-http-\(UUID().uuidString)")
        let store = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
        var configuration = ServerConfiguration(issuer: issuer)
        configuration.argon2 = argon2
        configuration.mail.transport = .outbox(directory: directory.appendingPathComponent("mail").path)
        configure(&configuration)
        let clock = TestClock()
        let services = try await Services(configuration: configuration, store: store, time: clock)
        let now = services.time.now()
        // ES256 only: RSA key generation is slow and these tests do not need it.
        try await KeyRingProvider.rotate(store: store, now: now, algorithm: .es256)
        let user = UserRecord(
            id: UserID(rawValue: IdentifierGenerator.make(prefix: "usr")), email: "alice@example.com", name: "Alice",
            passwordHash: try await services.hasher.hash(password), createdAt: now, updatedAt: now)
        try await store.createUser(user)
        let secret = OpaqueToken.generate(prefix: "rvs")
        let client = StoredClient(
            record: ClientRecord(
                id: ClientID(rawValue: IdentifierGenerator.make(prefix: "cli")), name: "Test RP", secretHash: secret.hash.hex,
                tokenEndpointAuthMethod: .clientSecretBasic, createdAt: now),
            redirectURIs: [redirect], postLogoutRedirectURIs: [])
        try await store.createClient(client)
        return TestApp(
            directory: directory, store: store, services: services, clock: clock, user: user,
            clientID: client.record.id, clientSecret: secret.value)
    }

    /// Drives the router in memory; `live` serves it on a real 127.0.0.1 socket (for rules on the peer address).
    func run<T>(live: Bool = false, _ test: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = Application(
            router: ReverifyApplication.router(services: services),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(live ? .live : .router, test)
    }

    /// Another account with a password.
    func makeUser(email: String, password: String = TestApp.password, hasher: Argon2idHasher? = nil) async throws
        -> UserRecord
    {
        let now = clock.now()
        let user = UserRecord(
            id: UserID(rawValue: IdentifierGenerator.make(prefix: "usr")), email: email, name: nil,
            passwordHash: try await (hasher ?? services.hasher).hash(password), createdAt: now, updatedAt: now)
        try await store.createUser(user)
        return user
    }

    /// Another confidential client (`client_secret_basic`); returns its id and secret.
    func makeClient(redirectURIs: [String] = [TestApp.redirect]) async throws -> (id: ClientID, secret: String) {
        let secret = OpaqueToken.generate(prefix: "rvs")
        let client = StoredClient(
            record: ClientRecord(
                id: ClientID(rawValue: IdentifierGenerator.make(prefix: "cli")), name: "Other RP",
                secretHash: secret.hash.hex, tokenEndpointAuthMethod: .clientSecretBasic, createdAt: clock.now()),
            redirectURIs: redirectURIs, postLogoutRedirectURIs: [])
        try await store.createClient(client)
        return (client.record.id, secret.value)
    }

    func authorizeURI(_ extra: String = "") -> String {
        "/oauth2/authorize?response_type=code&client_id=\(clientID)&redirect_uri=\(Self.redirect)&scope=openid%20email&state=st&nonce=nn"
            + extra
    }

    var basicAuthorization: String {
        Self.basic(clientID, clientSecret)
    }

    static func basic(_ id: ClientID, _ secret: String) -> String {
        "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
    }

    /// The live session of `user` (there is one per browser that signed in).
    func sessions(of user: UserRecord? = nil) async throws -> [SessionRecord] {
        try await store.sessions(user: (user ?? self.user).id)
    }
}

/// A tiny cookie jar for driving the hosted pages through the router. Like a browser, every
/// `Set-Cookie` replaces the stored value, and an empty value or `Max-Age=0` deletes the cookie.
struct CookieJar {
    var values: [String: String] = [:]

    mutating func take(_ response: TestResponse) {
        for header in response.headers[values: .setCookie] {
            let attributes = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let pair = attributes[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let deleted = pair[1].isEmpty || attributes.dropFirst().contains { $0.lowercased() == "max-age=0" }
            values[String(pair[0])] = deleted ? nil : String(pair[1])
        }
    }

    var header: HTTPFields {
        values.isEmpty ? [:] : [.cookie: values.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var location: String { headers[.location] ?? "" }

    /// The JSON body, or empty when it is not a JSON object (the expectation then fails visibly).
    var jsonObject: [String: Any] { (try? json()) ?? [:] }

    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] ?? [:]
    }
}

func queryItem(_ name: String, in url: String) -> String? {
    URLComponents(string: url)?.queryItems?.first { $0.name == name }?.value
}

func formBody(_ fields: [String: String]) -> ByteBuffer {
    var c = URLComponents()
    c.queryItems = fields.map { URLQueryItem(name: $0.key, value: $0.value) }
    return ByteBuffer(string: c.percentEncodedQuery!.replacingOccurrences(of: "+", with: "%2B"))
}
