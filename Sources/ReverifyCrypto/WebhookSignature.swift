import Crypto
import Foundation

/// Standard Webhooks signatures (standardwebhooks.com, "Signature scheme"): HMAC-SHA256 keyed with the
/// secret's bytes over `{webhook-id}.{webhook-timestamp}.{body}`, sent as `v1,<base64>`.
public enum WebhookSignature {
    /// The content of `webhook-signature`: one `v1,…` per secret, space-separated, which the spec allows
    /// so that a receiver holding either the old or the new secret verifies during a rotation.
    public static func header(id: String, timestamp: Int64, body: some DataProtocol, secrets: [WebhookSecret]) -> String {
        secrets.map { "v1," + sign(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")
    }

    /// The base64 HMAC for one secret.
    public static func sign(id: String, timestamp: Int64, body: some DataProtocol, secret: WebhookSecret) -> String {
        var mac = HMAC<SHA256>(key: SymmetricKey(data: secret.key))
        mac.update(data: Data("\(id).\(timestamp).".utf8))
        mac.update(data: body)
        return Data(mac.finalize()).base64EncodedString()
    }
}
