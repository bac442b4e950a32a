import ArgumentParser
import ReverifyCore
import ReverifyStore

struct Sessions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect, flag and revoke browser sessions.", subcommands: [List.self, Flag.self, Revoke.self])

    struct View: Encodable {
        let id: String
        let user_id: String
        let created_at: Int64
        let auth_time: Int64
        let amr: [String]
        let acr: String
        let ip_address: String?
        let user_agent: String?
        let expires_at: Int64
        let revoked_at: Int64?
        let active: Bool

        init(_ s: SessionRecord, at time: UnixTime) {
            id = s.id.rawValue
            user_id = s.userId.rawValue
            created_at = s.createdAt.rawValue
            auth_time = s.authTime.rawValue
            amr = s.amr.map(\.rawValue)
            acr = s.acr.rawValue
            ip_address = s.ipAddress
            user_agent = s.userAgent
            expires_at = min(s.expiresAt, s.idleExpiresAt).rawValue
            revoked_at = s.revokedAt?.rawValue
            active = s.isActive(at: time)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sessions, newest first.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this user's sessions (email).") var user: String?

        func run() async throws {
            let store = try await database.openExisting()
            var userID: UserID?
        if let user { userID = try await Users.find(user, in: store).id }
            let t = now()
            let sessions = try await store.sessions(user: userID).map { View($0, at: t) }
            try output.print(json: sessions) {
                sessions.isEmpty
                    ? "no sessions"
                    : sessions.map {
                        "\($0.id)  \($0.user_id)  auth_time \(formatted(.init($0.auth_time)))  amr \($0.amr.joined(separator: ","))  \($0.active ? "active" : ($0.revoked_at != nil ? "revoked" : "expired"))  \($0.ip_address ?? "-")"
                    }.joined(separator: "\n")
            }
        }
    }

    struct Flag: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Flag a session for the risk policy (e.g. --reason device_not_compliant), until a time or for good.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Session id (ses_…).") var id: String
        @Option(help: "The flag, as the policy's flag_outcomes name it (letters, digits, _ . -).") var reason: String
        @Option(help: "When the flag ends, in seconds since the epoch.") var until: Int64?

        func run() async throws {
            guard (1...64).contains(reason.count),
                reason.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) })
            else { throw CLIError("--reason must be 1 to 64 letters, digits, _ . or -") }
            let t = now()
            if let until, until <= t.rawValue { throw CLIError("--until must be in the future") }
            let store = try await database.openExisting()
            guard let sessionID = SessionID(validating: id), let session = try await store.session(id: sessionID) else {
                throw CLIError("no session with id \(id)")
            }
            try await store.flagSession(
                id: session.id, reason: reason, until: until.map { UnixTime($0) }, at: t,
                audit: AuditRecord(
                    at: t, event: .riskStepUpRequired, outcome: .info, userId: session.userId, sessionId: session.id,
                    reason: "flagged", detail: ["flag": reason, "source": "cli"]))
            print("flagged session \(id): \(reason)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a session and revoke the tokens issued from it.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Session id (ses_…).") var id: String

        func run() async throws {
            let store = try await database.openExisting()
            guard let sessionID = SessionID(validating: id), let session = try await store.session(id: sessionID) else {
                throw CLIError("no session with id \(id)")
            }
            let t = now()
            let audit = AuditRecord(
                at: t, event: .sessionRevoked, outcome: .success, userId: session.userId, sessionId: session.id,
                reason: "cli")
            guard try await store.revokeSession(id: session.id, at: t, audit: audit) else {
                throw CLIError("session \(id) is already revoked")
            }
            print("revoked session \(id)")
        }
    }
}
