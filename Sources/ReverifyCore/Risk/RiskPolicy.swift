/// What a risk evaluation decides (issue 11, item 2).
public enum RiskOutcome: String, Codable, CodingKeyRepresentable, Sendable, Comparable {
    /// As requested.
    case allow
    /// Re-verify even if fresh: treated as `max_age=0`.
    case stepUp = "step_up"
    /// Require `urn:reverify:acr:mfa`.
    case stepUpMFA = "step_up_mfa"
    /// `access_denied`, audited, with an event.
    case deny

    private var rank: Int {
        switch self {
        case .allow: 0
        case .stepUp: 1
        case .stepUpMFA: 2
        case .deny: 3
        }
    }

    public static func < (lhs: RiskOutcome, rhs: RiskOutcome) -> Bool { lhs.rank < rhs.rank }
}

/// The result of scoring one context: the outcome, the signals that fired, and the score.
public struct RiskDecision: Equatable, Sendable {
    public let outcome: RiskOutcome
    public let triggers: [RiskSignal]
    public let score: Int

    public init(outcome: RiskOutcome, triggers: [RiskSignal], score: Int) {
        self.outcome = outcome
        self.triggers = triggers
        self.score = score
    }
}

/// Maps signals to weights and scores to outcomes, per client or action (issue 11, item 2). Loaded from a
/// JSON file (`reverify serve --policy FILE`); without one, ``RiskPolicy/default`` applies.
public struct RiskPolicy: Codable, Equatable, Sendable {
    /// Scoring rules: the defaults, and overrides by client id and by action name (an action's rules win).
    public struct Rules: Codable, Equatable, Sendable {
        public var weights: [RiskSignal: Int]
        /// The least score for each outcome above `allow`.
        public var thresholds: [RiskOutcome: Int]
        /// Flags (from operators or other systems) that force an outcome whatever the score.
        public var flagOutcomes: [String: RiskOutcome]

        public init(weights: [RiskSignal: Int], thresholds: [RiskOutcome: Int], flagOutcomes: [String: RiskOutcome] = [:]) {
            self.weights = weights
            self.thresholds = thresholds
            self.flagOutcomes = flagOutcomes
        }

        enum CodingKeys: String, CodingKey {
            case weights, thresholds
            case flagOutcomes = "flag_outcomes"
        }
    }

    public var version: Int
    public var rules: Rules
    public var clients: [String: Rules]
    public var actions: [String: Rules]
    /// Failed verifications of the account within 15 minutes above which `failure_velocity` fires.
    public var velocityThreshold: Int
    /// Failed verifications from one address (any account) above which it fires: higher, because an
    /// office behind one NAT address shares it.
    public var addressVelocityThreshold: Int

    public init(
        version: Int = 1, rules: Rules, clients: [String: Rules] = [:], actions: [String: Rules] = [:],
        velocityThreshold: Int = 5, addressVelocityThreshold: Int = 100
    ) {
        self.addressVelocityThreshold = addressVelocityThreshold
        self.version = version
        self.rules = rules
        self.clients = clients
        self.actions = actions
        self.velocityThreshold = velocityThreshold
    }

    enum CodingKeys: String, CodingKey {
        case version, rules, clients, actions
        case velocityThreshold = "velocity_threshold"
        case addressVelocityThreshold = "address_velocity_threshold"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        rules = try c.decode(Rules.self, forKey: .rules)
        clients = try c.decodeIfPresent([String: Rules].self, forKey: .clients) ?? [:]
        actions = try c.decodeIfPresent([String: Rules].self, forKey: .actions) ?? [:]
        velocityThreshold = try c.decodeIfPresent(Int.self, forKey: .velocityThreshold) ?? 5
        addressVelocityThreshold = try c.decodeIfPresent(Int.self, forKey: .addressVelocityThreshold) ?? 100
    }

    /// The documented default: a new device alone or a new network alone is allowed; both together, or a
    /// changed browser on a new network, step up; a burst of failures steps up to mfa; a device reported
    /// non-compliant needs mfa.
    public static let `default` = RiskPolicy(
        rules: Rules(
            weights: [.newDevice: 40, .newNetwork: 30, .userAgentChanged: 30, .failureVelocity: 80, .externalFlag: 0],
            thresholds: [.stepUp: 60, .stepUpMFA: 80, .deny: 1_000],
            flagOutcomes: ["device_not_compliant": .stepUpMFA, "credential_change": .stepUp, "compromised": .deny]))

    /// Why the policy cannot be used, or `nil` when it can. A policy that does not validate is never
    /// applied (the previous one stays).
    public func problem() -> String? {
        guard version == 1 else { return "version must be 1" }
        let named: [(String, Rules)] =
            [("rules", rules)] + clients.map { ("clients.\($0.key)", $0.value) } + actions.map { ("actions.\($0.key)", $0.value) }
        for (name, rules) in named {
            if rules.weights.values.contains(where: { $0 < 0 || $0 > 1_000 }) { return "\(name): weights must be 0 to 1000" }
            if rules.thresholds.keys.contains(.allow) { return "\(name): allow takes no threshold" }
            let ordered = [RiskOutcome.stepUp, .stepUpMFA, .deny].compactMap { rules.thresholds[$0] }
            if ordered != ordered.sorted() { return "\(name): thresholds must rise from step_up to step_up_mfa to deny" }
            if ordered.contains(where: { $0 <= 0 }) { return "\(name): thresholds must be positive" }
        }
        guard (1...1_000).contains(velocityThreshold) else { return "velocity_threshold must be 1 to 1000" }
        guard (1...1_000_000).contains(addressVelocityThreshold) else { return "address_velocity_threshold must be 1 to 1000000" }
        return nil
    }

    /// Scores a context (pure; table-tested).
    public func evaluate(_ context: RiskContext, client: ClientID?, action: String?) -> RiskDecision {
        let rules = action.flatMap { actions[$0] } ?? client.flatMap { clients[$0.rawValue] } ?? self.rules
        var triggers: [RiskSignal] = []
        if !context.deviceKnown { triggers.append(.newDevice) }
        if !context.networkKnown { triggers.append(.newNetwork) }
        if context.userAgentChanged { triggers.append(.userAgentChanged) }
        if context.recentFailures > velocityThreshold || context.addressFailures > addressVelocityThreshold {
            triggers.append(.failureVelocity)
        }
        if !context.flags.isEmpty { triggers.append(.externalFlag) }
        let score = triggers.reduce(0) { $0 + (rules.weights[$1] ?? 0) }
        var outcome = RiskOutcome.allow
        for candidate in [RiskOutcome.stepUp, .stepUpMFA, .deny] {
            if let threshold = rules.thresholds[candidate], score >= threshold { outcome = candidate }
        }
        for flag in context.flags { if let forced = rules.flagOutcomes[flag], forced > outcome { outcome = forced } }
        return RiskDecision(outcome: outcome, triggers: triggers, score: score)
    }
}
