import Hummingbird
import ReverifyCore

/// Per-network rate limit on unauthenticated work (issue 9 item 5): authorization requests and hosted-page
/// POSTs (and the upstream callback) from a browser without a valid session each spend a token; an empty bucket
/// answers `429 Too Many Requests` with `Retry-After` (RFC 6585 4) and writes nothing.
///
/// Requests with a valid session, and everything else (the token endpoint's clients authenticate, discovery and
/// JWKS are static), are never limited. The peer address is the TCP peer: behind a reverse proxy every request
/// shares the proxy's address, so raise or disable the limit there.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = ReverifyRequestContext
    let services: Services

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard services.rateLimit.isEnabled, Self.isUnauthenticatedWork(request),
            try await AuthorizationFlow(services: services).currentSession(request) == nil
        else { return try await next(request, context) }
        let key = context.ipAddress.flatMap(IPAddress.init).map(RateLimitKey.init) ?? .unknown
        switch services.rateLimit.take(key) {
        case .allowed:
            return try await next(request, context)
        case .limited(let retryAfter):
            services.logger.debug("rate limited", metadata: ["network": "\(key)", "path": "\(request.uri.path)"])
            var response = services.pages.error(
                "Too many sign-in requests came from your network. Wait \(retryAfter.rawValue) seconds, then try again.",
                title: "Too many requests", status: .tooManyRequests)
            response.headers[.retryAfter] = String(retryAfter.rawValue)
            return response
        }
    }

    /// The work anyone can cause without an account: it writes flows, audit rows and (at sign-in) hashes passwords.
    static func isUnauthenticatedWork(_ request: Request) -> Bool {
        let path = request.uri.path
        if path == "/oauth2/authorize" { return true }
        guard path.hasPrefix("/reauth/") else { return false }
        return request.method == .post || path == UpstreamSSORoutes.callbackPath
    }
}
