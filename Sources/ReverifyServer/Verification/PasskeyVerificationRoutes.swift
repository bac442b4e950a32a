import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Verification with a passkey (issue 18): `POST /reauth/:id/passkey` with the assertion the page's script
/// obtained from `navigator.credentials.get()` (WebAuthn L3 7.2).
///
/// The challenge must be one this flow's page issued (found by hash, single use, 5 minutes); the credential must
/// belong to the user the flow verifies (the session's or the pinned one; for a plain sign-in the passkey names
/// the user); the assertion must pass every L3 7.2 rule, user verification included. A counter that went
/// backwards after a valid signature is refused and audited as a possible clone (L3 6.1.1).
struct PasskeyVerificationRoutes {
    let services: Services
    let hosted: HostedPageRoutes
    var flow: AuthorizationFlow { AuthorizationFlow(services: services) }

    init(services: Services) {
        self.services = services
        self.hosted = HostedPageRoutes(services: services)
    }

    func register(on router: Router<ReverifyRequestContext>) {
        router.post("/reauth/:id/passkey") { request, context in
            try await hosted.withPendingForm(request, context) { pending, form in
                try await self.verify(pending, form: form, request: request, context: context)
            }
        }
    }

    private func verify(_ pending: HostedPageRoutes.Pending, form: RequestParameters, request: Request, context: ReverifyRequestContext) async throws
        -> Response
    {
        let event: AuditEvent = pending.isReauthentication ? .reauthentication : .signIn
        let expectedUser = pending.session?.1 ?? pending.pinnedUser
        func fail(_ error: WebAuthnError, user: UserID?, status: HTTPResponse.Status, detail: [String: String] = [:]) async throws
            -> Response
        {
            try await services.store.appendAudit(
                flow.audit(
                    event, .failure, request: request, context: context, user: user ?? expectedUser?.id,
                    session: pending.session?.0.id, client: pending.client.id, method: .passkey, reason: error.reason,
                    detail: detail))
            return try await hosted.render(pending, error: error.message, status: status)
        }
        guard let rp = PasskeyRelyingParty(configuration: services.configuration), try await hosted.passkeyOffer(pending) != nil
        else {
            return try await hosted.render(pending, error: "A passkey cannot be used here.", status: .forbidden)
        }
        let posted: PostedPasskey
        do { posted = try PostedPasskey(form.isUsable("credential") ? form["credential"] : nil) } catch {
            return try await fail(error, user: nil, status: .badRequest)
        }
        let now = services.time.now()
        // The challenge this flow's page issued; whoever replays a response finds it used.
        guard let challenge = try await services.store.consumePasskeyChallenge(hash: posted.challengeHash, ceremony: .authentication, at: now),
            challenge.requestId == pending.record.id
        else { return try await fail(.challengeMismatch, user: nil, status: .unauthorized) }
        guard let stored = try await services.store.passkey(credentialID: posted.json.rawId), stored.factor.isConfirmed else {
            return try await fail(.unknownCredential, user: nil, status: .unauthorized)
        }
        let owner = stored.credential.userId
        // The same user, always (DESIGN 2): the session's, the pinned one, or (sign-in) the one the passkey names.
        if let expectedUser, expectedUser.id != owner {
            return try await fail(.unknownCredential, user: expectedUser.id, status: .unauthorized, detail: ["reason_detail": "subject_mismatch"])
        }
        if let bound = challenge.userId, bound != owner { return try await fail(.unknownCredential, user: bound, status: .unauthorized) }
        // L3 7.2 step 6: a user handle, when returned, must be the owner's.
        if let handle = posted.json.response.userHandle, !handle.isEmpty,
            !ConstantTime.equals(handle, PasskeyRelyingParty.userHandle(owner))
        {
            return try await fail(.unknownCredential, user: owner, status: .unauthorized)
        }
        let found: UserRecord? = if let expectedUser { expectedUser } else { try await services.store.user(id: owner) }
        guard let user = found, !user.isDisabled else {
            return try await fail(.unknownCredential, user: owner, status: .unauthorized)
        }
        let detail = ["factor_id": stored.factor.id.rawValue]
        let assertion: PasskeyVerifier.Assertion
        do {
            guard let authenticatorData = PostedPasskey.bytes(posted.json.response.authenticatorData),
                let signature = PostedPasskey.bytes(posted.json.response.signature)
            else { throw WebAuthnError.malformedAuthenticatorData("authenticatorData or signature is missing") }
            assertion = try rp.verifier.verifyAssertion(
                clientDataJSON: posted.clientDataJSON, authenticatorData: authenticatorData, signature: signature,
                expectedChallenge: posted.challenge, publicKey: try COSEKey(encoded: Array(stored.credential.publicKey)),
                stored: stored.credential.state)
        } catch let error as WebAuthnError {
            var detail = detail
            if case .signCountRollback(let before, let received) = error {
                // L3 6.1.1: evidence of a cloned authenticator. Refused, and recorded for whoever investigates.
                detail["stored_sign_count"] = String(before)
                detail["received_sign_count"] = String(received)
            }
            return try await fail(error, user: user.id, status: .unauthorized, detail: detail)
        }
        switch try await services.store.recordPasskeyUse(
            factor: stored.factor.id, previous: stored.credential.state, next: assertion.state, at: now)
        {
        case .recorded:
            return try await VerificationCompletion(services: services).complete(
                pending, user: user, method: .passkey, extraAMR: assertion.amr, request: request, context: context,
                detail: detail)
        case .raced, .unknown:
            // Another assertion of this passkey was recorded since it was read: this one is stale.
            let error = WebAuthnError.signCountRollback(stored: stored.credential.state.signCount, received: assertion.state.signCount)
            return try await fail(error, user: user.id, status: .conflict, detail: detail)
        }
    }
}
