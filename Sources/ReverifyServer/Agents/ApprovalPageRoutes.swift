import Foundation
import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// The hosted approval page (issue 12 item 4). Scanner-safe like magic links (DESIGN 2): opening the
/// emailed link only shows what is asked; a POST from that page starts a fresh verification of the named
/// person on the usual hosted pages (password, emailed code, SSO), which completes through
/// `VerificationCompletion` and continues here; only then do Approve and Deny appear, and only a POST
/// from the browser that verified, with a session fresh enough for the action, decides.
struct ApprovalPageRoutes {
    let services: Services
    var flow: AuthorizationFlow { AuthorizationFlow(services: services) }
    var pages: PageRenderer { services.pages }

    static func linkPath(_ token: String) -> String { "/reauth/approve/\(token)" }
    static func reviewPath(_ id: ApprovalID) -> String { "/reauth/approval/\(id.rawValue)" }

    func register(on router: Router<ReverifyRequestContext>) {
        router.get("/reauth/approve/:token") { request, context in try await self.landing(request, context: context) }
        router.post("/reauth/approve/:token") { request, context in try await self.startVerification(request, context: context) }
        router.get("/reauth/approval/:id") { request, context in try await self.review(request, context: context) }
        router.post("/reauth/approval/:id") { request, context in try await self.decide(request, context: context) }
    }

    // MARK: The emailed link

    /// Shows the request; writes nothing but the browser cookie a later POST needs.
    private func landing(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let (approval, client, user): (ApprovalRecord, ClientRecord, UserRecord)
        switch try await linked(context) {
        case .failure(let page): return page.response
        case .success(let found): (approval, client, user) = found
        }
        let existing = flow.cookies.browserSecret(in: request).flatMap { $0.utf8.count == 43 ? $0 : nil }
        let browserSecret = existing ?? OpaqueToken.generate().value
        var values = ApprovalMail.values(approval, clientName: client.name)
        values["landing"] = true
        values["email"] = user.email
        values["formAction"] = Self.linkPath(context.parameters.get("token") ?? "")
        values["csrf"] = AuthorizationFlow.csrfToken(browserSecret: browserSecret, purpose: "approve:\(approval.id.rawValue)")
        var response = pages.page("approval", title: "Approve a request", values: values)
        if existing == nil { response.setCookie(flow.cookies.browser(browserSecret)) }
        return response
    }

    /// Begins a fresh verification of the named person, bound to this browser, that returns to the review page.
    private func startVerification(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let form = try await FormParameters.body(of: request, context: context)
        let (approval, client, user): (ApprovalRecord, ClientRecord, UserRecord)
        switch try await linked(context) {
        case .failure(let page): return page.response
        case .success(let found): (approval, client, user) = found
        }
        guard let browserSecret = flow.cookies.browserSecret(in: request), form.isUsable("csrf_token"),
            let csrf = form["csrf_token"],
            ConstantTime.equals(csrf, AuthorizationFlow.csrfToken(browserSecret: browserSecret, purpose: "approve:\(approval.id.rawValue)"))
        else {
            return pages.error("This form expired. Open the link from the email again.", status: .forbidden)
        }
        // A login_hint never switches the user of a live session (DESIGN 2): the browser must be the person's or signed out.
        let current = try await flow.currentSession(request)
        if let (_, signedIn) = current, signedIn.id != user.id {
            return pages.error(
                "This browser is signed in as a different account. Sign out first, or open the link from the email in another browser.",
                title: "Different account", status: .conflict)
        }
        let now = services.time.now()
        let id = AuthorizationRequestID(rawValue: IdentifierGenerator.make(prefix: AuthorizationRequestID.prefix))
        // The approval's policy as an authorization request, so the hosted pages, the step-up planner and
        // VerificationCompletion treat it as any other: prompt=login (always a fresh verification), the
        // action (its methods and level floor) and the level the approval needs.
        let authorize = AuthorizeRequest(
            clientID: client.id, redirectURI: services.configuration.url(Self.reviewPath(approval.id)), scopes: [],
            state: nil, nonce: nil, codeChallenge: nil, maxAge: approval.maxAge, prompt: PromptSet([.login]),
            idTokenHint: nil, loginHint: user.email, acrValues: [approval.requiredAcr.rawValue], action: approval.action,
            receivedAt: now)
        var record = AuthorizationRequestRecord(
            id: id, browserHash: TokenHash(of: browserSecret).hex,
            csrfHash: TokenHash(of: AuthorizationFlow.csrfToken(browserSecret: browserSecret, purpose: id.rawValue)).hex,
            clientId: client.id, request: authorize, sessionId: current?.0.id, pinnedUserId: user.id, reason: .action,
            createdAt: now, expiresAt: min(now + services.configuration.interactionLifetime, approval.expiresAt))
        record.approvalId = approval.id
        guard try await services.store.startApprovalVerification(id: approval.id, flow: record, at: now) else {
            return Self.finished(approval, pages: pages)
        }
        return Response(status: .seeOther, headers: [.location: "/reauth/\(id.rawValue)", .cacheControl: "no-store"])
    }

