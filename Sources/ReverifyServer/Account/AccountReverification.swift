import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Sends a browser through the normal hosted verification on behalf of Reverify's own account pages (issue 18):
/// a pending flow of the internal client whose continuation returns to the security page instead of issuing a
/// code. The flow is the same one relying parties use — same pages, methods, lockout, audit and events — and it
/// completes in `VerificationCompletion`.
struct AccountReverification {
    let services: Services
    var flow: AuthorizationFlow { AuthorizationFlow(services: services) }

    /// Reverify as the "client" of its own re-verifications, shown as the page's heading.
    static func client(configuration: ServerConfiguration) -> RegisteredClient {
        RegisteredClient(
            id: AccountSecurityRules.clientID, name: "Reverify", authMethod: .none,
            redirectURIs: [configuration.url("/account/security")])
    }

    /// Starts a verification of `session`'s user (or a sign-in, without one) that returns to `returnTo`.
    func start(session: SessionRecord?, returnTo: String, request: Request) async throws -> Response {
        let now = services.time.now()
        let path = AccountSecurityRules.returnPath(returnTo)
        let existingBrowser = flow.cookies.browserSecret(in: request).flatMap { $0.utf8.count == 43 ? $0 : nil }
        let browserSecret = existingBrowser ?? OpaqueToken.generate().value
        let id = AuthorizationRequestID(rawValue: IdentifierGenerator.make(prefix: AuthorizationRequestID.prefix))
        let csrf = AuthorizationFlow.csrfToken(browserSecret: browserSecret, purpose: id.rawValue)
        // `max_age=0`: whatever the session's age, this flow is satisfied only by a verification made in it.
        let authorize = AuthorizeRequest(
            clientID: AccountSecurityRules.clientID, redirectURI: services.configuration.url(path), scopes: ["openid"],
            state: nil, nonce: nil, codeChallenge: nil, maxAge: Seconds(0), prompt: PromptSet([.login]), idTokenHint: nil,
            loginHint: nil, acrValues: [], action: nil, receivedAt: now)
        try await services.store.saveAuthorizationRequest(
            AuthorizationRequestRecord(
                id: id, browserHash: TokenHash(of: browserSecret).hex, csrfHash: TokenHash(of: csrf).hex,
                clientId: AccountSecurityRules.clientID, request: authorize, sessionId: session?.id,
                pinnedUserId: session?.userId, reason: session == nil ? .noSession : .accountSecurity, createdAt: now,
                expiresAt: now + services.configuration.interactionLifetime,
                continuation: .accountSecurity(returnTo: path)),
            audit: nil)
        var response = Response(status: .seeOther, headers: [.location: "/reauth/\(id.rawValue)", .cacheControl: "no-store"])
        if existingBrowser == nil { response.setCookie(flow.cookies.browser(browserSecret)) }
        return response
    }
}

extension AuthorizationFlow {
    /// The client a pending flow belongs to: a registered relying party, or Reverify itself for the account
    /// pages' re-verifications; `nil` when the relying party was deleted since.
    func client(of record: AuthorizationRequestRecord) async throws -> RegisteredClient? {
        if case .accountSecurity = record.next { return AccountReverification.client(configuration: services.configuration) }
        return try await services.store.client(id: record.clientId)?.registered
    }
}
