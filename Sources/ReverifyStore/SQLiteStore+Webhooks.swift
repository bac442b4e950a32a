import GRDB
import ReverifyCore

/// The SQLite implementation of ``WebhookStore``.
extension SQLiteStore {
    // MARK: Endpoints

    public func createWebhookEndpoint(_ endpoint: WebhookEndpointRecord) async throws {
        let stored = try sealed(endpoint)
        try await writer.write { db in try stored.insert(db) }
    }

    public func webhookEndpoint(id: WebhookEndpointID) async throws -> WebhookEndpointRecord? {
        try await writer.read { db in try WebhookEndpointRecord.fetchOne(db, key: id) }.map(opened)
    }

    public func webhookEndpoints() async throws -> [WebhookEndpointRecord] {
        try await writer.read { db in try WebhookEndpointRecord.order(Column("created_at"), Column("id")).fetchAll(db) }.map(opened)
    }

    public func deleteWebhookEndpoint(id: WebhookEndpointID) async throws {
        try await writer.write { db in
            guard try WebhookEndpointRecord.deleteOne(db, key: id) else { throw StoreError.notFound("webhook endpoint \(id)") }
        }
    }

    public func rotateWebhookSecret(id: WebhookEndpointID, newSecret: String, previousValidUntil: UnixTime) async throws {
        let newSecret = try sealed(newSecret, table: "webhook_endpoints", id: id.rawValue)
        try await writer.write { db in
            guard let endpoint = try WebhookEndpointRecord.fetchOne(db, key: id) else {
                throw StoreError.notFound("webhook endpoint \(id)")
            }
            // A second rotation inside the grace period drops the oldest secret: two sign at most.
            try WebhookEndpointRecord.filter(key: id).updateAll(
                db, Column("secret").set(to: newSecret), Column("previous_secret").set(to: endpoint.secret),
                Column("previous_secret_expires_at").set(to: previousValidUntil))
        }
    }

    public func enableWebhookEndpoint(id: WebhookEndpointID) async throws {
        try await writer.write { db in
            let changed = try WebhookEndpointRecord.filter(key: id).updateAll(
                db, Column("disabled_at").set(to: nil), Column("disabled_reason").set(to: nil),
                Column("paused_until_ms").set(to: nil))
            if changed == 0 { throw StoreError.notFound("webhook endpoint \(id)") }
        }
    }

    // MARK: Events and deliveries

    public func enqueueWebhookEvent(_ event: WebhookEvent, to endpoint: WebhookEndpointID) async throws {
        try await writer.write { db in
            let target = try Self.enabledEndpoint(endpoint, db: db)
            try Outbox.enqueue([event], only: target, db: db)
        }
    }

    private static func enabledEndpoint(_ id: WebhookEndpointID, db: Database) throws -> WebhookEndpointRecord {
        guard let endpoint = try WebhookEndpointRecord.fetchOne(db, key: id) else {
            throw StoreError.notFound("webhook endpoint \(id)")
        }
        guard endpoint.isEnabled else {
            throw StoreError.invalid(
                "webhook endpoint \(id) is disabled (\(endpoint.disabledReason ?? "by the operator")); enable it first")
        }
        return endpoint
    }

    public func outboxEvent(id: WebhookEventID) async throws -> OutboxEventRecord? {
        try await writer.read { db in try OutboxEventRecord.filter(Column("id") == id).fetchOne(db) }
    }

    public func webhookDeliveries(endpoint: WebhookEndpointID?, event: WebhookEventID?, limit: Int) async throws
        -> [WebhookDeliveryDetail]
    {
        try await writer.read { db in
            var request = WebhookDeliveryRecord.order(Column("event_seq").desc, Column("id").desc).limit(limit)
            if let endpoint { request = request.filter(Column("endpoint_id") == endpoint) }
            if let event { request = request.filter(Column("event_id") == event) }
            let deliveries = try request.fetchAll(db)
            let ids = deliveries.compactMap(\.id)
            let attempts = Dictionary(
                grouping: try WebhookAttemptRecord.filter(ids.contains(Column("delivery_id"))).order(Column("id")).fetchAll(db),
                by: \.deliveryId)
            let types = Dictionary(
                try OutboxEventRecord.filter(deliveries.map(\.eventId).contains(Column("id"))).fetchAll(db)
                    .map { ($0.id, $0.type) },
                uniquingKeysWith: { first, _ in first })
            return deliveries.map {
                WebhookDeliveryDetail(delivery: $0, eventType: types[$0.eventId] ?? .test, attempts: attempts[$0.id ?? 0] ?? [])
            }
        }
    }

