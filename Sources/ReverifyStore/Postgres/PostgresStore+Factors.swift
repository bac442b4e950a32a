import GRDB
import ReverifyCore

extension PostgresStore {
    public func factors(user: UserID) async throws -> [FactorRecord] {
        throw Self.notImplemented(#function)
    }

    public func factor(id: FactorID) async throws -> FactorRecord? {
        throw Self.notImplemented(#function)
    }

    public func addFactor(_ factor: FactorRecord, audit: AuditRecord?) async throws {
        throw Self.notImplemented(#function)
    }

    public func confirmTOTPFactor(id: FactorID, user: UserID, name: String, step: Int64, at: UnixTime, audit: AuditRecord)
        async throws -> TOTPUse {
        throw Self.notImplemented(#function)
    }

    public func recordTOTPUse(factor id: FactorID, user: UserID, step: Int64, at: UnixTime) async throws -> TOTPUse {
        throw Self.notImplemented(#function)
    }

    public func removeFactor(id: FactorID, user: UserID, audit: AuditRecord) async throws -> FactorRecord? {
        throw Self.notImplemented(#function)
    }
}
