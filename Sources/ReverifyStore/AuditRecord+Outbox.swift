import GRDB
import ReverifyCore

extension AuditRecord {
    /// Every audit row publishes the events it implies, in the transaction that inserts it.
    ///
    /// GRDB runs this around *every* insert of an `AuditRecord` through the record, and the SQLite store's own
    /// insert (``SQLiteStore/append(_:_:)``) publishes the same way, so no code path (today's sign-in,
    /// re-authentication and revocation, or tomorrow's email codes, magic links and upstream SSO) can write an
    /// audit row without its events, or an event without its audit row.
    public func aroundInsert(_ db: Database, insert: () throws -> InsertionSuccess) throws {
        _ = try insert()
        try publishEvents(db)
    }

    /// Enqueues the events this row implies.
    func publishEvents(_ db: Database) throws {
        try Outbox.enqueue(WebhookEventDerivation.events(for: self, makeID: Outbox.newEventID), db: db)
    }
}

extension SQLiteStore {
    /// Inserts an audit row and publishes its events, as `insert(db)` and ``AuditRecord/aroundInsert(_:insert:)``
    /// do, with a kept statement: GRDB's record insert builds its SQL and a container of the columns anew for
    /// every row, and every sign-in and silent authorize writes one (issue 13). Every audit row of this store
    /// is written here, so every one publishes its events.
    static func append(_ audit: AuditRecord, _ db: Database) throws {
        try db.cachedStatement(sql: insertAuditSQL).execute(arguments: [
            audit.id, audit.at, audit.event, audit.outcome, audit.userId, audit.sessionId, audit.clientId, audit.method,
            audit.reason, audit.ipAddress, audit.userAgent, try recordJSON(audit.detail), audit.requestId,
        ])
        try audit.publishEvents(db)
    }

    private static let insertAuditSQL = """
        INSERT INTO audit_log (id, at, event, outcome, user_id, session_id, client_id, method, reason, ip_address,
            user_agent, detail, request_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
}
