import Foundation
import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Adding a passkey on `/account/security` (issue 18, WebAuthn L3 7.1). The page that creates it carries
/// registration options with a fresh challenge bound to this session (single use, 5 minutes, stored hashed);
/// the browser's response is verified and stored as a `passkey` factor. Like every change on this page it
/// needs a verification within the last 5 minutes.
extension AccountSecurityRoutes {
    static let newPasskeyPath = "/account/security/passkeys/new"

    func registerPasskeys(on router: Router<ReverifyRequestContext>) {
        router.get("/account/security/passkeys/new") { request, _ in
            try await self.withAccount(request) { account in try await self.showPasskeyEnrolment(account, request: request, error: nil) }
        }
        router.post("/account/security/passkeys") { request, context in
            try await self.withAccountForm(request, context) { account, form in
                try await self.addPasskey(account, form: form, request: request, context: context)
            }
        }
    }

    private func showPasskeyEnrolment(
        _ account: Account, request: Request, error: String?, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let rp = PasskeyRelyingParty(configuration: services.configuration) else {
            return try await show(account, notice: nil, error: Self.noPasskeysHere, status: .notFound)
        }
        if !account.mayChangeFactors(at: services.time.now()) {
            return try await AccountReverification(services: services).start(
                session: account.session, returnTo: Self.newPasskeyPath, request: request)
        }
        let existing = try await services.store.passkeys(user: account.user.id)
        let challenge = try await rp.issueChallenge(.registration, user: account.user.id, session: account.session.id, services: services)
        let options = PasskeyCreationOptions(
            rpID: rp.rpID, rpName: "Reverify", userHandle: PasskeyRelyingParty.userHandle(account.user.id),
            userName: account.user.email, challenge: challenge, timeoutSeconds: PasskeyRelyingParty.timeoutSeconds,
            exclude: PasskeyRelyingParty.descriptors(existing))
        var values: [String: Any] = [
            "csrf": account.csrf, "email": account.user.email, "options": PasskeyRelyingParty.json(options),
            "name": Self.suggestedPasskeyName(request),
        ]
        if let error { values["error"] = error }
        return pages.page("security_passkey", title: "Add a passkey", values: values, status: status, scripts: true)
    }

    private func addPasskey(_ account: Account, form: RequestParameters, request: Request, context: ReverifyRequestContext)
        async throws -> Response
    {
        guard let rp = PasskeyRelyingParty(configuration: services.configuration) else {
            return try await show(account, notice: nil, error: Self.noPasskeysHere, status: .notFound)
        }
        let now = services.time.now()
        if !account.mayChangeFactors(at: now) {
            return try await AccountReverification(services: services).start(
                session: account.session, returnTo: Self.newPasskeyPath, request: request)
        }
        func refuse(_ error: WebAuthnError, status: HTTPResponse.Status) async throws -> Response {
            try await services.store.appendAudit(
                flow.audit(
                    .factorAdded, .failure, request: request, context: context, user: account.user.id,
                    session: account.session.id, method: .passkey, reason: error.reason, detail: ["factor_kind": "passkey"]))
            return try await showPasskeyEnrolment(account, request: request, error: error.message, status: status)
        }
        let posted: PostedPasskey
        do { posted = try PostedPasskey(form.isUsable("credential") ? form["credential"] : nil) } catch {
            return try await refuse(error, status: .badRequest)
        }
        // Bound to this session and user; single use.
        guard let challenge = try await services.store.consumePasskeyChallenge(hash: posted.challengeHash, ceremony: .registration, at: now),
            challenge.sessionId == account.session.id, challenge.userId == account.user.id
        else { return try await refuse(.challengeMismatch, status: .unauthorized) }
        let registration: PasskeyVerifier.Registration
        do {
            registration = try rp.verifier.verifyRegistration(
                clientDataJSON: posted.clientDataJSON,
                attestationObject: PostedPasskey.bytes(posted.json.response.attestationObject) ?? [],
                expectedChallenge: posted.challenge)
        } catch {
            return try await refuse(error, status: .badRequest)
        }
        // L3 7.1 step 25 (the id the browser reports is the one in the authenticator data).
        guard Data(registration.credentialID).base64URLEncodedString() == posted.json.rawId else {
            return try await refuse(.malformedAttestationObject("the credential id does not match"), status: .badRequest)
        }
        let name = AccountSecurityRules.factorName(form.isUsable("name") ? form["name"] : nil) ?? "Passkey"
        let factor = FactorRecord(
            id: FactorID(rawValue: IdentifierGenerator.make(prefix: FactorID.prefix)), userId: account.user.id, kind: .passkey,
            name: name, createdAt: now, confirmedAt: now)
        let credential = PasskeyCredentialRecord(
            factorId: factor.id, userId: account.user.id, credentialId: posted.json.rawId,
            publicKey: registration.publicKey.encoded, algorithm: registration.publicKey.algorithm, state: registration.state,
            transports: posted.json.knownTransports, aaguid: registration.aaguid)
        // The shared factor audit (and so the `authentication.factor_added` event), plus what kind of passkey it is.
        var audit = factorAudit(.factorAdded, factor, account: account, request: request, context: context)
        audit.detail["passkey_algorithm"] = String(registration.publicKey.algorithm.rawValue)
        audit.detail["passkey_backup_eligible"] = registration.state.backupEligible ? "true" : "false"
        guard try await services.store.addPasskey(factor: factor, credential: credential, audit: audit) else {
            return try await refuse(.malformedAttestationObject("this passkey is already registered"), status: .conflict)
        }
        return try await show(account, notice: "Your passkey “\(name)” is added.")
    }

    static let noPasskeysHere =
        "Passkeys need Reverify to run under a domain name (its issuer is an IP address), so they cannot be added here."

    /// A default name from the browser's family ("Chrome passkey"), which the user can change.
    static func suggestedPasskeyName(_ request: Request) -> String {
        let agent = request.headers[.userAgent] ?? ""
        for (needle, name) in [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
        where agent.contains(needle) {
            return "\(name) passkey"
        }
        return "Passkey"
    }
}
