import Foundation
import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// The hosted pages under `/reauth/…`: sign-in when there is no session, "Confirm it's you" when the
/// session is not fresh enough. Plain HTML forms; the user being verified is fixed by the flow.
struct HostedPageRoutes {
    let services: Services
    var flow: AuthorizationFlow { AuthorizationFlow(services: services) }
    var pages: PageRenderer { services.pages }

    func register(on router: Router<ReverifyRequestContext>) {
        let stylesheet = (try? String(contentsOfFile: services.configuration.resourcesDirectory + "/static/style.css", encoding: .utf8)) ?? ""
        router.get("/reauth/static/style.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: stylesheet)))
        }
        // Issue 18: the passkey script, the only script the hosted pages load (CSP `script-src 'self'`).
        let passkeyScript = (try? String(contentsOfFile: services.configuration.resourcesDirectory + "/static/passkey.js", encoding: .utf8)) ?? ""
        router.get("/reauth/static/passkey.js") { _, _ in
            Response(
                status: .ok,
                headers: [
                    .contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=3600",
                    .xContentTypeOptions: "nosniff",
                ],
                body: .init(byteBuffer: ByteBuffer(string: passkeyScript)))
        }
        router.get("/reauth/:id") { request, context in
            try await self.withPending(request, context) { pending in
                try await self.render(pending, error: nil)
            }
        }
        router.post("/reauth/:id/password") { request, context in
            try await self.withPendingForm(request, context) { pending, form in
                try await self.verifyPassword(pending, form: form, request: request, context: context)
            }
        }
        router.post("/reauth/:id/cancel") { request, context in
            try await self.withPendingForm(request, context) { pending, _ in
                try await self.cancel(pending, request: request, context: context)
            }
        }
    }

    /// A pending flow that this browser may act on, with what the page needs.
    struct Pending {
        let record: AuthorizationRequestRecord
        let client: RegisteredClient
        let browserSecret: String
        /// The session being re-verified and its user; `nil` for sign-in.
        let session: (SessionRecord, UserRecord)?
        let pinnedUser: UserRecord?
        var csrf: String { AuthorizationFlow.csrfToken(browserSecret: browserSecret, purpose: record.id.rawValue) }
        var isReauthentication: Bool { record.sessionId != nil }
    }

    /// Loads the flow named in the path and checks it belongs to this browser and is still open.
    func withPending(
        _ request: Request, _ context: ReverifyRequestContext, _ body: (Pending) async throws -> Response
    ) async throws -> Response {
        let id = context.parameters.get("id").flatMap(AuthorizationRequestID.init(validating:))
        return try await withPending(id: id, request, body)
    }

    /// Every form posted to a hosted page: loads the flow as ``withPending(_:_:_:)`` does, then reads the form
    /// and checks its CSRF token (constant-time, ``checkCSRF(_:_:)``) before `body` sees either.
    func withPendingForm(
        _ request: Request, _ context: ReverifyRequestContext,
        _ body: (Pending, RequestParameters) async throws -> Response
    ) async throws -> Response {
        try await withPending(request, context) { pending in
            let form = try await FormParameters.body(of: request, context: context)
            guard checkCSRF(form, pending) else {
                return pages.error("This form expired. Go back to the application and try again.", status: .forbidden)
            }
            return try await body(pending, form)
        }
    }

