import Hummingbird
import ReverifyCore

/// Decides which address is the client's before anything else reads it (audit, rate limits, risk):
/// `X-Forwarded-For` only from a configured trusted proxy (`serve --trusted-proxy`).
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = ReverifyRequestContext
    let proxies: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !proxies.networks.isEmpty else { return try await next(request, context) }
        var context = context
        context.forwardedClientAddress = proxies.clientAddress(
            socket: context.remoteAddress?.ipAddress, forwardedFor: request.headers[values: .init("X-Forwarded-For")!].joined(separator: ","))
        return try await next(request, context)
    }
}
