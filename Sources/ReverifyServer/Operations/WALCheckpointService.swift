import Logging
import ReverifyStore
import ServiceLifecycle

/// Runs a ``WALCheckpointer`` inside `reverify serve` (issue 13): the SQLite writer stops checkpointing at
/// start, a pass runs every `interval` until shutdown, and the writer checkpoints by itself again after.
public struct WALCheckpointService: Service {
    let checkpointer: WALCheckpointer
    let interval: Duration
    let logger: Logger

    public init(checkpointer: WALCheckpointer, interval: Duration = .milliseconds(100), logger: Logger) {
        self.checkpointer = checkpointer
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await checkpointer.takeOver()
        try? await cancelWhenGracefulShutdown {
            var health = CheckpointHealth()
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                // A failed pass is retried at the next one, never fatal to the server.
                do {
                    _ = try await checkpointer.pass()
                    health.record(nil, logger: logger)
                } catch {
                    health.record(error, logger: logger)
                }
            }
        }
        // Whatever the pool still writes while the server stops is checkpointed by SQLite again.
        try await checkpointer.handBack()
    }
}

/// Logs a checkpoint failure once when a run of them starts and once when it ends, not every pass: a full or
/// failing disk would otherwise write ten warnings a second.
struct CheckpointHealth {
    private(set) var failing = false

    mutating func record(_ error: (any Error)?, logger: Logger) {
        switch (error, failing) {
        case (let error?, false):
            logger.warning("WAL checkpoints are failing; the log grows until one succeeds", metadata: ["error": "\(error)"])
            failing = true
        case (nil, true):
            logger.info("WAL checkpoints succeed again")
            failing = false
        default:
            break
        }
    }
}
