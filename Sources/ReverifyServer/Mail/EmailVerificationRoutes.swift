import Crypto
import Foundation
import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Verification by a one-time secret sent to the user's address: one message carries a magic link
/// and a 6-digit code. Both are single use, short-lived, hashed at rest, and bound to the pending
/// request, the user and the browser that asked.
///
/// Email scanners open every link, so `GET /reauth/magic/<token>` only shows a confirmation page;
/// completion is a `POST` from the browser that asked (DESIGN 2). Another device types the code instead.
struct EmailVerificationRoutes {
    let services: Services
    let hosted: HostedPageRoutes
    var flow: AuthorizationFlow { AuthorizationFlow(services: services) }
    var pages: PageRenderer { services.pages }
    var policy: OneTimeCodePolicy { services.configuration.oneTimeCodes }

    init(services: Services) {
        self.services = services
        self.hosted = HostedPageRoutes(services: services)
    }

    func register(on router: Router<ReverifyRequestContext>) {
        router.post("/reauth/:id/email") { request, context in
            try await hosted.withPendingForm(request, context) { pending, form in
                try await self.sendEmail(pending, form: form, request: request, context: context)
            }
        }
        router.post("/reauth/:id/code") { request, context in
            try await hosted.withPendingForm(request, context) { pending, form in
                try await self.checkCode(pending, form: form, request: request, context: context)
            }
        }
        router.get("/reauth/magic/:token") { request, context in
            try await self.openLink(request, context: context)
        }
        router.post("/reauth/magic/:token") { request, context in
            try await self.confirmLink(request, context: context)
        }
    }

    // MARK: Sending

    private func sendEmail(_ pending: HostedPageRoutes.Pending, form: RequestParameters, request: Request, context: ReverifyRequestContext)
        async throws -> Response
    {
        guard hosted.offersEmail(pending) else {
            return try await hosted.render(pending, error: "Email verification is not allowed for this action.", status: .forbidden)
        }
        let now = services.time.now()
        let typed = form.isUsable("email") ? form["email"] ?? "" : ""
        let user: UserRecord?
        if let (_, sessionUser) = pending.session {
            user = sessionUser
        } else if let pinned = pending.pinnedUser {
            guard AccountRules.normalizedEmail(typed)?.lowercased() == pinned.email.lowercased() else {
                return try await hosted.render(pending, error: "Sign in as \(pinned.email) to continue.", status: .unauthorized)
            }
            user = pinned
        } else {
            guard let email = AccountRules.normalizedEmail(typed) else {
                return try await hosted.render(pending, error: "Enter your email address to get a sign-in link.", status: .badRequest)
            }
            user = try await services.store.user(email: email)
        }
        let event: AuditEvent = .magicLinkSent
        // The address the page names: the account's, or what was typed. Limits, lockout and the page
        // itself are the same for every address, account or not (issue 9, item 9).
        let address = user?.email ?? AccountRules.normalizedEmail(typed) ?? typed
        switch try await AttemptGuard(services: services).reserveEmailSend(email: address, context: context) {
        case .allowed:
            break
        case .lockedOut:
            // A locked account gets no new secret to guess (issue 9, item 4).
            try await services.store.appendAudit(
                flow.audit(event, .failure, request: request, context: context, user: user?.id, client: pending.client.id,
                           method: .magicLink, reason: "locked_out"))
            return try await hosted.render(pending, error: AttemptGuard.lockedOutMessage, status: .tooManyRequests, email: typed)
        case .limited(let refusal):
            try await services.store.appendAudit(
                flow.audit(event, .failure, request: request, context: context, user: user?.id, client: pending.client.id,
                           method: .magicLink, reason: "rate_limited"))
            return try await hosted.render(pending, error: refusal, status: .tooManyRequests, email: typed)
        }
        guard let user, !user.isDisabled else {
            try await services.store.appendAudit(
                flow.audit(event, .failure, request: request, context: context, client: pending.client.id,
                           method: .magicLink, reason: "unknown_user"))
            return checkEmailPage(pending, email: address, error: nil)
        }

        let token = OpaqueToken.generate(prefix: "rvm")
        let code = Self.randomCode()
        let id = IdentifierGenerator.make(prefix: "mgl")
        let link = MagicLinkRecord(
            id: id, requestId: pending.record.id, userId: user.id, browserHash: pending.record.browserHash,
            tokenHash: token.hash.hex, codeHash: Self.codeHash(linkID: id, code: code), createdAt: now,
            expiresAt: now + policy.lifetime, ipAddress: context.ipAddress, userAgent: request.userAgent)
        try await services.store.createMagicLink(link)

        // Sent off the request path, so a real account answers as fast as an unknown one (issue 9, item 9).
        // The outcome is recorded on the link and in the audit log.
        let message = composeMessage(to: user.email, client: pending.client, token: token, code: code, request: request, context: context)
        let sent = flow.audit(
            event, .success, request: request, context: context, user: user.id, session: pending.session?.0.id,
            client: pending.client.id, method: .magicLink, reason: "sent")
        Task { [services] in await Self.deliver(message, linkID: id, audit: sent, services: services) }
        return checkEmailPage(pending, email: address, error: nil)
    }

