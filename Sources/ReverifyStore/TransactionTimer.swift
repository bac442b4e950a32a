import GRDB
import Metrics
import Synchronization

/// Records how long each database transaction stays open, from the end of its `BEGIN` to the end of its
/// `COMMIT` or `ROLLBACK` (issue 15.1: database transaction latency), as the histogram
/// `reverify_db_transaction_duration_seconds{kind="read"|"write", outcome="commit"|"rollback"}`.
/// Installed on every connection through SQLite's tracing (GRDB `trace(options: .profile)`), so no store
/// method has to time itself; a no-op until metrics are enabled.
public final class TransactionTimer: Sendable {
    private let begun = Mutex<(at: ContinuousClock.Instant, kind: String)?>(nil)
    /// Off until ``enable()``: reading a traced statement's SQL text (GRDB trims it) on every statement cost
    /// about 4% of a silent authorize in the issue 13 profile, for a histogram nobody was collecting.
    private static let enabled = Atomic<Bool>(false)

    /// Starts timing transactions (the server calls this when it bootstraps its metrics).
    public static func enable() {
        enabled.store(true, ordering: .releasing)
    }

    static func install(on db: Database) {
        let timer = TransactionTimer()
        db.trace(options: .profile) { event in
            guard enabled.load(ordering: .relaxed), case .profile(let statement, _) = event else { return }
            timer.finished(statement.sql)
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
