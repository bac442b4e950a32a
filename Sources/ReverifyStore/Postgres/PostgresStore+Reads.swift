import GRDB
import ReverifyCore

/// The reads by key that many store methods share, and grant revocation, inside a caller's transaction:
/// the PostgreSQL twins of `SQLiteStore+HotPaths`' statics and `SQLiteStore.revokeGrants`.
extension PostgresStore {
    /// A list bound as one text argument and split in SQL (`string_to_array(?, ',')`); ids never contain commas.
    static func list(_ values: [String]) -> String { values.joined(separator: ",") }

    static func user(id: UserID, _ tx: PostgresTransaction) async throws -> UserRecord? {
        try await tx.fetchOne(UserRecord.self, "SELECT * FROM users WHERE id = ?", [id])
    }

    static func session(id: SessionID, _ tx: PostgresTransaction) async throws -> SessionRecord? {
        try await tx.fetchOne(SessionRecord.self, "SELECT * FROM sessions WHERE id = ?", [id])
    }

    static func session(secretHash: String, _ tx: PostgresTransaction) async throws -> SessionRecord? {
        try await tx.fetchOne(SessionRecord.self, "SELECT * FROM sessions WHERE secret_hash = ?", [secretHash])
    }

    static func grant(id: GrantID, _ tx: PostgresTransaction) async throws -> GrantRecord? {
        try await tx.fetchOne(GrantRecord.self, "SELECT * FROM grants WHERE id = ?", [id])
    }

    static func refreshToken(hash: String, _ tx: PostgresTransaction) async throws -> RefreshTokenRecord? {
        try await tx.fetchOne(RefreshTokenRecord.self, "SELECT * FROM refresh_tokens WHERE token_hash = ?", [hash])
    }

    static func accessToken(jti: String, _ tx: PostgresTransaction) async throws -> AccessTokenRecord? {
        try await tx.fetchOne(AccessTokenRecord.self, "SELECT * FROM access_tokens WHERE jti = ?", [jti])
    }

    /// Revokes the live grants among `ids` and their access tokens; refresh tokens die with their grant
    /// (checked on use), as for SQLite.
    static func revokeGrants(_ ids: [GrantID], at: UnixTime, reason: String, _ tx: PostgresTransaction) async throws {
        guard !ids.isEmpty else { return }
        let live = try await tx.values(
            String.self, "SELECT id FROM grants WHERE id = ANY(string_to_array(?, ',')) AND revoked_at IS NULL",
            [list(ids.map(\.rawValue))])
        guard !live.isEmpty else { return }
        let revoked = list(live)
        try await tx.execute(
            "UPDATE grants SET revoked_at = ?, revoked_reason = ? WHERE id = ANY(string_to_array(?, ','))", [at, reason, revoked])
        try await tx.execute(
            "UPDATE access_tokens SET revoked_at = ? WHERE grant_id = ANY(string_to_array(?, ',')) AND revoked_at IS NULL",
            [at, revoked])
    }

    /// Every grant id issued from `session`.
    static func grantIDs(session: SessionID, _ tx: PostgresTransaction) async throws -> [GrantID] {
        try await tx.values(String.self, "SELECT id FROM grants WHERE session_id = ?", [session]).map(GrantID.init(rawValue:))
    }
}
