import Foundation
import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `POST /oauth2/bc-authorize` (OpenID CIBA Core 7, poll mode, with RFC 9396 `authorization_details`;
/// issue 12 item 4): an agent asks a person to approve one action. Reverify emails the person a link to the
/// hosted approval page and answers the agent with an `auth_req_id` to poll the token endpoint with.
///
/// A request for an address with no account answers exactly like one for a real person (CIBA Core 7.1 leaves
/// `unknown_user_id` to the server; answering it would let any client test which addresses have accounts):
/// it is stored, never mailed, and polls as pending until it expires. The audit log records it.
struct BackchannelAuthenticationRoutes {
    let services: Services
    static let path = "/oauth2/bc-authorize"

    func register(on router: Router<ReverifyRequestContext>) {
        router.post(RouterPath(stringLiteral: Self.path)) { request, context in
            try await self.authorize(request, context: context)
        }
    }

    /// CIBA Core 7.3: the successful answer.
    struct Acknowledgement: Encodable {
        let auth_req_id: String
        let expires_in: Int64
        let interval: Int64
    }

    /// A request that passed every check, before anything is stored.
    private struct Checked {
        let hint: BackchannelHint
        let binding: BindingMessage?
        let authorization: ActionAuthorization
        let policy: ActionPolicy
        let scopes: [String]
        let expiry: Seconds
        let level: ACR
    }

    func authorize(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let form: RequestParameters
        switch try await FormParameters.protocolBody(of: request, context: context) {
        case .failure(let error): return ProtocolResponse.error(error)
        case .success(let parameters): form = parameters
        }
        // CIBA Core 7.1: the client authenticates as it does at the token endpoint; public clients cannot.
        let client: StoredClient
        let attestation: ClientAttestation?
        switch try await ClientAuthenticator(services: services).authenticateWithAttestation(
            request, context: context, form: form, allowPublic: false)
        {
        case .failure(let failure): return failure.response
        case .success(let authenticated):
            client = authenticated.client
            attestation = authenticated.attestation
        }
        let now = services.time.now()
        var audit = AuditRecord(
            at: now, event: .approvalRequested, outcome: .failure, clientId: client.record.id, ipAddress: context.ipAddress,
            userAgent: request.userAgent)
        func refuse(_ error: OAuthError, reason: String? = nil) async throws -> Response {
            audit.reason = reason ?? error.code.rawValue
            audit.detail["error_description"] = String(error.description.prefix(200))
            try await services.store.appendAudit(audit)
            return ProtocolResponse.error(error)
        }

        let checked: Checked
        do {
            checked = try check(form, client: client)
        } catch let error as OAuthError {
            return try await refuse(error)
        }
        audit.detail.merge(
            Self.triggerDetail(
                action: checked.authorization.action, maxAge: checked.policy.maxAge, level: checked.level,
                freshAttestation: checked.policy.requiresFreshAttestation)
        ) { _, new in new }
        // Issue 12 item 2: the workload re-attests here as on an exchange (registered claims; freshness if the action asks).
        if let problem = AttestationRules.problem(
            attestation, required: client.record.requiredAttestation, freshRequired: checked.policy.requiresFreshAttestation, now: now)
        {
            return try await refuse(.invalidClient(problem.description), reason: problem.rawValue)
        }
        if let attestation { audit.detail["attestation_age"] = String(attestation.age(at: now).rawValue) }

        // The person: an unknown or disabled account is not told apart in the answer (see the type's comment).
        let user: UserRecord?
        switch checked.hint {
        case .email(let email):
            user = try await services.store.user(email: email)
        case .idToken(let token):
            let hinted: UserID?
            do {
                hinted = try await AuthorizationFlow(services: services).hintedUser(token)?.0
            } catch {
                return try await refuse(error)
            }
            user = try await hinted.asyncMap { try await services.store.user(id: $0) } ?? nil
        }
        let person = user.flatMap { $0.isDisabled ? nil : $0 }

        let requestID = OpaqueToken.generate(prefix: "rvb")
        let link = OpaqueToken.generate(prefix: "rva")
        let approval = ApprovalRecord(
            id: ApprovalID(rawValue: IdentifierGenerator.make(prefix: ApprovalID.prefix)), requestHash: requestID.hash.hex,
            linkHash: link.hash.hex, clientId: client.record.id, userId: person?.id, action: checked.authorization.action,
            authorizationDetails: checked.authorization.detail, bindingMessage: checked.binding?.text,
            scope: checked.scopes.joined(separator: " "), requiredAcr: checked.level, maxAge: checked.policy.maxAge,
            createdAt: now, expiresAt: now + checked.expiry, pollInterval: ApprovalPolling.defaultInterval)
        audit.userId = person?.id
        audit.outcome = person == nil ? .info : .success
        audit.reason = person == nil ? (user == nil ? "unknown_user" : "disabled") : "requested"
        audit.detail["approval_id"] = approval.id.rawValue
        audit.detail["expires_at"] = String(approval.expiresAt.rawValue)
        try await services.store.createApproval(approval, audit: audit)

        if let person {
            let message = ApprovalMail(services: services).compose(
                approval, to: person, client: client.record, linkToken: link.value)
            // Sent off the request path, so a real account answers as fast as an unknown one (issue 9, item 9).
            Task { [services] in await ApprovalMail.deliver(message, approval: approval, services: services) }
        }
        return try ProtocolResponse.json(
            Acknowledgement(
                auth_req_id: requestID.value, expires_in: checked.expiry.rawValue,
                interval: ApprovalPolling.defaultInterval.rawValue))
    }

    /// Every rule that needs no lookup, in CIBA Core 7.1 order. Throws the first `OAuthError`; stores nothing.
    private func check(_ form: RequestParameters, client: StoredClient) throws -> Checked {
        // CIBA Core 5, 7.1: poll mode only; a notification token means ping or push mode.
        if form["client_notification_token"] != nil {
            throw OAuthError.invalidRequest("only the poll token delivery mode is supported")
        }
        // CIBA Core 7.1: `backchannel_user_code_parameter_supported` is false.
        if form["user_code"] != nil { throw OAuthError.invalidRequest("user_code is not supported") }
        if form["request"] != nil { throw OAuthError(.requestNotSupported, "signed authentication requests are not supported") }
        let hint = try BackchannelRequestRules.hint(
            loginHint: form["login_hint"], idTokenHint: form["id_token_hint"], loginHintToken: form["login_hint_token"])
        let binding = try BindingMessage.validate(form["binding_message"])
        let details = try TokenExchangeGrant.authorizationDetails(form["authorization_details"])
        let (authorization, policy) = try TokenExchangeRules.action(details, registered: client.record.actions)
        let scopes = try BackchannelRequestRules.scopes(form["scope"])
        let expiry = try ApprovalPolling.expiry(requested: form["requested_expiry"])
        let level = BackchannelRequestRules.requiredLevel(
            acrValues: form["acr_values"], action: policy, clientFloor: client.record.minAcr)
        return Checked(
            hint: hint, binding: binding, authorization: authorization, policy: policy, scopes: scopes, expiry: expiry,
            level: level)
    }

    /// The trigger keys `WebhookEventDerivation` reads (as `token.exchanged` writes them), so the approval
    /// events carry the action and the rule that asked for the person.
    static func triggerDetail(action: String, maxAge: Seconds, level: ACR, freshAttestation: Bool) -> [String: String] {
        var detail = [
            "trigger_reason": "action", "trigger_action": action, "trigger_max_age": String(maxAge.rawValue),
            "trigger_acr": level.rawValue,
        ]
        if freshAttestation { detail["trigger_attestation"] = "fresh" }
        return detail
    }
}
