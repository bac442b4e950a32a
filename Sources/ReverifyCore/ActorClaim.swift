/// The `act` claim of a delegated token (RFC 8693 4.1): who acts for the subject. A chain of delegations
/// nests: the outermost `act` is the current actor, its `act` the one before, and so on.
public final class ActorClaim: Codable, Equatable, Sendable {
    public let sub: String
    /// The prior actor, when the subject token was itself delegated (RFC 8693 4.1 nesting).
    public let act: ActorClaim?

    public init(sub: String, act: ActorClaim? = nil) {
        self.sub = sub
        self.act = act
    }

    /// The claim for a new token: `actor` acts now, after whoever acted in the subject token.
    public static func delegating(to actor: String, after previous: ActorClaim?) -> ActorClaim {
        ActorClaim(sub: actor, act: previous)
    }

    /// How many actors the chain names.
    public var depth: Int { 1 + (act?.depth ?? 0) }

    public static func == (lhs: ActorClaim, rhs: ActorClaim) -> Bool { lhs.sub == rhs.sub && lhs.act == rhs.act }
}
