import Crypto
import Foundation
import ReverifyCore

/// ``SecretSealing`` with AES-256-GCM (swift-crypto) under a ``MasterKey``: a fresh random 96-bit nonce per
/// value (NIST SP 800-38D 8.2.2), the row as associated data.
public struct AESGCMSecretSealer: SecretSealing {
    private let key: MasterKey

    public init(key: MasterKey) { self.key = key }

    public func seal(_ plaintext: String, row: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key.key, nonce: AES.GCM.Nonce(), authenticating: Data(row.utf8))
        guard let combined = box.combined else { throw SecretSealingError.malformed }
        return SealedValue.prefix + combined.base64EncodedString()
    }

    public func open(_ sealed: String, row: String) throws -> String {
        guard SealedValue.isSealed(sealed), let data = Data(base64Encoded: String(sealed.dropFirst(SealedValue.prefix.count))),
            let box = try? AES.GCM.SealedBox(combined: data)
        else { throw SecretSealingError.malformed }
        guard let plaintext = try? AES.GCM.open(box, using: key.key, authenticating: Data(row.utf8)) else {
            throw SecretSealingError.cannotOpen
        }
        return String(decoding: plaintext, as: UTF8.self)
    }
}
