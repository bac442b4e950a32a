import ReverifyCore
import Synchronization

/// A clock the test moves by hand, injected into `Services(time:)`, so rules about time (session expiry,
/// link lifetime, "auth_time never moves") are checked at exact instants instead of by sleeping.
final class TestClock: TimeSource {
    private let current: Mutex<Int64>

    /// Starts at a fixed, realistic instant; tokens it stamps are only ever checked against this clock.
    init(start: UnixTime = UnixTime(1_795_000_000)) {
        current = Mutex(start.rawValue)
    }

    func now() -> UnixTime { UnixTime(current.withLock { $0 }) }

    /// Moves time forward; every later `now()` sees the new instant.
    func advance(_ span: Seconds) {
        current.withLock { $0 += span.rawValue }
    }
}
