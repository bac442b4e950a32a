import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Collects the risk signals of one request against a signed-in session and scores them with the
/// configured policy (issue 11). Collection is here; the scoring is the pure ``RiskPolicy``.
struct RiskAssessor {
    let services: Services
    var flow: AuthorizationFlow { AuthorizationFlow(services: services) }

    struct Assessment {
        let decision: RiskDecision
        let context: RiskContext
    }

    /// The browser cookie's hash: the device a verification binds to (the same value sessions record).
    func deviceHash(_ request: Request) -> String? {
        flow.cookies.browserSecret(in: request).map { TokenHash(of: $0).hex }
    }

    /// What ``assess(session:user:client:action:request:context:history:)`` needs from the store for this request.
    func query(_ request: Request, context: ReverifyRequestContext) -> RiskQuery {
        let c = services.configuration.risk
        return RiskQuery(
            deviceHash: deviceHash(request), networkPrefix: context.ipAddress.flatMap(NetworkPrefix.of),
            ipAddress: context.ipAddress, at: services.time.now(), networkMemory: c.networkMemory,
            velocityWindow: c.velocityWindow, attemptSubject: { AttemptGuard.subject(email: $0.email) })
    }

    /// - Parameter history: the answer to ``query(_:context:)`` when it was read with the session; read here if `nil`.
    func assess(
        session: SessionRecord, user: UserRecord, client: RegisteredClient, action: String?, request: Request,
        context: ReverifyRequestContext, history prefetched: RiskHistory? = nil
    ) async throws -> Assessment {
        let history: RiskHistory
        if let prefetched {
            history = prefetched
        } else {
            let q = query(request, context: context)
            history = try await services.store.riskHistory(
                user: user.id, session: session.id, deviceHash: q.deviceHash, networkPrefix: q.networkPrefix,
                attemptSubject: q.attemptSubject(user), ipAddress: q.ipAddress, at: q.at, networkMemory: q.networkMemory,
                velocityWindow: q.velocityWindow)
        }
        let riskContext = RiskContext(
            deviceKnown: history.deviceKnown, networkKnown: history.networkKnown,
            userAgentChanged: BrowserFamily(userAgent: request.userAgent) != BrowserFamily(userAgent: session.userAgent),
            recentFailures: history.recentFailures, addressFailures: history.addressFailures, flags: history.flags)
        return Assessment(
            decision: services.riskPolicy.current.evaluate(riskContext, client: client.id, action: action), context: riskContext)
    }

    /// After a verification: the device and network to know for the user from then on, so the trigger they
    /// caused is cleared for them, and only for them (issue 11, item 5). The session's write stores it.
    func verifiedContext(user: UserID, browserSecret: String, context: ReverifyRequestContext) -> VerifiedContext {
        VerifiedContext(
            user: user, deviceHash: TokenHash(of: browserSecret).hex,
            networkPrefix: context.ipAddress.flatMap(NetworkPrefix.of), at: services.time.now())
    }
}

/// The risk settings the server runs with.
public struct RiskSettings: Sendable {
    public var policy = RiskPolicy.default
    /// A network not seen in a verification for this long is new again.
    public var networkMemory: Seconds = .days(90)
    /// The window failed verifications are counted in for `failure_velocity`.
    public var velocityWindow: Seconds = .minutes(15)
    /// Proxies whose `X-Forwarded-For` names the client (default: none).
    public var trustedProxies = TrustedProxies()

    public init() {}
}
