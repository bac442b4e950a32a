import ReverifyCore

/// Which events an audit row reports, and what they say (DESIGN 3). Pure: the store calls it inside the
/// transaction that writes the audit row, so every change that is audited is also published, and any
/// new way of verifying a user (email code, magic link, upstream SSO) publishes events without code here.
public enum WebhookEventDerivation {
    /// The events for `audit`, in the order they are written (and delivered).
    public static func events(for audit: AuditRecord, makeID: () -> WebhookEventID) -> [WebhookEvent] {
        let payload = data(for: audit)
        return types(for: audit).map { WebhookEvent(id: makeID(), type: $0, createdAt: audit.at, data: payload) }
    }

    /// `signIn` success: the user authenticated and a session began. `reauthentication` success: the session's
    /// `auth_time` moved. Failures of either are `authentication.failed`; a sign-out or revocation ends a session;
    /// a verification email (link and code) that was sent is `magic_auth.created`.
    ///
    /// A failure that names no known user (an unknown address, a junk upstream callback) publishes nothing: anyone
    /// can produce those without limit, and each event fans out to every endpoint with a day of retries
    /// (issue 9 item 5). The audit row still records it.
    public static func types(for audit: AuditRecord) -> [WebhookEventType] {
        switch (audit.event, audit.outcome) {
        case (.signIn, .success): [.authenticationSucceeded, .sessionCreated]
        case (.reauthentication, .success): [.authenticationReauthenticated]
        case (.signIn, .failure), (.reauthentication, .failure): audit.userId == nil ? [] : [.authenticationFailed]
        case (.sessionRevoked, .success), (.signOut, .success): [.sessionRevoked]
        case (.magicLinkSent, .success): [.magicAuthCreated]
        case (.tokenExchanged, .success): [.tokenExchanged]
        // An approval request for nobody (an unknown login_hint) is audited but not published (issue 9 item 5).
        case (.approvalRequested, .success): audit.userId == nil ? [] : [.agentApprovalRequested]
        case (.approvalGranted, .success): [.agentApprovalGranted]
        case (.approvalDenied, .success): [.agentApprovalDenied]
        case (.approvalRevoked, .success): [.agentApprovalRevoked]
        case (.riskStepUpRequired, _): [.sessionRiskStepUpRequired]
        case (.signalReceived, .success): [.signalsReceived]
        case (.factorAdded, .success): [.authenticationFactorAdded]
        case (.factorRemoved, .success): [.authenticationFactorRemoved]
        default: []
        }
    }

    /// The `data` object: who, which session and client, how, the new and previous `auth_time`, the
    /// resulting `amr`/`acr`, what triggered it, and from where. The audit `detail` keys are the ones
    /// `VerificationCompletion.eventDetail` writes for every successful verification.
    public static func data(for audit: AuditRecord) -> WebhookEventData {
        let detail = audit.detail
        let failed = audit.outcome == .failure
        let trigger = detail["trigger_reason"].map {
            WebhookTrigger(
                reason: $0, maxAge: detail["trigger_max_age"].flatMap { Int64($0) }.map { Seconds($0) },
                action: detail["trigger_action"], acr: detail["trigger_acr"].flatMap(ACR.init(rawValue:)),
                acrSources: detail["trigger_acr_source"].map { $0.split(separator: " ").compactMap { LevelSource(rawValue: String($0)) } })
        }
        var data = WebhookEventData(
            userId: audit.userId, sessionId: audit.sessionId, clientId: audit.clientId, method: audit.method,
            authTime: detail["auth_time"].flatMap { Int64($0) }.map { UnixTime($0) },
            previousAuthTime: detail["previous_auth_time"].flatMap { Int64($0) }.map { UnixTime($0) },
            amr: detail["amr"].map { $0.split(separator: " ").map { AMR(rawValue: String($0)) } },
            acr: detail["acr"].flatMap(ACR.init(rawValue:)),
            previousAcr: detail["acr_before"].flatMap(ACR.init(rawValue:)),
            trigger: trigger,
            ipAddress: audit.ipAddress, userAgent: audit.userAgent,
            // On success the audit reason is the trigger, already reported; on failure or sign-out it says why.
            reason: failed || [[.sessionRevoked], [.sessionRiskStepUpRequired], [.authenticationFactorAdded], [.authenticationFactorRemoved], [.agentApprovalRevoked]]
                .contains(types(for: audit)) ? audit.reason : nil,
            riskTriggers: detail["risk_triggers"].map { $0.split(separator: " ").map(String.init) },
            flow: failed ? (audit.event == .signIn ? "sign_in" : "reauthentication") : nil,
            factor: detail["factor_id"].flatMap(FactorID.init(validating:)).map {
                WebhookFactor(id: $0, kind: detail["factor_kind"].flatMap(UserFactorKind.init(rawValue:)), name: detail["factor_name"])
            })
        data.approvalId = detail["approval_id"].flatMap(ApprovalID.init(validating:))
        return data
    }
}
