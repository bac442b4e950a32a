import ArgumentParser
import Hummingbird
import Logging
import ServiceLifecycle
import ReverifyCore
import ReverifyServer
import ReverifyStore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (stops gracefully on SIGTERM/SIGINT).")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(help: "Port to bind.") var port: Int = 8080
    @Option(help: "Issuer URL (default http://HOST:PORT).") var issuer: String?
    @OptionGroup var mail: MailOptions
    @Flag(help: "Mount the demo relying party at /demo.") var demo = false
    @Flag(help: "Development pages (/dev/mail shows the local outbox, codes included). Never in production.")
    var dev = false
    @Option(help: "Minutes an emailed link and code stay valid.") var magicLinkMinutes: Int64 = 10
    @Option(help: "Minutes of inactivity after which a browser session ends.") var sessionIdleMinutes: Int64 = 480
    @Option(help: "Hours after sign-in at which a browser session ends regardless of use.") var sessionMaxHours: Int64 = 168
    @Option(help: "Seconds a connection has to send each complete request header block (slowloris).")
    var headerTimeoutSeconds: Int64 = 10
    @Option(help: "Seconds after which a connection that sends nothing complete is closed.")
    var idleTimeoutSeconds: Int64 = 60
    @Option(help: "Connections served at once; more wait until one closes.") var maxConnections: Int = 512
    @Option(help: "Unauthenticated requests (authorize without a session, hosted-page POSTs) per client network per minute; 0 disables.")
    var rateLimitPerMinute: Int = 300
    @OptionGroup var retention: RetentionOptions
    @Option(help: "Seconds between retention runs (0: never; run `reverify prune` from cron instead).")
    var retentionIntervalSeconds: Int64 = 3600
    @Option(help: "Seconds in which a relying party's repeat of a just-rotated refresh token gets a sibling instead of revoking the grant (0 disables).")
    var refreshReuseGraceSeconds: Int64 = 5
    @Option(name: .customLong("acr-lifetime"), help: "How long a level above 1fa stays valid, e.g. mfa=900 or phr=300 (seconds; default 900; repeatable).")
    var acrLifetimes: [String] = []
    @Option(help: "A risk policy file (JSON; see `reverify policy check`). Without one the documented default applies.")
    var policy: String?
    @Option(name: .customLong("trusted-proxy"), help: "A reverse proxy (address or CIDR) whose X-Forwarded-For names the client (repeatable; default none).")
    var trustedProxies: [String] = []
    @Option(help: "Log level (trace, debug, info, notice, warning, error).") var logLevel: String = "info"
    @Option(help: "Log line format: text, or json (one object per line).") var logFormat: LogFormat = .text
    @OptionGroup var webhooks: WebhookServeOptions
    @Option(help: "Address of the Prometheus /metrics listener.") var metricsHost: String = "127.0.0.1"
    @Option(help: "Port of the Prometheus /metrics listener (off unless given).") var metricsPort: Int?

    func run() async throws {
        MemoryTuning.applyServerSettings()
        guard (0...65535).contains(port) else { throw CLIError("--port must be between 0 and 65535") }
        guard let level = Logger.Level(rawValue: logLevel) else { throw CLIError("unknown --log-level \(logLevel)") }
        guard (1...3600).contains(headerTimeoutSeconds), (1...86_400).contains(idleTimeoutSeconds) else {
            throw CLIError("--header-timeout-seconds must be 1 to 3600 and --idle-timeout-seconds 1 to 86400")
        }
        guard (1...1_000_000).contains(maxConnections) else { throw CLIError("--max-connections must be 1 to 1000000") }
        guard (0...1_000_000).contains(rateLimitPerMinute) else { throw CLIError("--rate-limit-per-minute must be 0 to 1000000") }
        let retentionPolicy = try retention.policy()
        guard (0...604_800).contains(retentionIntervalSeconds) else {
            throw CLIError("--retention-interval-seconds must be 0 to 604800")
        }
        let webhookConfiguration = try webhooks.configuration()
        let issuer = issuer ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        guard issuer.hasPrefix("https://") || issuer.hasPrefix("http://") else { throw CLIError("--issuer must be an http(s) URL") }
        logFormat.bootstrap()
        var logger = Logger(label: "reverify")
        logger.logLevel = level

        // Every option is checked before the database is touched: a bad value changes nothing.
        guard (0...60).contains(refreshReuseGraceSeconds) else { throw CLIError("--refresh-reuse-grace-seconds must be 0 to 60") }
        var levelLifetimes = LevelLifetimes()
        for text in acrLifetimes {
            guard let (level, lifetime) = LevelLifetimes.parse(text) else {
                throw CLIError("--acr-lifetime must look like mfa=900 (a level above 1fa and 1 to 2592000 seconds)")
            }
            levelLifetimes.lifetimes[level] = lifetime
        }
        guard (1...1440).contains(magicLinkMinutes) else { throw CLIError("--magic-link-minutes must be 1 to 1440") }
        guard sessionIdleMinutes > 0, sessionMaxHours > 0, sessionIdleMinutes <= sessionMaxHours * 60 else {
            throw CLIError("--session-idle-minutes must be positive and no longer than --session-max-hours")
        }
        let mailSettings = try mail.settings()
        var riskSettings = RiskSettings()
        riskSettings.trustedProxies = TrustedProxies(try trustedProxies.map { text in
            guard let network = TrustedProxies.parse(text) else { throw CLIError("--trusted-proxy must be an IP address or CIDR, not '\(text)'") }
            return network
        })
        if let policy {
            do { riskSettings.policy = try RiskPolicyFile.load(policy) } catch let error as RiskPolicyError { throw CLIError(error.description) }
        }
        if let metricsPort, !(0...65535).contains(metricsPort) {
            throw CLIError("--metrics-port must be between 0 and 65535")
        }
        // Held until the process ends: `reverify restore` refuses while it is held (issue 15.4).
        // PostgreSQL is shared by design (issue 14): several instances serve it at once, and pg_restore is the
        // operator's own business.
        let databaseLock: DatabaseLock? =
            if case .sqlite(let path) = try database.location() { try DatabaseLock.shared(forDatabase: path) } else { nil }
        let store = try await database.openMigrating()
        try await Secrets.announceAtStart(store: store, keyed: database.masterKeyFile != nil, logger: logger)
        var configuration = ServerConfiguration(issuer: issuer, host: host, port: port)
        configuration.demo = demo
        configuration.devPages = dev
        configuration.mail = mailSettings
        configuration.risk = riskSettings
        configuration.oneTimeCodes.lifetime = .minutes(magicLinkMinutes)
        configuration.sessionIdleTimeout = .minutes(sessionIdleMinutes)
        configuration.sessionAbsoluteLifetime = .hours(sessionMaxHours)
        configuration.rateLimitPerMinute = rateLimitPerMinute
        configuration.connections.headerTimeout = Seconds(headerTimeoutSeconds)
        configuration.connections.idleTimeout = Seconds(idleTimeoutSeconds)
        configuration.connections.maximumConnections = maxConnections
        configuration.refreshReuseGrace = Seconds(refreshReuseGraceSeconds)
        configuration.levelLifetimes = levelLifetimes
        let usesOutbox = if case .outbox = configuration.mail.transport { true } else { false }
        let services = try await Services(configuration: configuration, store: store, logger: logger)
        try await KeyRingProvider.ensureSigningKey(store: store, now: services.time.now())
        let worker = WebhookWorker(store: store, configuration: webhookConfiguration, logger: logger)
        // In JSON mode every line on standard output is a JSON object, these too.
        let announce = Self.announcer(logFormat, logger)
        var background: [any Service] = webhookConfiguration.enabled ? [worker] : []
        if let policy {
            background.append(RiskPolicyReloader(path: policy, holder: services.riskPolicy, logger: logger))
        }
        if let checkpointer = try (store as? SQLiteStore)?.walCheckpointer() {
            background.append(WALCheckpointService(checkpointer: checkpointer, logger: logger))
        }
        if retentionIntervalSeconds > 0 {
            background.append(
                RetentionService(
                    store: store, policy: retentionPolicy, interval: .seconds(retentionIntervalSeconds), time: services.time,
                    logger: logger))
        }
        if let metricsPort {
            let registry = MetricsListener.bootstrap()
            background.append(MetricsListener.make(
                host: metricsHost, port: metricsPort, registry: registry, store: store, time: services.time, logger: logger
            ) { announce("Metrics on http://\(metricsHost):\($0)/metrics") })
        }
        let app = ReverifyApplication.make(services: services, background: background) {
            boundPort in
            announce("Reverify listening on http://\(host):\(boundPort) (issuer \(issuer))")
            if demo { announce("Demo relying party: \(issuer)/demo") }
            if dev && usesOutbox { announce("Outbox: \(issuer)/dev/mail") }
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        withExtendedLifetime(databaseLock) {}
    }

    static func announcer(_ format: LogFormat, _ logger: Logger) -> @Sendable (String) -> Void {
        switch format {
        case .json: { logger.notice("\($0)") }
        case .text: { print($0) }
        }
    }
}
