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
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await passOnce()
            }
        }
        // Whatever the pool still writes while the server stops is checkpointed by SQLite again.
        try await checkpointer.handBack()
    }

    /// One pass; a failure is logged and the next pass tries again, never fatal to the server.
    func passOnce() async {
        do {
            _ = try await checkpointer.pass()
        } catch {
            logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"])
        }
    }
}
