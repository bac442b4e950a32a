import GRDB
import ReverifyCore

/// Second factors (issue 18) on PostgreSQL, as `SQLiteStore+Factors`: secrets sealed on the way in and opened on
/// the way out; a confirmed factor or a removal writes its audit row, and so its event, in the same transaction.
extension PostgresStore {
    public func factors(user: UserID) async throws -> [FactorRecord] {
        try await database.read { tx in
            try await tx.fetchAll(FactorRecord.self, "SELECT * FROM user_factors WHERE user_id = ? ORDER BY created_at, id", [user])
        }.map(opened)
    }

    public func factor(id: FactorID) async throws -> FactorRecord? {
        try await database.read { tx in try await Self.factor(id: id, tx) }.map(opened)
    }

    static func factor(id: FactorID, _ tx: PostgresTransaction) async throws -> FactorRecord? {
        try await tx.fetchOne(FactorRecord.self, "SELECT * FROM user_factors WHERE id = ?", [id])
    }

    public func addFactor(_ factor: FactorRecord, audit: AuditRecord?) async throws {
        let stored = try sealed(factor)
        try await database.write { tx in
            guard try await Self.user(id: factor.userId, tx) != nil else { throw StoreError.notFound("user \(factor.userId)") }
            // An enrolment that was started and never confirmed is replaced by the next one of its kind.
            try await tx.execute(
                "DELETE FROM user_factors WHERE user_id = ? AND kind = ? AND confirmed_at IS NULL", [factor.userId, factor.kind])
            try await tx.insert(stored)
            if let audit { try await tx.insert(audit) }
        }
    }

    public func confirmTOTPFactor(id: FactorID, user: UserID, name: String, step: Int64, at: UnixTime, audit: AuditRecord)
        async throws -> TOTPUse
    {
        try await database.write { tx in
            guard let factor = try await Self.factor(id: id, tx), factor.userId == user, factor.kind == .totp,
                factor.confirmedAt == nil
            else { return .unknownFactor }
            guard TOTPRules.isUnused(step: step, lastUsedStep: factor.lastUsedStep) else { return .replayed }
            try await tx.execute(
                "UPDATE user_factors SET name = ?, confirmed_at = ?, last_used_step = ?, last_used_at = ? WHERE id = ?",
                [name, at, step, at, id])
            try await tx.insert(audit)
            return .accepted
        }
    }

    public func recordTOTPUse(factor id: FactorID, user: UserID, step: Int64, at: UnixTime) async throws -> TOTPUse {
        try await database.write { tx in
            // One conditional UPDATE in a serializable transaction: of two requests with the same code, only the
            // first finds the step unused; the other conflicts, runs again, and sees it used (RFC 6238 5.2).
            let changed = try await tx.execute(
                """
                UPDATE user_factors SET last_used_step = ?, last_used_at = ?
                WHERE id = ? AND user_id = ? AND kind = ? AND confirmed_at IS NOT NULL
                  AND (last_used_step IS NULL OR last_used_step < ?)
                """, [step, at, id, user, UserFactorKind.totp, step])
            if changed == 1 { return .accepted }
            let exists = try await tx.count(
                "SELECT COUNT(*) FROM user_factors WHERE id = ? AND user_id = ? AND confirmed_at IS NOT NULL", [id, user]) == 1
            return exists ? .replayed : .unknownFactor
        }
    }

    public func removeFactor(id: FactorID, user: UserID, audit: AuditRecord) async throws -> FactorRecord? {
        try await database.write { tx in
            guard let factor = try await Self.factor(id: id, tx), factor.userId == user else { return nil }
            try await tx.execute("DELETE FROM user_factors WHERE id = ?", [id])
            // An enrolment never confirmed was never announced; removing it is not an event either.
            if factor.isConfirmed { try await tx.insert(audit) }
            return factor
        }
    }
}
