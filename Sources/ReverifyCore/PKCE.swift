/// A PKCE code challenge (RFC 7636). Only `S256` exists here: `plain` is refused (DESIGN 2, RFC 9700 2.1.1).
public struct PKCEChallenge: Codable, Equatable, Sendable {
    public let value: String

    /// RFC 7636 4.2: S256 challenges are BASE64URL(SHA256(verifier)), 43 characters, no padding.
    public init(challenge: String, method: String?) throws(OAuthError) {
        guard let method else {
            throw .invalidRequest("code_challenge_method is required and must be S256")
        }
        guard method == "S256" else {
            throw .invalidRequest("code_challenge_method '\(method.prefix(16))' is not supported; use S256")
        }
        guard challenge.utf8.count == 43, challenge.utf8.allSatisfy(Self.isBase64URL) else {
            throw .invalidRequest("code_challenge must be a 43-character base64url S256 value")
        }
        self.value = challenge
    }

    /// RFC 7636 4.1: verifier = 43*128 unreserved characters.
    public static func isWellFormedVerifier(_ verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count) && verifier.utf8.allSatisfy(isUnreserved)
    }

    static func isBase64URL(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        isBase64URL(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "~")
    }
}
