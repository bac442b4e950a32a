/// The one error type of the protocol layer, carrying an RFC error code and a human description.
///
/// Codes come from RFC 6749 4.1.2.1 / 5.2, OIDC Core 3.1.2.6, RFC 7009 and RFC 6750.
public struct OAuthError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The registered error codes Reverify emits.
    public enum Code: String, Sendable, CaseIterable {
        case invalidRequest = "invalid_request"
        case invalidClient = "invalid_client"
        case invalidGrant = "invalid_grant"
        case unauthorizedClient = "unauthorized_client"
        case unsupportedGrantType = "unsupported_grant_type"
        case unsupportedResponseType = "unsupported_response_type"
        case invalidScope = "invalid_scope"
        case accessDenied = "access_denied"
        case serverError = "server_error"
        case temporarilyUnavailable = "temporarily_unavailable"
        case loginRequired = "login_required"
        case interactionRequired = "interaction_required"
        case requestNotSupported = "request_not_supported"
        case requestURINotSupported = "request_uri_not_supported"
        /// OIDC Core 3.1.2.6 / RFC 9101 6.3: a request object that fails its checks.
        case invalidRequestObject = "invalid_request_object"
        /// RFC 9126 / RFC 9101: an unknown, expired, reused or foreign `request_uri`.
        case invalidRequestURI = "invalid_request_uri"
        case invalidToken = "invalid_token"
        case unsupportedTokenType = "unsupported_token_type"
        /// OpenID Connect Core Unmet Authentication Requirements 1.0: an essential `acr` cannot be met.
        case unmetAuthenticationRequirements = "unmet_authentication_requirements"
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    public static func invalidRequest(_ d: String) -> OAuthError { .init(.invalidRequest, d) }
    public static func invalidClient(_ d: String) -> OAuthError { .init(.invalidClient, d) }
    public static func invalidGrant(_ d: String) -> OAuthError { .init(.invalidGrant, d) }
    public static func loginRequired(_ d: String) -> OAuthError { .init(.loginRequired, d) }
    public static func accessDenied(_ d: String) -> OAuthError { .init(.accessDenied, d) }
    public static func serverError(_ d: String) -> OAuthError { .init(.serverError, d) }

    /// HTTP status for token-endpoint style JSON responses (RFC 6749 5.2, RFC 6750 3.1).
    public var httpStatus: Int {
        switch code {
        case .invalidClient, .invalidToken: 401
        case .serverError: 500
        case .temporarilyUnavailable: 503
        default: 400
        }
    }
}
