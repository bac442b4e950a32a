/// Encrypts the secrets the server must be able to read back — signing-key private keys, webhook signing
/// secrets, upstream client secrets — before they reach the database (issue 15.3). The store calls it; the
/// implementation (AES-256-GCM under a master key) lives in ReverifyCrypto.
public protocol SecretSealing: Sendable {
    /// `row` (table and row id) is bound as associated data: a sealed value copied into another row does not open.
    func seal(_ plaintext: String, row: String) throws -> String
    /// Throws ``SecretSealingError/cannotOpen`` when the key or the row is not the one it was sealed with.
    func open(_ sealed: String, row: String) throws -> String
}

/// How a sealed value is told apart from a plaintext one in the same column.
public enum SealedValue {
    /// Version 1: AES-256-GCM, `rvenc1:` + base64(nonce ‖ ciphertext ‖ tag).
    public static let prefix = "rvenc1:"

    public static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(prefix) }
}

/// Why a sealed value could not be read.
public enum SecretSealingError: Error, Equatable, CustomStringConvertible {
    case cannotOpen
    case malformed

    public var description: String {
        switch self {
        case .cannotOpen: "the master key does not open this secret"
        case .malformed: "a sealed secret is malformed"
        }
    }
}
