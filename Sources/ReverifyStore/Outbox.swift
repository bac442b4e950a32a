import Foundation
import GRDB
import ReverifyCore

/// Writes events into `outbox_events` and fans them out to `webhook_deliveries`, always inside the
/// caller's transaction: the event commits with the change it reports or not at all (DESIGN 3).
enum Outbox {
    /// Stores `events` and creates a pending delivery for every enabled endpoint that subscribes to each,
    /// or only for `endpoint` when given (test events and replays to one endpoint).
    static func enqueue(_ events: [WebhookEvent], only endpoint: WebhookEndpointRecord? = nil, db: Database) throws {
        guard !events.isEmpty else { return }
        let now = UnixMilliseconds.wallClock()
        // Every sign-in and verification enqueues (issue 13): a kept statement, not the query interface's SQL.
        let endpoints = try endpoint.map { [$0] }
            ?? WebhookEndpointRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM webhook_endpoints WHERE disabled_at IS NULL"))
        for event in events {
            // A kept statement: GRDB's record insert builds its SQL for every event (issue 13).
            try db.cachedStatement(
                sql: "INSERT INTO outbox_events (id, type, payload, created_at, enqueued_at_ms) VALUES (?, ?, ?, ?, ?)"
            ).execute(arguments: [
                event.id, event.type, String(decoding: try payloadEncoder.encode(event), as: UTF8.self), event.createdAt, now,
            ])
            let seq = db.lastInsertedRowID
            for target in endpoints where endpoint != nil || target.subscribes(to: event.type) {
                try WebhookDeliveryRecord(
                    endpointId: target.id, eventId: event.id, eventSeq: seq, nextAttemptAtMs: now, createdAt: now.unixTime
                ).insert(db)
            }
        }
    }

    /// The stored text is the signed body: deterministic key order, and unescaped slashes in user agents. Made once.
    private static let payloadEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A new `evt_…` id: 128 bits from the system CSPRNG, like every other public identifier.
    static func newEventID() -> WebhookEventID {
        var generator = SystemRandomNumberGenerator()
        let bytes = withUnsafeBytes(of: (generator.next() as UInt64, generator.next() as UInt64)) { Array($0) }
        return WebhookEventID(rawValue: WebhookEventID.prefix + "_" + ByteEncoding.hex(bytes))
    }
}

extension UnixMilliseconds {
    /// The current wall-clock time.
    public static func wallClock() -> UnixMilliseconds {
        UnixMilliseconds(Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
