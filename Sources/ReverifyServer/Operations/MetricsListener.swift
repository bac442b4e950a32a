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

    /// The webhook gauges' names (`reverify_webhook_…`) and the help lines they are exposed with.
    enum Gauges {
        // Computed: prometheus's descriptor is not `Sendable`, so it cannot be a stored static.
        static var queueDepth: MetricNameDescriptor { webhook("queue", "depth", "Events not yet delivered to the endpoint") }
        static var oldestUndeliveredAge: MetricNameDescriptor {
            webhook("oldest_undelivered_age", "seconds", "Age of the oldest event not yet delivered to the endpoint")
        }
        static var deliveryAttempts: MetricNameDescriptor {
            webhook("delivery", "attempts", "Delivery attempts made to the endpoint")
        }
        static var deadLetters: MetricNameDescriptor {
            webhook("dead", "letters", "Events that will not be sent to the endpoint again")
        }

        private static func webhook(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "reverify", subsystem: "webhook", metricName: name, unitName: unit, helpText: help)
        }
    }

    /// Webhook queue depth, oldest undelivered age, attempts and dead letters per endpoint.
    static func collect(into registry: PrometheusCollectorRegistry, store: any Store, now: UnixTime, logger: Logger) async {
        let started = ContinuousClock.now
        do {
            for stats in try await store.webhookQueueStats() {
                let labels = [("endpoint", stats.endpointId.rawValue)]
                registry.makeGauge(descriptor: Gauges.queueDepth, labels: labels).set(Double(stats.undelivered))
                registry.makeGauge(descriptor: Gauges.oldestUndeliveredAge, labels: labels)
                    .set(Double(stats.oldestUndeliveredAt.map { max(0, now.rawValue - $0.rawValue) } ?? 0))
                registry.makeGauge(descriptor: Gauges.deliveryAttempts, labels: labels).set(Double(stats.attempts))
                registry.makeGauge(descriptor: Gauges.deadLetters, labels: labels).set(Double(stats.dead))
            }
            Timer(label: "reverify_db_query_duration_seconds", dimensions: [("query", "webhook_queue_stats")])
                .recordInterval(since: started)
        } catch {
            logger.warning("metrics: reading the webhook queue failed", metadata: ["error": "\(type(of: error))"])
        }
    }
}
