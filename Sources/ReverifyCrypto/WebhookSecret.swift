import Foundation

/// An endpoint's signing secret in Standard Webhooks form: `whsec_` followed by the base64 of the HMAC
/// key (24 to 64 random bytes; we generate 32). The key is the decoded bytes, not the text.
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public static let prefix = "whsec_"

    /// The `whsec_…` text shown to the operator once.
    public let encoded: String
    /// The HMAC-SHA256 key.
    public let key: [UInt8]

    /// Parses `whsec_<base64>`; `nil` if it is not one or the key is outside 24…64 bytes.
    public init?(encoded: String) {
        guard encoded.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(encoded.dropFirst(Self.prefix.count))),
            (24...64).contains(data.count)
        else { return nil }
        self.encoded = encoded
        self.key = [UInt8](data)
    }

    /// A fresh secret of 32 bytes from the system CSPRNG.
    public static func generate() -> WebhookSecret {
        let text = prefix + Data(SecureRandom.bytes(32)).base64EncodedString()
        guard let secret = WebhookSecret(encoded: text) else { preconditionFailure("a generated secret must parse") }
        return secret
    }

    /// Never print a secret by accident.
    public var description: String { "WebhookSecret(redacted)" }
    public var debugDescription: String { description }
}
