import Foundation
import GRDB
import ReverifyCore

/// ``Outbox`` for PostgreSQL: events and their deliveries are written in the caller's transaction, and a
/// `NOTIFY` on ``channel`` (delivered only if that transaction commits, PostgreSQL docs "NOTIFY") wakes the
/// delivery worker of every instance at once.
enum PostgresOutbox {
    static let channel = "reverify_outbox"

    static func enqueue(_ events: [WebhookEvent], only endpoint: WebhookEndpointRecord? = nil, in tx: PostgresTransaction)
        async throws
    {
        guard !events.isEmpty else { return }
        let now = UnixMilliseconds.wallClock()
        let encoder = JSONEncoder()
        // The stored text is the signed body: deterministic key order, and unescaped slashes in user agents.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var endpoints: [WebhookEndpointRecord]
        if let endpoint {
            endpoints = [endpoint]
        } else {
            endpoints = try await tx.fetchAll(WebhookEndpointRecord.self, "SELECT * FROM webhook_endpoints WHERE disabled_at IS NULL")
        }
        for event in events {
            let record = OutboxEventRecord(
                id: event.id, type: event.type, payload: String(decoding: try encoder.encode(event), as: UTF8.self),
                createdAt: event.createdAt, enqueuedAtMs: now)
            let seq = try await tx.insertReturning(record, column: "seq")
            for target in endpoints where endpoint != nil || target.subscribes(to: event.type) {
                try await tx.insert(
                    WebhookDeliveryRecord(
                        endpointId: target.id, eventId: event.id, eventSeq: seq, nextAttemptAtMs: now,
                        createdAt: now.unixTime))
            }
        }
        try await tx.execute("SELECT pg_notify(?, '')", [channel])
    }
}
