import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import ReverifyCore
import ReverifyStore

/// Builds the Hummingbird application: every route family on one router.
public enum ReverifyApplication {
    public static func router(services: Services) -> Router<ReverifyRequestContext> {
        let router = Router(context: ReverifyRequestContext.self)
        router.add(
            middleware: ClientAddressMiddleware(
                proxies: services.configuration.risk.trustedProxies, honourDemoNetwork: services.configuration.devPages))
        router.add(middleware: RequestLogMiddleware(logger: services.logger))
        // Requests by route and status with latency histograms; a no-op unless --metrics-port is given.
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: RateLimitMiddleware(services: services))
        DiscoveryRoutes(services: services).register(on: router)
        ReadinessRoutes(services: services).register(on: router)
        AuthorizeRoutes(services: services).register(on: router)
        PushedAuthorizationRoutes(services: services).register(on: router)
        DecisionRoutes(services: services).register(on: router)
        SharedSignalRoutes(services: services).register(on: router)
        HostedPageRoutes(services: services).register(on: router)
        EmailVerificationRoutes(services: services).register(on: router)
        BackchannelAuthenticationRoutes(services: services).register(on: router)
        ApprovalPageRoutes(services: services).register(on: router)
        TOTPVerificationRoutes(services: services).register(on: router)
        PasskeyVerificationRoutes(services: services).register(on: router)
        AccountSecurityRoutes(services: services).register(on: router)
        UpstreamSSORoutes(services: services).register(on: router)
        if services.configuration.devPages {
            DevMailRoutes(services: services).register(on: router)
        }
        TokenRoutes(services: services).register(on: router)
        UserInfoRoutes(services: services).register(on: router)
        IntrospectionRoutes(services: services).register(on: router)
        RevocationRoutes(services: services).register(on: router)
        LogoutRoutes(services: services).register(on: router)
        if services.configuration.demo {
            DemoRelyingParty(services: services).register(on: router)
        }
        return router
    }

    /// The application bound to the configured host and port. `background` services (the webhook worker)
    /// start and stop with it.
    public static func make(
        services: Services, background: [any Service] = [],
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let c = services.configuration
        let limits = c.connections
        let headerTimeout = TimeAmount.seconds(limits.headerTimeout.rawValue)
        return Application(
            router: router(services: services),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [RequestHeadDeadlineHandler(timeout: headerTimeout)],
                    idleTimeout: .seconds(limits.idleTimeout.rawValue))),
            configuration: .init(
                address: .hostname(c.host, port: c.port), serverName: "Reverify",
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maximumConnections, logger: services.logger)),
            services: background,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? c.port) },
            logger: services.logger)
    }
}
