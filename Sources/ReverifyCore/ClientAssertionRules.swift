/// The claims of a `private_key_jwt` client assertion (RFC 7523 3, OIDC Core 9) that decide whether it
/// authenticates the client. The signature is checked by the caller with the client's registered keys.
public struct ClientAssertionClaims: Equatable, Sendable {
    public var iss: String?
    public var sub: String?
    public var aud: [String]
    public var exp: Int64?
    public var iat: Int64?
    public var nbf: Int64?
    public var jti: String?

    public init(
        iss: String?, sub: String?, aud: [String], exp: Int64?, iat: Int64?, nbf: Int64? = nil, jti: String?
    ) {
        self.iss = iss
        self.sub = sub
        self.aud = aud
        self.exp = exp
        self.iat = iat
        self.nbf = nbf
        self.jti = jti
    }
}

/// Why a client assertion does not authenticate its client. Every case is answered `invalid_client`
/// (RFC 7523 3.2); the raw value is the precise reason written to the audit log.
public enum ClientAssertionProblem: String, Error, Equatable, Sendable, CaseIterable {
    case malformed = "assertion_malformed"
    case unsupportedAssertionType = "assertion_type_unsupported"
    case clientMismatch = "assertion_client_id_mismatch"
    case unknownClient = "assertion_unknown_client"
    case methodNotRegistered = "assertion_method_not_registered"
    case algorithmNotAllowed = "assertion_alg_not_allowed"
    case noKeys = "assertion_no_keys"
    case keysUnavailable = "assertion_keys_unavailable"
    case badSignature = "assertion_bad_signature"
    case issuerMismatch = "assertion_iss_mismatch"
    case subjectMismatch = "assertion_sub_mismatch"
    case wrongAudience = "assertion_wrong_aud"
    case missingExpiry = "assertion_exp_missing"
    case expired = "assertion_expired"
    case expiryTooFar = "assertion_exp_too_far"
    case missingIssuedAt = "assertion_iat_missing"
    case issuedInFuture = "assertion_iat_in_future"
    case notYetValid = "assertion_nbf_in_future"
    case missingJTI = "assertion_jti_missing"
    case replayed = "assertion_jti_replayed"

    /// The `error_description` the client reads.
    public var description: String {
        switch self {
        case .malformed: "client_assertion is not a signed JWT"
        case .unsupportedAssertionType:
            "client_assertion_type must be \(ClientAssertionRules.assertionType)"
        case .clientMismatch: "client_id does not match the assertion's iss"
        case .unknownClient: "unknown client"
        case .methodNotRegistered: "this client is not registered for private_key_jwt"
        case .algorithmNotAllowed: "the assertion must be signed with ES256, EdDSA or RS256"
        case .noKeys: "the client has no registered keys"
        case .keysUnavailable: "the client's keys could not be fetched from its jwks_uri"
        case .badSignature: "the assertion's signature does not verify with the client's keys"
        case .issuerMismatch: "iss must be the client_id"
        case .subjectMismatch: "sub must be the client_id"
        case .wrongAudience: "aud must be the issuer or the token endpoint"
        case .missingExpiry: "exp is required"
        case .expired: "the assertion has expired"
        case .expiryTooFar: "exp must be at most 5 minutes ahead"
        case .missingIssuedAt: "iat is required"
        case .issuedInFuture: "iat is in the future"
        case .notYetValid: "the assertion is not valid yet (nbf)"
        case .missingJTI: "jti is required"
        case .replayed: "the assertion was already used (jti)"
        }
    }
}

/// Rules for `private_key_jwt` client assertions (RFC 7523 2.2 and 3, OIDC Core 9), pure and in one place.
public enum ClientAssertionRules {
    /// RFC 7523 2.2: the only `client_assertion_type` accepted.
    public static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// An assertion may live at most this long (`exp` no further ahead than this): a stolen one is
    /// useless soon, and its `jti` need be remembered only this long.
    public static let maximumLifetime: Seconds = .minutes(5)
    /// Clock skew tolerated for `iat` and `nbf` in the future.
    public static let clockSkew: Seconds = 30
    /// Asymmetric algorithms only: never `none`, never a MAC (client secrets are stored hashed).
    public static let algorithms: Set<String> = ["ES256", "EdDSA", "RS256"]

    /// Why the assertion must be refused, or `nil` when its claims authenticate `clientID`.
    ///
    /// - Parameter audiences: the values `aud` may name: our issuer and the token endpoint URL (RFC 7523 3 item 3).
    public static func problem(
        _ claims: ClientAssertionClaims, clientID: ClientID, audiences: Set<String>, now: UnixTime
    ) -> ClientAssertionProblem? {
        // RFC 7523 3 items 1-2 / OIDC Core 9: iss and sub are both the client_id.
        guard claims.iss == clientID.rawValue else { return .issuerMismatch }
        guard claims.sub == clientID.rawValue else { return .subjectMismatch }
        // RFC 7523 3 item 3: the audience identifies this authorization server.
        guard claims.aud.contains(where: audiences.contains) else { return .wrongAudience }
        // RFC 7523 3 item 4: exp is required and the assertion is refused once it has passed.
        guard let exp = claims.exp else { return .missingExpiry }
        guard exp > now.rawValue else { return .expired }
        guard exp - now.rawValue <= maximumLifetime.rawValue else { return .expiryTooFar }
        // Required here (issue 12): freshness of a re-attestation is judged by iat.
        guard let iat = claims.iat else { return .missingIssuedAt }
        guard iat <= now.rawValue + clockSkew.rawValue else { return .issuedInFuture }
        if let nbf = claims.nbf, nbf > now.rawValue + clockSkew.rawValue { return .notYetValid }
        // RFC 7523 3 item 7 / OIDC Core 9: jti makes the assertion single use.
        guard let jti = claims.jti, !jti.isEmpty, jti.utf8.count <= 256 else { return .missingJTI }
        return nil
    }
}
