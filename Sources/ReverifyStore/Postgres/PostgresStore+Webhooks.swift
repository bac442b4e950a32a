import GRDB
import ReverifyCore

extension PostgresStore {
    public func createWebhookEndpoint(_ endpoint: WebhookEndpointRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func webhookEndpoint(id: WebhookEndpointID) async throws -> WebhookEndpointRecord? {
        throw Self.notImplemented(#function)
    }

    public func webhookEndpoints() async throws -> [WebhookEndpointRecord] {
        throw Self.notImplemented(#function)
    }

    public func deleteWebhookEndpoint(id: WebhookEndpointID) async throws {
        throw Self.notImplemented(#function)
    }

    public func rotateWebhookSecret(id: WebhookEndpointID, newSecret: String, previousValidUntil: UnixTime) async throws {
        throw Self.notImplemented(#function)
    }

    public func enableWebhookEndpoint(id: WebhookEndpointID) async throws {
        throw Self.notImplemented(#function)
    }

    public func enqueueWebhookEvent(_ event: WebhookEvent, to endpoint: WebhookEndpointID) async throws {
        throw Self.notImplemented(#function)
    }

    public func outboxEvent(id: WebhookEventID) async throws -> OutboxEventRecord? {
        throw Self.notImplemented(#function)
    }

    public func webhookDeliveries(endpoint: WebhookEndpointID?, event: WebhookEventID?, limit: Int) async throws
        -> [WebhookDeliveryDetail] {
        throw Self.notImplemented(#function)
    }

    public func replayWebhookEvent(_ eventID: WebhookEventID, endpoint: WebhookEndpointID?, at now: UnixMilliseconds)
        async throws -> [WebhookEndpointID] {
        throw Self.notImplemented(#function)
    }

    public func claimWebhookDeliveries(_ request: WebhookClaimRequest) async throws -> [WebhookClaim] {
        throw Self.notImplemented(#function)
    }

    public func recordWebhookAttempt(_ report: WebhookAttemptReport) async throws {
        throw Self.notImplemented(#function)
    }

    public func releaseWebhookDeliveries(endpoint: WebhookEndpointID, owner: String) async throws {
        throw Self.notImplemented(#function)
    }
}
