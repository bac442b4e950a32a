/// The claims of an upstream provider's ID token that decide whether it proves a fresh verification,
/// already read from a token whose signature was checked against the upstream JWKS.
public struct UpstreamIDTokenClaims: Equatable, Sendable {
    public var issuer: String
    public var subject: String
    /// `aud` as a list: OIDC Core 2 allows a single string or an array.
    public var audience: [String]
    public var authorizedParty: String?
    public var expiresAt: UnixTime?
    public var issuedAt: UnixTime?
    public var nonce: String?
    public var authTime: UnixTime?
    public var amr: [String]
    public var email: String?
    public var emailVerified: Bool?
    /// Time claims that were present but not a usable time (see ``NumericDate``).
    public var timesOutOfRange: [UpstreamTimeClaim] = []

    public init(
        issuer: String, subject: String, audience: [String], authorizedParty: String? = nil, expiresAt: UnixTime?,
        issuedAt: UnixTime?, nonce: String?, authTime: UnixTime?, amr: [String] = [], email: String? = nil,
        emailVerified: Bool? = nil
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.authorizedParty = authorizedParty
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.nonce = nonce
        self.authTime = authTime
        self.amr = amr
        self.email = email
        self.emailVerified = emailVerified
    }
}

/// The time claims of an upstream ID token.
public enum UpstreamTimeClaim: String, Equatable, Sendable {
    case expiresAt = "exp"
    case issuedAt = "iat"
    case authTime = "auth_time"
}

extension UpstreamIDTokenClaims {
    /// Sets `exp`, `iat` and `auth_time` from the JSON numbers of the token. A value that is no usable time is
    /// remembered in ``timesOutOfRange`` (and refused by ``UpstreamIDTokenRules``); an `auth_time` of zero or
    /// less counts as absent: no provider authenticated anyone in 1970, and treating it as a time would report
    /// a login "decades before this request".
    public mutating func readTimes(exp: Double?, iat: Double?, authTime: Double?) {
        timesOutOfRange = []
        func read(_ value: Double?, _ claim: UpstreamTimeClaim) -> UnixTime? {
            switch NumericDate(value) {
            case .absent: return nil
            case .time(let time): return time
            case .outOfRange:
                timesOutOfRange.append(claim)
                return nil
            }
        }
        expiresAt = read(exp, .expiresAt)
        issuedAt = read(iat, .issuedAt)
        self.authTime = authTime.map { $0 <= 0 } == true ? nil : read(authTime, .authTime)
    }
}

/// What Reverify expected when it sent the user to the upstream provider.
public struct UpstreamExpectation: Equatable, Sendable {
    /// The provider's issuer identifier, compared exactly (OIDC Core 3.1.3.7 step 2).
    public var issuer: String
    /// Our client id at the provider.
    public var clientID: String
    /// The nonce sent in the authorization request (OIDC Core 3.1.3.7 step 11).
    public var nonce: String
    /// When the user was sent upstream: the verification must have happened after this.
    public var startedAt: UnixTime
    /// Tolerated clock difference between Reverify and the provider.
    public var skew: Seconds

    public init(issuer: String, clientID: String, nonce: String, startedAt: UnixTime, skew: Seconds = 60) {
        self.issuer = issuer
        self.clientID = clientID
        self.nonce = nonce
        self.startedAt = startedAt
        self.skew = skew
    }
}

/// Why an upstream ID token was refused. Each maps to an audit reason and a page message.
public enum UpstreamIDTokenProblem: Equatable, Sendable, CustomStringConvertible {
    case wrongIssuer
    case missingSubject
    case wrongAudience
    case wrongAuthorizedParty
    case missingExpiry
    case expired
    case missingIssuedAt
    case issuedInFuture
    case wrongNonce
    case missingAuthTime
    /// `auth_time` predates the moment the user was sent upstream: the provider reused an old login.
    case staleAuthTime(age: Seconds)
    case authTimeInFuture
    /// `exp`, `iat` or `auth_time` is not a time (beyond year 9999, negative, not finite).
    case timeOutOfRange(UpstreamTimeClaim)

    /// A stable snake_case reason for the audit log.
    public var auditReason: String {
        switch self {
        case .wrongIssuer: "upstream_wrong_issuer"
        case .missingSubject: "upstream_missing_subject"
        case .wrongAudience: "upstream_wrong_audience"
        case .wrongAuthorizedParty: "upstream_wrong_azp"
        case .missingExpiry: "upstream_missing_exp"
        case .expired: "upstream_expired"
        case .missingIssuedAt: "upstream_missing_iat"
        case .issuedInFuture: "upstream_iat_in_future"
        case .wrongNonce: "upstream_wrong_nonce"
        case .missingAuthTime: "upstream_missing_auth_time"
        case .staleAuthTime: "upstream_stale_auth_time"
        case .authTimeInFuture: "upstream_auth_time_in_future"
        case .timeOutOfRange: "upstream_time_out_of_range"
        }
    }

