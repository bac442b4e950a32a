import Foundation
import ReverifyCrypto
import XCTest

final class WebhookSignatureTests: XCTestCase {
    /// The test vector published by the Standard Webhooks project (standard-webhooks repository, the
    /// reference libraries' tests).
    func testStandardWebhooksPublishedVector() throws {
        let secret = try XCTUnwrap(WebhookSecret(encoded: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let header = WebhookSignature.header(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Data(#"{"test": 2432232314}"#.utf8),
            secrets: [secret])
        XCTAssertEqual(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    func testDuringRotationEverySecretSignsSpaceSeparated() throws {
        let old = try XCTUnwrap(WebhookSecret(encoded: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let new = WebhookSecret.generate()
        let body = Data(#"{"test": 2432232314}"#.utf8)
        let header = WebhookSignature.header(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body, secrets: [new, old])
        let parts = header.split(separator: " ")
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(parts[1], "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        XCTAssertTrue(parts[0].hasPrefix("v1,"))
        XCTAssertNotEqual(parts[0], parts[1])
    }

    func testAnyChangeToIdTimestampOrBodyChangesTheSignature() throws {
        let secret = try XCTUnwrap(WebhookSecret(encoded: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let base = WebhookSignature.sign(id: "msg_1", timestamp: 1, body: Data("{}".utf8), secret: secret)
        XCTAssertNotEqual(base, WebhookSignature.sign(id: "msg_2", timestamp: 1, body: Data("{}".utf8), secret: secret))
        XCTAssertNotEqual(base, WebhookSignature.sign(id: "msg_1", timestamp: 2, body: Data("{}".utf8), secret: secret))
        XCTAssertNotEqual(base, WebhookSignature.sign(id: "msg_1", timestamp: 1, body: Data("{ }".utf8), secret: secret))
    }

    func testGeneratedSecretsAreStandardWebhooksSecrets() throws {
        let secret = WebhookSecret.generate()
        XCTAssertTrue(secret.encoded.hasPrefix("whsec_"))
        XCTAssertEqual(secret.key.count, 32)
        XCTAssertEqual(WebhookSecret(encoded: secret.encoded), secret)
        XCTAssertNotEqual(WebhookSecret.generate(), secret)
        XCTAssertFalse("\(secret)".contains(secret.encoded.dropFirst(6)), "a secret never prints itself")
    }

    func testMalformedSecretsAreRefused() {
        XCTAssertNil(WebhookSecret(encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "prefix required")
        XCTAssertNil(WebhookSecret(encoded: "whsec_not base64!"))
        XCTAssertNil(WebhookSecret(encoded: "whsec_" + Data(repeating: 1, count: 8).base64EncodedString()), "too short a key")
    }
}
