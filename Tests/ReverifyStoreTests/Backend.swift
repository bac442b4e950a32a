import Foundation
import ReverifyCore
@testable import ReverifyStore
import Synchronization
import Testing

/// The store backends every store test runs against (issue 14 item 4).
enum Backend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// SQLite always; PostgreSQL when `scripts/test` started a server (`REVERIFY_TEST_POSTGRES`).
    static var all: [Backend] {
        PostgresTestServer.adminURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }
}

/// The throwaway PostgreSQL server of `scripts/test`: each fixture gets a new database on it.
enum PostgresTestServer {
    static var adminURL: String? { ProcessInfo.processInfo.environment["REVERIFY_TEST_POSTGRES"] }

    private static let admin = Task<PostgresDatabase, any Error> {
        guard let url = adminURL else { throw StoreError.invalid("REVERIFY_TEST_POSTGRES is not set") }
        return try await PostgresDatabase.connect(try PostgresLocation(url: url), maximumConnections: 4)
    }

    /// A database migrated once per test process, copied for every fixture: `CREATE DATABASE … TEMPLATE` is a
    /// file copy, where running the migrations again for each of some 250 fixtures took most of the suite's time.
    private static let template = Task<String, any Error> {
        let location = try await freshDatabase()
        let store = try await PostgresStore.open(location, maximumConnections: 1)
        store.close()
        return location.database
    }

    /// At most this many PostgreSQL fixtures at once: Swift Testing starts every test together, and each
    /// opens a pool of its own (the server allows 400 connections).
    static let slots = TestSlots(6)

    /// A new database, empty or (`migrated`) at the current schema; its name is random.
    static func freshDatabase(migrated: Bool = false) async throws -> PostgresLocation {
        let admin = try await admin.value
        let name = "reverify_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        if migrated {
            let template = try await template.value
            // The template's last connection may still be closing: PostgreSQL refuses to copy it until then.
            for attempt in 1... {
                do {
                    try await admin.executeOutsideTransaction("CREATE DATABASE \(name) TEMPLATE \(template)")
                    break
                } catch where attempt < 100 && "\(error)".contains("55006") {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        } else {
            try await admin.executeOutsideTransaction("CREATE DATABASE \(name)")
        }
        var location = admin.location
        location.database = name
        return location
    }
}

/// A counting semaphore for tests.
final class TestSlots: Sendable {
    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state: Mutex<State>

    init(_ count: Int) { state = Mutex(State(free: count)) }

    func acquire() async {
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state in
                guard state.free > 0 else {
                    state.waiting.append(continuation)
                    return false
                }
                state.free -= 1
                return true
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}

/// One slot, given back once: by ``StoreFixture/remove()`` or, failing that, when the fixture is gone.
final class SlotPermit: Sendable {
    private let slots: TestSlots
    private let held = Mutex(true)

    init(_ slots: TestSlots) { self.slots = slots }

    func release() {
        if held.withLock({ held in defer { held = false }; return held }) { slots.release() }
    }

    deinit { release() }
}

@Suite struct BackendAvailabilityTests {
    /// Under CI the PostgreSQL half of the suite must run, never be skipped for want of a server.
    @Test func postgresRunsUnderCI() {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            #expect(PostgresTestServer.adminURL != nil, "scripts/test must start PostgreSQL (REVERIFY_TEST_POSTGRES)")
        }
    }
}