    /// The approval a link names, with its agent and person, while it is pending.
    private func linked(_ context: ReverifyRequestContext) async throws
        -> Result<(ApprovalRecord, ClientRecord, UserRecord), PageResponse>
    {
        guard let token = context.parameters.get("token"), token.utf8.count <= 128,
            let approval = try await services.store.approval(linkHash: TokenHash(of: token).hex)
        else {
            return .failure(PageResponse(pages.error(
                "This approval link is not valid. Open the link from the email again.", title: "Link not valid", status: .notFound)))
        }
        return try await loaded(approval)
    }

    private func loaded(_ approval: ApprovalRecord) async throws -> Result<(ApprovalRecord, ClientRecord, UserRecord), PageResponse> {
        guard approval.isPending(at: services.time.now()) else { return .failure(PageResponse(Self.finished(approval, pages: pages))) }
        guard let client = try await services.store.client(id: approval.clientId)?.record,
            let userID = approval.userId, let user = try await services.store.user(id: userID), !user.isDisabled
        else {
            return .failure(PageResponse(pages.error("This request can no longer be answered.", status: .gone)))
        }
        RequestLogFacts.note(client: client.id)
        return .success((approval, client, user))
    }

    /// The page for a request that is no longer waiting: what became of it.
    static func finished(_ approval: ApprovalRecord, pages: PageRenderer) -> Response {
        let message: String
        switch approval.status {
        case .granted, .redeemed: message = "You already approved this request."
        case .denied: message = "You already denied this request."
        case .revoked: message = "This request was revoked."
        case .pending: message = "This request has expired. The agent has to ask again."
        }
        return pages.error(message, title: "Request closed", status: .gone)
    }

    // MARK: After the verification

    /// The verified person, in the browser that verified, for a pending approval; or the page saying why not.
    private struct Reviewer {
        let approval: ApprovalRecord
        let client: ClientRecord
        let user: UserRecord
        let session: SessionRecord
        let browserSecret: String
        var csrf: String { AuthorizationFlow.csrfToken(browserSecret: browserSecret, purpose: "approval:\(approval.id.rawValue)") }
    }

    private func verifiedReviewer(_ request: Request, context: ReverifyRequestContext) async throws -> Result<Reviewer, PageResponse> {
        guard let id = context.parameters.get("id").flatMap(ApprovalID.init(validating:)),
            let approval = try await services.store.approval(id: id)
        else { return .failure(PageResponse(pages.error("There is no such request.", status: .notFound))) }
        let (client, user): (ClientRecord, UserRecord)
        switch try await loaded(approval) {
        case .failure(let page): return .failure(page)
        case .success(let found): (_, client, user) = found
        }
        let verifyFirst = PageResponse(pages.error(
            "Verify it's you first: open the link from the email again, in this browser.", title: "Verification needed",
            status: .forbidden))
        // Bound to the browser that verified, and to the session its verification completed on.
        guard let browserSecret = flow.cookies.browserSecret(in: request), let expected = approval.browserHash,
            ConstantTime.equals(TokenHash(of: browserSecret).hex, expected),
            let (session, signedIn) = try await flow.currentSession(request), signedIn.id == user.id,
            session.id == approval.verifiedSessionId, let started = approval.verificationStartedAt, session.authTime >= started
        else { return .failure(verifyFirst) }
        return .success(Reviewer(approval: approval, client: client, user: user, session: session, browserSecret: browserSecret))
    }

