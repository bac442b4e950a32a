import Hummingbird
import ReverifyCore

/// Decides which address is the client's before anything else reads it (audit, rate limits, risk):
/// `X-Forwarded-For` only from a configured trusted proxy (`serve --trusted-proxy`).
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = ReverifyRequestContext
    let proxies: TrustedProxies
    /// `--dev` only: the demo's "pretend I'm on a new network" switch (issue 11 item 7). Never in production.
    let honourDemoNetwork: Bool

    /// The cookie the demo sets to pretend another network; read only when `--dev` is on.
    static let demoNetworkCookie = "reverify_demo_network"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if honourDemoNetwork, let pretend = request.cookies[Self.demoNetworkCookie]?.value, let address = IPAddress(pretend) {
            var context = context
            context.forwardedClientAddress = address.description
            return try await next(request, context)
        }
        guard !proxies.networks.isEmpty else { return try await next(request, context) }
        var context = context
        context.forwardedClientAddress = proxies.clientAddress(
            socket: context.remoteAddress?.ipAddress, forwardedFor: request.headers[values: .init("X-Forwarded-For")!].joined(separator: ","))
        return try await next(request, context)
    }
}
