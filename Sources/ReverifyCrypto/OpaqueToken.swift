import Crypto
import ReverifyCore
import Foundation

/// Cryptographically secure random bytes from swift-crypto's system RNG.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

/// A bearer secret (session cookie, code, refresh token, client secret): 256 random bits,
/// shown once as base64url and stored only as its SHA-256 (DESIGN 4).
public struct OpaqueToken: Sendable, CustomStringConvertible {
    public let value: String

    public init(value: String) { self.value = value }

    public static func generate(prefix: String? = nil) -> OpaqueToken {
        let random = Data(SecureRandom.bytes(32)).base64URLEncodedString()
        return OpaqueToken(value: prefix.map { "\($0)_\(random)" } ?? random)
    }

    public var hash: TokenHash { TokenHash(of: value) }

    /// Never print a secret by accident.
    public var description: String { "OpaqueToken(redacted)" }
}

/// The stored form of an opaque token: SHA-256 of its text, hex-encoded.
public struct TokenHash: Hashable, Sendable, Codable, CustomStringConvertible {
    public let hex: String

    public init(hex: String) { self.hex = hex }

    public init(of secret: String) {
        self.hex = SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public var description: String { hex }

    /// Compare a presented secret against a stored hash without leaking where they differ.
    public func matches(_ secret: String) -> Bool {
        ConstantTime.equals(Array(TokenHash(of: secret).hex.utf8), Array(hex.utf8))
    }
}

/// Random identifiers for public ids (`usr_…`): 128 bits, lower-case base32-ish hex.
public enum IdentifierGenerator {
    public static func make(prefix: String) -> String {
        prefix + "_" + SecureRandom.bytes(16).map { String(format: "%02x", $0) }.joined()
    }
}

extension Data {
    /// RFC 4648 section 5, without padding (RFC 7515 2).
    public func base64URLEncodedString() -> String {
        base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
