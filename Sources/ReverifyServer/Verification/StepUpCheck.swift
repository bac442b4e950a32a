import ReverifyCore
import ReverifyStore

/// The assurance-level side of a flow (issue 10): what level it needs, whether the session has it, and
/// which of this user's methods could raise it.
struct StepUpCheck {
    let services: Services

    /// `nil` when the request needs no level at all.
    /// - Parameter time: the instant to judge at (a verification's own completion time), by default now.
    func plan(
        request: AuthorizeRequest, client: RegisteredClient, user: UserRecord, session: SessionRecord?,
        at time: UnixTime? = nil
    ) async throws -> (requirement: LevelRequirement, plan: StepUpPlan)? {
        guard let requirement = request.levelRequirement(client: client) else { return nil }
        let now = time ?? services.time.now()
        let c = services.configuration
        let met = session?.levels.satisfies(
            requirement.level, maxAge: request.effectiveMaxAge(client: client)?.0, at: now, lifetimes: c.levelLifetimes)
            ?? false
        let plan = StepUpPlanner.plan(
            required: requirement.level, met: met, history: session?.verifications ?? VerificationHistory(), now: now,
            window: c.mfaWindow, available: try await availableMethods(for: user, request: request, client: client))
        return (requirement, plan)
    }

    /// The methods this user can use for this request: a password only if one is set, SSO only if linked,
    /// each only if the named action allows it.
    func availableMethods(for user: UserRecord, request: AuthorizeRequest, client: RegisteredClient) async throws
        -> Set<AuthMethod>
    {
        let allowed = request.action.flatMap { client.actions[$0]?.methods } ?? Set(AuthMethod.allCases)
        var methods = allowed.intersection([.emailCode, .magicLink])
        if user.passwordHash != nil, allowed.contains(.password) { methods.insert(.password) }
        if allowed.contains(.federated), !(try await services.store.identities(user: user.id)).isEmpty {
            methods.insert(.federated)
        }
        if allowed.contains(.totp), try await services.store.factors(user: user.id).contains(where: { $0.kind == .totp && $0.isConfirmed }) {
            methods.insert(.totp)
        }
        // Issue 18: a passkey, where the issuer can be a WebAuthn relying party.
        if allowed.contains(.passkey), PasskeyRelyingParty(configuration: services.configuration) != nil,
            try await !services.store.passkeys(user: user.id).filter(\.factor.isConfirmed).isEmpty
        {
            methods.insert(.passkey)
        }
        return methods
    }

    /// Why the page asks for more, in a person's words (issue 10, item 6).
    static func explanation(
        _ requirement: LevelRequirement, request: AuthorizeRequest, client: RegisteredClient
    ) -> String {
        let what: String
        if requirement.sources.contains(.risk) {
            what = "This sign-in looks different from usual, so \(client.name) needs \(requirement.level.humanName)"
        } else if requirement.sources.contains(.action), let action = request.action {
            what = "“\(action)” needs \(requirement.level.humanName)"
        } else if requirement.sources.contains(.clientFloor) {
            what = "\(client.name) always needs \(requirement.level.humanName)"
        } else {
            what = "\(client.name) asks for \(requirement.level.humanName)"
        }
        guard let maxAge = request.effectiveMaxAge(client: client)?.0 else { return what + "." }
        return what + " within " + Self.duration(maxAge) + "."
    }

    static func duration(_ seconds: Seconds) -> String {
        let s = seconds.rawValue
        if s >= 120, s % 60 == 0 { return "\(s / 60) minutes" }
        return s == 1 ? "1 second" : "\(s) seconds"
    }
}
