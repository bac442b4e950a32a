/// A workload's proof, made at one moment, that it is what it claims to be (issue 12 item 2): the `iat` of
/// the verified `private_key_jwt` assertion it authenticated with, and the other string claims it signed
/// (e.g. `sw_version`).
public struct ClientAttestation: Equatable, Sendable {
    public let issuedAt: UnixTime
    public let claims: [String: String]

    public init(issuedAt: UnixTime, claims: [String: String]) {
        self.issuedAt = issuedAt
        self.claims = claims
    }

    /// How old the attestation is at `now` (never negative: `iat` may be up to the clock skew ahead).
    public func age(at now: UnixTime) -> Seconds { Seconds(max(0, (now - issuedAt).rawValue)) }
}

/// Why a workload's attestation does not satisfy an exchange; answered `invalid_client` (issue 12 "Bad input":
/// a stale assertion), with the raw value as the audit reason.
public enum AttestationProblem: String, Error, Equatable, Sendable {
    /// The client did not authenticate with an assertion, but the action or its registration needs one.
    case missing = "attestation_missing"
    /// The assertion's `iat` is older than ``AttestationRules/freshness``.
    case stale = "attestation_stale"
    /// A claim the client was registered with (`--attest name=value`) is absent or different.
    case claimMismatch = "attestation_claim_mismatch"

    public var description: String {
        switch self {
        case .missing: "this exchange needs a private_key_jwt client assertion"
        case .stale: "this action needs a fresh client assertion (iat within 60 seconds)"
        case .claimMismatch: "the client assertion does not carry the attestation claims this client is registered with"
        }
    }
}

/// Re-attestation rules (issue 12 item 2), pure.
public enum AttestationRules {
    /// An assertion is fresh when its `iat` is at most this old.
    public static let freshness: Seconds = 60

    /// Why `attestation` does not satisfy an exchange, or `nil` when it does. The registered claims are
    /// checked on every exchange; freshness only when the action asks for it.
    public static func problem(
        _ attestation: ClientAttestation?, required: [String: String], freshRequired: Bool, now: UnixTime
    ) -> AttestationProblem? {
        guard !required.isEmpty || freshRequired else { return nil }
        guard let attestation else { return .missing }
        for (name, value) in required where attestation.claims[name] != value {
            return .claimMismatch
        }
        if freshRequired && attestation.age(at: now) > freshness { return .stale }
        return nil
    }
}
