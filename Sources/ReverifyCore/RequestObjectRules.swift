/// The claims of a request object (OIDC Core 6.1, RFC 9101) that decide whether it may be used.
public struct RequestObjectClaims: Equatable, Sendable {
    public var iss: String?
    public var aud: [String]
    public var exp: Int64?
    public var iat: Int64?
    public var nbf: Int64?
    public var jti: String?
    public var clientID: String?

    public init(
        iss: String?, aud: [String], exp: Int64?, iat: Int64?, nbf: Int64? = nil, jti: String?, clientID: String?
    ) {
        self.iss = iss
        self.aud = aud
        self.exp = exp
        self.iat = iat
        self.nbf = nbf
        self.jti = jti
        self.clientID = clientID
    }
}

/// Rules for signed request objects (issue 17, item 5). The signature is checked by the caller with the
/// client's registered keys; these are the claim checks, pure and in one place.
public enum RequestObjectRules {
    /// A request object may live at most this long (`exp` no further ahead than this).
    public static let maximumLifetime: Seconds = .minutes(5)
    /// The signing algorithms accepted: asymmetric only, never `none` (RFC 9101 10.1) or a MAC.
    public static let algorithms: Set<String> = ["ES256", "EdDSA", "RS256"]

    /// Why the object must be refused (`invalid_request_object`), or `nil` when its claims are acceptable.
    public static func problem(
        _ claims: RequestObjectClaims, clientID: ClientID, issuer: String, now: UnixTime
    ) -> String? {
        // RFC 9101 6.3: iss is the client; client_id, when present, matches the request's.
        guard claims.iss == clientID.rawValue else { return "iss must be the client_id" }
        if let inner = claims.clientID, inner != clientID.rawValue { return "client_id does not match the request" }
        // RFC 9101 6.1 / 10.1: aud is the authorization server.
        guard claims.aud.contains(issuer) else { return "aud must be the issuer \(issuer)" }
        guard let exp = claims.exp else { return "exp is required" }
        guard exp > now.rawValue else { return "the request object has expired" }
        guard exp - now.rawValue <= maximumLifetime.rawValue else { return "exp must be at most 5 minutes ahead" }
        if let nbf = claims.nbf, nbf > now.rawValue + 30 { return "the request object is not valid yet" }
        guard let jti = claims.jti, !jti.isEmpty, jti.utf8.count <= 256 else { return "jti is required" }
        return nil
    }
}

extension OAuthError {
    public static func invalidRequestObject(_ d: String) -> OAuthError { .init(.invalidRequestObject, d) }
    public static func invalidRequestURI(_ d: String) -> OAuthError { .init(.invalidRequestURI, d) }
}
