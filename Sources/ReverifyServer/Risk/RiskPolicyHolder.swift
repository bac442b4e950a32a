import ReverifyCore
import Synchronization

/// The risk policy in force, replaced whole while the server runs (`SIGHUP` reloads `--policy FILE`).
public final class RiskPolicyHolder: Sendable {
    private let policy: Mutex<RiskPolicy>

    public init(_ policy: RiskPolicy) { self.policy = Mutex(policy) }

    public var current: RiskPolicy { policy.withLock { $0 } }

    /// Only a policy that validated reaches here; a bad file keeps the previous one (issue 11 "Bad input").
    public func replace(with newPolicy: RiskPolicy) { policy.withLock { $0 = newPolicy } }
}
