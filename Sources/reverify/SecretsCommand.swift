import ArgumentParser
import Logging
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `reverify secrets`: the master key that encrypts secrets at rest (issue 15.3).
struct Secrets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encrypt signing keys, webhook secrets and upstream client secrets at rest.",
        subcommands: [InitMasterKey.self, Status.self, Encrypt.self, RotateMasterKey.self])

    /// Says once, at start, whether secrets are encrypted at rest.
    static func announceAtStart(store: any Store, keyed: Bool, logger: Logger) async throws {
        let inventory = try await store.secretInventory()
        if !keyed {
            logger.warning(
                "no --master-key-file: signing keys, webhook secrets and upstream client secrets are stored unencrypted")
        } else if inventory.plaintext > 0 {
            logger.warning("\(inventory.plaintext) secrets are still stored unencrypted; run `reverify secrets encrypt`")
        }
    }

    struct InitMasterKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init-master-key", abstract: "Create a new master key file (32 random bytes, mode 0600).")
        @Argument(help: "Where to create it; an existing file is never overwritten.") var file: String

        func run() throws {
            try MasterKey.create(path: file)
            print("created master key \(file); keep a copy apart from the database backups")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count encrypted and unencrypted secrets.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        struct View: Encodable {
            let encrypted: Int
            let unencrypted: Int
        }

        func run() async throws {
            let inventory = try await database.openExisting().secretInventory()
            let view = View(encrypted: inventory.sealed, unencrypted: inventory.plaintext)
            try output.print(json: view) { "encrypted: \(view.encrypted)\nunencrypted: \(view.unencrypted)" }
        }
    }

    struct Encrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encrypt every secret still stored in the clear under --master-key-file (one transaction).")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard database.masterKeyFile != nil else { throw CLIError("secrets encrypt needs --master-key-file") }
            let count = try await database.openExisting().sealPlaintextSecrets()
            print("encrypted \(count) secrets")
        }
    }

    struct RotateMasterKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-master-key",
            abstract: "Re-encrypt every secret from --master-key-file (or the clear) under a new key (one transaction).")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "The new master key file (create it with init-master-key).") var new: String

        func run() async throws {
            // Both keys are checked before anything is written: the old one opens every secret, the new one loads.
            let newSealer = AESGCMSecretSealer(key: try MasterKey.load(path: new))
            let count = try await database.openExisting().resealSecrets(with: newSealer)
            print("re-encrypted \(count) secrets; serve with --master-key-file \(new) from now on")
        }
    }
}
