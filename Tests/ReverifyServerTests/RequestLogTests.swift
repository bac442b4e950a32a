import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ReverifyCore
@testable import ReverifyServer
import ReverifyStore
import Synchronization
import Testing

/// Lines a ``JSONLogHandler`` wrote, parsed back.
final class CollectedLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var objects: [[String: Any]] {
        all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    var sink: JSONLogHandler.Sink { JSONLogHandler.Sink { line in self.lines.withLock { $0.append(line) } } }
}

@Suite struct RequestLogTests {
    static let requestIDHeader = HTTPField.Name("X-Request-ID")!

    /// The test app's router, logging JSON into `lines`.
    func run<T>(_ app: TestApp, lines: CollectedLines, _ test: @Sendable (any TestClientProtocol) async throws -> T)
        async throws -> T
    {
        let sink = lines.sink
        var logger = Logger(label: "reverify") { label in JSONLogHandler(label: label, sink: sink) }
        logger.logLevel = .trace
        let services = try await Services(
            configuration: app.services.configuration, store: app.store, time: app.clock, logger: logger)
        let application = Application(
            router: ReverifyApplication.router(services: services),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await application.test(.router, test)
    }

    @Test func wellFormedRequestIDIsEchoed() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(uri: "/healthz", method: .get, headers: [Self.requestIDHeader: "lb-7f3a.x_1"]) { response in
                #expect(response.headers[Self.requestIDHeader] == "lb-7f3a.x_1")
            }
        }
    }

    @Test func malformedRequestIDIsReplacedNotEchoed() async throws {
        let app = try await TestApp.make()
        let hostile = "evil\" injected=1"
        try await app.run { client in
            try await client.execute(uri: "/healthz", method: .get, headers: [Self.requestIDHeader: hostile]) { response in
                let echoed = try #require(response.headers[Self.requestIDHeader])
                #expect(echoed != hostile)
                #expect(ReverifyCore.RequestID(rawValue: echoed) != nil)
            }
        }
    }

    @Test func requestWithoutIDGetsAGeneratedOne() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.headers[Self.requestIDHeader]?.count == 32)
            }
        }
    }

    @Test func errorResponsesCarryTheRequestID() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(uri: "/no-such-page", method: .get, headers: [Self.requestIDHeader: "r404"]) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[Self.requestIDHeader] == "r404")
            }
        }
    }

    @Test func auditRowsCarryTheRequestID() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let (path, csrf) = try await browser.startInteraction()
            var headers = browser.jar.header
            headers[.contentType] = "application/x-www-form-urlencoded"
            headers[Self.requestIDHeader] = "signin-req-1"
            let fields = ["csrf_token": csrf, "email": "alice@example.com", "password": TestApp.password]
            _ = try await client.execute(uri: path + "/password", method: .post, headers: headers, body: formBody(fields)) { $0 }
        }
        let rows = try await app.audit()
        #expect(!rows.isEmpty)
        #expect(rows.allSatisfy { $0.requestId == "signin-req-1" })
    }

    @Test func accessLineHasRouteStatusLatencyClientAndRequestID() async throws {
        let app = try await TestApp.make()
        let lines = CollectedLines()
        try await run(app, lines: lines) { client in
            let body = formBody(["grant_type": "refresh_token", "refresh_token": "rvr_not-a-real-token"])
            _ = try await client.execute(
                uri: "/oauth2/token", method: .post,
                headers: [.authorization: app.basicAuthorization, .contentType: "application/x-www-form-urlencoded",
                          Self.requestIDHeader: "tok-1"],
                body: body) { $0 }
        }
        let line = try #require(lines.objects.first { $0["request_id"] as? String == "tok-1" && $0["message"] as? String == "request" })
        #expect(line["route"] as? String == "/oauth2/token")
        #expect(line["status"] as? Int == 400)
        #expect(line["latency_ms"] is Double)
        #expect(line["client_id"] as? String == app.clientID.rawValue)
        #expect(line["level"] as? String == "info")
        #expect(line["time"] is String)
        // Neither the client secret nor the presented token appear anywhere.
        #expect(!lines.all.contains { $0.contains(app.clientSecret) || $0.contains("rvr_not-a-real-token") })
    }

    @Test func accessLineNamesTheRouteTemplateNotThePath() async throws {
        let app = try await TestApp.make()
        let lines = CollectedLines()
        try await run(app, lines: lines) { client in
            _ = try await client.execute(uri: "/reauth/magic/rvm_secret-link-token", method: .get) { $0 }
        }
        #expect(!lines.all.isEmpty)
        #expect(!lines.all.contains { $0.contains("rvm_secret-link-token") })
        #expect(lines.objects.contains { ($0["route"] as? String)?.hasPrefix("/reauth/magic/") == true })
    }

    @Test func signedInUserIsOnTheAccessLine() async throws {
        let app = try await TestApp.make()
        let lines = CollectedLines()
        _ = try await run(app, lines: lines) { client in
            try await RouterBrowser(app, client).signIn()
        }
        #expect(lines.objects.contains { $0["user_id"] as? String == app.user.id.rawValue })
    }
}

@Suite struct JSONLogHandlerTests {
    func logged(_ body: (Logger) -> Void) -> [String] {
        let lines = CollectedLines()
        let sink = lines.sink
        body(Logger(label: "test") { JSONLogHandler(label: $0, sink: sink) })
        return lines.all
    }

    @Test func eachEventIsOneJSONObjectOnOneLine() throws {
        let lines = logged { $0.info("two\nlines", metadata: ["k": "v"]) }
        #expect(lines.count == 1)
        #expect(!lines[0].contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["message"] as? String == "two\nlines")
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "test")
        #expect(object["k"] as? String == "v")
        #expect((object["time"] as? String)?.hasSuffix("Z") == true)
    }

    @Test func metadataCannotOverwriteTheFixedFields() throws {
        let lines = logged { $0.warning("real", metadata: ["message": "forged", "level": "debug"]) }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["message"] as? String == "real")
        #expect(object["level"] as? String == "warning")
        #expect(object["meta_message"] as? String == "forged")
    }

    @Test func eventsBelowTheLevelAreDropped() {
        let lines = logged { logger in
            var logger = logger
            logger.logLevel = .notice
            logger.info("quiet")
            logger.notice("loud")
        }
        #expect(lines.count == 1)
    }
}

@Suite struct MetricsNameTests {
    @Test func dottedMetricAndLabelNamesBecomePrometheusNames() {
        #expect(MetricsListener.sanitize("http.server.request.duration") == "http_server_request_duration")
        #expect(MetricsListener.sanitize("http.response.status_code") == "http_response_status_code")
        #expect(MetricsListener.sanitize("reverify_tokens_issued_total") == "reverify_tokens_issued_total")
    }
}
