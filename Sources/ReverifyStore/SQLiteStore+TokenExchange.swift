import GRDB
import ReverifyCore

extension SQLiteStore {
    public func recordTokenExchange(token: AccessTokenRecord, audit: AuditRecord) async throws {
        try await writer.write { db in
            try token.insert(db)
            try Self.append(audit, db)
        }
    }

    public func consumeOneShotAccessToken(jti: String, at now: UnixTime) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE access_tokens SET revoked_at = ? WHERE jti = ? AND one_shot = 1 AND revoked_at IS NULL",
                arguments: [now, jti])
            return db.changesCount == 1
        }
    }
}
