import GRDB
import ReverifyCore

/// A row of `webhook_endpoints`: where events are POSTed, which types it wants, and the secrets that
/// sign them. The secrets are kept in the clear because HMAC needs them (see `0003_webhooks.sql`);
/// `description` redacts them so a record can never leak one into a log.
public struct WebhookEndpointRecord: SnakeCaseRecord, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public static let databaseTableName = "webhook_endpoints"

    public var id: WebhookEndpointID
    public var url: String
    /// The types this endpoint receives; `nil` means every type.
    public var eventTypes: [WebhookEventType]?
    /// The operator allowed private, loopback and link-local targets for this endpoint.
    public var allowPrivate: Bool
    /// The current `whsec_…` secret.
    public var secret: String
    /// The secret before the last rotation, still signing until `previousSecretExpiresAt`.
    public var previousSecret: String?
    public var previousSecretExpiresAt: UnixTime?
    public var createdAt: UnixTime
    public var disabledAt: UnixTime?
    public var disabledReason: String?
    /// The receiver asked us to slow down (429/502/503/504, `Retry-After`); nothing is sent before this.
    public var pausedUntilMs: UnixMilliseconds?

    public init(
        id: WebhookEndpointID, url: String, eventTypes: [WebhookEventType]?, allowPrivate: Bool, secret: String,
        createdAt: UnixTime
    ) {
        self.id = id
        self.url = url
        self.eventTypes = eventTypes.flatMap { $0.isEmpty ? nil : $0 }
        self.allowPrivate = allowPrivate
        self.secret = secret
        self.createdAt = createdAt
    }

    /// Whether events of `type` fan out to this endpoint. Test events are only ever sent on request.
    public func subscribes(to type: WebhookEventType) -> Bool {
        guard type != .test else { return false }
        return eventTypes?.contains(type) ?? true
    }

    public var isEnabled: Bool { disabledAt == nil }

    /// The secrets that sign a delivery at `time`: the current one, plus the previous one during its grace period.
    public func signingSecrets(at time: UnixTime) -> [String] {
        var secrets = [secret]
        if let previousSecret, let until = previousSecretExpiresAt, time < until { secrets.append(previousSecret) }
        return secrets
    }

    public var description: String {
        "WebhookEndpointRecord(id: \(id), url: \(url), eventTypes: \(eventTypes.map { $0.map(\.rawValue) } ?? ["*"]), "
            + "enabled: \(isEnabled), secret: redacted)"
    }
    public var debugDescription: String { description }
}
