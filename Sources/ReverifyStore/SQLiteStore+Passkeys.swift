import Foundation
import GRDB
import ReverifyCore

/// Passkeys (issue 18): credentials, their challenges, and their use. A passkey is a `user_factors` row of kind
/// `passkey` plus its `passkey_credentials` row, written with the factor's audit row in one transaction.
extension SQLiteStore {
    /// The user's passkeys, oldest first.
    public func passkeys(user: UserID) async throws -> [StoredPasskey] {
        try await writer.read { db in
            let credentials = try PasskeyCredentialRecord.filter(Column("user_id") == user).fetchAll(db)
            let factors = try FactorRecord.filter(keys: credentials.map(\.factorId)).fetchAll(db)
            return credentials.compactMap { credential in
                factors.first { $0.id == credential.factorId }.map { StoredPasskey(factor: $0, credential: credential) }
            }.sorted { ($0.factor.createdAt, $0.factor.id) < ($1.factor.createdAt, $1.factor.id) }
        }
    }

    /// The passkey with this credential id, whoever owns it.
    public func passkey(credentialID: String) async throws -> StoredPasskey? {
        try await writer.read { db in
            guard let credential = try PasskeyCredentialRecord.filter(Column("credential_id") == credentialID).fetchOne(db),
                let factor = try FactorRecord.fetchOne(db, key: credential.factorId)
            else { return nil }
            return StoredPasskey(factor: factor, credential: credential)
        }
    }

    /// Adds a verified passkey and its audit row (the `authentication.factor_added` event). `false` when the
    /// credential id is already registered (to anyone): WebAuthn L3 7.1 step 26 says to refuse it.
    public func addPasskey(factor: FactorRecord, credential: PasskeyCredentialRecord, audit: AuditRecord) async throws -> Bool {
        try await writer.write { db in
            guard try UserRecord.exists(db, key: factor.userId) else { throw StoreError.notFound("user \(factor.userId)") }
            if try PasskeyCredentialRecord.filter(Column("credential_id") == credential.credentialId).fetchCount(db) > 0 {
                return false
            }
            try factor.insert(db)
            try credential.insert(db)
            try Self.append(audit, db)
            return true
        }
    }

    public func savePasskeyChallenge(_ challenge: PasskeyChallengeRecord) async throws {
        try await writer.write { db in
            // Expired challenges are of no use to anyone: each new one sweeps them.
            try PasskeyChallengeRecord.filter(Column("expires_at") < challenge.createdAt).deleteAll(db)
            try challenge.insert(db)
        }
    }

    /// Marks the challenge used and returns it, if it exists, is of this ceremony, unexpired and unused. One
    /// conditional UPDATE: of two requests with the same challenge only one gets it.
    public func consumePasskeyChallenge(hash: String, ceremony: PasskeyCeremonyKind, at now: UnixTime) async throws
        -> PasskeyChallengeRecord?
    {
        try await writer.write { db in
            let changed = try PasskeyChallengeRecord.filter(key: hash)
                .filter(Column("ceremony") == ceremony && Column("used_at") == nil && Column("expires_at") > now)
                .updateAll(db, Column("used_at").set(to: now))
            guard changed == 1 else { return nil }
            return try PasskeyChallengeRecord.fetchOne(db, key: hash)
        }
    }

    /// Stores a verified assertion's counter and backup state, and the factor's last use. The update is
    /// conditional on the counter read before verification, so two assertions verified in parallel cannot both
    /// move it (the second is `raced`).
    public func recordPasskeyUse(factor: FactorID, previous: PasskeyState, next: PasskeyState, at now: UnixTime) async throws
        -> PasskeyUse
    {
        try await writer.write { db in
            let changed = try PasskeyCredentialRecord.filter(key: factor)
                .filter(Column("sign_count") == Int64(previous.signCount))
                .updateAll(db, Column("sign_count").set(to: Int64(next.signCount)), Column("backed_up").set(to: next.backedUp))
            guard changed == 1 else {
                return try PasskeyCredentialRecord.exists(db, key: factor) ? .raced : .unknown
            }
            try FactorRecord.filter(key: factor).updateAll(db, Column("last_used_at").set(to: now))
            return .recorded
        }
    }
}
