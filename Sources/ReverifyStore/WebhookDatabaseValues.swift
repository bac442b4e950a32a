import GRDB
import ReverifyCore

// Webhook identifiers, types and times are stored as their raw values.
extension WebhookEndpointID: DatabaseValueConvertible {}
extension WebhookEventID: DatabaseValueConvertible {}
extension WebhookEventType: DatabaseValueConvertible {}
extension UnixMilliseconds: DatabaseValueConvertible {}
