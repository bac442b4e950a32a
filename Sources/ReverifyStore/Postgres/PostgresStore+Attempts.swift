import GRDB
import ReverifyCore

/// Verification attempts, lockout and email send limits: the PostgreSQL twins of `SQLiteStore+Attempts.swift`.
extension PostgresStore {
    public func reserveAttempt(
        subject: String, kind: AttemptKind, ipAddress: String?, at now: UnixTime, policy: LockoutPolicy
    ) async throws -> AttemptReservation? {
        try await database.write { tx in
            // Counting and inserting in one serializable transaction: of two reservations that both saw the count
            // below the limit, one fails to commit and is retried, and then sees the other (issue 9, item 3).
            guard policy.allowsAttempt(try await Self.attemptCounts(subject: subject, at: now, policy: policy, tx)) else {
                return nil
            }
            let id = try await tx.insertReturning(
                VerificationAttemptRecord(subject: subject, kind: kind, ipAddress: ipAddress, startedAt: now, outcome: .pending))
            return AttemptReservation(id: id)
        }
    }

    public func settleAttempt(_ reservation: AttemptReservation, outcome: AttemptOutcome) async throws {
        try await database.write { tx in
            _ = try await tx.execute("UPDATE verification_attempts SET outcome = ? WHERE id = ?", [outcome, reservation.id])
        }
    }

    public func isLockedOut(subject: String, at now: UnixTime, policy: LockoutPolicy) async throws -> Bool {
        try await database.read { tx in
            !policy.allowsAttempt(try await Self.attemptCounts(subject: subject, at: now, policy: policy, tx))
        }
    }

    public func reserveEmailSend(
        subject: String, ipAddress: String?, at now: UnixTime, limits: OneTimeCodePolicy, lockout: LockoutPolicy
    ) async throws -> EmailSendDecision {
        try await database.write { tx in
            guard lockout.allowsAttempt(try await Self.attemptCounts(subject: subject, at: now, policy: lockout, tx)) else {
                return .lockedOut
            }
            let since = now - limits.rateWindow
            let forSubject = try await tx.count(
                "SELECT COUNT(*) FROM email_send_requests WHERE subject = ? AND requested_at >= ?", [subject, since])
            var forIP = 0
            if let ipAddress {
                forIP = try await tx.count(
                    "SELECT COUNT(*) FROM email_send_requests WHERE ip_address = ? AND requested_at >= ?", [ipAddress, since])
            }
            if let refusal = limits.sendRefusal(recentForUser: forSubject, recentForIP: forIP) { return .limited(refusal) }
            try await tx.insert(EmailSendRequestRecord(subject: subject, ipAddress: ipAddress, requestedAt: now))
            return .allowed
        }
    }

    /// Unfinished attempts count as failures: a guess in flight is a guess.
    static func attemptCounts(subject: String, at now: UnixTime, policy: LockoutPolicy, _ tx: PostgresTransaction)
        async throws -> AttemptCounts
    {
        let inWindow = try await tx.count(AttemptSQL.unsuccessfulSince, [subject, now - policy.window])
        let lastSuccess = try await tx.value(UnixTime.self, AttemptSQL.lastSuccess, [subject])
        var since = now - policy.dailyWindow
        if let lastSuccess, lastSuccess > since { since = lastSuccess }
        let consecutive = try await tx.count(AttemptSQL.unsuccessfulSince, [subject, since])
        return AttemptCounts(failuresInWindow: inWindow, consecutiveFailures: consecutive)
    }
}