    /// Whether the session's verification is still fresh and strong enough for the approval (issue 12 item 4).
    private func meetsPolicy(_ reviewer: Reviewer, at now: UnixTime) -> Bool {
        let approval = reviewer.approval
        return now - reviewer.session.authTime <= approval.maxAge
            && reviewer.session.levels.satisfies(
                approval.requiredAcr, maxAge: approval.maxAge, at: now, lifetimes: services.configuration.levelLifetimes)
    }

    private func review(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let reviewer: Reviewer
        switch try await verifiedReviewer(request, context: context) {
        case .failure(let page): return page.response
        case .success(let found): reviewer = found
        }
        var values = ApprovalMail.values(reviewer.approval, clientName: reviewer.client.name)
        values["review"] = true
        values["email"] = reviewer.user.email
        values["csrf"] = reviewer.csrf
        values["formAction"] = Self.reviewPath(reviewer.approval.id)
        let now = services.time.now()
        values["canApprove"] = meetsPolicy(reviewer, at: now)
        values["requiredLevel"] = reviewer.approval.requiredAcr.humanName
        return pages.page("approval", title: "Approve a request", values: values)
    }

    private func decide(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let form = try await FormParameters.body(of: request, context: context)
        let reviewer: Reviewer
        switch try await verifiedReviewer(request, context: context) {
        case .failure(let page): return page.response
        case .success(let found): reviewer = found
        }
        guard form.isUsable("csrf_token"), let csrf = form["csrf_token"], ConstantTime.equals(csrf, reviewer.csrf) else {
            return pages.error("This form expired. Open the link from the email again.", status: .forbidden)
        }
        guard form.isUsable("decision"), let decision = form["decision"].flatMap(ApprovalDecision.init(rawValue:)) else {
            return pages.error("Choose Approve or Deny.", status: .badRequest)
        }
        let now = services.time.now()
        if decision == .approve, !meetsPolicy(reviewer, at: now) {
            return pages.error(
                "Your verification is no longer fresh or strong enough for this request. Open the link from the email again to verify.",
                title: "Verify again", status: .forbidden)
        }
        let approval = reviewer.approval
        let (acr, amr) = reviewer.session.effectiveAssurance(at: now, lifetimes: services.configuration.levelLifetimes)
        let verification = ApprovingVerification(session: reviewer.session.id, authTime: reviewer.session.authTime, acr: acr, amr: amr)
        var detail = BackchannelAuthenticationRoutes.triggerDetail(
            action: approval.action, maxAge: approval.maxAge, level: approval.requiredAcr, freshAttestation: false)
        // DESIGN 5: the subject's state when deciding (auth_time age, level) and the outcome.
        detail["approval_id"] = approval.id.rawValue
        detail["auth_time"] = String(reviewer.session.authTime.rawValue)
        detail["auth_time_age"] = String((now - reviewer.session.authTime).rawValue)
        detail["acr"] = acr.rawValue
        detail["amr"] = amr.map(\.rawValue).joined(separator: " ")
        detail["decision"] = decision.rawValue
        let audit = flow.audit(
            decision == .approve ? .approvalGranted : .approvalDenied, .success, request: request, context: context,
            user: reviewer.user.id, session: reviewer.session.id, client: approval.clientId,
            reason: decision == .approve ? "approved" : "denied", detail: detail)
        guard try await services.store.decideApproval(id: approval.id, decision: decision, verification: verification, at: now, audit: audit)
        else {
            let latest = try await services.store.approval(id: approval.id) ?? approval
            return Self.finished(latest, pages: pages)
        }
        var values = ApprovalMail.values(approval, clientName: reviewer.client.name)
        values["done"] = true
        values["approved"] = decision == .approve
        return pages.page("approval", title: decision == .approve ? "Approved" : "Denied", values: values)
    }
}
