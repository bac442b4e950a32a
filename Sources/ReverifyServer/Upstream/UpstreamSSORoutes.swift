import Crypto
import Foundation
import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Delegated re-verification through an upstream OpenID Connect provider (issue 6).
///
/// `POST /reauth/:id/upstream/:provider` sends the browser to the provider with the code flow, PKCE S256,
/// `state`, `nonce` and — the point of the feature — `prompt=login` and `max_age=0`. The provider returns
/// to `GET /reauth/upstream/callback`; we exchange the code, verify the ID token fully and require an
/// `auth_time` after the moment we sent the user away, for the upstream subject linked to this user.
struct UpstreamSSORoutes {
    let services: Services
    let hosted: HostedPageRoutes
    var flow: AuthorizationFlow { AuthorizationFlow(services: services) }
    var pages: PageRenderer { services.pages }

    static let callbackPath = "/reauth/upstream/callback"
    /// How long the user may spend at the provider.
    static let stateLifetime: Seconds = .minutes(10)
    /// Clock difference tolerated between us and the provider.
    static let skew: Seconds = 60

    init(services: Services) {
        self.services = services
        self.hosted = HostedPageRoutes(services: services)
    }

    var redirectURI: String { services.configuration.url(Self.callbackPath) }

    func register(on router: Router<ReverifyRequestContext>) {
        router.post("/reauth/:id/upstream/:provider") { request, context in
            try await hosted.withPendingForm(request, context) { pending, _ in
                try await self.start(pending, provider: context.parameters.get("provider") ?? "", request: request, context: context)
            }
        }
        router.get(RouterPath(Self.callbackPath)) { request, context in
            try await self.callback(request, context: context)
        }
    }

    // MARK: Leaving for the provider

    private func start(
        _ pending: HostedPageRoutes.Pending, provider name: String, request: Request, context: ReverifyRequestContext
    ) async throws -> Response {
        let offered = try await hosted.offeredUpstreams(pending)
        guard let provider = offered.first(where: { $0.id.rawValue == name || $0.name.lowercased() == name.lowercased() })
        else {
            return try await hosted.render(pending, error: "That sign-in option is not available here.", status: .forbidden)
        }
        let metadata: UpstreamMetadata
        do {
            metadata = try await services.upstream.metadata(issuer: provider.issuer)
        } catch let error as UpstreamError {
            try await services.store.appendAudit(
                failureAudit(pending, request: request, context: context, reason: error.reason, provider: provider))
            return try await hosted.render(
                pending, error: "We couldn't reach \(provider.name) just now. Try again in a moment.", status: .badGateway)
        }
        let now = services.time.now()
        let state = OpaqueToken.generate()
        let nonce = OpaqueToken.generate().value
        // RFC 7636 4.1: 43 characters of base64url from 256 random bits is a valid verifier.
        let verifier = OpaqueToken.generate().value
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncodedString()
        try await services.store.saveUpstreamState(
            UpstreamStateRecord(
                stateHash: state.hash.hex, requestId: pending.record.id, providerId: provider.id,
                browserHash: pending.record.browserHash, nonce: nonce, codeVerifier: verifier, startedAt: now,
                expiresAt: min(now + Self.stateLifetime, pending.record.expiresAt)))
        // OIDC Core 3.1.2.1: prompt=login and max_age=0 both demand an active authentication now. Sign-in asks for
        // it too, because the session we create records auth_time = now.
        return ProtocolResponse.redirect(
            to: metadata.authorization_endpoint,
            parameters: [
                ("response_type", "code"), ("client_id", provider.clientId), ("redirect_uri", redirectURI),
                ("scope", provider.scope), ("state", state.value), ("nonce", nonce), ("code_challenge", challenge),
                ("code_challenge_method", "S256"), ("prompt", "login"), ("max_age", "0"),
            ])
    }

    // MARK: Coming back

