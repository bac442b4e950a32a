import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the risk policy file on `SIGHUP` (issue 11, item 2). A file that does not validate keeps the
/// previous policy and logs one clear line.
public struct RiskPolicyReloader: Service {
    let path: String
    let holder: RiskPolicyHolder
    let logger: Logger

    public init(path: String, holder: RiskPolicyHolder, logger: Logger) {
        self.path = path
        self.holder = holder
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                holder.replace(with: try RiskPolicyFile.load(path))
                logger.notice("risk policy reloaded", metadata: ["file": "\(path)"])
            } catch {
                logger.error("risk policy not reloaded, the previous one stays: \(error)")
            }
        }
    }
}
