import ArgumentParser
import ReverifyCore
import ReverifyStore

/// `reverify approvals`: agents' requests for a person's approval (OpenID CIBA, issue 12 item 6).
struct Approvals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and revoke agents' requests for a person's approval (CIBA).", subcommands: [List.self, Revoke.self])

    struct View: Encodable {
        let id: String
        let client_id: String
        let user_id: String?
        let action: String
        let binding_message: String?
        let authorization_details: [String: JSONValue]
        let scope: String
        let required_acr: String
        /// `pending`, `granted`, `denied`, `redeemed`, `revoked`, or `expired` (pending past its expiry).
        let status: String
        let created_at: Int64
        let expires_at: Int64
        let decided_at: Int64?
        let auth_time: Int64?
        let acr: String?
        let grant_id: String?

        init(_ a: ApprovalRecord, at now: UnixTime) {
            id = a.id.rawValue
            client_id = a.clientId.rawValue
            user_id = a.userId?.rawValue
            action = a.action
            binding_message = a.bindingMessage
            authorization_details = a.authorizationDetails
            scope = a.scope
            required_acr = a.requiredAcr.rawValue
            status = a.status == .pending && now >= a.expiresAt ? "expired" : a.status.rawValue
            created_at = a.createdAt.rawValue
            expires_at = a.expiresAt.rawValue
            decided_at = a.decidedAt?.rawValue
            auth_time = a.authTime?.rawValue
            acr = a.acr?.rawValue
            grant_id = a.grantId?.rawValue
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List approval requests, newest first.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only requests for this person (email).") var user: String?
        @Flag(help: "Only requests still waiting for the person.") var pending = false

        func run() async throws {
            let store = try await database.openExisting()
            var userID: UserID?
            if let user { userID = try await Users.find(user, in: store).id }
            let t = now()
            let views = try await store.approvals(user: userID, pendingAt: pending ? t : nil).map { View($0, at: t) }
            try output.print(json: views) {
                views.isEmpty
                    ? "no approval requests"
                    : views.map {
                        "\($0.id)  \($0.status)  \($0.action)  client \($0.client_id)  user \($0.user_id ?? "-")  created \(formatted(.init($0.created_at)))  \($0.binding_message.map { "“\($0)”" } ?? "")"
                    }.joined(separator: "\n")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an approval request: a pending one then polls as access_denied; a redeemed one's tokens are revoked.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Approval id (apr_…).") var id: String

        func run() async throws {
            guard let approvalID = ApprovalID(validating: id) else { throw CLIError("no approval request with id \(id)") }
            let store = try await database.openExisting()
            let t = now()
            let audit = AuditRecord(at: t, event: .approvalRevoked, outcome: .success, reason: "cli")
            switch try await store.revokeApproval(id: approvalID, at: t, audit: audit) {
            case .unknown: throw CLIError("no approval request with id \(id)")
            case .alreadyFinal(let status):
                throw CLIError("approval request \(id) is already \(status == .pending ? "expired" : status.rawValue)")
            case .revoked(let grant?): print("revoked approval request \(id) and the tokens it issued (grant \(grant.rawValue))")
            case .revoked(nil): print("revoked approval request \(id)")
            }
        }
    }
}
