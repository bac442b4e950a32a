import GRDB
import ReverifyCore

extension PostgresStore {
    public func createSession(_ session: SessionRecord, audit: AuditRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func session(secretHash: String) async throws -> SessionRecord? {
        throw Self.notImplemented(#function)
    }

    public func session(id: SessionID) async throws -> SessionRecord? {
        throw Self.notImplemented(#function)
    }

    public func sessions(user: UserID?) async throws -> [SessionRecord] {
        throw Self.notImplemented(#function)
    }

    public func touchSession(id: SessionID, at: UnixTime, idleExpiresAt: UnixTime) async throws {
        throw Self.notImplemented(#function)
    }

    public func recordReauthentication(
        session: SessionID, newSecretHash: String, authTime: UnixTime, amr: [AMR], acr: ACR,
        verifications: VerificationHistory, levels: LevelHistory, audit: AuditRecord
    ) async throws {
        throw Self.notImplemented(#function)
    }

    public func revokeSession(id: SessionID, at: UnixTime, audit: AuditRecord, keepingOfflineGrants: Bool) async throws
        -> Bool {
        throw Self.notImplemented(#function)
    }

    public func appendAudit(_ record: AuditRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func auditLog(user: UserID?, limit: Int) async throws -> [AuditRecord] {
        throw Self.notImplemented(#function)
    }
}
