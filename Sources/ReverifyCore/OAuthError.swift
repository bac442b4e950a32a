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
        /// RFC 8707 2 / RFC 8693 2.2.2: an `audience` or `resource` the client may not ask for.
        case invalidTarget = "invalid_target"
        /// RFC 9396 5: `authorization_details` malformed or wider than allowed.
        case invalidAuthorizationDetails = "invalid_authorization_details"
        /// RFC 9470 3: the person's authentication is too old or too weak for what was asked.
        case insufficientUserAuthentication = "insufficient_user_authentication"
        /// OpenID CIBA Core 11: the person has not decided yet; poll again after `interval`.
        case authorizationPending = "authorization_pending"
        /// OpenID CIBA Core 11: still pending, and the client polled sooner than `interval`; it grows by 5 s.
        case slowDown = "slow_down"
        /// OpenID CIBA Core 11: the `auth_req_id` expired before the person decided.
        case expiredToken = "expired_token"
        /// OpenID CIBA Core 13: the `binding_message` is too long or holds characters a person cannot see.
        case invalidBindingMessage = "invalid_binding_message"
    }

    public let code: Code
    public let description: String
    /// RFC 9470 3: with `insufficient_user_authentication`, the level and age that would satisfy the request.
    public var acrValues: String?
    public var maxAge: Seconds?

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