    /// Sends one verification message, once, and records what happened to it.
    private static func deliver(_ message: MailMessage, linkID: String, audit: AuditRecord, services: Services) async {
        var outcome = audit
        var sendError: String?
        do {
            try await services.mailer.send(message)
        } catch {
            services.logger.warning("verification email not sent", metadata: ["error": "\(error)", "link": "\(linkID)"])
            sendError = String(String(describing: error).prefix(200))
            outcome.outcome = .failure
            outcome.reason = "mail_send_failed"
            outcome.detail["error"] = sendError
        }
        do {
            try await services.store.recordMagicLinkDelivery(
                id: linkID, sentAt: sendError == nil ? services.time.now() : nil, error: sendError)
            try await services.store.appendAudit(outcome)
        } catch {
            services.logger.error("verification email outcome not recorded", metadata: ["error": "\(error)", "link": "\(linkID)"])
        }
    }

    private func composeMessage(
        to email: String, client: RegisteredClient, token: OpaqueToken, code: String, request: Request,
        context: ReverifyRequestContext
    ) -> MailMessage {
        let minutes = policy.lifetime.rawValue / 60
        let values: [String: Any] = [
            "appName": client.name, "code": code, "link": services.configuration.url("/reauth/magic/\(token.value)"),
            "minutes": minutes, "ip": context.ipAddress ?? "unknown",
            "userAgent": MailMessage.headerSafe(request.userAgent ?? "unknown"),
        ]
        let mail = services.configuration.mail
        return MailMessage(
            from: mail.from, fromName: mail.fromName, to: email, subject: "Your \(client.name) verification code: \(code)",
            text: pages.fragment("email_magic_text", values: values), html: pages.fragment("email_magic_html", values: values))
    }

    private func checkEmailPage(_ pending: HostedPageRoutes.Pending, email: String, error: String?, status: HTTPResponse.Status = .ok)
        -> Response
    {
        var values: [String: Any] = [
            "clientName": pending.client.name, "requestID": pending.record.id.rawValue, "csrf": pending.csrf,
            "email": Self.masked(email), "minutes": policy.lifetime.rawValue / 60,
        ]
        if let error { values["error"] = error }
        let targets = HostedPageRoutes.formTargets(of: pending.record)
        return pages.page("check_email", title: "Check your email", values: values, status: status, formTargets: targets)
    }

    // MARK: The code, typed into the page that asked

    private func checkCode(_ pending: HostedPageRoutes.Pending, form: RequestParameters, request: Request, context: ReverifyRequestContext)
        async throws -> Response
    {
        let email = pending.session?.1.email ?? pending.pinnedUser?.email ?? ""
        guard let code = form["code"].flatMap(OneTimeCodePolicy.normalizedCode) else {
            return checkEmailPage(pending, email: email, error: "Enter the 6-digit code from the email.", status: .badRequest)
        }
        let event: AuditEvent = pending.isReauthentication ? .reauthentication : .signIn
        // A guess counts against the account the code was sent to, and its lockout covers codes too
        // (issue 9, item 4): codes and passwords share one budget of failures.
        guard let newest = try await services.store.newestMagicLink(request: pending.record.id) else {
            return checkEmailPage(pending, email: email, error: "No code was sent for this sign-in yet.", status: .badRequest)
        }
        let owner = try await services.store.user(id: newest.userId)
        let attempts = AttemptGuard(services: services)
        guard let reservation = try await attempts.reserve(
            email: owner?.email ?? newest.userId.rawValue, kind: .emailCode, context: context)
        else {
            try await services.store.appendAudit(
                flow.audit(event, .failure, request: request, context: context, user: newest.userId,
                           session: pending.session?.0.id, client: pending.client.id, method: .emailCode, reason: "locked_out"))
            return checkEmailPage(pending, email: email, error: AttemptGuard.lockedOutMessage, status: .tooManyRequests)
        }
        let result = try await services.store.checkCode(
            request: pending.record.id, codeHash: { Self.codeHash(linkID: $0, code: code) }, policy: policy,
            at: services.time.now())
        switch result {
        case .accepted(let link):
            try await attempts.settle(reservation, succeeded: true)
            return try await finish(pending, link: link, method: .emailCode, request: request, context: context)
        case .wrong(let remaining):
            try await attempts.settle(reservation, succeeded: false)
            try await services.store.appendAudit(
                flow.audit(event, .failure, request: request, context: context, user: newest.userId,
                           session: pending.session?.0.id, client: pending.client.id, method: .emailCode, reason: "wrong_code"))
            let message = remaining > 0
                ? "That code is not correct. \(remaining) \(remaining == 1 ? "attempt" : "attempts") left."
                : "Too many wrong codes. This code no longer works: request a new email."
            return checkEmailPage(pending, email: email, error: message, status: .unauthorized)
        case .unusable(let state):
            try await services.store.settleAttempt(reservation, outcome: .void)
            let message = state == .expired
                ? "This code has expired. Request a new email."
                : "This code can no longer be used. Request a new email."
            return checkEmailPage(pending, email: email, error: message, status: .gone)
        case .none:
            try await services.store.settleAttempt(reservation, outcome: .void)
            return checkEmailPage(pending, email: email, error: "No code was sent for this sign-in yet.", status: .badRequest)
        }
    }

