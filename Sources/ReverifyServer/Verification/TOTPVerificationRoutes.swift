import Hummingbird
import ReverifyCore
import ReverifyStore

/// Re-verification with an authenticator app (issue 18): `POST /reauth/:id/totp` with the 6-digit code.
///
/// RFC 6238: codes of the current step and one step either side are accepted (5.2, clock drift), each step
/// once (the store refuses a step at or before the last one used, atomically), and every guess is reserved
/// against the account's one failure budget before it is checked, like a password (issue 9, item 3).
struct TOTPVerificationRoutes {
    let services: Services
    let hosted: HostedPageRoutes
    var flow: AuthorizationFlow { AuthorizationFlow(services: services) }

    init(services: Services) {
        self.services = services
        self.hosted = HostedPageRoutes(services: services)
    }

    func register(on router: Router<ReverifyRequestContext>) {
        router.post("/reauth/:id/totp") { request, context in
            try await hosted.withPendingForm(request, context) { pending, form in
                try await self.verify(pending, form: form, request: request, context: context)
            }
        }
    }

    private func verify(_ pending: HostedPageRoutes.Pending, form: RequestParameters, request: Request, context: ReverifyRequestContext) async throws
        -> Response
    {
        // Only a signed-in user is re-verified this way: the code proves a second factor of a known account.
        guard let (session, user) = pending.session, try await hosted.offersTOTP(pending) else {
            return try await hosted.render(pending, error: "An authenticator app cannot be used here.", status: .forbidden)
        }
        let method = AuthMethod.totp
        func fail(_ reason: String, _ message: String, _ status: HTTPResponse.Status) async throws -> Response {
            try await services.store.appendAudit(
                flow.audit(
                    .reauthentication, .failure, request: request, context: context, user: user.id, session: session.id,
                    client: pending.client.id, method: method, reason: reason))
            return try await hosted.render(pending, error: message, status: status)
        }
        guard let code = TOTPRules.normalizedCode(form.isUsable("code") ? form["code"] ?? "" : "") else {
            return try await hosted.render(pending, error: "Enter the 6-digit code from your authenticator app.", status: .badRequest)
        }
        let attempts = AttemptGuard(services: services)
        guard let reservation = try await attempts.reserve(email: user.email, kind: .totp, context: context) else {
            return try await fail("locked_out", AttemptGuard.lockedOutMessage, .tooManyRequests)
        }
        let now = services.time.now()
        var outcome = TOTPUse.unknownFactor
        for factor in try await services.store.factors(user: user.id) where factor.kind == .totp && factor.isConfirmed {
            guard let secret = factor.secret, let step = TOTPAuthenticator(secret: secret).matchingStep(code, at: now) else { continue }
            outcome = try await services.store.recordTOTPUse(factor: factor.id, user: user.id, step: step, at: now)
            if outcome == .accepted { break }
        }
        // A replayed code is a failed guess too: whoever sends it did not see a new code.
        try await attempts.settle(reservation, succeeded: outcome == .accepted)
        switch outcome {
        case .accepted:
            return try await VerificationCompletion(services: services).complete(
                pending, user: user, method: method, request: request, context: context)
        case .replayed:
            return try await fail("code_reused", "That code was already used. Wait for the next one.", .unauthorized)
        case .unknownFactor:
            return try await fail("wrong_code", "That code is not correct.", .unauthorized)
        }
    }
}
