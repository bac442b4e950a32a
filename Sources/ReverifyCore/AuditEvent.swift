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
    /// A verification email (link + code) was requested; outcome says whether it was sent.
    case magicLinkSent = "magic_auth.created"
    /// The risk policy demanded a step-up or denied the request (issue 11).
    case riskStepUpRequired = "session.risk_step_up_required"
    /// An answer of the decision API (`POST /v1/decisions`, issue 11).
    case actionDecision = "decision.action"
}

/// Whether an audited attempt succeeded.
public enum AuditOutcome: String, Codable, Sendable {
    case success
    case failure
    case info
}
