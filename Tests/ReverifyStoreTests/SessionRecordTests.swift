import ReverifyCore
import ReverifyStore
import Testing

/// When a stored session counts as live.
@Suite struct SessionRecordTests {
    static let start = UnixTime(1_795_000_000)

    func session(idleExpiresAt: UnixTime, expiresAt: UnixTime) -> SessionRecord {
        SessionRecord(
            id: SessionID(rawValue: "ses_test"), secretHash: "hash", userId: UserID(rawValue: "usr_test"),
            createdAt: Self.start, authTime: Self.start, amr: [.pwd], acr: .singleFactor,
            verifications: VerificationHistory([.password: Self.start]), ipAddress: nil, userAgent: nil, deviceId: nil,
            lastSeenAt: Self.start, idleExpiresAt: idleExpiresAt, expiresAt: expiresAt)
    }

    /// The absolute lifetime holds on its own, even for a row whose idle expiry lies beyond it
    /// (written before a shorter `--session-max-hours`, or by a store that did not cap it).
    @Test func sessionPastItsAbsoluteExpiryIsInactiveWithIdleTimeLeft() {
        let record = session(idleExpiresAt: Self.start + .hours(2), expiresAt: Self.start + .hours(1))

        #expect(record.isActive(at: Self.start + Seconds(3599)))
        #expect(!record.isActive(at: Self.start + .hours(1)))
    }

    @Test func sessionPastItsIdleExpiryIsInactiveBeforeItsAbsoluteExpiry() {
        let record = session(idleExpiresAt: Self.start + .hours(1), expiresAt: Self.start + .days(7))

        #expect(!record.isActive(at: Self.start + .hours(1)))
    }
}
