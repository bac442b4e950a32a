import Foundation
import XCTest

/// `reverify webhooks …` run as an operator would, against a temporary database (no server needed:
/// deliveries stay pending).
final class WebhooksCLITests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        XCTAssertEqual(try reverify(["migrate"]).status, 0)
    }

    func json(_ args: [String]) throws -> Any {
        let run = try reverify(args + ["--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
    }

    func add(_ extra: [String] = []) throws -> [String: Any] {
        try XCTUnwrap(
            json(["webhooks", "add", "--url", "http://127.0.0.1:9/hook", "--allow-private"] + extra) as? [String: Any])
    }

    func testAddPrintsTheSecretOnceAndListNeverDoes() throws {
        let endpoint = try add(["--events", "authentication.reauthenticated,session.revoked"])
        let secret = try XCTUnwrap(endpoint["secret"] as? String)
        XCTAssertTrue(secret.hasPrefix("whsec_"))
        XCTAssertEqual(endpoint["event_types"] as? [String], ["authentication.reauthenticated", "session.revoked"])
        let listed = try reverify(["webhooks", "list", "--json"])
        XCTAssertFalse(listed.stdout.contains(secret.dropFirst(6)))
        XCTAssertEqual((try json(["webhooks", "list"]) as? [[String: Any]])?.count, 1)
    }

    func testPrivateTargetsNeedAllowPrivate() throws {
        for url in ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://169.254.169.254/", "http://[fe80::1]/"] {
            let run = try reverify(["webhooks", "add", "--url", url])
            XCTAssertNotEqual(run.status, 0, url)
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains("--allow-private"), run.stderr)
        }
        XCTAssertTrue(try reverify(["webhooks", "list"]).stdout.contains("no webhook endpoints"))
    }

    func testBadInputIsOneLineAndChangesNothing() throws {
        let endpoint = try add()
        let id = try XCTUnwrap(endpoint["id"] as? String)
        for args in [
            ["webhooks", "add", "--url", "ftp://example.com/"],
            ["webhooks", "add", "--url", "http://127.0.0.1/", "--allow-private", "--events", "nope"],
            ["webhooks", "remove", "whe_nope"],
            ["webhooks", "rotate-secret", id, "--grace-hours", "9999"],
            ["webhooks", "replay", "evt_nope"],
            ["webhooks", "test", id, "--count", "0"],
        ] {
            let run = try reverify(args)
            XCTAssertNotEqual(run.status, 0, "\(args)")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, "\(args): \(run.stderr)")
        }
        XCTAssertEqual((try json(["webhooks", "list"]) as? [[String: Any]])?.count, 1)
        XCTAssertEqual((try json(["webhooks", "deliveries"]) as? [Any])?.count, 0)
    }

    func testTestEventsQueueOneDeliveryEachAndCanBeReplayed() throws {
        let id = try XCTUnwrap(try add()["id"] as? String)
        let events = try XCTUnwrap(json(["webhooks", "test", id, "--count", "3"]) as? [String])
        XCTAssertEqual(Set(events).count, 3)
        XCTAssertTrue(events.allSatisfy { $0.hasPrefix("evt_") })
        let deliveries = try XCTUnwrap(json(["webhooks", "deliveries", "--endpoint", id]) as? [[String: Any]])
        XCTAssertEqual(deliveries.count, 3)
        XCTAssertEqual(Set(deliveries.compactMap { $0["status"] as? String }), ["pending"])
        XCTAssertEqual(Set(deliveries.compactMap { $0["event_type"] as? String }), ["webhook.test"])
        let replay = try XCTUnwrap(json(["webhooks", "replay", events[0]]) as? [String: Any])
        XCTAssertEqual(replay["endpoints"] as? [String], [id])
    }

    func testRotationPrintsANewSecretAndTheGracePeriod() throws {
        let endpoint = try add()
        let id = try XCTUnwrap(endpoint["id"] as? String)
        let rotated = try XCTUnwrap(json(["webhooks", "rotate-secret", id, "--grace-hours", "2"]) as? [String: Any])
        XCTAssertNotEqual(rotated["secret"] as? String, endpoint["secret"] as? String)
        XCTAssertNotNil(rotated["previous_secret_expires_at"])
        XCTAssertEqual(try reverify(["webhooks", "remove", id]).status, 0)
        XCTAssertNotEqual(try reverify(["webhooks", "remove", id]).status, 0)
    }
}
