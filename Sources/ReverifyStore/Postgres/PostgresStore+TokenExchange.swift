import GRDB
import ReverifyCore

/// RFC 8693 token exchange: the PostgreSQL twin of `SQLiteStore+TokenExchange`.
extension PostgresStore {
    public func recordTokenExchange(token: AccessTokenRecord, audit: AuditRecord) async throws {
        try await database.write { tx in
            try await tx.insert(token)
            try await tx.insert(audit)
        }
    }

    /// Single use: only the transaction that flips `revoked_at` from NULL wins; a concurrent one conflicts,
    /// is retried, and then changes nothing.
    public func consumeOneShotAccessToken(jti: String, at now: UnixTime) async throws -> Bool {
        try await database.write { tx in
            try await tx.execute(
                "UPDATE access_tokens SET revoked_at = ? WHERE jti = ? AND one_shot = 1 AND revoked_at IS NULL", [now, jti])
                == 1
        }
    }
}
