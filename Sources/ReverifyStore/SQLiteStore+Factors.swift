import GRDB
import ReverifyCore

/// Second factors (issue 18). Secrets are sealed on the way in and opened on the way out; every change that
/// counts (a confirmed factor, a removal) writes its audit row, and so its event, in the same transaction.
extension SQLiteStore {
    public func factors(user: UserID) async throws -> [FactorRecord] {
        try await writer.read { db in
            try FactorRecord.filter(Column("user_id") == user).order(Column("created_at"), Column("id")).fetchAll(db)
        }.map(opened)
    }

    public func factor(id: FactorID) async throws -> FactorRecord? {
        try await writer.read { db in try FactorRecord.fetchOne(db, key: id) }.map(opened)
    }

    public func addFactor(_ factor: FactorRecord, audit: AuditRecord?) async throws {
        let stored = try sealed(factor)
        try await writer.write { db in
            guard try UserRecord.exists(db, key: factor.userId) else { throw StoreError.notFound("user \(factor.userId)") }
            // An enrolment that was started and never confirmed is replaced by the next one of its kind.
            try FactorRecord.filter(
                Column("user_id") == factor.userId && Column("kind") == factor.kind && Column("confirmed_at") == nil
            ).deleteAll(db)
            try stored.insert(db)
            if let audit { try Self.append(audit, db) }
        }
    }

    public func confirmTOTPFactor(id: FactorID, user: UserID, name: String, step: Int64, at: UnixTime, audit: AuditRecord)
        async throws -> TOTPUse
    {
        try await writer.write { db in
            guard let factor = try FactorRecord.fetchOne(db, key: id), factor.userId == user, factor.kind == .totp,
                factor.confirmedAt == nil
            else { return .unknownFactor }
            guard TOTPRules.isUnused(step: step, lastUsedStep: factor.lastUsedStep) else { return .replayed }
            try FactorRecord.filter(key: id).updateAll(
                db, Column("name").set(to: name), Column("confirmed_at").set(to: at), Column("last_used_step").set(to: step),
                Column("last_used_at").set(to: at))
            try Self.append(audit, db)
            return .accepted
        }
    }

    public func recordTOTPUse(factor id: FactorID, user: UserID, step: Int64, at: UnixTime) async throws -> TOTPUse {
        try await writer.write { db in
            // One conditional UPDATE inside the write transaction: of two requests with the same code, SQLite
            // serialises the writers and only the first finds the step unused (RFC 6238 5.2).
            let changed = try FactorRecord.filter(
                key: id
            ).filter(
                Column("user_id") == user && Column("kind") == UserFactorKind.totp && Column("confirmed_at") != nil
                    && (Column("last_used_step") == nil || Column("last_used_step") < step)
            ).updateAll(db, Column("last_used_step").set(to: step), Column("last_used_at").set(to: at))
            if changed == 1 { return .accepted }
            let exists = try FactorRecord.filter(key: id).filter(
                Column("user_id") == user && Column("confirmed_at") != nil
            ).fetchCount(db) == 1
            return exists ? .replayed : .unknownFactor
        }
    }

    public func removeFactor(id: FactorID, user: UserID, audit: AuditRecord) async throws -> FactorRecord? {
        try await writer.write { db in
            guard let factor = try FactorRecord.fetchOne(db, key: id), factor.userId == user else { return nil }
            try FactorRecord.deleteOne(db, key: id)
            // An enrolment never confirmed was never announced; removing it is not an event either.
            if factor.isConfirmed { try Self.append(audit, db) }
            return factor
        }
    }
}
