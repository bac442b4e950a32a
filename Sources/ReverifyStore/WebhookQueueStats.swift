import ReverifyCore

/// One endpoint's delivery queue, as exported to metrics (issue 15.1).
public struct WebhookQueueStats: Sendable, Equatable {
    public var endpointId: WebhookEndpointID
    /// Deliveries not yet delivered nor dead (pending or being delivered).
    public var undelivered: Int
    /// When the oldest undelivered delivery was created; `nil` when none is waiting.
    public var oldestUndeliveredAt: UnixTime?
    /// Attempts recorded over all of the endpoint's deliveries.
    public var attempts: Int
    /// Deliveries that gave up (dead letters).
    public var dead: Int

    public init(endpointId: WebhookEndpointID, undelivered: Int, oldestUndeliveredAt: UnixTime?, attempts: Int, dead: Int) {
        self.endpointId = endpointId
        self.undelivered = undelivered
        self.oldestUndeliveredAt = oldestUndeliveredAt
        self.attempts = attempts
        self.dead = dead
    }
}
