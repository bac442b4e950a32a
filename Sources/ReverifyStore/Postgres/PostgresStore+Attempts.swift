import GRDB
import ReverifyCore

extension PostgresStore {
    public func reserveAttempt(
        subject: String, kind: AttemptKind, ipAddress: String?, at now: UnixTime, policy: LockoutPolicy
    ) async throws -> AttemptReservation? {
        throw Self.notImplemented(#function)
    }

    public func settleAttempt(_ reservation: AttemptReservation, outcome: AttemptOutcome) async throws {
        throw Self.notImplemented(#function)
    }

    public func isLockedOut(subject: String, at now: UnixTime, policy: LockoutPolicy) async throws -> Bool {
        throw Self.notImplemented(#function)
    }

    public func reserveEmailSend(
        subject: String, ipAddress: String?, at now: UnixTime, limits: OneTimeCodePolicy, lockout: LockoutPolicy
    ) async throws -> EmailSendDecision {
        throw Self.notImplemented(#function)
    }
}
