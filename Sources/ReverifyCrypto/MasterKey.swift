import Crypto
import Foundation

/// The 256-bit key that encrypts secrets at rest (issue 15.3), kept in its own file outside the database,
/// so a copy of the database alone reveals none of them.
public struct MasterKey: Sendable {
    public static let byteCount = 32
    let key: SymmetricKey

    public init(bytes: some ContiguousBytes) throws(MasterKeyError) {
        let key = SymmetricKey(data: bytes)
        guard key.bitCount == Self.byteCount * 8 else { throw .wrongSize }
        self.key = key
    }

    /// Reads a key file: exactly 32 bytes.
    public static func load(path: String) throws(MasterKeyError) -> MasterKey {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        do { return try MasterKey(bytes: data) } catch { throw .wrongSizeFile(path) }
    }

    /// Writes 32 random bytes to a new file readable by its owner only (0600). Refuses to replace a file:
    /// losing the old key would lose every secret it sealed.
    public static func create(path: String) throws(MasterKeyError) {
        let key = SymmetricKey(size: .bits256)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw errno == EEXIST ? .exists(path) : .unwritable(path, String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        let written = key.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == byteCount, fsync(descriptor) == 0 else {
            unlink(path)
            throw .unwritable(path, String(cString: strerror(errno)))
        }
    }
}

/// A master key file that cannot be used, in words an operator can act on.
public enum MasterKeyError: Error, Equatable, CustomStringConvertible {
    case wrongSize
    case wrongSizeFile(String)
    case unreadable(String)
    case exists(String)
    case unwritable(String, String)

    public var description: String {
        switch self {
        case .wrongSize: "a master key is exactly 32 bytes"
        case .wrongSizeFile(let path): "\(path) is not a master key (it must hold exactly 32 bytes)"
        case .unreadable(let path): "cannot read the master key file \(path)"
        case .exists(let path): "\(path) already exists; a master key is never overwritten"
        case .unwritable(let path, let reason): "cannot create \(path): \(reason)"
        }
    }
}
