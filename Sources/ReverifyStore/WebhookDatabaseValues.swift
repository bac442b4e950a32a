import GRDB
import ReverifyCore

// Webhook identifiers, types and times are stored as their raw values.
extension WebhookEndpointID: RawValueColumn {}
extension WebhookEventID: RawValueColumn {}
extension WebhookEventType: RawValueColumn {}
extension UnixMilliseconds: RawValueColumn {}
