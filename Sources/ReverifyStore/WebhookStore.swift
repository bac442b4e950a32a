import ReverifyCore

/// The webhook half of the persistence boundary (DESIGN 3): endpoints, the outbox, deliveries and their
/// attempts. Every method is one intention and one transaction. Events themselves are never written
/// through this protocol except on an operator's request (`webhooks test`): they are derived from audit
/// rows inside the transaction that writes them.
public protocol WebhookStore: Sendable {
    // MARK: Endpoints
    func createWebhookEndpoint(_ endpoint: WebhookEndpointRecord) async throws
    func webhookEndpoint(id: WebhookEndpointID) async throws -> WebhookEndpointRecord?
    func webhookEndpoints() async throws -> [WebhookEndpointRecord]
    /// Deletes an endpoint with its deliveries and attempts.
    func deleteWebhookEndpoint(id: WebhookEndpointID) async throws
    /// Makes `newSecret` the signing secret; the current one keeps signing alongside it until `previousValidUntil`.
    func rotateWebhookSecret(id: WebhookEndpointID, newSecret: String, previousValidUntil: UnixTime) async throws
    /// Re-enables an endpoint disabled by `410 Gone`. Dead-lettered deliveries stay dead until replayed.
    func enableWebhookEndpoint(id: WebhookEndpointID) async throws

    // MARK: Events and deliveries
    /// Stores `event` with a delivery to `endpoint` only, whatever its subscriptions (`webhooks test`).
    func enqueueWebhookEvent(_ event: WebhookEvent, to endpoint: WebhookEndpointID) async throws
    func outboxEvent(id: WebhookEventID) async throws -> OutboxEventRecord?
    /// Deliveries with their attempts, newest event first.
    func webhookDeliveries(endpoint: WebhookEndpointID?, event: WebhookEventID?, limit: Int) async throws
        -> [WebhookDeliveryDetail]
    /// Sends a stored event again, with the same `webhook-id` and body: to `endpoint`, or else to every
    /// endpoint that had a delivery of it (or, if none had, every enabled endpoint subscribing to its type).
    /// - Returns: the endpoints it will be sent to.
    func replayWebhookEvent(_ event: WebhookEventID, endpoint: WebhookEndpointID?, at: UnixMilliseconds) async throws
        -> [WebhookEndpointID]

    // MARK: Delivery worker
    /// Leases the oldest due deliveries of endpoints that no live lease holds, so that several workers
    /// (in one process or several) never send the same delivery at once and each endpoint receives its
    /// events in order from one worker at a time.
    func claimWebhookDeliveries(_ request: WebhookClaimRequest) async throws -> [WebhookClaim]
    /// Records an attempt and its consequence for the delivery and the endpoint, and extends the lease on
    /// the rest of the worker's claim for that endpoint when asked to.
    func recordWebhookAttempt(_ report: WebhookAttemptReport) async throws
    /// Gives back what a worker claimed for an endpoint but did not attempt.
    func releaseWebhookDeliveries(endpoint: WebhookEndpointID, owner: String) async throws
    /// Yields soon after a transaction wrote an event, so the worker need not wait for its next poll: at once
    /// for this process, within milliseconds for other processes on the same database (issue 13).
    func webhookEventNotifications() -> AsyncStream<Void>
}

/// A delivery as the CLI shows it: with its event's type and every attempt.
public struct WebhookDeliveryDetail: Sendable, Equatable {
    public var delivery: WebhookDeliveryRecord
    public var eventType: WebhookEventType
    public var attempts: [WebhookAttemptRecord]
}

/// What a worker asks for when it claims work.
public struct WebhookClaimRequest: Sendable, Equatable {
    /// The worker's random id, written as the lease owner.
    public var owner: String
    public var now: UnixMilliseconds
    public var leaseUntil: UnixMilliseconds
    /// Endpoints to claim at most, so a worker's concurrency stays bounded.
    public var maximumEndpoints: Int
    /// Deliveries to claim per endpoint, sent one after another in event order.
    public var deliveriesPerEndpoint: Int
    /// Endpoints this worker is already sending to.
    public var excludingEndpoints: Set<WebhookEndpointID>

    public init(
        owner: String, now: UnixMilliseconds, leaseUntil: UnixMilliseconds, maximumEndpoints: Int,
        deliveriesPerEndpoint: Int, excludingEndpoints: Set<WebhookEndpointID> = []
    ) {
        self.owner = owner
        self.now = now
        self.leaseUntil = leaseUntil
        self.maximumEndpoints = maximumEndpoints
        self.deliveriesPerEndpoint = deliveriesPerEndpoint
        self.excludingEndpoints = excludingEndpoints
    }
}

