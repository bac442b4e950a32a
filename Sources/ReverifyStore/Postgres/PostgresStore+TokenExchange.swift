import GRDB
import ReverifyCore

extension PostgresStore {
    public func recordTokenExchange(token: AccessTokenRecord, audit: AuditRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func consumeOneShotAccessToken(jti: String, at now: UnixTime) async throws -> Bool {
        throw Self.notImplemented(#function)
    }
}
