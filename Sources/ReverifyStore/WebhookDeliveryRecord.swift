import GRDB
import ReverifyCore

/// Where one event stands with one endpoint.
public enum WebhookDeliveryStatus: String, Codable, Sendable, CaseIterable, RawValueColumn {
    /// Waiting for its first attempt or for a retry at `next_attempt_at_ms`.
    case pending
    /// Claimed by a worker whose lease has not expired (or had not, when it crashed).
    case delivering
    /// A 2xx was received.
    case delivered
    /// The retry window ran out, or the endpoint answered `410 Gone`. `webhooks replay` revives it.
    case dead
}

/// A row of `webhook_deliveries`: one per endpoint × event.
public struct WebhookDeliveryRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "webhook_deliveries"

    public var id: Int64?
    public var endpointId: WebhookEndpointID
    public var eventId: WebhookEventID
    public var eventSeq: Int64
    public var status: WebhookDeliveryStatus
    /// Attempts since the delivery was created or last replayed; the retry schedule counts these.
    public var attempts: Int
    public var nextAttemptAtMs: UnixMilliseconds
    public var leaseOwner: String?
    public var leaseExpiresAtMs: UnixMilliseconds?
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: UnixTime
    public var deliveredAtMs: UnixMilliseconds?

    public init(
        endpointId: WebhookEndpointID, eventId: WebhookEventID, eventSeq: Int64, nextAttemptAtMs: UnixMilliseconds,
        createdAt: UnixTime
    ) {
        self.endpointId = endpointId
        self.eventId = eventId
        self.eventSeq = eventSeq
        self.status = .pending
        self.attempts = 0
        self.nextAttemptAtMs = nextAttemptAtMs
        self.createdAt = createdAt
    }
}

/// A row of `webhook_attempts`: one HTTP attempt, successful or not.
public struct WebhookAttemptRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "webhook_attempts"

    public var id: Int64?
    public var deliveryId: Int64
    /// 1 for the first attempt since the delivery was created or replayed.
    public var attempt: Int
    /// The worker that made it.
    public var worker: String
    public var startedAtMs: UnixMilliseconds
    public var latencyMs: Int64
    /// `nil` when no response arrived (connection refused, timeout, address refused by the SSRF guard).
    public var httpStatus: Int?
    public var error: String?

    public init(
        deliveryId: Int64, attempt: Int, worker: String, startedAtMs: UnixMilliseconds, latencyMs: Int64,
        httpStatus: Int?, error: String?
    ) {
        self.deliveryId = deliveryId
        self.attempt = attempt
        self.worker = worker
        self.startedAtMs = startedAtMs
        self.latencyMs = latencyMs
        self.httpStatus = httpStatus
        self.error = error
    }
}
