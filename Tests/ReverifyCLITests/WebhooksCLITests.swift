import Foundation
import XCTest

/// `reverify webhooks …` run as an operator would, against a temporary database (no server needed:
/// deliveries stay pending).
final class WebhooksCLITests: XCTestCase {
    var directory: URL!
    var database: String { directory.appendingPathComponent("cli.sqlite").path }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reverify-cli-wh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        XCTAssertEqual(try reverify(["migrate"]).status, 0)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    var binary: URL {
        if let path = ProcessInfo.processInfo.environment["REVERIFY_BIN"] { return URL(fileURLWithPath: path) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("reverify").path) && dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("reverify")
    }

    @discardableResult
    func reverify(_ args: [String]) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = args + ["--database", database]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: stdout, stderr: stderr)
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
        let replay = try XCTUnwrap(json(["webhooks", "replay", events[0]]) as? [String: String])
        XCTAssertEqual(replay["endpoints"], id)
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
