/// The event types Reverify publishes (DESIGN 3). Endpoints subscribe to a subset of them.
public enum WebhookEventType: String, Codable, Sendable, CaseIterable, Comparable {
    /// A sign-in on the hosted pages verified the user and created a session.
    case authenticationSucceeded = "authentication.succeeded"
    /// A live session was actively re-verified; its `auth_time` moved forward.
    case authenticationReauthenticated = "authentication.reauthenticated"
    /// A sign-in or re-verification attempt failed.
    case authenticationFailed = "authentication.failed"
    case sessionCreated = "session.created"
    /// A session ended: signed out, or revoked by an operator.
    case sessionRevoked = "session.revoked"
    /// A verification email (magic link and code) was sent.
    case magicAuthCreated = "magic_auth.created"
    /// A workload exchanged a person's access token for an action-bound token (RFC 8693, issue 12 item 6).
    case tokenExchanged = "token.exchanged"
    /// An agent asked a known person to approve an action (OpenID CIBA, issue 12 item 6).
    case agentApprovalRequested = "agent.approval_requested"
    /// The person approved an agent's action after a fresh verification.
    case agentApprovalGranted = "agent.approval_granted"
    /// The person denied an agent's action.
    case agentApprovalDenied = "agent.approval_denied"
    /// An operator revoked an agent's approval request (`reverify approvals revoke`), and any tokens it yielded.
    case agentApprovalRevoked = "agent.approval_revoked"
    /// The risk policy demanded a step-up (or denied) for a signed-in session (issue 11).
    case sessionRiskStepUpRequired = "session.risk_step_up_required"
    /// A security event from another system was accepted (issue 11).
    case signalsReceived = "signals.received"
    /// A second factor (authenticator app, passkey) was added to an account (issue 18).
    case authenticationFactorAdded = "authentication.factor_added"
    /// A second factor was removed from an account (issue 18).
    case authenticationFactorRemoved = "authentication.factor_removed"
    /// Sent on request to one endpoint by `reverify webhooks test`; never fanned out.
    case test = "webhook.test"

    /// Parses an operator's comma-separated `--events` list; `nil` names the first unknown entry.
    public static func parseList(_ text: String) -> Result<[WebhookEventType], UnknownEventType> {
        var types: [WebhookEventType] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingWhitespace
            guard !name.isEmpty else { continue }
            guard let type = WebhookEventType(rawValue: name) else { return .failure(UnknownEventType(name: name)) }
            if !types.contains(type) { types.append(type) }
        }
        return .success(types)
    }

    /// An event type name that Reverify does not publish.
    public struct UnknownEventType: Error, Equatable, CustomStringConvertible {
        public let name: String
        public init(name: String) { self.name = name }
        public var description: String {
            "unknown event type '\(name)' (known: \(WebhookEventType.allCases.map(\.rawValue).joined(separator: ", ")))"
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension Substring {
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
