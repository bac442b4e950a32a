import Foundation
import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `/account/security` (issue 18): the signed-in user of this browser lists their second factors, adds an
/// authenticator app and removes factors. Adding or removing anything first needs a verification within the
/// last 5 minutes (``AccountSecurityRules/reverificationWindow``), obtained through the normal hosted flow
/// (``AccountReverification``), which covers removing the last second factor too (item 3, recovery).
///
/// Plain HTML forms; every POST carries a CSRF token bound to the session secret (which every verification
/// replaces, so a form from before a re-verification stops working), and the pages carry the hosted pages' CSP.
struct AccountSecurityRoutes {
    let services: Services
    var flow: AuthorizationFlow { AuthorizationFlow(services: services) }
    var pages: PageRenderer { services.pages }
    static let home = "/account/security"

    /// Each kind of factor brings its own routes and a partial of the page (`security_add_totp.mustache`); passkeys
    /// add theirs beside these (their own route collection under `/account/security/passkeys…`, reusing
    /// ``Account``, the CSRF token and the 5-minute rule here) and their partial in `security.mustache`.
    func register(on router: Router<ReverifyRequestContext>) {
        router.get("/account/security") { request, context in
            try await self.withAccount(request) { account in try await self.show(account, notice: nil) }
        }
        router.post("/account/security/totp") { request, context in
            try await self.withAccountForm(request, context) { account, _ in try await self.startTOTP(account, request: request, context: context) }
        }
        router.get("/account/security/totp/:id") { request, context in
            try await self.withAccount(request) { account in
                // The secret is shown only to a session that could confirm it now; otherwise verify, then back here.
                let id = context.parameters.get("id") ?? ""
                if let reverify = try await self.reverificationIfStale(
                    account, request: request, returnTo: "/account/security/totp/" + id)
                {
                    return reverify
                }
                return try await self.showTOTPEnrolment(account, id: id, error: nil)
            }
        }
        router.post("/account/security/totp/:id/confirm") { request, context in
            try await self.withAccountForm(request, context) { account, form in
                try await self.confirmTOTP(account, id: context.parameters.get("id"), form: form, request: request, context: context)
            }
        }
        router.post("/account/security/factors/:id/remove") { request, context in
            try await self.withAccountForm(request, context) { account, _ in
                try await self.remove(account, id: context.parameters.get("id"), request: request, context: context)
            }
        }
        registerPasskeys(on: router)
    }

    /// The signed-in user of this browser, with what the page's forms need.
    struct Account {
        let session: SessionRecord
        let user: UserRecord
        let csrf: String

        func mayChangeFactors(at now: UnixTime) -> Bool {
            AccountSecurityRules.mayChangeFactors(authTime: session.authTime, now: now)
        }
    }

    /// Runs `body` for the browser's signed-in user; without a session, signs in first and comes back here.
    func withAccount(_ request: Request, _ body: (Account) async throws -> Response) async throws -> Response {
        guard let (session, user) = try await flow.currentSession(request), let secret = flow.cookies.sessionSecret(in: request)
        else {
            return try await AccountReverification(services: services).start(session: nil, returnTo: Self.home, request: request)
        }
        return try await body(Account(session: session, user: user, csrf: Self.csrf(sessionSecret: secret)))
    }

    /// As ``withAccount(_:_:)`` for a form POST, refusing one without this session's CSRF token.
    func withAccountForm(
        _ request: Request, _ context: ReverifyRequestContext, _ body: (Account, RequestParameters) async throws -> Response
    ) async throws -> Response {
        let form = try await FormParameters.body(of: request, context: context)
        return try await withAccount(request) { account in
            guard form.isUsable("csrf_token"), let token = form["csrf_token"], ConstantTime.equals(token, account.csrf) else {
                return pages.error("This form expired. Open the security page again.", status: .forbidden)
            }
            return try await body(account, form)
        }
    }

    static func csrf(sessionSecret: String) -> String {
        AuthorizationFlow.csrfToken(browserSecret: sessionSecret, purpose: "account-security")
    }

    /// `nil` when the session verified recently enough to change factors; otherwise the re-verification, which
    /// comes back to `returnTo` (the security page, or the enrolment in progress).
    func reverificationIfStale(_ account: Account, request: Request, returnTo: String = Self.home) async throws -> Response? {
        guard !account.mayChangeFactors(at: services.time.now()) else { return nil }
        return try await AccountReverification(services: services).start(session: account.session, returnTo: returnTo, request: request)
    }

    // MARK: The page

    func show(_ account: Account, notice: String?, error: String? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let now = services.time.now()
        let factors = try await services.store.factors(user: account.user.id)
        var values: [String: Any] = [
            "email": account.user.email, "csrf": account.csrf, "fresh": account.mayChangeFactors(at: now),
            "hasFactors": !factors.isEmpty,
            "factors": factors.map { factor -> [String: Any] in
                [
                    "id": factor.id.rawValue, "name": factor.name, "kind": factor.kind.rawValue,
                    "kindName": factor.kind.displayName, "confirmed": factor.isConfirmed,
                    "created": Self.date(factor.createdAt), "lastUsed": factor.lastUsedAt.map(Self.date) ?? "never",
                    "isTOTP": factor.kind == .totp,
                ]
            },
        ]
        // Issue 18: passkeys need a domain as RP ID; an issuer on an IP address offers none.
        values["passkeysAvailable"] = PasskeyRelyingParty(configuration: services.configuration) != nil
        if let notice { values["notice"] = notice }
        if let error { values["error"] = error }
        return pages.page("security", title: "Sign-in security", values: values, status: status)
    }

