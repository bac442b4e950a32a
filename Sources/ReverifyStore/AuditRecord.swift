import GRDB
import ReverifyCore

/// A row of `audit_log`: one decision or attempt, with who, how, why and from where.
public struct AuditRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "audit_log"

    public var id: Int64?
    public var at: UnixTime
    public var event: AuditEvent
    public var outcome: AuditOutcome
    public var userId: UserID?
    public var sessionId: SessionID?
    public var clientId: ClientID?
    public var method: AuthMethod?
    public var reason: String?
    public var ipAddress: String?
    public var userAgent: String?
    public var detail: [String: String]
    /// The request this row was written for (issue 15.2); `nil` for the CLI and background work.
    public var requestId: String?

    public init(
        at: UnixTime, event: AuditEvent, outcome: AuditOutcome, userId: UserID? = nil, sessionId: SessionID? = nil,
        clientId: ClientID? = nil, method: AuthMethod? = nil, reason: String? = nil, ipAddress: String? = nil,
        userAgent: String? = nil, detail: [String: String] = [:],
        requestId: String? = RequestID.current?.rawValue
    ) {
        self.at = at
        self.event = event
        self.outcome = outcome
        self.userId = userId
        self.sessionId = sessionId
        self.clientId = clientId
        self.method = method
        self.reason = reason
        self.ipAddress = ipAddress
        self.userAgent = userAgent
        self.detail = detail
        self.requestId = requestId
    }
}
