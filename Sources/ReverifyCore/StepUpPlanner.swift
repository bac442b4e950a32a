/// What a hosted flow does next about the assurance level it needs (issue 10, item 2).
public enum StepUpPlan: Equatable, Sendable {
    /// The level is met: continue the authorization.
    case satisfied
    /// Offer these methods: each could raise the session towards the level.
    case offer(Set<AuthMethod>)
    /// No method this user has can reach the level.
    case unreachable
}

/// Chooses the methods a step-up page offers: only those that would raise the level. After a password,
/// an emailed code or link (or SSO); after an emailed link, a password. A passkey (always user-verified,
/// issue 18) reaches every level by itself, so it is offered whenever the user has one.
public enum StepUpPlanner {
    /// - Parameters:
    ///   - met: whether the session already satisfies the requirement (level, decay and `max_age`).
    ///   - history: the session's verifications (empty for a sign-in).
    ///   - available: the methods this user can use here (a password only if one is set, SSO only if
    ///     linked, each only if the client's action allows it).
    public static func plan(
        required: ACR, met: Bool, history: VerificationHistory, now: UnixTime, window: Seconds,
        available: Set<AuthMethod>
    ) -> StepUpPlan {
        if met { return .satisfied }
        guard !available.isEmpty else { return .unreachable }
        switch required {
        case .singleFactor:
            return .offer(available)
        case .phishingResistant:
            // Only a user-verified passkey is phishing-resistant: no combination of other methods reaches it.
            return available.contains(.passkey) ? .offer([.passkey]) : .unreachable
        case .multiFactor:
            let recent = Set(history.lastFactor.filter { _, when in now - when <= window }.keys)
            // Two kinds within the window, yet the level is not met: it decayed (`--acr-lifetime` shorter than
            // the window) or is older than `max_age`. One more verification of any kind achieves it again.
            if recent.count >= 2 { return .offer(available) }
            // A federated login proves whatever the upstream reports: it may add a kind, so it is offered,
            // and counted as one possible new kind.
            let known = available.filter { $0 != .federated }.reduce(into: recent) { $0.formUnion($1.factorKinds()) }
            let possibleKinds = known.count + (available.contains(.federated) ? 1 : 0)
            // A passkey is verified with UV and reaches `phr`, above `mfa`, by itself.
            guard possibleKinds >= 2 || available.contains(.passkey) else { return .unreachable }
            let raising = available.filter {
                $0 == .passkey || $0 == .federated || !$0.factorKinds().isSubset(of: recent)
            }
            return raising.isEmpty ? .unreachable : .offer(raising)
        }
    }
}
