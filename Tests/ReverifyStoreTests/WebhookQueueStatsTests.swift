import Foundation
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

/// The webhook queue as metrics see it (issue 15.1), on every backend (issue 14), built with the same steps as
/// the delivery tests (a suite of its own, so it does not depend on how `WebhookStoreTests` holds its fixture).
@Suite struct WebhookQueueStatsTests {
    func endpoint(_ fixture: StoreFixture) async throws -> WebhookEndpointRecord {
        let endpoint = WebhookEndpointRecord(
            id: WebhookEndpointID(rawValue: IdentifierGenerator.make(prefix: "whe")), url: "https://hooks.example/in",
            eventTypes: nil, allowPrivate: false, secret: WebhookSecret.generate().encoded, createdAt: fixture.now)
        try await fixture.store.createWebhookEndpoint(endpoint)
        return endpoint
    }

    func testEvent(_ fixture: StoreFixture, _ endpoint: WebhookEndpointRecord) async throws {
        try await fixture.store.enqueueWebhookEvent(
            WebhookEvent(
                id: WebhookEventID(rawValue: IdentifierGenerator.make(prefix: "evt")), type: .test, createdAt: fixture.now,
                data: WebhookEventData(endpointId: endpoint.id)),
            to: endpoint.id)
    }

    func report(_ item: ClaimedDelivery, _ decision: DeliveryDecision, status: Int? = 200) -> WebhookAttemptReport {
        let now = UnixMilliseconds.wallClock()
        return WebhookAttemptReport(
            deliveryId: item.delivery.id!, endpointId: item.delivery.endpointId, owner: "w1", attempt: item.attempt,
            startedAt: now, finishedAt: now + .milliseconds(12), httpStatus: status, error: status == 200 ? nil : "HTTP \(status ?? 0)",
            decision: decision, renewLeaseUntil: now + .seconds(30))
    }

    @Test(arguments: Backend.all) func queueStatsCountUndeliveredAttemptsAndDeadLettersPerEndpoint(_ backend: Backend)
        async throws
    {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let busy = try await endpoint(fixture)
        let idle = try await endpoint(fixture)
        for _ in 0..<3 { try await testEvent(fixture, busy) }
        // One delivered, one dead after an attempt, one still waiting.
        let now = UnixMilliseconds.wallClock()
        let claimed = try #require(
            try await store.claimWebhookDeliveries(
                WebhookClaimRequest(
                    owner: "w1", now: now, leaseUntil: now + .seconds(30), maximumEndpoints: 8, deliveriesPerEndpoint: 2)
            ).first?.deliveries)
        try await store.recordWebhookAttempt(report(claimed[0], .delivered))
        try await store.recordWebhookAttempt(report(claimed[1], .dead, status: 500))

        let stats = try await store.webhookQueueStats()

        let forBusy = try #require(stats.first { $0.endpointId == busy.id })
        #expect(forBusy.undelivered == 1)
        // Deliveries are stamped with the wall clock when they are queued.
        let oldest = try #require(forBusy.oldestUndeliveredAt)
        #expect(abs(oldest.rawValue - Int64(Date().timeIntervalSince1970)) < 60)
        #expect(forBusy.attempts == 2)
        #expect(forBusy.dead == 1)
        #expect(stats.first { $0.endpointId == idle.id } == WebhookQueueStats(
            endpointId: idle.id, undelivered: 0, oldestUndeliveredAt: nil, attempts: 0, dead: 0))
    }
}
