import Hummingbird
import Logging
import Metrics
import Prometheus
import ReverifyCore
import ReverifyStore
import ServiceLifecycle

/// Prometheus exposition on its own listener (`serve --metrics-host/--metrics-port`, issue 15.1), so metrics
/// are never reachable on the public one. Counters and histograms are recorded as they happen through
/// swift-metrics; the webhook queue gauges are read from the store at each scrape.
public enum MetricsListener {
    /// Makes swift-metrics record into a new Prometheus registry. Once per process, before anything records.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Hummingbird's metric names are dotted (`http.server.request.duration`); Prometheus allows [a-zA-Z0-9_:].
        factory.nameAndLabelSanitizer = { name, labels in (sanitize(name), labels.map { (sanitize($0.0), $0.1) }) }
        MetricsSystem.bootstrap(factory)
        TransactionTimer.enable()
        return registry
    }

    static func sanitize(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") ? $0 : "_" })
    }

    /// The listener, to run next to the public application.
    public static func make(
        host: String, port: Int, registry: PrometheusCollectorRegistry, store: any Store, time: any TimeSource,
        logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some Service {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            await collect(into: registry, store: store, now: time.now(), logger: logger)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "Reverify metrics"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }

    /// Webhook queue depth, oldest undelivered age, attempts and dead letters per endpoint.
    static func collect(into registry: PrometheusCollectorRegistry, store: any Store, now: UnixTime, logger: Logger) async {
        let started = ContinuousClock.now
        do {
            for stats in try await store.webhookQueueStats() {
                let labels = [("endpoint", stats.endpointId.rawValue)]
                registry.makeGauge(name: "reverify_webhook_queue_depth", labels: labels).set(Double(stats.undelivered))
                registry.makeGauge(name: "reverify_webhook_oldest_undelivered_age_seconds", labels: labels)
                    .set(Double(stats.oldestUndeliveredAt.map { max(0, now.rawValue - $0.rawValue) } ?? 0))
                registry.makeGauge(name: "reverify_webhook_delivery_attempts", labels: labels).set(Double(stats.attempts))
                registry.makeGauge(name: "reverify_webhook_dead_letters", labels: labels).set(Double(stats.dead))
            }
            Timer(label: "reverify_db_query_duration_seconds", dimensions: [("query", "webhook_queue_stats")])
                .recordInterval(since: started)
        } catch {
            logger.warning("metrics: reading the webhook queue failed", metadata: ["error": "\(type(of: error))"])
        }
    }
}