    /// Loads a flow and checks it belongs to this browser and is still open.
    func withPending(
        id: AuthorizationRequestID?, _ request: Request, _ body: (Pending) async throws -> Response
    ) async throws -> Response {
        let expired = "This sign-in page has expired or was already used. Go back to the application and try again."
        guard let id, let record = try await services.store.authorizationRequest(id: id)
        else { return pages.error(expired, title: "Page expired", status: .notFound) }
        let now = services.time.now()
        guard record.completedAt == nil, now < record.expiresAt else {
            return pages.error(expired, title: "Page expired", status: .gone)
        }
        // Bound to the browser that started the flow: a forwarded or leaked link is useless elsewhere.
        guard let browserSecret = flow.cookies.browserSecret(in: request),
            ConstantTime.equals(TokenHash(of: browserSecret).hex, record.browserHash)
        else {
            return pages.error(
                "This page was opened in a different browser from the one that started signing in. Return to the original browser tab, or start again from the application.",
                title: "Wrong browser", status: .forbidden)
        }
        guard let client = try await flow.client(of: record) else {
            return pages.error("The application is no longer registered.", status: .gone)
        }
        RequestLogFacts.note(client: client.id)
        var session: (SessionRecord, UserRecord)?
        if let expected = record.sessionId {
            guard let current = try await flow.currentSession(request), current.0.id == expected else {
                return pages.error(
                    "You signed out or switched accounts since this page opened. Go back to the application and try again.",
                    title: "Session changed", status: .conflict)
            }
            session = current
        }
        let pinned = try await record.pinnedUserId.asyncMap { try await services.store.user(id: $0) }
        return try await body(
            Pending(record: record, client: client, browserSecret: browserSecret, session: session, pinnedUser: pinned ?? nil))
    }

    func render(_ pending: Pending, error: String?, status: HTTPResponse.Status = .ok, email: String? = nil)
        async throws -> Response
    {
        var values: [String: Any] = [
            "clientName": pending.client.name, "requestID": pending.record.id.rawValue, "csrf": pending.csrf,
        ]
        if let error { values["error"] = error }
        values["offerEmail"] = offersEmail(pending)
        values["offerPassword"] = true
        // Issue 18: an authenticator app, for a re-verification of a user who confirmed one.
        values["offerTOTP"] = try await offersTOTP(pending)
        var passkeys = try await passkeyOffer(pending)
        var upstreams = try await offeredUpstreams(pending)
        // Issue 10: a step-up page offers only the methods that would raise the level.
        if let (session, user) = pending.session,
            let (requirement, plan) = try await StepUpCheck(services: services).plan(
                request: pending.record.request, client: pending.client, user: user, session: session),
            case .offer(let methods) = plan, pending.record.reason == .assuranceLevel || session.authTime >= pending.record.createdAt
        {
            values["stepUp"] = true
            values["stepUpReason"] = StepUpCheck.explanation(requirement, request: pending.record.request, client: pending.client)
            values["offerPassword"] = methods.contains(.password)
            values["offerEmail"] = offersEmail(pending) && !methods.isDisjoint(with: [.emailCode, .magicLink])
            values["offerTOTP"] = (values["offerTOTP"] as? Bool ?? false) && methods.contains(.totp)
            if !methods.contains(.passkey) { passkeys = nil }
            if !methods.contains(.federated) { upstreams = [] }
        }
        if let passkeys, let rp = PasskeyRelyingParty(configuration: services.configuration) {
            values["passkey"] = try await passkeyOption(pending, passkeys: passkeys, rp: rp)
        }
        values["hasUpstreams"] = !upstreams.isEmpty
        values["upstreams"] = upstreams.map { ["upstreamID": $0.id.rawValue, "upstreamName": $0.name] }
        let upstreamTargets = await upstreamFormTargets(upstreams)
        let formTargets = Self.formTargets(of: pending.record) + upstreamTargets
        if let (_, user) = pending.session {
            values["email"] = user.email
            values["initial"] = String(user.email.prefix(1))
            values["purpose"] = Self.purpose(of: pending.record)
            return pages.page(
                "reauth", title: "Confirm it's you", values: values, status: status, formTargets: formTargets,
                scripts: values["passkey"] != nil)
        }
        if let pinned = pending.pinnedUser {
            values["email"] = pinned.email
            values["emailLocked"] = true
        } else {
            values["email"] = email ?? pending.record.request.loginHint ?? ""
        }
        return pages.page(
            "signin", title: "Sign in", values: values, status: status, formTargets: formTargets,
            scripts: values["passkey"] != nil)
    }

