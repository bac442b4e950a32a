import GRDB
import Metrics
import Synchronization

/// Records how long each database transaction stays open, from the end of its `BEGIN` to the end of its
/// `COMMIT` or `ROLLBACK` (issue 15.1: database transaction latency), as the histogram
/// `reverify_db_transaction_duration_seconds{kind="read"|"write", outcome="commit"|"rollback"}`.
/// Installed on every connection through SQLite's tracing (GRDB `trace(options: .profile)`), so no store
/// method has to time itself; a no-op until metrics are enabled.
final class TransactionTimer: Sendable {
    private let begun = Mutex<(at: ContinuousClock.Instant, kind: String)?>(nil)

    static func install(on db: Database) {
        let timer = TransactionTimer()
        db.trace(options: .profile) { event in
            if case .profile(let statement, _) = event { timer.finished(statement.sql) }
        }
    }

    func finished(_ sql: String) {
        if sql.hasPrefix("BEGIN") {
            // GRDB writes in IMMEDIATE (or EXCLUSIVE) transactions and reads in DEFERRED ones.
            let kind = sql.hasPrefix("BEGIN DEFERRED") ? "read" : "write"
            begun.withLock { $0 = (ContinuousClock.now, kind) }
        } else if sql.hasPrefix("COMMIT") || sql.hasPrefix("ROLLBACK") {
            guard let (at, kind) = begun.withLock({ value in defer { value = nil }; return value }) else { return }
            let elapsed = ContinuousClock.now - at
            Timer(
                label: "reverify_db_transaction_duration_seconds",
                dimensions: [("kind", kind), ("outcome", sql.hasPrefix("COMMIT") ? "commit" : "rollback")]
            ).recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
    }
}