    public func replayWebhookEvent(_ eventID: WebhookEventID, endpoint: WebhookEndpointID?, at now: UnixMilliseconds)
        async throws -> [WebhookEndpointID]
    {
        try await writer.write { db in
            guard let event = try OutboxEventRecord.filter(Column("id") == eventID).fetchOne(db), let seq = event.seq else {
                throw StoreError.notFound("event \(eventID)")
            }
            let targets: [WebhookEndpointRecord]
            if let endpoint {
                targets = [try Self.enabledEndpoint(endpoint, db: db)]
            } else {
                let previous = try WebhookEndpointRecord
                    .filter(sql: "id IN (SELECT endpoint_id FROM webhook_deliveries WHERE event_id = ?)", arguments: [eventID])
                    .fetchAll(db)
                let candidates = previous.isEmpty
                    ? try WebhookEndpointRecord.fetchAll(db).filter { $0.subscribes(to: event.type) } : previous
                targets = candidates.filter(\.isEnabled)
                guard !targets.isEmpty else {
                    throw StoreError.invalid("no enabled endpoint to replay event \(eventID) to; name one with --endpoint")
                }
            }
            for target in targets {
                let existing = try WebhookDeliveryRecord.filter(
                    Column("endpoint_id") == target.id && Column("event_id") == eventID
                ).fetchOne(db)
                guard var delivery = existing else {
                    try WebhookDeliveryRecord(
                        endpointId: target.id, eventId: eventID, eventSeq: seq, nextAttemptAtMs: now, createdAt: now.unixTime
                    ).insert(db)
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
                try delivery.update(db)
            }
            return targets.map(\.id)
        }
    }

    // MARK: Delivery worker

    public func claimWebhookDeliveries(_ request: WebhookClaimRequest) async throws -> [WebhookClaim] {
        guard request.maximumEndpoints > 0, request.deliveriesPerEndpoint > 0 else { return [] }
        let now = request.now
        // Most polls find nothing: look first in a read, without taking the write lock. Every sign-in's events
        // start a poll, with or without an endpoint to deliver them to: one kept statement on the calling thread.
        let anyDue = try await readStatementInline { db in
            try Bool.fetchOne(db.cachedStatement(sql: Self.anyDeliveryDueSQL), arguments: ["now": now]) ?? false
        }
        guard anyDue else { return [] }
        return try await writer.write { db in
            // Every query below walks an endpoint's deliveries in event order and stops at what it takes, so a
            // claim costs the same behind a backlog of 100,000 events as behind one (issue 13).
            let ready = try Row.fetchAll(db, sql: Self.readyEndpointsSQL, arguments: ["now": now])
                .compactMap { row -> (id: WebhookEndpointID, firstDue: Int64)? in
                    let id: WebhookEndpointID = row["id"]
                    let firstDue = [row["first_pending"], row["first_expired"]].compactMap { $0 as Int64? }.min()
                    guard let firstDue, !request.excludingEndpoints.contains(id) else { return nil }
                    return (id, firstDue)
                }
                // The endpoints whose oldest due delivery is oldest, then each one's first deliveries in event order.
                .sorted { ($0.firstDue, $0.id.rawValue) < ($1.firstDue, $1.id.rawValue) }
                .prefix(request.maximumEndpoints)
            var claims: [WebhookClaim] = []
            for (endpointID, _) in ready {
                guard let endpoint = try WebhookEndpointRecord.fetchOne(db, key: endpointID).map(self.opened) else { continue }
                let chosen = try WebhookDeliveryRecord.fetchAll(
                    db, sql: Self.dueDeliveriesSQL,
                    arguments: ["now": now, "endpoint": endpointID, "limit": request.deliveriesPerEndpoint])
                let ids = chosen.compactMap(\.id)
                try WebhookDeliveryRecord.filter(keys: ids).updateAll(
                    db, Column("status").set(to: WebhookDeliveryStatus.delivering),
                    Column("lease_owner").set(to: request.owner), Column("lease_expires_at_ms").set(to: request.leaseUntil))
                let events = Dictionary(
                    try OutboxEventRecord.filter(chosen.map(\.eventId).contains(Column("id"))).fetchAll(db).map { ($0.id, $0) },
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

    /// Whether any delivery anywhere is due: the cheap check a poll makes before taking the write lock.
    static let anyDeliveryDueSQL = """
        SELECT EXISTS (
            SELECT 1 FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE d.status IN ('pending', 'delivering') AND d.next_attempt_at_ms <= :now
              AND (d.status = 'pending' OR d.lease_expires_at_ms IS NULL OR d.lease_expires_at_ms <= :now)
              AND e.disabled_at IS NULL AND (e.paused_until_ms IS NULL OR e.paused_until_ms <= :now))
        """

    /// Endpoints a worker may take: enabled, not paused, no live lease on any of their deliveries (one worker
    /// per endpoint, `0003_webhooks.sql`); with the event sequence of each one's oldest due delivery of
    /// either kind (``DueDelivery``; NULL when it has none).
    static let readyEndpointsSQL = """
        SELECT e.id,
            (SELECT d.event_seq FROM webhook_deliveries d INDEXED BY webhook_deliveries_endpoint_due
             WHERE d.endpoint_id = e.id AND \(DueDelivery.pending.condition("d", now: ":now"))
             ORDER BY d.event_seq LIMIT 1) AS first_pending,
            (SELECT d.event_seq FROM webhook_deliveries d INDEXED BY webhook_deliveries_endpoint_due
             WHERE d.endpoint_id = e.id AND \(DueDelivery.expiredLease.condition("d", now: ":now"))
             ORDER BY d.event_seq LIMIT 1) AS first_expired
        FROM webhook_endpoints e
        WHERE e.disabled_at IS NULL AND (e.paused_until_ms IS NULL OR e.paused_until_ms <= :now)
          AND NOT EXISTS (
            SELECT 1 FROM webhook_deliveries l
            WHERE l.endpoint_id = e.id AND l.status = 'delivering' AND l.lease_expires_at_ms > :now)
        """

    /// One endpoint's first `:limit` due deliveries in event order, of both kinds. Without the `INDEXED BY`,
    /// SQLite's planner prefers `webhook_deliveries_due` here and sorts every due delivery of the endpoint.
    static let dueDeliveriesSQL = """
        SELECT * FROM (
            SELECT * FROM webhook_deliveries b INDEXED BY webhook_deliveries_endpoint_due
            WHERE b.endpoint_id = :endpoint AND \(DueDelivery.pending.condition("b", now: ":now"))
            ORDER BY b.event_seq LIMIT :limit)
        UNION ALL
        SELECT * FROM (
            SELECT * FROM webhook_deliveries b INDEXED BY webhook_deliveries_endpoint_due
            WHERE b.endpoint_id = :endpoint AND \(DueDelivery.expiredLease.condition("b", now: ":now"))
            ORDER BY b.event_seq LIMIT :limit)
        ORDER BY event_seq, id LIMIT :limit
        """

    public func recordWebhookAttempt(_ report: WebhookAttemptReport) async throws {
        try await writer.write { db in
            // The endpoint may have been removed while the request was in flight: nothing left to record.
            guard var delivery = try WebhookDeliveryRecord.fetchOne(db, key: report.deliveryId) else { return }
            try report.attemptRecord.insert(db)
            if let renewal = report.renewLeaseUntil {
                try WebhookDeliveryRecord.filter(
                    Column("endpoint_id") == report.endpointId && Column("lease_owner") == report.owner
                        && Column("status") == WebhookDeliveryStatus.delivering && Column("id") != report.deliveryId
                ).updateAll(db, Column("lease_expires_at_ms").set(to: renewal))
            }
            guard delivery.apply(report) else { return }
            switch report.decision {
            case .retry(_, let pause?):
                try WebhookEndpointRecord.filter(key: report.endpointId)
                    .filter(Column("paused_until_ms") == nil || Column("paused_until_ms") < pause)
                    .updateAll(db, Column("paused_until_ms").set(to: pause))
            case .disableEndpoint:
                let reason = WebhookAttemptReport.goneReason
                try WebhookEndpointRecord.filter(key: report.endpointId).updateAll(
                    db, Column("disabled_at").set(to: report.finishedAt.unixTime), Column("disabled_reason").set(to: reason))
                try WebhookDeliveryRecord.filter(
                    Column("endpoint_id") == report.endpointId && Column("id") != report.deliveryId
                        && [WebhookDeliveryStatus.pending, .delivering].contains(Column("status"))
                ).updateAll(
                    db, Column("status").set(to: WebhookDeliveryStatus.dead), Column("lease_owner").set(to: nil),
                    Column("lease_expires_at_ms").set(to: nil), Column("last_error").set(to: "endpoint disabled: \(reason)"))
            case .delivered, .retry, .dead:
                break
            }
            try delivery.update(db)
        }
    }

    public func releaseWebhookDeliveries(endpoint: WebhookEndpointID, owner: String) async throws {
        try await writer.write { db in
            _ = try WebhookDeliveryRecord.filter(
                Column("endpoint_id") == endpoint && Column("lease_owner") == owner
                    && Column("status") == WebhookDeliveryStatus.delivering
            ).updateAll(
                db, Column("status").set(to: WebhookDeliveryStatus.pending), Column("lease_owner").set(to: nil),
                Column("lease_expires_at_ms").set(to: nil))
        }
    }

    public func webhookEventNotifications() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let own = OwnOutboxCommits()
        // This process's commits, at once.
        let cancellable = DatabaseRegionObservation(tracking: Table("outbox_events")).start(
            in: writer, onError: { _ in continuation.finish() },
            onChange: { db in
                // MAX of the primary key is one b-tree descent.
                if let newest = try? Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(seq) FROM outbox_events")) {
                    own.committed(upTo: newest)
                }
                continuation.yield()
            })
        // Other processes' commits, within ``OutboxCommitWatcher/idleInterval`` (a file database only).
        let watcher = (writer is DatabasePool ? try? OutboxCommitWatcher(path: writer.path, own: own) : nil).map { watcher in
            Task { await watcher.run { continuation.yield() } }
        }
        continuation.onTermination = { _ in
            cancellable.cancel()
            watcher?.cancel()
        }
        return stream
    }
}
