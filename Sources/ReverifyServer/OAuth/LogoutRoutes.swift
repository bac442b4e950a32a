import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `GET`/`POST /oauth2/logout` (OpenID Connect RP-Initiated Logout 1.0).
///
/// With an `id_token_hint` for the current session the user is signed out at once; otherwise they
/// are asked to confirm, so a cross-site link cannot sign them out (RP-Initiated Logout 2, 6).
struct LogoutRoutes {
    let services: Services
    var flow: AuthorizationFlow { AuthorizationFlow(services: services) }

    func register(on router: Router<ReverifyRequestContext>) {
        router.get("/oauth2/logout") { request, context in
            try await self.logout(FormParameters.query(of: request), confirmed: false, request: request, context: context)
        }
        router.post("/oauth2/logout") { request, context in
            let form = try await FormParameters.body(of: request, context: context)
            return try await self.logout(form, confirmed: true, request: request, context: context)
        }
    }

    func logout(_ params: RequestParameters, confirmed: Bool, request: Request, context: ReverifyRequestContext)
        async throws -> Response
    {
        let pages = services.pages
        let hint: IDTokenClaims?
        do {
            hint = try await flow.hintedUser(params["id_token_hint"])?.1
        } catch {
            return pages.error("The sign-out request carried an ID token this server did not issue.")
        }
        let clientIDText = params["client_id"] ?? hint?.aud
        if let hint, let given = params["client_id"], given != hint.aud {
            return pages.error("client_id does not match the ID token's audience.")
        }
        var redirect: String?
        if let uri = params["post_logout_redirect_uri"] {
            guard let text = clientIDText, let id = ClientID(validating: text),
                let client = try await services.store.client(id: id), client.postLogoutRedirectURIs.contains(uri)
            else {
                return pages.error("The address to return to after signing out is not registered for this application.")
            }
            redirect = uri
        }
        let state = params["state"]

        guard let (session, user) = try await flow.currentSession(request),
            let sessionSecret = flow.cookies.sessionSecret(in: request)
        else {
            return finish(redirect: redirect, state: state)
        }
        let csrf = AuthorizationFlow.csrfToken(browserSecret: sessionSecret, purpose: "logout")
        let hintMatches = hint?.sid == session.id.rawValue
        let csrfMatches = confirmed && params["csrf_token"].map { ConstantTime.equals($0, csrf) } == true
        guard hintMatches || csrfMatches else {
            var values: [String: Any] = ["email": user.email, "csrf": csrf]
            if let redirect { values["postLogoutRedirectURI"] = redirect }
            if let clientIDText { values["clientID"] = clientIDText }
            if let state { values["state"] = state }
            let targets = redirect.flatMap(HostedPageRoutes.origin(of:)).map { [$0] } ?? []
            return pages.page("logout", title: "Sign out", values: values, formTargets: targets)
        }
        try await services.store.revokeSession(
            id: session.id, at: services.time.now(),
            audit: flow.audit(
                .signOut, .success, request: request, context: context, user: session.userId, session: session.id,
                client: clientIDText.flatMap(ClientID.init(validating:)), reason: "rp_initiated_logout"),
            // OIDC Core 11: offline access exists for when the user is not signed in.
            keepingOfflineGrants: true)
        return finish(redirect: redirect, state: state)
    }

    private func finish(redirect: String?, state: String?) -> Response {
        var response =
            redirect.map { ProtocolResponse.redirect(to: $0, parameters: [("state", state)]) }
            ?? services.pages.page("signed_out", title: "Signed out", values: [:])
        response.setCookie(flow.cookies.clearedSession())
        return response
    }
}