    private func callback(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let params = FormParameters.query(of: request)
        guard params.isUsable("state"), let state = params["state"] else {
            return pages.error("The sign-in provider's answer did not match a request from this browser.", status: .badRequest)
        }
        let now = services.time.now()
        let record: UpstreamStateRecord
        switch try await services.store.claimUpstreamState(hash: TokenHash(of: state).hex, at: now) {
        case .unknown:
            try await services.store.appendAudit(
                flow.audit(.reauthentication, .failure, request: request, context: context, method: .federated,
                           reason: "upstream_unknown_state"))
            return pages.error("The sign-in provider's answer did not match a request from this browser.", status: .badRequest)
        case .alreadyUsed(let used):
            // A state is single use (RFC 9700 4.7.1): a second callback is a replay or a double submit.
            try await services.store.appendAudit(
                flow.audit(.reauthentication, .failure, request: request, context: context, method: .federated,
                           reason: "upstream_state_replay", detail: ["request_id": used.requestId.rawValue]))
            return pages.error(
                "This sign-in answer was already used. Go back to the application and try again.",
                title: "Already used", status: .badRequest)
        case .expired:
            return pages.error(
                "You took too long at the sign-in provider. Go back to the application and try again.",
                title: "Page expired", status: .gone)
        case .claimed(let claimed):
            record = claimed
        }
        // Bound to the browser that left (the pending flow's browser check below repeats this).
        guard let browser = flow.cookies.browserSecret(in: request),
            ConstantTime.equals(TokenHash(of: browser).hex, record.browserHash)
        else {
            // A forwarded or stolen callback URL (or login CSRF): worth an operator's attention.
            try await services.store.appendAudit(
                flow.audit(.reauthentication, .failure, request: request, context: context, method: .federated,
                           reason: "upstream_wrong_browser", detail: ["request_id": record.requestId.rawValue]))
            return pages.error(
                "This sign-in finished in a different browser from the one that started it. Start again from the application.",
                title: "Wrong browser", status: .forbidden)
        }
        return try await hosted.withPending(id: record.requestId, request) { pending in
            try await self.finish(pending, state: record, params: params, request: request, context: context)
        }
    }

