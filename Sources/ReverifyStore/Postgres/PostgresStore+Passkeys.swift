import Foundation
import GRDB
import PostgresNIO
import ReverifyCore

/// Passkeys (issue 18) on PostgreSQL, as `SQLiteStore+Passkeys`: a `user_factors` row of kind `passkey` plus its
/// `passkey_credentials` row, written with the factor's audit row in one transaction.
extension PostgresStore {
    /// The user's passkeys, oldest first.
    public func passkeys(user: UserID) async throws -> [StoredPasskey] {
        try await database.read { tx in
            let credentials = try await tx.fetchAll(
                PasskeyCredentialRecord.self, "SELECT * FROM passkey_credentials WHERE user_id = ?", [user])
            guard !credentials.isEmpty else { return [] }
            let factors = try await tx.fetchAll(
                FactorRecord.self, "SELECT * FROM user_factors WHERE id = ANY(string_to_array(?, ','))",
                [Self.list(credentials.map(\.factorId.rawValue))])
            return credentials.compactMap { credential in
                factors.first { $0.id == credential.factorId }.map { StoredPasskey(factor: $0, credential: credential) }
            }.sorted { ($0.factor.createdAt, $0.factor.id) < ($1.factor.createdAt, $1.factor.id) }
        }
    }

    /// The passkey with this credential id, whoever owns it.
    public func passkey(credentialID: String) async throws -> StoredPasskey? {
        try await database.read { tx in
            guard
                let credential = try await tx.fetchOne(
                    PasskeyCredentialRecord.self, "SELECT * FROM passkey_credentials WHERE credential_id = ?", [credentialID]),
                let factor = try await Self.factor(id: credential.factorId, tx)
            else { return nil }
            return StoredPasskey(factor: factor, credential: credential)
        }
    }

    /// Adds a verified passkey and its audit row (the `authentication.factor_added` event). `false` when the
    /// credential id is already registered (to anyone): WebAuthn L3 7.1 step 26 says to refuse it.
    public func addPasskey(factor: FactorRecord, credential: PasskeyCredentialRecord, audit: AuditRecord) async throws -> Bool {
        do {
            return try await database.write { tx in
                guard try await Self.user(id: factor.userId, tx) != nil else { throw StoreError.notFound("user \(factor.userId)") }
                if try await tx.count(
                    "SELECT COUNT(*) FROM passkey_credentials WHERE credential_id = ?", [credential.credentialId]) > 0
                {
                    return false
                }
                try await tx.insert(factor)
                try await tx.insert(credential)
                try await tx.insert(audit)
                return true
            }
        } catch let error as PSQLError where error.isUniqueViolation {
            // Two registrations of one credential at once: the UNIQUE index refuses the second, as the check would.
            if try await passkey(credentialID: credential.credentialId) != nil { return false }
            throw error
        }
    }

    public func savePasskeyChallenge(_ challenge: PasskeyChallengeRecord) async throws {
        try await database.write { tx in
            // Expired challenges are of no use to anyone: each new one sweeps them.
            try await tx.execute("DELETE FROM passkey_challenges WHERE expires_at < ?", [challenge.createdAt])
            try await tx.insert(challenge)
        }
    }

    /// Marks the challenge used and returns it, if it exists, is of this ceremony, unexpired and unused. One
    /// conditional UPDATE in a serializable transaction: of two requests with the same challenge only one gets it.
    public func consumePasskeyChallenge(hash: String, ceremony: PasskeyCeremonyKind, at now: UnixTime) async throws
        -> PasskeyChallengeRecord?
    {
        try await database.write { tx in
            let changed = try await tx.execute(
                """
                UPDATE passkey_challenges SET used_at = ?
                WHERE challenge_hash = ? AND ceremony = ? AND used_at IS NULL AND expires_at > ?
                """, [now, hash, ceremony, now])
            guard changed == 1 else { return nil }
            return try await tx.fetchOne(
                PasskeyChallengeRecord.self, "SELECT * FROM passkey_challenges WHERE challenge_hash = ?", [hash])
        }
    }

    /// Stores a verified assertion's counter and backup state, and the factor's last use. The update is
    /// conditional on the counter read before verification, so two assertions verified in parallel cannot both
    /// move it (the second is `raced`).
    public func recordPasskeyUse(factor: FactorID, previous: PasskeyState, next: PasskeyState, at now: UnixTime) async throws
        -> PasskeyUse
    {
        try await database.write { tx in
            let changed = try await tx.execute(
                "UPDATE passkey_credentials SET sign_count = ?, backed_up = ? WHERE factor_id = ? AND sign_count = ?",
                [Int64(next.signCount), next.backedUp, factor, Int64(previous.signCount)])
            guard changed == 1 else {
                return try await tx.count("SELECT COUNT(*) FROM passkey_credentials WHERE factor_id = ?", [factor]) > 0
                    ? .raced : .unknown
            }
            try await tx.execute("UPDATE user_factors SET last_used_at = ? WHERE id = ?", [now, factor])
            return .recorded
        }
    }
}