    static func date(_ time: UnixTime) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time.rawValue)))
    }

    // MARK: Authenticator apps

    /// Creates an unconfirmed TOTP factor with a new secret and shows it; it counts once a code confirms it.
    private func startTOTP(_ account: Account, request: Request, context: ReverifyRequestContext) async throws -> Response {
        if let reverify = try await reverificationIfStale(account, request: request) { return reverify }
        let factor = FactorRecord(
            id: FactorID(rawValue: IdentifierGenerator.make(prefix: FactorID.prefix)), userId: account.user.id, kind: .totp,
            name: "Authenticator app", createdAt: services.time.now(), secret: TOTPAuthenticator.generateSecret())
        try await services.store.addFactor(factor, audit: nil)
        return Response(
            status: .seeOther,
            headers: [.location: "/account/security/totp/\(factor.id.rawValue)", .cacheControl: "no-store"])
    }

    private func pendingTOTP(_ account: Account, id: String?) async throws -> FactorRecord? {
        guard let id = id.flatMap(FactorID.init(validating:)), let factor = try await services.store.factor(id: id),
            factor.userId == account.user.id, factor.kind == .totp, !factor.isConfirmed, factor.secret != nil
        else { return nil }
        return factor
    }

    private func showTOTPEnrolment(_ account: Account, id: String?, error: String?, status: HTTPResponse.Status = .ok)
        async throws -> Response
    {
        guard let factor = try await pendingTOTP(account, id: id), let secret = factor.secret else {
            return try await show(account, notice: nil, error: "That set-up has ended. Add the authenticator app again.", status: .notFound)
        }
        let authenticator = TOTPAuthenticator(secret: secret)
        let uri = authenticator.uri(email: account.user.email)
        var values: [String: Any] = [
            "id": factor.id.rawValue, "csrf": account.csrf, "uri": uri, "qrSVG": try authenticator.qrSVG(email: account.user.email),
            "manualKey": Self.manualKey(uri: uri), "name": factor.name,
        ]
        if let error { values["error"] = error }
        return pages.page("security_totp", title: "Add an authenticator app", values: values, status: status)
    }

    /// The base32 secret of the URI, in groups of four for typing.
    static func manualKey(uri: String) -> String {
        let secret = uri.split(separator: "?").last?.split(separator: "&").first { $0.hasPrefix("secret=") }?.dropFirst(7) ?? ""
        return stride(from: 0, to: secret.count, by: 4).map { i in
            let start = secret.index(secret.startIndex, offsetBy: i)
            return String(secret[start..<(secret.index(start, offsetBy: 4, limitedBy: secret.endIndex) ?? secret.endIndex)])
        }.joined(separator: " ")
    }

    private func confirmTOTP(
        _ account: Account, id: String?, form: RequestParameters, request: Request, context: ReverifyRequestContext
    ) async throws -> Response {
        if let reverify = try await reverificationIfStale(account, request: request, returnTo: "/account/security/totp/" + (id ?? "")) {
            return reverify
        }
        guard let factor = try await pendingTOTP(account, id: id), let secret = factor.secret else {
            return try await show(account, notice: nil, error: "That set-up has ended. Add the authenticator app again.", status: .notFound)
        }
        let name = AccountSecurityRules.factorName(form.isUsable("name") ? form["name"] : nil) ?? factor.name
        guard let code = TOTPRules.normalizedCode(form.isUsable("code") ? form["code"] ?? "" : "") else {
            return try await showTOTPEnrolment(account, id: id, error: "Enter the 6-digit code your app shows.", status: .badRequest)
        }
        let now = services.time.now()
        // One valid code proves the app holds the secret; only then does the factor count (issue 18 item 2).
        guard let step = TOTPAuthenticator(secret: secret).matchingStep(code, at: now) else {
            return try await showTOTPEnrolment(account, id: id, error: "That code is not correct. Check the app and try again.", status: .unauthorized)
        }
        var named = factor
        named.name = name
        let audit = factorAudit(.factorAdded, named, account: account, request: request, context: context)
        switch try await services.store.confirmTOTPFactor(id: factor.id, user: account.user.id, name: name, step: step, at: now, audit: audit) {
        case .accepted:
            return try await show(account, notice: "Your authenticator app “\(name)” is set up.")
        case .replayed:
            return try await showTOTPEnrolment(account, id: id, error: "That code was already used. Wait for the next one.", status: .unauthorized)
        case .unknownFactor:
            return try await show(account, notice: nil, error: "That set-up has ended. Add the authenticator app again.", status: .notFound)
        }
    }

    // MARK: Removing

    private func remove(_ account: Account, id: String?, request: Request, context: ReverifyRequestContext) async throws -> Response {
        if let reverify = try await reverificationIfStale(account, request: request) { return reverify }
        guard let id = id.flatMap(FactorID.init(validating:)),
            let factor = try await services.store.factors(user: account.user.id).first(where: { $0.id == id })
        else {
            return try await show(account, notice: nil, error: "That factor does not exist.", status: .notFound)
        }
        let audit = factorAudit(.factorRemoved, factor, account: account, request: request, context: context)
        guard try await services.store.removeFactor(id: id, user: account.user.id, audit: audit) != nil else {
            return try await show(account, notice: nil, error: "That factor does not exist.", status: .notFound)
        }
        return try await show(account, notice: "“\(factor.name)” was removed.")
    }

    /// The audit row (and so the `authentication.factor_*` event) of a change the user made on this page.
    func factorAudit(
        _ event: AuditEvent, _ factor: FactorRecord, account: Account, request: Request, context: ReverifyRequestContext
    ) -> AuditRecord {
        flow.audit(
            event, .success, request: request, context: context, user: account.user.id, session: account.session.id,
            method: factor.kind.method, reason: "user",
            detail: factor.auditDetail.merging(["auth_time": String(account.session.authTime.rawValue)]) { ours, _ in ours })
    }
}