    // MARK: The link, opened from the email

    private func openLink(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        switch try await usableLink(request, context: context) {
        case .failure(let page):
            return page.response
        case .success(let (link, browserSecret)):
            let record = try await services.store.authorizationRequest(id: link.requestId)
            let client = try await record.asyncMap { try await flow.client(of: $0) } ?? nil
            // "Continue" completes the flow with a 302 to the relying party, and CSP form-action governs the
            // redirects after a form submission (CSP3 6.4.1): without the client's origin the browser stops there.
            return pages.page(
                "magic_confirm", title: "Continue signing in",
                values: [
                    "clientName": client?.name ?? "the application",
                    "token": context.parameters.get("token") ?? "",
                    "csrf": AuthorizationFlow.csrfToken(browserSecret: browserSecret, purpose: "magic:\(link.id)"),
                ],
                formTargets: record.map(HostedPageRoutes.formTargets(of:)) ?? [])
        }
    }

    private func confirmLink(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let form = try await FormParameters.body(of: request, context: context)
        switch try await usableLink(request, context: context) {
        case .failure(let page):
            return page.response
        case .success(let (link, browserSecret)):
            let expected = AuthorizationFlow.csrfToken(browserSecret: browserSecret, purpose: "magic:\(link.id)")
            guard let csrf = form["csrf_token"], ConstantTime.equals(csrf, expected) else {
                return pages.error("This form expired. Open the link from the email again.", status: .forbidden)
            }
            return try await hosted.withPending(id: link.requestId, request) { pending in
                guard let consumed = try await services.store.consumeMagicLink(
                    tokenHash: link.tokenHash, policy: policy, at: services.time.now())
                else { return linkGone() }
                return try await finish(pending, link: consumed, method: .magicLink, request: request, context: context)
            }
        }
    }

    /// The link named in the path, if it is still usable and this is the browser that asked for it.
    private func usableLink(_ request: Request, context: ReverifyRequestContext) async throws
        -> Result<(MagicLinkRecord, String), PageResponse>
    {
        guard let token = context.parameters.get("token"), token.utf8.count <= 128,
            let link = try await services.store.magicLink(tokenHash: TokenHash(of: token).hex),
            policy.state(expiresAt: link.expiresAt, consumedAt: link.consumedAt, failedAttempts: link.failedAttempts,
                         now: services.time.now()) == .usable
        else { return .failure(PageResponse(linkGone())) }
        guard let browserSecret = flow.cookies.browserSecret(in: request),
            ConstantTime.equals(TokenHash(of: browserSecret).hex, link.browserHash)
        else {
            return .failure(PageResponse(pages.error(
                "For your security this link only works in the browser where you asked for it. Go back to that browser tab, or type the 6-digit code from the email there.",
                title: "Open this link where you started", status: .forbidden)))
        }
        return .success((link, browserSecret))
    }

    private func linkGone() -> Response {
        pages.error(
            "This link has expired or was already used. Go back to the application and request a new email.",
            title: "Link expired", status: .gone)
    }

    private func finish(
        _ pending: HostedPageRoutes.Pending, link: MagicLinkRecord, method: AuthMethod, request: Request,
        context: ReverifyRequestContext
    ) async throws -> Response {
        // The secret proves control of this user's mailbox; it can only complete this user's flow.
        let expected = pending.session?.1.id ?? pending.pinnedUser?.id ?? link.userId
        guard link.userId == expected, link.requestId == pending.record.id,
            let user = try await services.store.user(id: link.userId), !user.isDisabled
        else {
            try await services.store.appendAudit(
                flow.audit(pending.isReauthentication ? .reauthentication : .signIn, .failure, request: request,
                           context: context, user: link.userId, session: pending.session?.0.id,
                           client: pending.client.id, method: method, reason: "subject_mismatch"))
            return pages.error("This email was for a different account.", status: .forbidden)
        }
        return try await VerificationCompletion(services: services).complete(pending, user: user, method: method, request: request, context: context)
    }

    // MARK: Secrets

    /// A uniformly random 6-digit code (no modulo bias: 2^32 rejection sampling by the standard library).
    static func randomCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(format: "%06d", Int.random(in: 0..<1_000_000, using: &generator))
    }

    static func codeHash(linkID: String, code: String) -> String {
        TokenHash(of: "\(linkID):\(code)").hex
    }

    /// `a•••@example.com`: enough to recognise, not enough to harvest.
    static func masked(_ email: String) -> String {
        guard let at = email.firstIndex(of: "@"), at != email.startIndex else { return email }
        return String(email[email.startIndex]) + "•••" + email[at...]
    }
}

/// A finished response carried through `Result` (which needs an `Error`).
struct PageResponse: Error {
    let response: Response
    init(_ response: Response) { self.response = response }
}