    private func finish(
        _ pending: HostedPageRoutes.Pending, state: UpstreamStateRecord, params: RequestParameters, request: Request,
        context: ReverifyRequestContext
    ) async throws -> Response {
        guard let provider = try await services.store.upstreamProvider(id: state.providerId) else {
            return try await hosted.render(pending, error: "That sign-in option was removed.", status: .gone)
        }
        func refuse(_ reason: String, _ message: String, detail: [String: String] = [:]) async throws -> Response {
            try await services.store.appendAudit(
                failureAudit(pending, request: request, context: context, reason: reason, provider: provider, detail: detail))
            return try await hosted.render(pending, error: message, status: .unauthorized)
        }
        let mixUp = "The answer came from a different sign-in provider than expected."
        // RFC 9207 2.4: a wrong iss is refused before anything else in the response is looked at — an error
        // response too, or a mix-up attacker could show the user its own error text as ours.
        if let iss = params["iss"], iss != provider.issuer {
            return try await refuse("upstream_mix_up", mixUp)
        }
        let metadata: UpstreamMetadata
        do {
            metadata = try await services.upstream.metadata(issuer: provider.issuer)
        } catch let error as UpstreamError {
            return try await refuse(error.reason, "We couldn't reach \(provider.name) just now. Try again in a moment.")
        }
        // RFC 9207 2.4: a provider that promises iss must send it, in error responses as well.
        if params["iss"] == nil, metadata.authorization_response_iss_parameter_supported == true {
            return try await refuse("upstream_mix_up", mixUp)
        }
        if let error = params["error"] {
            let answer = UpstreamErrorResponse(error: error, description: params["error_description"])
            var detail = ["upstream_error": answer.error]
            if let description = answer.description { detail["upstream_error_description"] = description }
            return try await refuse(
                "upstream_error", "\(provider.name) did not confirm it's you. Try again, or use another method.",
                detail: detail)
        }
        guard params.isUsable("code"), let code = params["code"] else {
            return try await refuse("upstream_no_code", "\(provider.name) did not return a sign-in result.")
        }
        let claims: UpstreamIDTokenClaims
        do {
            let idToken = try await services.upstream.exchange(
                code: code, codeVerifier: state.codeVerifier, redirectURI: redirectURI, provider: provider, metadata: metadata)
            claims = try await services.upstream.verifiedClaims(idToken: idToken, metadata: metadata)
        } catch let error as UpstreamError {
            return try await refuse(error.reason, "Your sign-in with \(provider.name) could not be accepted: \(error.description).")
        }
        let expectation = UpstreamExpectation(
            issuer: provider.issuer, clientID: provider.clientId, nonce: state.nonce, startedAt: state.startedAt, skew: Self.skew)
        if let problem = UpstreamIDTokenRules.problem(with: claims, expected: expectation, now: services.time.now()) {
            var detail = ["upstream_sub": String(claims.subject.prefix(255))]
            if let authTime = claims.authTime { detail["upstream_auth_time"] = String(authTime.rawValue) }
            return try await refuse(
                problem.auditReason,
                "Your sign-in with \(provider.name) could not be accepted: \(problem). Try again.", detail: detail)
        }

        // DESIGN 2: re-authentication proves THE SAME user. The upstream subject must be the one linked to them.
        let user: UserRecord
        var linkedBy: String?
        let expected = pending.session?.1 ?? pending.pinnedUser
        let linked = try await services.store.identity(provider: provider.id, subject: claims.subject)
        if let expected {
            let someoneElse = "You signed in to \(provider.name) as someone other than \(expected.email). Nothing was changed."
            var detail = ["upstream_sub": String(claims.subject.prefix(255))]
            if let linked {
                guard linked.userId == expected.id else {
                    return try await refuse("upstream_subject_mismatch", someoneElse, detail: detail)
                }
            } else if let session = pending.session?.1 {
                // Linking from an existing verified session (a pinned sign-in has none: it never links).
                switch UpstreamAccountLinking.decideForSession(
                    email: claims.email, emailVerified: claims.emailVerified, sessionEmail: session.email,
                    providerDomains: provider.emailDomains)
                {
                case .refuse(let refusal):
                    // Still "someone else" as far as this session knows; the detail says why no link was made.
                    detail["link_refused"] = refusal.rawValue
                    return try await refuse("upstream_subject_mismatch", someoneElse, detail: detail)
                case .link(let email):
                    do {
                        try await services.store.linkIdentity(
                            UserIdentityRecord(
                                userId: session.id, providerId: provider.id, subject: claims.subject, email: email,
                                createdAt: services.time.now()))
                    } catch let error as StoreError {
                        // E.g. the user is already linked to another subject at this provider.
                        detail["link_refused"] = error.description
                        return try await refuse("upstream_subject_mismatch", someoneElse, detail: detail)
                    }
                    linkedBy = "session"
                }
            } else {
                return try await refuse("upstream_subject_mismatch", someoneElse, detail: detail)
            }
            user = expected
        } else if let linked, let found = try await services.store.user(id: linked.userId) {
            user = found
        } else {
            // First sign-in with this upstream subject: link by email only where the operator allowed it.
            let notLinked = "Your \(provider.name) account is not linked to an account here. Ask your administrator to link it, or use another method."
            var detail = ["upstream_sub": String(claims.subject.prefix(255))]
            switch UpstreamAccountLinking.decide(
                email: claims.email, emailVerified: claims.emailVerified, linkDomains: provider.linkDomains)
            {
            case .refuse(let refusal):
                detail["link_refused"] = refusal.rawValue
                return try await refuse("upstream_link_not_allowed", notLinked, detail: detail)
            case .link(let email):
                // The same page whether or not the address has an account here (no enumeration).
                guard let found = try await services.store.user(email: email) else {
                    return try await refuse("upstream_unknown_subject", notLinked, detail: detail)
                }
                do {
                    try await services.store.linkIdentity(
                        UserIdentityRecord(
                            userId: found.id, providerId: provider.id, subject: claims.subject, email: email,
                            createdAt: services.time.now()))
                } catch let error as StoreError {
                    return try await refuse("upstream_link_refused", "Your \(provider.name) account can't be used here: \(error).")
                }
                linkedBy = "verified_email"
                user = found
            }
        }
        guard !user.isDisabled else { return try await refuse("disabled", "This account is disabled.") }
        return try await VerificationCompletion(services: services).complete(
            pending, user: user, method: .federated, extraAMR: UpstreamIDTokenRules.passThroughAMR(claims.amr),
            request: request, context: context,
            detail: ["upstream": provider.name, "upstream_sub": String(claims.subject.prefix(255))]
                .merging(linkedBy.map { ["linked_by": $0] } ?? [:]) { a, _ in a })
    }

    private func failureAudit(
        _ pending: HostedPageRoutes.Pending, request: Request, context: ReverifyRequestContext, reason: String,
        provider: UpstreamProviderRecord, detail: [String: String] = [:]
    ) -> AuditRecord {
        flow.audit(
            pending.isReauthentication ? .reauthentication : .signIn, .failure, request: request, context: context,
            user: pending.session?.1.id ?? pending.pinnedUser?.id, session: pending.session?.0.id,
            client: pending.client.id, method: .federated, reason: reason,
            detail: detail.merging(["upstream": provider.name]) { a, _ in a })
    }
}
