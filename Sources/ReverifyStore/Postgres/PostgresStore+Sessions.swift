import Foundation
import GRDB
import ReverifyCore

/// Sessions and the audit log: the PostgreSQL twins of the same methods in `SQLiteStore.swift`.
extension PostgresStore {
    public func createSession(_ session: SessionRecord, audit: AuditRecord, remembering context: VerifiedContext?) async throws {
        try await database.write { tx in
            try await tx.insert(session)
            try await tx.insert(audit)
            if let context { try await Self.remember(context, tx) }
        }
    }

    public func session(secretHash: String) async throws -> SessionRecord? {
        try await database.read { tx in try await Self.session(secretHash: secretHash, tx) }
    }

    public func session(id: SessionID) async throws -> SessionRecord? {
        try await database.read { tx in try await Self.session(id: id, tx) }
    }

    public func sessions(user: UserID?) async throws -> [SessionRecord] {
        try await database.read { tx in
            if let user {
                return try await tx.fetchAll(
                    SessionRecord.self, "SELECT * FROM sessions WHERE user_id = ? ORDER BY created_at DESC", [user])
            }
            return try await tx.fetchAll(SessionRecord.self, "SELECT * FROM sessions ORDER BY created_at DESC")
        }
    }

    public func touchSession(id: SessionID, at: UnixTime, idleExpiresAt: UnixTime) async throws {
        try await database.write { tx in
            _ = try await tx.execute(
                "UPDATE sessions SET last_seen_at = ?, idle_expires_at = ? WHERE id = ?", [at, idleExpiresAt, id])
        }
    }

    public func recordReauthentication(
        session: SessionID, newSecretHash: String, authTime: UnixTime, amr: [AMR], acr: ACR,
        verifications: VerificationHistory, levels: LevelHistory, audit: AuditRecord, remembering context: VerifiedContext?
    ) async throws {
        // As an inserted session's columns are written (sorted keys), so equal histories are equal text.
        let amrJSON = try recordJSON(amr)
        let verificationsJSON = try recordJSON(verifications)
        let levelsJSON = try recordJSON(levels)
        try await database.write { tx in
            let changed = try await tx.execute(
                """
                UPDATE sessions SET secret_hash = ?, auth_time = ?, amr = ?, acr = ?, verifications = ?, levels = ?
                WHERE id = ? AND revoked_at IS NULL
                """, [newSecretHash, authTime, amrJSON, acr, verificationsJSON, levelsJSON, session])
            if changed == 0 { throw StoreError.notFound("live session \(session)") }
            try await tx.insert(audit)
            if let context { try await Self.remember(context, tx) }
        }
    }

    public func revokeSession(id: SessionID, at: UnixTime, audit: AuditRecord, keepingOfflineGrants: Bool) async throws
        -> Bool
    {
        try await database.write { tx in
            let changed = try await tx.execute(
                "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [at, id])
            guard changed > 0 else { return false }
            var grants = try await tx.fetchAll(GrantRecord.self, "SELECT * FROM grants WHERE session_id = ?", [id])
            if keepingOfflineGrants {
                grants.removeAll { Scope.grantsOfflineAccess($0.scope) }
            }
            try await Self.revokeGrants(grants.map(\.id), at: at, reason: "session_revoked", tx)
            try await tx.insert(audit)
            return true
        }
    }

    // MARK: Audit

    public func appendAudit(_ record: AuditRecord) async throws {
        try await database.write { tx in try await tx.insert(record) }
    }

    public func auditLog(user: UserID?, limit: Int) async throws -> [AuditRecord] {
        try await database.read { tx in
            if let user {
                return try await tx.fetchAll(
                    AuditRecord.self, "SELECT * FROM audit_log WHERE user_id = ? ORDER BY id DESC LIMIT ?", [user, limit])
            }
            return try await tx.fetchAll(AuditRecord.self, "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit])
        }
    }
}
