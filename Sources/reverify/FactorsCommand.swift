import ArgumentParser
import ReverifyCore
import ReverifyStore

extension Users {
    /// `reverify users factors list|remove` (issue 18, item 3): an operator's view of a user's second factors,
    /// and the recovery path when a user lost theirs. Secrets are never printed.
    struct Factors: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List or remove a user's second factors (authenticator apps, passkeys).",
            subcommands: [List.self, Remove.self])

        struct View: Encodable {
            let id: String
            let kind: String
            let name: String
            let confirmed: Bool
            let created_at: Int64
            let confirmed_at: Int64?
            let last_used_at: Int64?
            /// Passkeys only: what the credential is, never its key material.
            let passkey: PasskeyView?

            init(_ f: FactorRecord, credential: PasskeyCredentialRecord?) {
                id = f.id.rawValue
                kind = f.kind.rawValue
                name = f.name
                confirmed = f.isConfirmed
                created_at = f.createdAt.rawValue
                confirmed_at = f.confirmedAt?.rawValue
                last_used_at = f.lastUsedAt?.rawValue
                passkey = credential.map(PasskeyView.init)
            }

            var line: String {
                "\(id)  \(kind)  \(name)  \(confirmed ? "confirmed" : "unconfirmed")  added \(formatted(UnixTime(created_at)))  last used \(formatted(last_used_at.map { UnixTime($0) }))"
                    + (passkey.map { "  \($0.line)" } ?? "")
            }
        }

        /// A passkey's credential as an operator needs it (WebAuthn L3 6.1 flags BE/BS, 5.8.4 transports).
        struct PasskeyView: Encodable {
            let algorithm: String
            let backup_eligible: Bool
            let backed_up: Bool
            let transports: [String]
            let sign_count: Int64

            init(_ c: PasskeyCredentialRecord) {
                algorithm = COSEAlgorithm(rawValue: c.algorithm)?.name ?? "COSE \(c.algorithm)"
                backup_eligible = c.backupEligible
                backed_up = c.backedUp
                transports = c.transportList
                sign_count = c.signCount
            }

            var line: String {
                let backup = backup_eligible ? (backed_up ? "backed up" : "backup eligible, not backed up") : "device-bound"
                let via = transports.isEmpty ? "no transports" : "transports \(transports.joined(separator: ","))"
                return "\(algorithm)  \(backup)  \(via)  sign count \(sign_count)"
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List a user's second factors.")
            @OptionGroup var database: DatabaseOptions
            @OptionGroup var output: OutputOptions
            @Argument(help: "Email address.") var email: String

            func run() async throws {
                let store = try await database.openExisting()
                let user = try await find(email, in: store)
                let credentials = Dictionary(
                    try await store.passkeys(user: user.id).map { ($0.factor.id, $0.credential) }, uniquingKeysWith: { a, _ in a })
                let factors = try await store.factors(user: user.id).map { View($0, credential: credentials[$0.id]) }
                try output.print(json: factors) {
                    factors.isEmpty ? "no second factors for \(user.email)" : factors.map(\.line).joined(separator: "\n")
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove one of a user's second factors (audited; publishes authentication.factor_removed).")
            @OptionGroup var database: DatabaseOptions
            @Argument(help: "Email address.") var email: String
            @Argument(help: "Factor id (fac_…), from `users factors list`.") var id: String

            func run() async throws {
                guard let factorID = FactorID(validating: id) else { throw CLIError("'\(id)' is not a factor id (fac_…)") }
                let store = try await database.openExisting()
                let user = try await find(email, in: store)
                guard let factor = try await store.factors(user: user.id).first(where: { $0.id == factorID }) else {
                    throw CLIError("\(user.email) has no factor \(factorID)")
                }
                let audit = AuditRecord(
                    at: now(), event: .factorRemoved, outcome: .success, userId: user.id, method: factor.kind.method,
                    reason: "operator", detail: factor.auditDetail)
                guard try await store.removeFactor(id: factorID, user: user.id, audit: audit) != nil else {
                    throw CLIError("\(user.email) has no factor \(factorID)")
                }
                print("removed \(factor.kind.rawValue) factor \(factorID) (\(factor.name)) from \(user.email)")
            }
        }
    }
}
