import GRDB
import ReverifyCore

extension SQLiteStore {
    public func reserveAttempt(
        subject: String, kind: AttemptKind, ipAddress: String?, at now: UnixTime, policy: LockoutPolicy
    ) async throws -> AttemptReservation? {
        try await writer.write { db in
            // Counting and inserting in one write transaction: SQLite serialises writers, so no two
            // reservations can both see the count below the limit (issue 9, item 3).
            guard policy.allowsAttempt(try Self.attemptCounts(subject: subject, at: now, policy: policy, db: db)) else {
                return nil
            }
            // Every password sign-in reserves one: a kept statement, not GRDB's per-row SQL (issue 13).
            try db.cachedStatement(
                sql: "INSERT INTO verification_attempts (subject, kind, ip_address, started_at, outcome) VALUES (?, ?, ?, ?, ?)"
            ).execute(arguments: [subject, kind, ipAddress, now, AttemptOutcome.pending])
            return AttemptReservation(id: db.lastInsertedRowID)
        }
    }

    public func settleAttempt(_ reservation: AttemptReservation, outcome: AttemptOutcome) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE verification_attempts SET outcome = ? WHERE id = ?")
                .execute(arguments: [outcome, reservation.id])
        }
    }

    public func isLockedOut(subject: String, at now: UnixTime, policy: LockoutPolicy) async throws -> Bool {
        try await writer.read { db in
            !policy.allowsAttempt(try Self.attemptCounts(subject: subject, at: now, policy: policy, db: db))
        }
    }

    public func reserveEmailSend(
        subject: String, ipAddress: String?, at now: UnixTime, limits: OneTimeCodePolicy, lockout: LockoutPolicy
    ) async throws -> EmailSendDecision {
        try await writer.write { db in
            guard lockout.allowsAttempt(try Self.attemptCounts(subject: subject, at: now, policy: lockout, db: db)) else {
                return .lockedOut
            }
            let since = now - limits.rateWindow
            let forSubject = try EmailSendRequestRecord
                .filter(Column("subject") == subject && Column("requested_at") >= since).fetchCount(db)
            let forIP = try ipAddress.map {
                try EmailSendRequestRecord.filter(Column("ip_address") == $0 && Column("requested_at") >= since).fetchCount(db)
            } ?? 0
            if let refusal = limits.sendRefusal(recentForUser: forSubject, recentForIP: forIP) { return .limited(refusal) }
            try EmailSendRequestRecord(subject: subject, ipAddress: ipAddress, requestedAt: now).insert(db)
            return .allowed
        }
    }

    /// Unfinished attempts count as failures: a guess in flight is a guess.
    static func attemptCounts(subject: String, at now: UnixTime, policy: LockoutPolicy, db: Database) throws
        -> AttemptCounts
    {
        func count(_ since: UnixTime) throws -> Int {
            try Int.fetchOne(db.cachedStatement(sql: AttemptSQL.unsuccessfulSince), arguments: [subject, since]) ?? 0
        }
        let lastSuccess = try UnixTime?.fetchOne(db.cachedStatement(sql: AttemptSQL.lastSuccess), arguments: [subject]) ?? nil
        var since = now - policy.dailyWindow
        if let lastSuccess, lastSuccess > since { since = lastSuccess }
        return AttemptCounts(failuresInWindow: try count(now - policy.window), consecutiveFailures: try count(since))
    }
}
