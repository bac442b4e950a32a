/// An event in the webhook outbox (`evt_…`). It is the Standard Webhooks `webhook-id`: the same on every
/// retry and replay of the event, so receivers can de-duplicate on it.
public struct WebhookEventID: PrefixedIdentifier {
    public static let prefix = "evt"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A registered webhook endpoint (`whe_…`).
public struct WebhookEndpointID: PrefixedIdentifier {
    public static let prefix = "whe"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}
