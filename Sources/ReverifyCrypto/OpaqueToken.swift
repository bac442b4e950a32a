import Crypto
import ReverifyCore
import Foundation

/// Cryptographically secure random bytes from swift-crypto's system RNG.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        // Eight bytes per call to the system RNG rather than one.
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}

/// A bearer secret (session cookie, code, refresh token, client secret): 256 random bits,
/// shown once as base64url and stored only as its SHA-256 (DESIGN 4).
public struct OpaqueToken: Sendable, CustomStringConvertible {
    public let value: String

    public init(value: String) { self.value = value }

    public static func generate(prefix: String? = nil) -> OpaqueToken {
        let random = ByteEncoding.base64URL(SecureRandom.bytes(32))
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
        self.hex = ByteEncoding.hex(SHA256.hash(data: Array(secret.utf8)))
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
        prefix + "_" + ByteEncoding.hex(SecureRandom.bytes(16))
    }
}

extension Data {
    /// RFC 4648 section 5, without padding (RFC 7515 2).
    public func base64URLEncodedString() -> String {
        ByteEncoding.base64URL(self)
    }
}
