import GRDB
import ReverifyCore

extension SQLiteStore {
    public func recordTokenExchange(token: AccessTokenRecord, audit: AuditRecord) async throws {
        try await writer.write { db in
            try token.insert(db)
            try audit.insert(db)
        }
    }
}
