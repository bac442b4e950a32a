import Foundation
import GRDB
import ReverifyCore

/// The PostgreSQL implementation of ``WebhookStore``: the same rules as `SQLiteStore+Webhooks`, with the delivery
/// worker's claim made safe for several instances by row locks instead of SQLite's single writer (issue 14).
extension PostgresStore {
    // MARK: Endpoints

    public func createWebhookEndpoint(_ endpoint: WebhookEndpointRecord) async throws {
        let stored = try sealed(endpoint)
        try await database.write { tx in try await tx.insert(stored) }
    }

    public func webhookEndpoint(id: WebhookEndpointID) async throws -> WebhookEndpointRecord? {
        try await database.read { tx in try await Self.webhookEndpoint(id: id, tx) }.map(opened)
    }

    public func webhookEndpoints() async throws -> [WebhookEndpointRecord] {
        try await database.read { tx in
            try await tx.fetchAll(WebhookEndpointRecord.self, "SELECT * FROM webhook_endpoints ORDER BY created_at, id")
        }.map(opened)
    }

    public func deleteWebhookEndpoint(id: WebhookEndpointID) async throws {
        try await database.write { tx in
            guard try await tx.execute("DELETE FROM webhook_endpoints WHERE id = ?", [id]) == 1 else {
                throw StoreError.notFound("webhook endpoint \(id)")
            }
        }
    }

    public func rotateWebhookSecret(id: WebhookEndpointID, newSecret: String, previousValidUntil: UnixTime) async throws {
        let newSecret = try sealed(newSecret, table: "webhook_endpoints", id: id.rawValue)
        try await database.write { tx in
            guard let endpoint = try await Self.webhookEndpoint(id: id, tx) else {
                throw StoreError.notFound("webhook endpoint \(id)")
            }
            // A second rotation inside the grace period drops the oldest secret: two sign at most.
            try await tx.execute(
                "UPDATE webhook_endpoints SET secret = ?, previous_secret = ?, previous_secret_expires_at = ? WHERE id = ?",
                [newSecret, endpoint.secret, previousValidUntil, id])
        }
    }

    public func enableWebhookEndpoint(id: WebhookEndpointID) async throws {
        try await database.write { tx in
            let changed = try await tx.execute(
                "UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, paused_until_ms = NULL WHERE id = ?",
                [id])
            if changed == 0 { throw StoreError.notFound("webhook endpoint \(id)") }
        }
    }

    static func webhookEndpoint(id: WebhookEndpointID, _ tx: PostgresTransaction) async throws -> WebhookEndpointRecord? {
        try await tx.fetchOne(WebhookEndpointRecord.self, "SELECT * FROM webhook_endpoints WHERE id = ?", [id])
    }

    // MARK: Events and deliveries

    public func enqueueWebhookEvent(_ event: WebhookEvent, to endpoint: WebhookEndpointID) async throws {
        try await database.write { tx in
            let target = try await Self.enabledEndpoint(endpoint, tx)
            try await PostgresOutbox.enqueue([event], only: target, in: tx)
        }
    }

    private static func enabledEndpoint(_ id: WebhookEndpointID, _ tx: PostgresTransaction) async throws
        -> WebhookEndpointRecord
    {
        guard let endpoint = try await webhookEndpoint(id: id, tx) else { throw StoreError.notFound("webhook endpoint \(id)") }
        guard endpoint.isEnabled else {
            throw StoreError.invalid(
                "webhook endpoint \(id) is disabled (\(endpoint.disabledReason ?? "by the operator")); enable it first")
        }
        return endpoint
    }

    public func outboxEvent(id: WebhookEventID) async throws -> OutboxEventRecord? {
        try await database.read { tx in
            try await tx.fetchOne(OutboxEventRecord.self, "SELECT * FROM outbox_events WHERE id = ?", [id])
        }
    }

