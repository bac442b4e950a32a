import Foundation
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

/// The webhook queue as metrics see it (issue 15.1), built with the same helpers as the delivery tests.
extension WebhookStoreTests {
    @Test func queueStatsCountUndeliveredAttemptsAndDeadLettersPerEndpoint() async throws {
        let busy = try await endpoint()
        let idle = try await endpoint()
        _ = try await testEvent(busy)
        _ = try await testEvent(busy)
        _ = try await testEvent(busy)
        // One delivered, one dead after an attempt, one still waiting.
        let claimed = try #require(try await claim(per: 2).first?.deliveries)
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
