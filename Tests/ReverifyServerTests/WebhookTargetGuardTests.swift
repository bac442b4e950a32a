import ReverifyCore
@testable import ReverifyServer
import XCTest

final class WebhookTargetGuardTests: XCTestCase {
    func url(_ text: String) throws -> WebhookURL { try WebhookURL.parse(text).get() }

    func testOnePrivateAnswerIsEnoughToRefuse() throws {
        let target = try url("https://hooks.example/in")
        XCTAssertThrowsError(
            try WebhookTargetGuard.vet(target, addresses: [IPAddress("93.184.216.34")!, IPAddress("10.0.0.5")!])
        ) { error in
            XCTAssertTrue("\(error)".contains("10.0.0.5"), "\(error)")
            XCTAssertTrue("\(error)".contains("--allow-private"), "\(error)")
        }
        XCTAssertThrowsError(try WebhookTargetGuard.vet(target, addresses: []))
    }

    func testAllPublicAnswersPinTheFirst() throws {
        let addresses = [IPAddress("2606:4700::1111")!, IPAddress("1.1.1.1")!]
        XCTAssertEqual(try WebhookTargetGuard.vet(try url("https://hooks.example/in"), addresses: addresses), addresses[0])
    }

    func testLiteralAndResolvedPrivateTargetsAreRefusedAtConnectTime() async throws {
        for text in ["http://127.0.0.1:8080/", "http://[::1]/", "http://169.254.169.254/", "http://localhost:9/"] {
            do {
                _ = try await WebhookTargetGuard.check(try url(text), allowPrivate: false)
                XCTFail("\(text) was allowed")
            } catch {
                XCTAssertTrue(error is WebhookTargetGuard.Refusal, "\(text): \(error)")
            }
        }
    }

    func testAllowPrivateSkipsTheCheck() async throws {
        let pinned = try await WebhookTargetGuard.check(try url("http://127.0.0.1:8080/"), allowPrivate: true)
        XCTAssertNil(pinned, "the HTTP client connects as usual")
    }

    func testResolverReturnsLoopbackForLocalhost() async throws {
        let addresses = try await AddressResolver.resolve(host: "localhost", port: 80)
        XCTAssertFalse(addresses.isEmpty)
        XCTAssertTrue(addresses.allSatisfy { $0.scope == .loopback }, "\(addresses)")
        let literal = try await AddressResolver.resolve(host: "192.0.2.7", port: 80)
        XCTAssertEqual(literal, [IPAddress("192.0.2.7")!])
    }
}
