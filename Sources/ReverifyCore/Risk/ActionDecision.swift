/// The answer of the decision API (issue 11, item 4) for one action by one session: allow, step up (with
/// what is required and a ready RFC 9470 challenge), or deny. Pure: time, level and risk in one place.
public struct ActionDecision: Equatable, Sendable {
    public enum Verdict: String, Codable, Sendable {
        case allow
        case stepUp = "step_up"
        case deny
    }

    public let verdict: Verdict
    /// Why: `max_age`, `acr`, and `risk:<signal>` for each risk signal that fired.
    public let reasons: [String]
    public let requiredLevel: ACR?
    public let requiredMaxAge: Seconds?

    /// RFC 9470 3: what a resource server returns as `WWW-Authenticate` to send the client to step up.
    public var challenge: BearerChallenge? {
        guard verdict == .stepUp else { return nil }
        return BearerChallenge(
            error: .insufficientUserAuthentication,
            errorDescription: "a fresher or stronger authentication is required (\(reasons.joined(separator: ", ")))",
            acrValues: requiredLevel.map { [$0.rawValue] } ?? [], maxAge: requiredMaxAge)
    }

    /// - Parameters:
    ///   - action: the registered action's policy (its maximum age and least level), if one was named.
    public static func decide(
        authTime: UnixTime, levels: LevelHistory, action: ActionPolicy?, risk: RiskDecision, now: UnixTime,
        lifetimes: LevelLifetimes
    ) -> ActionDecision {
        let riskReasons = risk.triggers.map { "risk:\($0.rawValue)" }
        if risk.outcome == .deny {
            return ActionDecision(verdict: .deny, reasons: riskReasons, requiredLevel: nil, requiredMaxAge: nil)
        }
        // A risk step-up needs a verification now (max_age 0); a risk mfa needs the level.
        var maxAge = action?.maxAge
        if risk.outcome == .stepUp { maxAge = 0 }
        var level = action?.minimumLevel
        if risk.outcome == .stepUpMFA { level = max(level ?? .multiFactor, .multiFactor) }
        var reasons: [String] = []
        if let maxAge, now - authTime > maxAge || (risk.outcome == .stepUp && maxAge == 0) { reasons.append("max_age") }
        if let level, !levels.satisfies(level, maxAge: action?.maxAge, at: now, lifetimes: lifetimes) { reasons.append("acr") }
        if risk.outcome != .allow { reasons += riskReasons }
        guard !reasons.isEmpty else {
            return ActionDecision(verdict: .allow, reasons: [], requiredLevel: nil, requiredMaxAge: nil)
        }
        return ActionDecision(verdict: .stepUp, reasons: reasons, requiredLevel: level, requiredMaxAge: maxAge)
    }
}
