import ReverifyCore

/// How the webhook worker inside `reverify serve` polls, times out and retries (DESIGN 3).
public struct WebhookConfiguration: Sendable {
    /// Run the delivery worker at all.
    public var enabled = true
    /// How often the worker looks for due deliveries (retries whose time has come). New events wake it
    /// sooner: at once when this process wrote them, within about 20 ms when another process (the CLI,
    /// another server) did (issue 13).
    public var pollInterval: Duration = .milliseconds(250)
    /// The whole exchange with a receiver, from connecting to the last byte of the answer.
    public var requestTimeout: Duration = .seconds(15)
    /// Backoff, jitter, dead-lettering and `Retry-After` handling.
    public var policy = DeliveryPolicy()
    /// Endpoints the worker sends to at the same time (each one receives its events one after another).
    public var concurrentEndpoints = 16
    /// Deliveries claimed per endpoint at once.
    public var batchSize = 50
    /// How far beyond the request timeout a lease reaches, covering DNS and the store write. A crashed
    /// worker's deliveries are picked up again after at most `requestTimeout + leaseMargin`.
    public var leaseMargin: Duration = .seconds(10)
    public var userAgent = "Reverify-Webhooks/1.0"

    public init() {}

    var leaseDuration: Duration { requestTimeout + leaseMargin }
}
