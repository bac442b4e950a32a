import GRDB
import ReverifyCore

extension AuditRecord {
    /// Every audit row publishes the events it implies, in the transaction that inserts it.
    ///
    /// GRDB runs this around *every* insert of an `AuditRecord`, whichever store method does it, so no code
    /// path (today's sign-in, re-authentication and revocation, or tomorrow's email codes, magic links and
    /// upstream SSO) can write an audit row without its events, or an event without its audit row.
    public func aroundInsert(_ db: Database, insert: () throws -> InsertionSuccess) throws {
        _ = try insert()
        try Outbox.enqueue(WebhookEventDerivation.events(for: self, makeID: Outbox.newEventID), db: db)
    }
}
