import Synchronization

/// Admits at most `capacity` pieces of work at once and refuses the rest at the door, so a flood waits
/// in no queue that grows without bound (issue 13: Argon2id verifications during a password flood are
/// answered `503` with `Retry-After` once the hashing pool and its bounded queue are full).
public final class AdmissionGate: Sendable {
    public let capacity: Int
    private let admitted = Atomic<Int>(0)

    public init(capacity: Int) {
        precondition(capacity >= 0, "an admission gate's capacity cannot be negative")
        self.capacity = capacity
    }

    /// Admits one piece of work if there is room. Every `true` must be matched by one ``leave()``.
    public func tryEnter() -> Bool {
        var current = admitted.load(ordering: .relaxed)
        while current < capacity {
            let (exchanged, original) = admitted.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Frees the place of one admitted piece of work.
    public func leave() {
        let before = admitted.subtract(1, ordering: .acquiringAndReleasing).oldValue
        precondition(before > 0, "left an admission gate that nothing had entered")
    }

    /// How many are admitted now.
    public var admittedCount: Int { admitted.load(ordering: .relaxed) }
}
