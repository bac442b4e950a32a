import ArgumentParser
import ReverifyCore
import ReverifyServer
import ReverifyStore

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage token signing keys.", subcommands: [List.self, Rotate.self, Retire.self])

    struct View: Encodable {
        let kid: String
        let algorithm: String
        let status: String
        let created_at: Int64
        let retired_at: Int64?
        let removed_at: Int64?

        init(_ k: SigningKeyRecord) {
            kid = k.kid
            algorithm = k.algorithm
            status = k.status.rawValue
            created_at = k.createdAt.rawValue
            retired_at = k.retiredAt?.rawValue
            removed_at = k.removedAt?.rawValue
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List signing keys (active, retired but published, removed).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let keys = try await database.openExisting().allSigningKeys().map(View.init)
            try output.print(json: keys) {
                keys.isEmpty
                    ? "no keys (one is generated when the server first starts, or run `reverify keys rotate`)"
                    : keys.map { "\($0.kid)  \($0.algorithm)  \($0.status)  created \(formatted(.init($0.created_at)))" }
                        .joined(separator: "\n")
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new active signing key; older keys stay published until retired.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "ES256 (default) or RS256.") var algorithm: String = "ES256"

        func run() async throws {
            guard let algorithm = SigningAlgorithm(rawValue: algorithm.uppercased()) else {
                throw CLIError("--algorithm must be ES256 or RS256")
            }
            let key = try await KeyRingProvider.rotate(store: database.openExisting(), now: now(), algorithm: algorithm)
            try output.print(json: View(key)) { "new active key \(key.kid) (\(key.algorithm))" }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop publishing a rotated-out key. Do this only after its tokens have expired.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Key id (kid).") var kid: String

        func run() async throws {
            try await database.openExisting().removeSigningKey(kid: kid, at: now())
            print("key \(kid) is no longer published")
        }
    }
}
