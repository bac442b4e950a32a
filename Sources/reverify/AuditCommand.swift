import ArgumentParser
import ReverifyCore
import ReverifyStore

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the audit log, newest first.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Only this user's records (email).") var user: String?
    @Option(help: "At most this many records.") var limit: Int = 100
    @Option(help: "Only records whose trigger names this (max_age, prompt_login, action, acr, risk, new_device, …).")
    var trigger: String?

    struct View: Encodable {
        let id: Int64?
        let at: Int64
        let event: String
        let outcome: String
        let user_id: String?
        let session_id: String?
        let client_id: String?
        let method: String?
        let reason: String?
        let ip_address: String?
        let user_agent: String?
        let detail: [String: String]
        let request_id: String?

        init(_ r: AuditRecord) {
            id = r.id
            at = r.at.rawValue
            event = r.event.rawValue
            outcome = r.outcome.rawValue
            user_id = r.userId?.rawValue
            session_id = r.sessionId?.rawValue
            client_id = r.clientId?.rawValue
            method = r.method?.rawValue
            reason = r.reason
            ip_address = r.ipAddress
            user_agent = r.userAgent
            detail = r.detail
            request_id = r.requestId
        }
    }

    /// Whether a record's trigger fields name `trigger`: the freshness reason, the level's rules, the risk signals.
    static func names(_ trigger: String, _ detail: [String: String]) -> Bool {
        let fields = ["trigger_reason", "trigger_acr_source", "acr_source", "risk_triggers", "risk_outcome", "decision"]
        return fields.contains { detail[$0]?.split(whereSeparator: { $0 == " " || $0 == ":" }).contains(Substring(trigger)) == true }
    }

    func run() async throws {
        guard limit > 0 else { throw CLIError("--limit must be positive") }
        let store = try await database.openExisting()
        var userID: UserID?
        if let user { userID = try await Users.find(user, in: store).id }
        var records = try await store.auditLog(user: userID, limit: trigger == nil ? limit : 10_000).map(View.init)
        if let trigger {
            records = Array(records.filter { Self.names(trigger, $0.detail) }.prefix(limit))
        }
        try output.print(json: records) {
            records.isEmpty
                ? "no audit records"
                : records.map {
                    [formatted(.init($0.at)), $0.event, $0.outcome, $0.method ?? "-", $0.client_id ?? "-", $0.user_id ?? "-",
                     $0.reason ?? "-", $0.ip_address ?? "-", $0.user_agent ?? "-"].joined(separator: "  ")
                }.joined(separator: "\n")
        }
    }
}