    /// The passkeys a page may offer (issue 18), or `nil` for none: the user's own when the flow knows the user
    /// (the session's, or the pinned one), an empty list for a plain sign-in (the browser then offers any
    /// discoverable passkey for this site, which names its user). `nil` when the issuer is an IP address or the
    /// named action allows other methods only.
    func passkeyOffer(_ pending: Pending) async throws -> [StoredPasskey]? {
        guard PasskeyRelyingParty(configuration: services.configuration) != nil else { return nil }
        if let action = pending.record.request.action, let policy = pending.client.actions[action],
            !policy.methods.contains(.passkey)
        {
            return nil
        }
        guard let user = pending.session?.1 ?? pending.pinnedUser else { return [] }
        let passkeys = try await services.store.passkeys(user: user.id).filter(\.factor.isConfirmed)
        return passkeys.isEmpty ? nil : passkeys
    }

    /// The "Use a passkey" form: request options with a fresh challenge bound to this flow (single use, 5 min).
    private func passkeyOption(_ pending: Pending, passkeys: [StoredPasskey], rp: PasskeyRelyingParty) async throws
        -> [String: Any]
    {
        let user = pending.session?.1 ?? pending.pinnedUser
        let challenge = try await rp.issueChallenge(.authentication, user: user?.id, request: pending.record.id, services: services)
        let options = PasskeyRequestOptions(
            rpID: rp.rpID, challenge: challenge, timeoutSeconds: PasskeyRelyingParty.timeoutSeconds,
            allow: PasskeyRelyingParty.descriptors(passkeys))
        let phrAsked = pending.record.request.levelRequirement(client: pending.client)?.level == .phishingResistant
        return [
            "options": PasskeyRelyingParty.json(options),
            "label": user == nil ? "Sign in with a passkey" : "Use a passkey",
            "buttonClass": phrAsked ? "primary" : "secondary",
        ]
    }

    /// Email verification is offered unless the named action restricts methods to others.
    func offersEmail(_ pending: Pending) -> Bool {
        guard let action = pending.record.request.action, let policy = pending.client.actions[action] else { return true }
        return policy.methods.contains(.emailCode) || policy.methods.contains(.magicLink)
    }

    static func purpose(of record: AuthorizationRequestRecord) -> String {
        if case .accountSecurity = record.next { return "you change how you sign in" }
        if let action = record.request.action { return "you continue with “\(action)”" }
        return "you continue"
    }

    /// Where a form of this flow may end up: the client's redirect URI origin, since completing or cancelling
    /// the flow answers with a 302 there (CSP `form-action` also governs redirects after a form submission).
    static func formTargets(of record: AuthorizationRequestRecord) -> [String] {
        [origin(of: record.request.redirectURI)].compactMap { $0 }
    }

