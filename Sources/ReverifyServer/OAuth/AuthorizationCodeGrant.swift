import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `grant_type=authorization_code` (RFC 6749 4.1.3, OIDC Core 3.1.3).
struct AuthorizationCodeGrant: GrantHandler {
    let services: Services
    let grantType = "authorization_code"

    func handle(_ form: RequestParameters, client: StoredClient, request: Request, context: ReverifyRequestContext)
        async throws -> Result<TokenMinter.Minted, OAuthError>
    {
        guard let code = form["code"] else { return .failure(.invalidRequest("code is required")) }
        guard let redirectURI = form["redirect_uri"] else { return .failure(.invalidRequest("redirect_uri is required")) }
        let verifier = form["code_verifier"]
        let now = services.time.now()
        let minter = TokenMinter(services: services)
        let prepared = minter.prepare(now: now)
        let clientID = client.record.id

        let replayAudit = AuditRecord(
            at: now, event: .codeReplay, outcome: .failure, clientId: clientID, reason: "code_replay",
            ipAddress: context.ipAddress, userAgent: request.userAgent)
        let outcome = try await services.store.redeemCode(
            hash: TokenHash(of: code).hex, at: now, issuance: prepared.issuance, replayAudit: replayAudit
        ) {
            stored, session in
            // RFC 6749 4.1.3: bound to the client and the exact redirect URI.
            guard stored.clientId == clientID else { return .invalidGrant("the code was issued to another client") }
            guard stored.redirectUri == redirectURI else { return .invalidGrant("redirect_uri does not match") }
            // RFC 7636 4.6, and RFC 9700 2.1.1: a verifier without a challenge is a downgrade attempt.
            switch (stored.codeChallenge, verifier) {
            case (let challenge?, let verifier?):
                guard let pkce = try? PKCEChallenge(challenge: challenge, method: "S256"), pkce.isSatisfied(by: verifier) else {
                    return .invalidGrant("code_verifier does not match the code_challenge")
                }
            case (.some, nil): return .invalidGrant("code_verifier is required")
            case (nil, .some): return .invalidGrant("code_verifier sent but no code_challenge was used")
            case (nil, nil): break
            }
            // DESIGN 2: a request that demanded re-authentication can only yield a fresh-looking token
            // if the session really was re-authenticated after it arrived.
            guard FreshnessPolicy.codeIsRedeemable(minimumAuthTime: stored.minAuthTime, sessionAuthTime: session.authTime)
            else { return .invalidGrant("the session was not re-authenticated as the request demanded") }
            return nil
        }

        switch outcome {
        case .unknown, .expired:
            return .failure(.invalidGrant("the code is invalid or expired"))
        case .replayed:
            ReverifyMetrics.codeReplay()
            // Audited inside the revoking transaction (see `replayAudit`).
            return .failure(.invalidGrant("the code was already used; tokens issued from it are revoked"))
        case .rejected(let error):
            return .failure(error)
        case .redeemed(let stored, let grant, let session):
            return .success(try await minter.mint(
                prepared: prepared, grant: grant, client: client, session: session, nonce: stored.nonce, now: now))
        }
    }
}