/// Deliveries claimed for one endpoint, oldest event first.
public struct WebhookClaim: Sendable, Equatable {
    public var endpoint: WebhookEndpointRecord
    public var deliveries: [ClaimedDelivery]
}

/// One claimed delivery with the event it carries.
public struct ClaimedDelivery: Sendable, Equatable {
    public var delivery: WebhookDeliveryRecord
    public var event: OutboxEventRecord
    /// The number the next attempt will have.
    public var attempt: Int { delivery.attempts + 1 }
}

/// The outcome of one attempt, as the worker reports it.
public struct WebhookAttemptReport: Sendable, Equatable {
    public var deliveryId: Int64
    public var endpointId: WebhookEndpointID
    public var owner: String
    public var attempt: Int
    public var startedAt: UnixMilliseconds
    public var finishedAt: UnixMilliseconds
    public var httpStatus: Int?
    public var error: String?
    public var decision: DeliveryDecision
    /// A new lease expiry for the rest of this worker's claim on the endpoint, when it needs extending.
    public var renewLeaseUntil: UnixMilliseconds?

    public init(
        deliveryId: Int64, endpointId: WebhookEndpointID, owner: String, attempt: Int, startedAt: UnixMilliseconds,
        finishedAt: UnixMilliseconds, httpStatus: Int?, error: String?, decision: DeliveryDecision,
        renewLeaseUntil: UnixMilliseconds? = nil
    ) {
        self.deliveryId = deliveryId
        self.endpointId = endpointId
        self.owner = owner
        self.attempt = attempt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.httpStatus = httpStatus
        self.error = error
        self.decision = decision
        self.renewLeaseUntil = renewLeaseUntil
    }
}

extension WebhookAttemptReport {
    /// The `last_error` of the endpoint's other deliveries when a `410 Gone` disables it.
    static let goneReason = "the receiver answered 410 Gone"

    /// The attempt's own row.
    var attemptRecord: WebhookAttemptRecord {
        WebhookAttemptRecord(
            deliveryId: deliveryId, attempt: attempt, worker: owner, startedAtMs: startedAt,
            latencyMs: max(0, (finishedAt - startedAt).wholeMilliseconds), httpStatus: httpStatus, error: error)
    }
}

extension WebhookDeliveryRecord {
    /// Applies its owner's report of an attempt to the delivery, the same on every store; `false`, and nothing
    /// changed, when the report no longer applies: a worker whose lease expired and was taken over must not
    /// overwrite the new owner's state. The endpoint-wide effects (a pause, a `410`) are the store's to write.
    mutating func apply(_ report: WebhookAttemptReport) -> Bool {
        guard status == .delivering, leaseOwner == report.owner else { return false }
        attempts = report.attempt
        lastStatus = report.httpStatus
        lastError = report.error
        leaseOwner = nil
        leaseExpiresAtMs = nil
        switch report.decision {
        case .delivered:
            status = .delivered
            deliveredAtMs = report.finishedAt
        case .retry(let at, _):
            status = .pending
            nextAttemptAtMs = at
        case .dead, .disableEndpoint:
            status = .dead
        }
        return true
    }
}

/// The two ways a delivery is due, written once for both stores' claim queries. Each is looked up apart, on
/// `webhook_deliveries_endpoint_due` (endpoint, status, event_seq, next_attempt_at_ms), so a lookup reads the
/// index in event order and stops at its LIMIT: `status IN (...)` cannot be read in event order, and sorting
/// every due delivery of an endpoint made a claim cost as much as the backlog (issue 13).
enum DueDelivery {
    /// Pending, and its time has come.
    case pending
    /// Still "delivering" under an expired lease: its worker died.
    case expiredLease

    /// The condition on the delivery row `alias`, with `now` standing for the claim's time (`:now` for SQLite;
    /// `?` for PostgreSQL, one argument per occurrence: one for `pending`, two for `expiredLease`).
    func condition(_ alias: String, now: String) -> String {
        switch self {
        case .pending: "\(alias).status = 'pending' AND \(alias).next_attempt_at_ms <= \(now)"
        case .expiredLease:
            "\(alias).status = 'delivering' AND \(alias).next_attempt_at_ms <= \(now)"
                + " AND (\(alias).lease_expires_at_ms IS NULL OR \(alias).lease_expires_at_ms <= \(now))"
        }
    }
}
