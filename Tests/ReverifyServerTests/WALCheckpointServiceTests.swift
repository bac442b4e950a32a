import Foundation
import GRDB
import Logging
@testable import ReverifyServer
import ReverifyStore
import ServiceLifecycle
import XCTest

/// `reverify serve` checkpoints SQLite's log beside the writer while it runs (issue 13).
final class WALCheckpointServiceTests: XCTestCase {
    func testTheWriterLeavesCheckpointsToTheServiceWhileItRunsAndTakesThemBackAfterShutdown() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reverify-ckpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("reverify.sqlite").path)
        let checkpointer = try XCTUnwrap(try store.walCheckpointer())
        let logger = Logger(label: "test")
        let group = ServiceGroup(
            services: [WALCheckpointService(checkpointer: checkpointer, interval: .milliseconds(5), logger: logger)],
            logger: logger)
        let running = Task { try await group.run() }

        var pages = try await checkpointer.writerAutomaticCheckpointPages()
        for _ in 0..<400 where pages != 0 {
            try await Task.sleep(for: .milliseconds(5))
            pages = try await checkpointer.writerAutomaticCheckpointPages()
        }
        XCTAssertEqual(pages, 0, "the service took the writer's checkpoints over")

        await group.triggerGracefulShutdown()
        try await running.value
        let after = try await checkpointer.writerAutomaticCheckpointPages()
        XCTAssertEqual(after, WALCheckpointer.automaticCheckpointPages)
    }
}

final class CheckpointHealthTests: XCTestCase {
    struct DiskFull: Error {}

    func testARunOfFailuresLogsOnceWhenItStartsAndOnceWhenItEnds() {
        let lines = CollectedLines()
        let sink = lines.sink
        let logger = Logger(label: "test") { JSONLogHandler(label: $0, sink: sink) }
        var health = CheckpointHealth()

        for outcome: (any Error)? in [nil, DiskFull(), DiskFull(), DiskFull(), nil, nil, DiskFull()] {
            health.record(outcome, logger: logger)
        }

        XCTAssertEqual(lines.objects.compactMap { $0["level"] as? String }, ["warning", "info", "warning"])
        XCTAssertTrue(health.failing)
    }
}