    public func webhookDeliveries(endpoint: WebhookEndpointID?, event: WebhookEventID?, limit: Int) async throws
        -> [WebhookDeliveryDetail]
    {
        try await database.read { tx in
            var conditions: [String] = []
            var arguments: PostgresTransaction.Arguments = []
            if let endpoint {
                conditions.append("endpoint_id = ?")
                arguments.append(endpoint)
            }
            if let event {
                conditions.append("event_id = ?")
                arguments.append(event)
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let deliveries = try await tx.fetchAll(
                WebhookDeliveryRecord.self,
                "SELECT * FROM webhook_deliveries \(filter) ORDER BY event_seq DESC, id DESC LIMIT ?", arguments + [limit])
            guard !deliveries.isEmpty else { return [] }
            let attempts = Dictionary(
                grouping: try await tx.fetchAll(
                    WebhookAttemptRecord.self,
                    "SELECT * FROM webhook_attempts WHERE delivery_id = ANY(string_to_array(?, ',')::bigint[]) ORDER BY id",
                    [Self.list(deliveries.compactMap(\.id).map(String.init))]),
                by: \.deliveryId)
            let types = Dictionary(
                try await tx.fetchAll(
                    OutboxEventRecord.self, "SELECT * FROM outbox_events WHERE id = ANY(string_to_array(?, ','))",
                    [Self.list(deliveries.map(\.eventId.rawValue))]
                ).map { ($0.id, $0.type) },
                uniquingKeysWith: { first, _ in first })
            return deliveries.map {
                WebhookDeliveryDetail(delivery: $0, eventType: types[$0.eventId] ?? .test, attempts: attempts[$0.id ?? 0] ?? [])
            }
        }
    }


    public func replayWebhookEvent(_ eventID: WebhookEventID, endpoint: WebhookEndpointID?, at now: UnixMilliseconds)
        async throws -> [WebhookEndpointID]
    {
        try await database.write { tx in
            guard let event = try await tx.fetchOne(OutboxEventRecord.self, "SELECT * FROM outbox_events WHERE id = ?", [eventID]),
                let seq = event.seq
            else { throw StoreError.notFound("event \(eventID)") }
            let targets: [WebhookEndpointRecord]
            if let endpoint {
                targets = [try await Self.enabledEndpoint(endpoint, tx)]
            } else {
                let previous = try await tx.fetchAll(
                    WebhookEndpointRecord.self,
                    """
                    SELECT * FROM webhook_endpoints WHERE id IN (SELECT endpoint_id FROM webhook_deliveries WHERE event_id = ?)
                    ORDER BY created_at, id
                    """, [eventID])
                let candidates = previous.isEmpty
                    ? try await tx.fetchAll(WebhookEndpointRecord.self, "SELECT * FROM webhook_endpoints ORDER BY created_at, id")
                        .filter { $0.subscribes(to: event.type) }
                    : previous
                targets = candidates.filter(\.isEnabled)
                guard !targets.isEmpty else {
                    throw StoreError.invalid("no enabled endpoint to replay event \(eventID) to; name one with --endpoint")
                }
            }
            for target in targets {
                let existing = try await tx.fetchOne(
                    WebhookDeliveryRecord.self, "SELECT * FROM webhook_deliveries WHERE endpoint_id = ? AND event_id = ?",
                    [target.id, eventID])
                guard var delivery = existing else {
                    try await tx.insert(
                        WebhookDeliveryRecord(
                            endpointId: target.id, eventId: eventID, eventSeq: seq, nextAttemptAtMs: now, createdAt: now.unixTime))
                    continue
                }
                if delivery.status == .delivering, let lease = delivery.leaseExpiresAtMs, lease > now {
                    throw StoreError.invalid("event \(eventID) is being delivered to \(target.id) right now; try again shortly")
                }
                // Same row, same event id and body: the receiver can recognise the replay as a duplicate.
                delivery.status = .pending
                delivery.attempts = 0
                delivery.nextAttemptAtMs = now
                delivery.leaseOwner = nil
                delivery.leaseExpiresAtMs = nil
                delivery.deliveredAtMs = nil
                try await tx.update(delivery)
            }
            // The event is already in the outbox; wake every instance's worker for the revived deliveries, as
            // enqueueing would (delivered only if this transaction commits).
            try await tx.execute("SELECT pg_notify(?, '')", [PostgresOutbox.channel])
            return targets.map(\.id)
        }
    }

    // MARK: Delivery worker

    /// Due deliveries `d` of ready endpoints `e`, as for SQLite: pending and scheduled, or still "delivering" under
    /// an expired lease (its worker died); the endpoint enabled, not paused, and with no live lease on any of its
    /// deliveries. Four `now` arguments.
    private static let dueCondition = """
        d.status IN ('pending', 'delivering') AND d.next_attempt_at_ms <= ?
          AND (d.status = 'pending' OR d.lease_expires_at_ms IS NULL OR d.lease_expires_at_ms <= ?)
          AND e.disabled_at IS NULL AND (e.paused_until_ms IS NULL OR e.paused_until_ms <= ?)
          AND NOT EXISTS (
            SELECT 1 FROM webhook_deliveries l
            WHERE l.endpoint_id = d.endpoint_id AND l.status = 'delivering' AND l.lease_expires_at_ms > ?)
        """

    /// The event sequence of endpoint `e`'s oldest due delivery of one kind (that kind's `now` arguments).
    private static func firstDue(_ kind: DueDelivery) -> String {
        "(SELECT f.event_seq FROM webhook_deliveries f WHERE f.endpoint_id = e.id AND \(kind.condition("f", now: "?")) ORDER BY f.event_seq LIMIT 1)"
    }

    /// The ids of one endpoint's first due deliveries of one kind: the endpoint, that kind's `now` arguments, the limit.
    private static func dueBatch(_ kind: DueDelivery) -> String {
        "SELECT b.id FROM webhook_deliveries b WHERE b.endpoint_id = ? AND \(kind.condition("b", now: "?")) ORDER BY b.event_seq LIMIT ?"
    }

    /// Leases the oldest due deliveries of up to `maximumEndpoints` endpoints (issue 14: "webhook leases claimed
    /// with FOR UPDATE SKIP LOCKED so each delivery attempt is sent by one instance").
    ///
    /// One worker per endpoint at a time is the rule (a live lease on any delivery keeps other workers off the
    /// endpoint, `0003_webhooks.sql`), so the lock is on the endpoint row: instances
    /// claiming at the same moment skip each other's endpoints (`SKIP LOCKED`) instead of queueing behind them.
    /// `READ COMMITTED` gives every statement a fresh snapshot, so once an endpoint row is locked, the deliveries
    /// are read again: a claim committed by another instance just before the lock was granted is seen there (its
    /// live lease keeps the endpoint off), which a single snapshot taken before the lock would have missed.
    public func claimWebhookDeliveries(_ request: WebhookClaimRequest) async throws -> [WebhookClaim] {
        guard request.maximumEndpoints > 0, request.deliveriesPerEndpoint > 0 else { return [] }
        let now = request.now
        let due = Self.dueCondition
        // Most polls find nothing: look first in a read, without taking any lock.
        let anyDue = try await database.read { tx in
            let dueArguments: PostgresTransaction.Arguments = [now, now, now, now]
            return try await tx.count(
                """
                SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                WHERE \(due) LIMIT 1) AS any_due
                """, dueArguments) > 0
        }
        guard anyDue else { return [] }
        let excluded = Self.list(request.excludingEndpoints.map(\.rawValue))
        return try await database.writeLocking { tx in
            let dueArguments: PostgresTransaction.Arguments = [now, now, now, now]
            // The endpoints whose oldest due delivery is oldest, skipping those another instance is claiming now.
            // SKIP LOCKED applies before LIMIT, so a skipped endpoint does not use up a place.
            let endpointIDs = try await tx.values(
                String.self,
                """
                SELECT e.id FROM webhook_endpoints e
                WHERE e.id <> ALL(string_to_array(?, ','))
                  AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND \(due))
                ORDER BY LEAST(\(Self.firstDue(.pending)), \(Self.firstDue(.expiredLease))), e.id
                LIMIT ?
                FOR UPDATE OF e SKIP LOCKED
                """, [excluded] + dueArguments + [now, now, now] + [request.maximumEndpoints]
            ).map(WebhookEndpointID.init(rawValue:))
            var claims: [WebhookClaim] = []
            for endpointID in endpointIDs {
                guard let endpoint = try await Self.webhookEndpoint(id: endpointID, tx).map(self.opened) else { continue }
                // A fresh snapshot, taken with the endpoint locked. The delivery rows are locked too (waiting for a
                // worker recording an attempt on one); a row that changed meanwhile is checked again, and left out
                // if it is no longer due.
                let chosen = try await tx.fetchAll(
                    WebhookDeliveryRecord.self,
                    """
                    SELECT d.* FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                    WHERE \(due) AND d.id IN (
                        (\(Self.dueBatch(.pending)))
                        UNION ALL
                        (\(Self.dueBatch(.expiredLease))))
                    ORDER BY d.event_seq, d.id LIMIT ?
                    FOR UPDATE OF d
                    """,
                    dueArguments + [endpointID, now, request.deliveriesPerEndpoint]
                        + [endpointID, now, now, request.deliveriesPerEndpoint] + [request.deliveriesPerEndpoint])
                guard !chosen.isEmpty else { continue }
                // A lease renewed by a worker while the rows above were being locked: that worker still holds the
                // endpoint, so none of its deliveries may be taken.
                let leased = try await tx.count(
                    "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'delivering' AND lease_expires_at_ms > ?",
                    [endpointID, now])
                guard leased == 0 else { continue }
                let ids = Self.list(chosen.compactMap(\.id).map(String.init))
                try await tx.execute(
                    """
                    UPDATE webhook_deliveries SET status = ?, lease_owner = ?, lease_expires_at_ms = ?
                    WHERE id = ANY(string_to_array(?, ',')::bigint[])
                    """, [WebhookDeliveryStatus.delivering, request.owner, request.leaseUntil, ids])
                let events = Dictionary(
                    try await tx.fetchAll(
                        OutboxEventRecord.self, "SELECT * FROM outbox_events WHERE id = ANY(string_to_array(?, ','))",
                        [Self.list(chosen.map(\.eventId.rawValue))]
                    ).map { ($0.id, $0) },
                    uniquingKeysWith: { first, _ in first })
                let items = chosen.compactMap { delivery -> ClaimedDelivery? in
                    var claimed = delivery
                    claimed.status = .delivering
                    claimed.leaseOwner = request.owner
                    claimed.leaseExpiresAtMs = request.leaseUntil
                    return events[delivery.eventId].map { ClaimedDelivery(delivery: claimed, event: $0) }
                }
                if !items.isEmpty { claims.append(WebhookClaim(endpoint: endpoint, deliveries: items)) }
            }
            return claims
        }
    }

    public func recordWebhookAttempt(_ report: WebhookAttemptReport) async throws {
        try await database.write { tx in
            // The endpoint may have been removed while the request was in flight: nothing left to record.
            guard
                var delivery = try await tx.fetchOne(
                    WebhookDeliveryRecord.self, "SELECT * FROM webhook_deliveries WHERE id = ?", [report.deliveryId])
            else { return }
            try await tx.insert(report.attemptRecord)
            if let renewal = report.renewLeaseUntil {
                try await tx.execute(
                    """
                    UPDATE webhook_deliveries SET lease_expires_at_ms = ?
                    WHERE endpoint_id = ? AND lease_owner = ? AND status = ? AND id <> ?
                    """, [renewal, report.endpointId, report.owner, WebhookDeliveryStatus.delivering, report.deliveryId])
            }
            guard delivery.apply(report) else { return }
            switch report.decision {
            case .retry(_, let pause?):
                try await tx.execute(
                    """
                    UPDATE webhook_endpoints SET paused_until_ms = ?
                    WHERE id = ? AND (paused_until_ms IS NULL OR paused_until_ms < ?)
                    """, [pause, report.endpointId, pause])
            case .disableEndpoint:
                let reason = WebhookAttemptReport.goneReason
                try await tx.execute(
                    "UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ? WHERE id = ?",
                    [report.finishedAt.unixTime, reason, report.endpointId])
                try await tx.execute(
                    """
                    UPDATE webhook_deliveries SET status = ?, lease_owner = NULL, lease_expires_at_ms = NULL, last_error = ?
                    WHERE endpoint_id = ? AND id <> ? AND status IN ('pending', 'delivering')
                    """,
                    [WebhookDeliveryStatus.dead, "endpoint disabled: \(reason)", report.endpointId, report.deliveryId])
            case .delivered, .retry, .dead:
                break
            }
            try await tx.update(delivery)
        }
    }

    public func releaseWebhookDeliveries(endpoint: WebhookEndpointID, owner: String) async throws {
        try await database.write { tx in
            _ = try await tx.execute(
                """
                UPDATE webhook_deliveries SET status = ?, lease_owner = NULL, lease_expires_at_ms = NULL
                WHERE endpoint_id = ? AND lease_owner = ? AND status = ?
                """, [WebhookDeliveryStatus.pending, endpoint, owner, WebhookDeliveryStatus.delivering])
        }
    }
}
