/// The kinds of decision and change written to the audit log (DESIGN 5: every decision is audited).
public enum AuditEvent: String, Codable, Sendable, CaseIterable {
    /// The authorization endpoint decided whether a session was fresh enough.
    case authorizeDecision = "authorize.decision"
    case signIn = "authentication.sign_in"
    case reauthentication = "authentication.reauthentication"
    case sessionRevoked = "session.revoked"
    case signOut = "session.signed_out"
    case codeReplay = "token.code_replay"
    case refreshTokenReuse = "token.refresh_reuse"
    case accessDenied = "authorize.cancelled"
    /// A client failed to authenticate at a back-channel endpoint (reason says why, e.g. `assertion_expired`).
    case clientAuthentication = "client.authentication"
    /// A token exchange (RFC 8693) was decided: issued, or refused for the person's or the workload's state.
    case tokenExchanged = "token.exchanged"
    /// A verification email (link + code) was requested; outcome says whether it was sent.
    case magicLinkSent = "magic_auth.created"
    /// The risk policy demanded a step-up or denied the request (issue 11).
    case riskStepUpRequired = "session.risk_step_up_required"
    /// An answer of the decision API (`POST /v1/decisions`, issue 11).
    case actionDecision = "decision.action"
    /// A Security Event Token was received from a transmitter (issue 11), accepted or refused.
    case signalReceived = "signals.received"
    /// An agent asked a person to approve an action (OpenID CIBA `bc-authorize`, issue 12 item 4), or was refused.
    case approvalRequested = "agent.approval_requested"
    /// The person approved, after a fresh verification.
    case approvalGranted = "agent.approval_granted"
    /// The person denied.
    case approvalDenied = "agent.approval_denied"
    /// An approved request yielded its tokens at the token endpoint (once).
    case approvalRedeemed = "agent.approval_redeemed"
    /// An operator revoked an approval (`reverify approvals revoke`).
    case approvalRevoked = "agent.approval_revoked"
    /// A second factor (authenticator app, passkey) was added to an account and counts from now on (issue 18).
    case factorAdded = "authentication.factor_added"
    /// A second factor was removed, by the user on the security page or by an operator (issue 18).
    case factorRemoved = "authentication.factor_removed"
}

/// Whether an audited attempt succeeded.
public enum AuditOutcome: String, Codable, Sendable {
    case success
    case failure
    case info
}
