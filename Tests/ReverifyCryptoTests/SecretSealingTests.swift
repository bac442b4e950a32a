import Foundation
import ReverifyCore
import ReverifyCrypto
import Testing

@Suite struct SecretSealingTests {
    let key = try! MasterKey(bytes: [UInt8](repeating: 7, count: 32))
    let otherKey = try! MasterKey(bytes: [UInt8](repeating: 8, count: 32))

    @Test func sealedValueOpensToThePlaintext() throws {
        let sealer = AESGCMSecretSealer(key: key)
        let sealed = try sealer.seal("whsec_secret", row: "webhook_endpoints:whe_1")
        #expect(SealedValue.isSealed(sealed))
        #expect(!sealed.contains("whsec_secret"))
        #expect(try sealer.open(sealed, row: "webhook_endpoints:whe_1") == "whsec_secret")
    }

    @Test func eachSealUsesItsOwnNonce() throws {
        let sealer = AESGCMSecretSealer(key: key)
        let first = try sealer.seal("same", row: "r:1")
        let second = try sealer.seal("same", row: "r:1")
        #expect(first != second)
        // The nonce is the first 12 bytes of the combined box.
        let nonce = { (text: String) in Data(base64Encoded: String(text.dropFirst(SealedValue.prefix.count)))!.prefix(12) }
        #expect(nonce(first) != nonce(second))
    }

    @Test func valueSealedForOneRowDoesNotOpenForAnother() throws {
        let sealer = AESGCMSecretSealer(key: key)
        let sealed = try sealer.seal("pem", row: "signing_keys:kid-a")
        #expect(throws: SecretSealingError.cannotOpen) { try sealer.open(sealed, row: "signing_keys:kid-b") }
    }

    @Test func anotherKeyCannotOpen() throws {
        let sealed = try AESGCMSecretSealer(key: key).seal("pem", row: "r:1")
        #expect(throws: SecretSealingError.cannotOpen) { try AESGCMSecretSealer(key: otherKey).open(sealed, row: "r:1") }
    }

    @Test func tamperedValueCannotOpen() throws {
        let sealer = AESGCMSecretSealer(key: key)
        var bytes = Data(base64Encoded: String(try sealer.seal("pem", row: "r:1").dropFirst(SealedValue.prefix.count)))!
        bytes[bytes.count - 1] ^= 1
        #expect(throws: SecretSealingError.cannotOpen) {
            try sealer.open(SealedValue.prefix + bytes.base64EncodedString(), row: "r:1")
        }
    }

    @Test func keyMustBe32Bytes() {
        #expect(throws: MasterKeyError.wrongSize) { try MasterKey(bytes: [UInt8](repeating: 1, count: 16)) }
    }
}

@Suite struct MasterKeyFileTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reverify-key-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }

    @Test func createdKeyIs32RandomBytesReadableByItsOwnerOnly() throws {
        let path = directory.appendingPathComponent("master.key").path
        try MasterKey.create(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 32)
        _ = try MasterKey.load(path: path)
    }

    @Test func twoCreatedKeysDiffer() throws {
        let a = directory.appendingPathComponent("a.key").path, b = directory.appendingPathComponent("b.key").path
        try MasterKey.create(path: a)
        try MasterKey.create(path: b)
        #expect(FileManager.default.contents(atPath: a) != FileManager.default.contents(atPath: b))
    }

    @Test func anExistingFileIsNeverOverwritten() throws {
        let path = directory.appendingPathComponent("master.key").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: MasterKeyError.exists(path)) { try MasterKey.create(path: path) }
        #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
    }

    @Test func fileOfAnotherSizeIsNotAKey() throws {
        let path = directory.appendingPathComponent("short.key").path
        try Data(repeating: 1, count: 31).write(to: URL(fileURLWithPath: path))
        #expect(throws: MasterKeyError.wrongSizeFile(path)) { try MasterKey.load(path: path) }
    }
}
