import GRDB
import ReverifyCore

/// A row of `outbox_events`: one event, its exact JSON body, and its place in commit order.
public struct OutboxEventRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "outbox_events"

    /// Assigned on insert; deliveries to an endpoint go out in this order.
    public var seq: Int64?
    public var id: WebhookEventID
    public var type: WebhookEventType
    /// The body that is signed and POSTed, byte for byte, on every attempt and replay.
    public var payload: String
    /// The reported change's time (the body's `created_at`).
    public var createdAt: UnixTime
    /// Wall-clock time inside the transaction that wrote the event: "commit" for latency measurements.
    public var enqueuedAtMs: UnixMilliseconds

    public init(
        seq: Int64? = nil, id: WebhookEventID, type: WebhookEventType, payload: String, createdAt: UnixTime,
        enqueuedAtMs: UnixMilliseconds
    ) {
        self.seq = seq
        self.id = id
        self.type = type
        self.payload = payload
        self.createdAt = createdAt
        self.enqueuedAtMs = enqueuedAtMs
    }
}