    public var description: String {
        switch self {
        case .wrongIssuer: "the ID token was issued by a different provider"
        case .missingSubject: "the ID token names no subject"
        case .wrongAudience: "the ID token was not issued to Reverify"
        case .wrongAuthorizedParty: "the ID token was issued to another party (azp)"
        case .missingExpiry: "the ID token has no expiry"
        case .expired: "the ID token has expired"
        case .missingIssuedAt: "the ID token has no issue time"
        case .issuedInFuture: "the ID token was issued in the future"
        case .wrongNonce: "the ID token does not answer this request (nonce mismatch)"
        case .missingAuthTime: "the provider did not say when you signed in (no auth_time)"
        case .staleAuthTime(let age): "the provider reused a sign-in from \(age.rawValue)s before this request instead of asking again"
        case .authTimeInFuture: "the provider's sign-in time is in the future"
        case .timeOutOfRange(let claim): "the ID token's \(claim.rawValue) is not a valid time"
        }
    }
}

/// The checks OIDC Core 3.1.3.7 requires of an ID token received from an upstream provider, plus the one
/// that makes delegated re-verification mean something: `auth_time` must show the provider actively
/// authenticated the user after we asked (OIDC Core 3.1.2.1 `max_age=0`; RFC 9470 3).
///
/// Pure: the signature has already been verified against the provider's JWKS; this decides the claims.
public enum UpstreamIDTokenRules {
    /// The first problem found, in the order the spec lists the steps, or `nil` when the token is acceptable.
    public static func problem(
        with claims: UpstreamIDTokenClaims, expected: UpstreamExpectation, now: UnixTime
    ) -> UpstreamIDTokenProblem? {
        // Step 2: iss MUST exactly match the issuer identifier.
        guard claims.issuer == expected.issuer else { return .wrongIssuer }
        guard !claims.subject.isEmpty else { return .missingSubject }
        // Step 3: aud MUST contain our client_id; extra audiences we do not trust are refused.
        guard claims.audience.contains(expected.clientID),
            claims.audience.allSatisfy({ $0 == expected.clientID })
        else { return .wrongAudience }
        // Steps 4-5: when azp is present it MUST be our client_id.
        if let azp = claims.authorizedParty, azp != expected.clientID { return .wrongAuthorizedParty }
        // RFC 7519 2: exp, iat and auth_time are NumericDates; one we cannot compute with is refused outright.
        if let claim = claims.timesOutOfRange.first { return .timeOutOfRange(claim) }
        // Step 9: the current time MUST be before exp (with a little leeway for clock skew).
        guard let exp = claims.expiresAt else { return .missingExpiry }
        guard now < exp + expected.skew else { return .expired }
        // Step 10: iat is required; one from the future means a broken or hostile clock.
        guard let iat = claims.issuedAt else { return .missingIssuedAt }
        guard iat <= now + expected.skew else { return .issuedInFuture }
        // Step 11: the nonce MUST equal the one we sent (compared in constant time).
        guard let nonce = claims.nonce, ConstantTime.equals(nonce, expected.nonce) else { return .wrongNonce }
        // Step 13 with max_age=0: auth_time MUST be present and show an authentication after we asked.
        guard let authTime = claims.authTime else { return .missingAuthTime }
        guard authTime >= expected.startedAt - expected.skew else {
            return .staleAuthTime(age: expected.startedAt - authTime)
        }
        guard authTime <= now + expected.skew else { return .authTimeInFuture }
        return nil
    }

    /// Upstream `amr` values worth passing through: short RFC 8176-style tokens only, at most eight.
    public static func passThroughAMR(_ values: [String]) -> [AMR] {
        var result: [AMR] = []
        for value in values where value.count <= 32 && !value.isEmpty
            && value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") })
        {
            let amr = AMR(rawValue: value)
            // `fed` is ours to add; `mfa` is claimed upstream and passed on as the upstream's word.
            if amr != .fed, !result.contains(amr) { result.append(amr) }
            if result.count == 8 { break }
        }
        return result
    }

    /// Whether an email's domain is one a provider is restricted to (an empty list allows any).
    public static func emailDomainAllowed(_ email: String, domains: [String]) -> Bool {
        guard !domains.isEmpty else { return true }
        guard let at = email.lastIndex(of: "@") else { return false }
        let domain = email[email.index(after: at)...].lowercased()
        return domains.contains { $0.lowercased() == domain }
    }
}
