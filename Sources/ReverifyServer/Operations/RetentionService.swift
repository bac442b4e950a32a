import Logging
import ReverifyCore
import ReverifyStore
import ServiceLifecycle

/// Runs ``Store/prune(_:)`` inside `reverify serve`: once at start, then every `interval`, until shutdown
/// (issue 9 item 5). `reverify prune` does the same once, for operators who prefer cron.
public struct RetentionService: Service {
    let store: any Store
    let policy: RetentionPolicy
    let interval: Duration
    let time: any TimeSource
    let logger: Logger

    public init(store: any Store, policy: RetentionPolicy, interval: Duration, time: any TimeSource, logger: Logger) {
        self.store = store
        self.policy = policy
        self.interval = interval
        self.time = time
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await pruneOnce()
                try await Task.sleep(for: interval)
            }
        }
    }

    /// One prune; a failure is logged and retried at the next interval, never fatal to the server.
    func pruneOnce() async {
        do {
            let report = try await store.prune(policy.cutoffs(at: time.now()))
            if report.total > 0 {
                logger.info("retention pruned rows", metadata: ["deleted": "\(report.total)"])
            }
        } catch {
            logger.warning("retention prune failed", metadata: ["error": "\(error)"])
        }
    }
}
