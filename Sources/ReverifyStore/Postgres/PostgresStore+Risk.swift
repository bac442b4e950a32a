import GRDB
import ReverifyCore

extension PostgresStore {
    public func riskHistory(
        user: UserID, session: SessionID, deviceHash: String?, networkPrefix: String?, attemptSubject: String,
        ipAddress: String?, at now: UnixTime, networkMemory: Seconds, velocityWindow: Seconds
    ) async throws -> RiskHistory {
        throw Self.notImplemented(#function)
    }

    public func rememberVerificationContext(user: UserID, deviceHash: String?, networkPrefix: String?, at now: UnixTime) async throws {
        throw Self.notImplemented(#function)
    }

    public func flagSession(id: SessionID, reason: String, until: UnixTime?, at now: UnixTime, audit: AuditRecord) async throws {
        throw Self.notImplemented(#function)
    }
}
