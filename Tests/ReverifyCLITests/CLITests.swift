import Crypto
import Foundation
import ReverifyCore
import ReverifyStore
import XCTest

/// The administration CLI, run as an operator would.
final class CLITests: CLITestCase {
    func json(_ run: Run) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
    }

    func testMigrateCreatesTheDatabaseAndIsIdempotent() throws {
        let first = try reverify(["migrate"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("0001_foundation"))
        let second = try reverify(["migrate"])
        XCTAssertEqual(second.status, 0)
        XCTAssertTrue(second.stdout.contains("up to date"))
    }

    func testCommandsRefuseAMissingDatabaseInsteadOfCreatingOne() throws {
        let run = try reverify(["users", "list"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("no database"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: database))
    }

    func testServeRefusesBadOptionsBeforeCreatingTheDatabase() throws {
        let badOptions: [[String]] = [
            ["--magic-link-minutes", "0"], ["--session-idle-minutes", "600", "--session-max-hours", "1"],
            ["--acr-lifetime", "mfa=0"], ["--refresh-reuse-grace-seconds", "99"], ["--port", "70000"],
        ]
        for options in badOptions {
            let run = try reverify(["serve"] + options)
            XCTAssertNotEqual(run.status, 0, "\(options)")
            XCTAssertEqual(run.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count, 1, run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: database), "\(options) created the database")
        }
    }

    func testUserLifecycle() throws {
        try reverify(["migrate"])
        let created = try reverify(
            ["users", "create", "--email", "alice@example.com", "--name", "Alice", "--password-stdin", "--json"],
            stdin: "correct horse battery staple\n")
        XCTAssertEqual(created.status, 0, created.stderr)
        let user = try XCTUnwrap(json(created) as? [String: Any])
        XCTAssertEqual(user["email"] as? String, "alice@example.com")
        XCTAssertEqual(user["has_password"] as? Bool, true)
        XCTAssertNil(user["password_hash"], "the hash must never be printed")

        XCTAssertEqual(try reverify(["users", "disable", "alice@example.com"]).status, 0)
        let shown = try XCTUnwrap(json(try reverify(["users", "show", "alice@example.com", "--json"])) as? [String: Any])
        XCTAssertEqual(shown["disabled"] as? Bool, true)
        XCTAssertEqual(try reverify(["users", "enable", "alice@example.com"]).status, 0)
        XCTAssertEqual(try reverify(["users", "set-password", "alice@example.com", "--password-stdin"], stdin: "another long password").status, 0)
    }

    func testDuplicateEmailFailsWithOneLineAndChangesNothing() throws {
        try reverify(["migrate"])
        try reverify(["users", "create", "--email", "alice@example.com"])
        let duplicate = try reverify(["users", "create", "--email", "ALICE@example.com"])
        XCTAssertNotEqual(duplicate.status, 0)
        XCTAssertEqual(duplicate.stderr.split(separator: "\n").count, 1, duplicate.stderr)
        XCTAssertTrue(duplicate.stderr.contains("already exists"))
        let users = try XCTUnwrap(json(try reverify(["users", "list", "--json"])) as? [[String: Any]])
        XCTAssertEqual(users.count, 1)
    }

    func testInvalidEmailAndShortPasswordAreRefused() throws {
        try reverify(["migrate"])
        XCTAssertNotEqual(try reverify(["users", "create", "--email", "not-an-email"]).status, 0)
        let short = try reverify(["users", "create", "--email", "b@example.com", "--password-stdin"], stdin: "short")
        XCTAssertNotEqual(short.status, 0)
        XCTAssertTrue(short.stderr.contains("at least 8"))
        XCTAssertTrue(try reverify(["users", "list"]).stdout.contains("no users"))
    }

    /// SHA-256 of a secret, hex-encoded: what DESIGN 4 says is stored for client secrets.
    func sha256Hex(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The client's row as the store reads it (through the WAL, not just the main database file).
    func storedSecretHash(_ id: String) async throws -> String? {
        let store = try SQLiteStore(path: database)
        return try await store.client(id: ClientID(rawValue: id))?.record.secretHash
    }

    func testClientCreatePrintsTheSecretOnceAndStoresOnlyItsHash() async throws {
        try reverify(["migrate"])
        let created = try reverify([
            "clients", "create", "--name", "Billing", "--redirect-uri", "https://billing.example/cb",
            "--action", "billing.change=300", "--json",
        ])
        XCTAssertEqual(created.status, 0, created.stderr)
        let client = try XCTUnwrap(json(created) as? [String: Any])
        let secret = try XCTUnwrap(client["client_secret"] as? String)
        let id = try XCTUnwrap(client["client_id"] as? String)
        let shown = try reverify(["clients", "show", id, "--json"])
        XCTAssertFalse(shown.stdout.contains(secret))
        let storedHash = try await storedSecretHash(id)
        XCTAssertEqual(storedHash, sha256Hex(secret))
        XCTAssertNotEqual(storedHash, secret)
    }

    func testClientRotateSecretStoresOnlyTheNewSecretsHash() async throws {
        try reverify(["migrate"])
        let created = try XCTUnwrap(
            json(try reverify(["clients", "create", "--name", "Billing", "--redirect-uri", "https://billing.example/cb", "--json"]))
                as? [String: Any])
        let id = try XCTUnwrap(created["client_id"] as? String)

        let rotated = try XCTUnwrap(json(try reverify(["clients", "rotate-secret", id, "--json"])) as? [String: String])

        let secret = try XCTUnwrap(rotated["client_secret"])
        XCTAssertNotEqual(secret, created["client_secret"] as? String)
        let storedHash = try await storedSecretHash(id)
        XCTAssertEqual(storedHash, sha256Hex(secret))
    }

    func testClientDeleteRemovesIt() throws {
        try reverify(["migrate"])
        let created = try XCTUnwrap(
            json(try reverify(["clients", "create", "--name", "Billing", "--redirect-uri", "https://billing.example/cb", "--json"]))
                as? [String: Any])
        let id = try XCTUnwrap(created["client_id"] as? String)

        XCTAssertEqual(try reverify(["clients", "delete", id]).status, 0)

        XCTAssertNotEqual(try reverify(["clients", "show", id]).status, 0)
    }

    func testPublicClientHasNoSecret() throws {
        try reverify(["migrate"])
        let client = try XCTUnwrap(
            json(try reverify(["clients", "create", "--name", "SPA", "--redirect-uri", "http://localhost:5173/cb", "--public", "--json"]))
                as? [String: Any])
        XCTAssertNil(client["client_secret"])
        XCTAssertEqual(client["token_endpoint_auth_method"] as? String, "none")
    }

    func testMalformedRedirectURIIsRefused() throws {
        try reverify(["migrate"])
        for uri in ["not a uri", "http://example.com/cb", "https://app.example/cb#frag"] {
            let run = try reverify(["clients", "create", "--name", "X", "--redirect-uri", uri])
            XCTAssertNotEqual(run.status, 0, uri)
            XCTAssertTrue(run.stderr.contains("invalid redirect URI"), run.stderr)
        }
        XCTAssertTrue(try reverify(["clients", "list"]).stdout.contains("no clients"))
    }

    func testUnknownIdsFailCleanly() throws {
        try reverify(["migrate"])
        XCTAssertNotEqual(try reverify(["clients", "show", "cli_nope"]).status, 0)
        XCTAssertNotEqual(try reverify(["users", "show", "nobody@example.com"]).status, 0)
        XCTAssertNotEqual(try reverify(["sessions", "revoke", "ses_nope"]).status, 0)
    }

    func testKeyRotationKeepsTheOldKeyPublished() throws {
        try reverify(["migrate"])
        let first = try XCTUnwrap(json(try reverify(["keys", "rotate", "--json"])) as? [String: Any])
        let second = try XCTUnwrap(json(try reverify(["keys", "rotate", "--json"])) as? [String: Any])
        let keys = try XCTUnwrap(json(try reverify(["keys", "list", "--json"])) as? [[String: Any]])
        let status = Dictionary(uniqueKeysWithValues: keys.map { ($0["kid"] as! String, $0["status"] as! String) })
        XCTAssertEqual(status[second["kid"] as! String], "active")
        XCTAssertEqual(status[first["kid"] as! String], "retired")
        XCTAssertNotEqual(try reverify(["keys", "retire", second["kid"] as! String]).status, 0, "the active key cannot be retired")
        XCTAssertEqual(try reverify(["keys", "retire", first["kid"] as! String]).status, 0)
    }

    func testAFileThatIsNotAReverifyDatabaseIsRefused() throws {
        let other = directory.appendingPathComponent("notes.txt").path
        try "just some notes, definitely not SQLite, long enough for a header".write(toFile: other, atomically: true, encoding: .utf8)
        let run = try reverify(["migrate"], database: other)
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("not a Reverify database"), run.stderr)
        XCTAssertEqual(try String(contentsOfFile: other, encoding: .utf8), "just some notes, definitely not SQLite, long enough for a header")
    }

    func testAuditAndSessionsListOnAnEmptyDatabase() throws {
        try reverify(["migrate"])
        XCTAssertEqual(try json(try reverify(["audit", "--json"])) as? [Any] as? [String], [])
        XCTAssertEqual(try json(try reverify(["sessions", "list", "--json"])) as? [Any] as? [String], [])
    }
}
