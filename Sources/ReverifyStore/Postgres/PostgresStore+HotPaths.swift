import GRDB
import ReverifyCore

extension PostgresStore {
    public func sessionWithUser(secretHash: String) async throws -> (SessionRecord, UserRecord)? {
        throw Self.notImplemented(#function)
    }

    public func sessionWithUser(secretHash: String, risk: RiskQuery) async throws
        -> (SessionRecord, UserRecord, RiskHistory?)? {
        throw Self.notImplemented(#function)
    }

    public func accessTokenChain(jti: String) async throws -> AccessTokenChain? {
        throw Self.notImplemented(#function)
    }

    public func insertCode(_ code: AuthorizationCodeRecord, audit: AuditRecord) async throws {
        throw Self.notImplemented(#function)
    }
}
