import ArgumentParser
import Hummingbird
import Logging
import ReverifyCore
import ReverifyServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (stops gracefully on SIGTERM/SIGINT).")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(help: "Port to bind.") var port: Int = 8080
    @Option(help: "Issuer URL (default http://HOST:PORT).") var issuer: String?
    @Flag(help: "Mount the demo relying party at /demo.") var demo = false
    @Option(help: "Log level (trace, debug, info, notice, warning, error).") var logLevel: String = "info"
    @OptionGroup var webhooks: WebhookServeOptions

    func run() async throws {
        guard (0...65535).contains(port) else { throw CLIError("--port must be between 0 and 65535") }
        guard let level = Logger.Level(rawValue: logLevel) else { throw CLIError("unknown --log-level \(logLevel)") }
        let webhookConfiguration = try webhooks.configuration()
        let issuer = issuer ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        guard issuer.hasPrefix("https://") || issuer.hasPrefix("http://") else { throw CLIError("--issuer must be an http(s) URL") }
        var logger = Logger(label: "reverify")
        logger.logLevel = level

        let store = try database.openMigrating()
        var configuration = ServerConfiguration(issuer: issuer, host: host, port: port)
        configuration.demo = demo
        let services = try await Services(configuration: configuration, store: store, logger: logger)
        try await KeyRingProvider.ensureSigningKey(store: store, now: services.time.now())
        let worker = WebhookWorker(store: store, configuration: webhookConfiguration, logger: logger)
        let app = ReverifyApplication.make(services: services, background: webhookConfiguration.enabled ? [worker] : []) {
            boundPort in
            print("Reverify listening on http://\(host):\(boundPort) (issuer \(issuer))")
            if demo { print("Demo relying party: \(issuer)/demo") }
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
