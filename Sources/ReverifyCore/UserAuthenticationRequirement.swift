/// What a protected resource demands of the authentication behind an access token (RFC 9470): a least
/// assurance level and, optionally, a largest age of `auth_time`.
public struct UserAuthenticationRequirement: Equatable, Sendable {
    public let level: ACR
    public let maxAge: Seconds?

    public init(level: ACR, maxAge: Seconds? = nil) {
        self.level = level
        self.maxAge = maxAge
    }

    /// `nil` when the token's `acr` and `auth_time` meet the requirement; otherwise the RFC 9470 3
    /// challenge that tells the client what to ask the authorization server for.
    ///
    /// - Parameters:
    ///   - acr: the token's `acr` claim; a value this server does not know counts as too low.
    ///   - authTime: the token's `auth_time` claim.
    public func challenge(acr: String, authTime: UnixTime, now: UnixTime) -> BearerChallenge? {
        let levelMet = ACR(rawValue: acr).map { $0 >= level } ?? false
        // RFC 9470 3: max_age is measured from auth_time, like OIDC Core's max_age.
        let fresh = maxAge.map { now - authTime <= $0 } ?? true
        if levelMet && fresh { return nil }
        let description: String
        switch (levelMet, fresh) {
        case (false, true): description = "a stronger authentication (\(level.shortName)) is required"
        case (true, _): description = "a more recent authentication is required"
        case (false, false): description = "a stronger and more recent authentication (\(level.shortName)) is required"
        }
        return BearerChallenge(
            error: .insufficientUserAuthentication, errorDescription: description, acrValues: [level.rawValue],
            maxAge: maxAge)
    }
}