    /// `scheme://host[:port]` of a URI, for CSP `form-action` (which also governs redirects after a POST).
    static func origin(of uri: String) -> String? {
        guard let c = URLComponents(string: uri), let scheme = c.scheme, let host = c.host else { return nil }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)" + (c.port.map { ":\($0)" } ?? "")
    }

    /// An authenticator app is offered to re-verify a signed-in user who confirmed one, unless the named action
    /// restricts methods to others.
    func offersTOTP(_ pending: Pending) async throws -> Bool {
        guard let (_, user) = pending.session else { return false }
        if let action = pending.record.request.action, let policy = pending.client.actions[action],
            !policy.methods.contains(.totp)
        {
            return false
        }
        return try await services.store.factors(user: user.id).contains { $0.kind == .totp && $0.isConfirmed }
    }

    private func checkCSRF(_ form: RequestParameters, _ pending: Pending) -> Bool {
        guard form.isUsable("csrf_token"), let token = form["csrf_token"] else { return false }
        return ConstantTime.equals(token, pending.csrf)
    }

    private func verifyPassword(_ pending: Pending, form: RequestParameters, request: Request, context: ReverifyRequestContext) async throws
        -> Response
    {
        let now = services.time.now()
        let method = AuthMethod.password
        let password = form.isUsable("password") ? form["password"] ?? "" : ""
        let typedEmail = form.isUsable("email") ? form["email"] ?? "" : ""

        // The user is fixed by the session (re-auth) or the hint (pinned sign-in); never by what was typed.
        let user: UserRecord?
        if let (_, sessionUser) = pending.session {
            user = sessionUser
        } else if let pinned = pending.pinnedUser {
            user = pinned
            if AccountRules.normalizedEmail(typedEmail)?.lowercased() != pinned.email.lowercased() {
                try await services.store.appendAudit(
                    flow.audit(
                        pending.isReauthentication ? .reauthentication : .signIn, .failure, request: request,
                        context: context, user: pinned.id, client: pending.client.id, method: method,
                        reason: "subject_mismatch"))
                return try await render(
                    pending, error: "Sign in as \(pinned.email) to continue.", status: .unauthorized)
            }
        } else {
            user = try await AccountRules.normalizedEmail(typedEmail).asyncMap { try await services.store.user(email: $0) } ?? nil
        }
        let event: AuditEvent = pending.isReauthentication ? .reauthentication : .signIn

        // Reserve the guess before hashing, keyed on the address whether or not it is an account, so
        // parallel guesses cannot exceed the lockout and a lockout does not reveal real accounts.
        let attempts = AttemptGuard(services: services)
        guard let reservation = try await attempts.reserve(email: user?.email ?? typedEmail, kind: .password, context: context)
        else {
            try await services.store.appendAudit(
                flow.audit(
                    event, .failure, request: request, context: context, user: user?.id,
                    session: pending.session?.0.id, client: pending.client.id, method: method, reason: "locked_out"))
            return try await render(pending, error: AttemptGuard.lockedOutMessage, status: .tooManyRequests, email: typedEmail)
        }
        // Issue 13: while every hashing thread and the bounded queue behind them are taken, answer at once with
        // 503 and Retry-After rather than queue without bound. The lockout decided first (a locked account
        // still sees 429); the reserved guess is voided, so a refusal here never counts against the account.
        guard services.passwordGate.tryEnter() else {
            try await attempts.void(reservation)
            ReverifyMetrics.passwordVerificationShed()
            var busy = pages.error(
                "Too many sign-ins are being checked right now. Wait a second, then try again.", title: "Busy",
                status: .serviceUnavailable)
            busy.headers[.retryAfter] = "1"
            return busy
        }
        defer { services.passwordGate.leave() }

        let verification: PasswordVerification
        if let user, let hash = user.passwordHash, !user.isDisabled {
            verification = await ReverifyMetrics.argon2("verify") { await services.hasher.verify(password, against: hash) }
        } else {
            // Same cost whether or not the account exists, so timing does not reveal it.
            _ = await ReverifyMetrics.argon2("verify") { await services.hasher.verify(password, against: services.decoyPasswordHash) }
            verification = .invalid
        }
        try await attempts.settle(reservation, succeeded: verification != .invalid)
        guard verification != .invalid, let user else {
            try await services.store.appendAudit(
                flow.audit(
                    event, .failure, request: request, context: context, user: user?.id,
                    session: pending.session?.0.id, client: pending.client.id, method: method,
                    reason: user == nil ? "unknown_user" : (user!.isDisabled ? "disabled" : "wrong_password")))
            let message = pending.isReauthentication ? "That password is not correct." : "The email or password is not correct."
            return try await render(pending, error: message, status: .unauthorized, email: typedEmail)
        }
        if verification == .validNeedsRehash {
            try await services.store.setPasswordHash(
                try await ReverifyMetrics.argon2("hash") { try await services.hasher.hash(password) }, for: user.id, at: now)
        }
        return try await VerificationCompletion(services: services).complete(
            pending, user: user, method: method, request: request, context: context)
    }

    private func cancel(_ pending: Pending, request: Request, context: ReverifyRequestContext) async throws -> Response {
        let audit = flow.audit(
            .accessDenied, .info, request: request, context: context, user: pending.session?.1.id,
            session: pending.session?.0.id, client: pending.client.id, reason: "user_cancelled")
        guard try await services.store.cancelAuthorizationRequest(id: pending.record.id, at: services.time.now(), audit: audit)
        else { return pages.error("This request was already completed.", status: .conflict) }
        if case .accountSecurity(let returnTo) = pending.record.next {
            // Reverify's own page asked: back to it, unchanged (there is no relying party to tell).
            return Response(
                status: .seeOther,
                headers: [.location: AccountSecurityRules.returnPath(returnTo), .cacheControl: "no-store"])
        }
        return flow.redirectError(
            .accessDenied("the user cancelled"), to: pending.record.request.redirectURI, state: pending.record.request.state)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
