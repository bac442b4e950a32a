import GRDB
import ReverifyCore

/// A row of `agent_approvals`: an agent's request for a person's approval of one action (OpenID CIBA poll
/// mode, issue 12 item 4), from `bc-authorize` through the person's decision to the tokens it yields once.
public struct ApprovalRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "agent_approvals"

    public var id: ApprovalID
    /// SHA-256 of the `auth_req_id`; the value itself is only ever in the agent's hands.
    public var requestHash: String
    /// SHA-256 of the token in the emailed approval link.
    public var linkHash: String
    public var clientId: ClientID
    /// `nil` when the hint named no (enabled) account: the request stays pending until it expires.
    public var userId: UserID?
    public var action: String
    /// The RFC 9396 entry the token will carry, as the agent sent it.
    public var authorizationDetails: [String: JSONValue]
    public var bindingMessage: String?
    public var scope: String
    public var requiredAcr: ACR
    public var maxAge: Seconds
    public var status: ApprovalStatus
    public var createdAt: UnixTime
    public var expiresAt: UnixTime
    public var pollInterval: Seconds
    public var lastPolledAt: UnixTime?
    /// The browser that began the approval's verification, and when; only it may decide.
    public var browserHash: String?
    public var verificationStartedAt: UnixTime?
    /// The session the approval's verification completed on.
    public var verifiedSessionId: SessionID?
    public var decidedAt: UnixTime?
    /// The approving session and its verification, carried into the token (`sid`, `auth_time`, `acr`, `amr`).
    public var sessionId: SessionID?
    public var authTime: UnixTime?
    public var acr: ACR?
    public var amr: [AMR]?
    public var grantId: GrantID?
    public var redeemedAt: UnixTime?
    public var revokedAt: UnixTime?

    public init(
        id: ApprovalID, requestHash: String, linkHash: String, clientId: ClientID, userId: UserID?, action: String,
        authorizationDetails: [String: JSONValue], bindingMessage: String?, scope: String, requiredAcr: ACR, maxAge: Seconds,
        createdAt: UnixTime, expiresAt: UnixTime, pollInterval: Seconds
    ) {
        self.id = id
        self.requestHash = requestHash
        self.linkHash = linkHash
        self.clientId = clientId
        self.userId = userId
        self.action = action
        self.authorizationDetails = authorizationDetails
        self.bindingMessage = bindingMessage
        self.scope = scope
        self.requiredAcr = requiredAcr
        self.maxAge = maxAge
        self.status = .pending
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.pollInterval = pollInterval
    }

    /// What the polling state machine needs.
    public var pollState: ApprovalPollState {
        ApprovalPollState(status: status, expiresAt: expiresAt, interval: pollInterval, lastPolledAt: lastPolledAt)
    }

    /// Still waiting for the person at `now`.
    public func isPending(at now: UnixTime) -> Bool { status == .pending && now < expiresAt }
}

/// The person's answer on the approval page.
public enum ApprovalDecision: String, Sendable {
    case approve
    case deny
}

/// The approving verification, recorded with a `.approve` decision.
public struct ApprovingVerification: Sendable, Equatable {
    public let session: SessionID
    public let authTime: UnixTime
    public let acr: ACR
    public let amr: [AMR]

    public init(session: SessionID, authTime: UnixTime, acr: ACR, amr: [AMR]) {
        self.session = session
        self.authTime = authTime
        self.acr = acr
        self.amr = amr
    }
}

/// What one poll did: the outcome the state machine chose, and the approval as it now stands.
public enum ApprovalPoll: Sendable, Equatable {
    /// Unknown `auth_req_id`, or another client's: `invalid_grant`, nothing written.
    case unknown
    case answered(ApprovalPollOutcome, ApprovalRecord)
}

/// What `approvals revoke` did.
public enum ApprovalRevocation: Sendable, Equatable {
    case unknown
    /// Already denied, revoked, or expired unanswered: nothing to revoke.
    case alreadyFinal(ApprovalStatus)
    /// Revoked; `revokedGrant` when tokens had been issued and are now revoked with it.
    case revoked(revokedGrant: GrantID?)
}
