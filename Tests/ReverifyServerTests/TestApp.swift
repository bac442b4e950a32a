import Foundation
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyServer
import ReverifyStore

/// A Reverify application on a temporary SQLite file, with one user and one confidential client.
struct TestApp {
    static let password = "correct horse battery staple"
    static let redirect = "http://127.0.0.1:9999/cb"

    let directory: URL
    let store: SQLiteStore
    let services: Services
    let user: UserRecord
    let clientID: ClientID
    let clientSecret: String

    /// - Parameters:
    ///   - time: the clock (a `TestClock` lets a test move time forward).
    ///   - configure: changes to the configuration (mail goes to `directory/mail` unless changed here).
    static func make(
        time: any TimeSource = SystemTimeSource(), configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> TestApp {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reverify-http-\(UUID().uuidString)")
        let store = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
        var configuration = ServerConfiguration(issuer: "http://127.0.0.1:9000")
        configuration.argon2 = Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)
        configuration.mail.transport = .outbox(directory: directory.appendingPathComponent("mail").path)
        configure(&configuration)
        let services = try await Services(configuration: configuration, store: store, time: time)
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
            directory: directory, store: store, services: services, user: user, clientID: client.record.id,
            clientSecret: secret.value)
    }

    func run<T>(_ test: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = Application(router: ReverifyApplication.router(services: services))
        return try await app.test(.router, test)
    }

    func authorizeURI(_ extra: String = "") -> String {
        "/oauth2/authorize?response_type=code&client_id=\(clientID)&redirect_uri=\(Self.redirect)&scope=openid%20email&state=st&nonce=nn"
            + extra
    }

    var basicAuthorization: String {
        "Basic " + Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
    }
}

/// A tiny cookie jar for driving the hosted pages through the router.
struct CookieJar {
    var values: [String: String] = [:]

    mutating func take(_ response: TestResponse) {
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            values[String(pair[0])] = String(pair[1])
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
