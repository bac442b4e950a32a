import ArgumentParser
import Foundation
import ReverifyCore
import ReverifyCrypto
import ReverifyServer
import ReverifyStore

/// `reverify webhooks …`: endpoints, deliveries, replays and test events (DESIGN 3).
struct Webhooks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage webhook endpoints and inspect, replay and test deliveries (Standard Webhooks).",
        subcommands: [
            Add.self, List.self, Remove.self, Enable.self, RotateSecret.self, Deliveries.self, Replay.self, Test.self,
        ])

    /// What `webhooks` prints about an endpoint: the secret only right after `add` or `rotate-secret`.
    struct EndpointView: Encodable {
        let id: String
        let url: String
        /// `["*"]` for every type.
        let event_types: [String]
        let allow_private: Bool
        let status: String
        let disabled_reason: String?
        let created_at: Int64
        let previous_secret_expires_at: Int64?
        let secret: String?

        init(_ e: WebhookEndpointRecord, secret: String? = nil, at time: UnixTime) {
            id = e.id.rawValue
            url = e.url
            event_types = e.eventTypes?.map(\.rawValue) ?? ["*"]
            allow_private = e.allowPrivate
            status = e.isEnabled ? "enabled" : "disabled"
            disabled_reason = e.disabledReason
            created_at = e.createdAt.rawValue
            previous_secret_expires_at = e.previousSecretExpiresAt.flatMap { $0 > time ? $0.rawValue : nil }
            self.secret = secret
        }

        var line: String {
            "\(id)  \(status)  \(url)  events=\(event_types.joined(separator: ","))" + (allow_private ? "  allow-private" : "")
                + (disabled_reason.map { "  (\($0))" } ?? "")
        }

        var text: String {
            var lines = ["id: \(id)", "url: \(url)", "events: \(event_types.joined(separator: ","))", "status: \(status)"]
            if allow_private { lines.append("allow_private: true") }
            if let previous_secret_expires_at {
                lines.append("previous secret signs until: \(formatted(.init(previous_secret_expires_at)))")
            }
            if let secret { lines.append("secret: \(secret)   (shown once; store it now)") }
            return lines.joined(separator: "\n")
        }
    }

    static func endpointID(_ text: String) throws -> WebhookEndpointID {
        guard let id = WebhookEndpointID(validating: text) else { throw CLIError("no webhook endpoint with id \(text)") }
        return id
    }

    static func find(_ text: String, in store: some Store) async throws -> WebhookEndpointRecord {
        guard let endpoint = try await store.webhookEndpoint(id: endpointID(text)) else {
            throw CLIError("no webhook endpoint with id \(text)")
        }
        return endpoint
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an endpoint; prints its whsec_ signing secret once.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The http(s) URL events are POSTed to.") var url: String
        @Option(help: "Comma-separated event types to send (default: all).") var events: String?
        @Flag(help: "Allow a private, loopback or link-local target (e.g. a receiver on this machine).")
        var allowPrivate = false

        func run() async throws {
            let target: WebhookURL
            switch WebhookURL.parse(url) {
            case .success(let parsed): target = parsed
            case .failure(let problem): throw CLIError("invalid webhook URL '\(url)': \(problem)")
            }
            var types: [WebhookEventType]?
            if let events, events.trimmingCharacters(in: .whitespaces) != "*" {
                switch WebhookEventType.parseList(events) {
                case .success(let list) where !list.isEmpty: types = list
                case .success: throw CLIError("--events names no event type")
                case .failure(let unknown): throw CLIError("--events: \(unknown)")
                }
            }
            let store = try await database.openExisting()
            if !allowPrivate {
                // The SSRF guard, first pass; the worker checks again before every connection.
                do {
                    _ = try WebhookTargetGuard.vet(target, addresses: try AddressResolver.resolveBlocking(host: target.host, port: target.port))
                } catch {
                    throw CLIError("refused \(url): \(error)")
                }
            }
            let secret = WebhookSecret.generate()
            let t = now()
            let endpoint = WebhookEndpointRecord(
                id: WebhookEndpointID(rawValue: IdentifierGenerator.make(prefix: WebhookEndpointID.prefix)), url: url,
                eventTypes: types, allowPrivate: allowPrivate, secret: secret.encoded, createdAt: t)
            try await store.createWebhookEndpoint(endpoint)
            let view = EndpointView(endpoint, secret: secret.encoded, at: t)
            try output.print(json: view) { view.text }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List webhook endpoints.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let t = now()
            let endpoints = try await database.openExisting().webhookEndpoints().map { EndpointView($0, at: t) }
            try output.print(json: endpoints) {
                endpoints.isEmpty ? "no webhook endpoints" : endpoints.map(\.line).joined(separator: "\n")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an endpoint with its delivery history.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Endpoint id (whe_…).") var id: String

        func run() async throws {
            let store = try await database.openExisting()
            let endpoint = try await find(id, in: store)
            try await store.deleteWebhookEndpoint(id: endpoint.id)
            print("removed webhook endpoint \(id)")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-enable an endpoint disabled by a 410 Gone (replay what it missed with `webhooks replay`).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Endpoint id (whe_…).") var id: String

        func run() async throws {
            let store = try await database.openExisting()
            let endpoint = try await find(id, in: store)
            try await store.enableWebhookEndpoint(id: endpoint.id)
            print("enabled webhook endpoint \(id)")
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a new signing secret; the old one also signs during the grace period.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Endpoint id (whe_…).") var id: String
        @Option(help: "Hours the previous secret keeps signing alongside the new one (0 to 720).") var graceHours: Int = 24

        func run() async throws {
            guard (0...720).contains(graceHours) else { throw CLIError("--grace-hours must be between 0 and 720") }
            let store = try await database.openExisting()
            let endpoint = try await find(id, in: store)
            let secret = WebhookSecret.generate()
            let t = now()
            try await store.rotateWebhookSecret(
                id: endpoint.id, newSecret: secret.encoded, previousValidUntil: t + .hours(Int64(graceHours)))
            guard let rotated = try await store.webhookEndpoint(id: endpoint.id) else { throw CLIError("endpoint \(id) vanished") }
            let view = EndpointView(rotated, secret: secret.encoded, at: t)
            try output.print(json: view) { view.text }
        }
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show deliveries and their attempts, newest event first.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only deliveries to this endpoint.") var endpoint: String?
        @Option(help: "Only deliveries of this event (evt_…).") var event: String?
        @Option(help: "At most this many deliveries.") var limit: Int = 100

        struct AttemptView: Encodable {
            let attempt: Int
            let started_at_ms: Int64
            let latency_ms: Int64
            let http_status: Int?
            let error: String?
            let worker: String
        }

        struct View: Encodable {
            let endpoint_id: String
            let event_id: String
            let event_type: String
            let status: String
            let attempts: Int
            let next_attempt_at_ms: Int64?
            let last_status: Int?
            let last_error: String?
            let delivered_at_ms: Int64?
            let attempt_log: [AttemptView]

            init(_ d: WebhookDeliveryDetail) {
                endpoint_id = d.delivery.endpointId.rawValue
                event_id = d.delivery.eventId.rawValue
                event_type = d.eventType.rawValue
                status = d.delivery.status.rawValue
                attempts = d.delivery.attempts
                next_attempt_at_ms = d.delivery.status == .pending ? d.delivery.nextAttemptAtMs.rawValue : nil
                last_status = d.delivery.lastStatus
                last_error = d.delivery.lastError
                delivered_at_ms = d.delivery.deliveredAtMs?.rawValue
                attempt_log = d.attempts.map {
                    AttemptView(
                        attempt: $0.attempt, started_at_ms: $0.startedAtMs.rawValue, latency_ms: $0.latencyMs,
                        http_status: $0.httpStatus, error: $0.error, worker: $0.worker)
                }
            }

            var line: String {
                var text = "\(event_id)  \(event_type)  \(endpoint_id)  \(status)  attempts=\(attempts)"
                if let last_status { text += "  last=\(last_status)" }
                if let next_attempt_at_ms { text += "  next=\(formatted(UnixMilliseconds(next_attempt_at_ms).unixTime))" }
                if let last_error, status != "delivered" { text += "  error=\(last_error)" }
                return text
            }
        }

        func run() async throws {
            guard (1...10_000).contains(limit) else { throw CLIError("--limit must be between 1 and 10000") }
            let endpointID = try endpoint.map(Webhooks.endpointID)
            let eventID = try event.map {
                guard let id = WebhookEventID(validating: $0) else { throw CLIError("no event with id \($0)") }
                return id
            }
            let store = try await database.openExisting()
            let deliveries = try await store.webhookDeliveries(endpoint: endpointID, event: eventID, limit: limit).map(View.init)
            try output.print(json: deliveries) {
                deliveries.isEmpty ? "no deliveries" : deliveries.map(\.line).joined(separator: "\n")
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a stored event again (same webhook-id and body), e.g. after it was dead-lettered.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Event id (evt_…).") var eventID: String
        @Option(help: "Only to this endpoint (default: every endpoint it was sent to).") var endpoint: String?

        struct View: Encodable {
            let event_id: String
            let endpoints: [String]
        }

        func run() async throws {
            guard let event = WebhookEventID(validating: eventID) else { throw CLIError("no event with id \(eventID)") }
            let endpointID = try endpoint.map(Webhooks.endpointID)
            let store = try await database.openExisting()
            guard try await store.outboxEvent(id: event) != nil else { throw CLIError("no event with id \(eventID)") }
            if let endpoint { _ = try await find(endpoint, in: store) }
            let targets = try await store.replayWebhookEvent(event, endpoint: endpointID, at: .wallClock()).map(\.rawValue)
            try output.print(json: View(event_id: eventID, endpoints: targets)) {
                "replaying \(eventID) to \(targets.joined(separator: ", "))"
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a webhook.test event to one endpoint.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Endpoint id (whe_…).") var id: String
        @Option(help: "Send this many test events, each in its own transaction (load tests).") var count: Int = 1

        func run() async throws {
            guard (1...100_000).contains(count) else { throw CLIError("--count must be between 1 and 100000") }
            let store = try await database.openExisting()
            let endpoint = try await find(id, in: store)
            guard endpoint.isEnabled else {
                throw CLIError("webhook endpoint \(id) is disabled (\(endpoint.disabledReason ?? "-")); run `webhooks enable \(id)` first")
            }
            var ids: [String] = []
            for _ in 0..<count {
                let event = WebhookEvent(
                    id: WebhookEventID(rawValue: IdentifierGenerator.make(prefix: WebhookEventID.prefix)), type: .test,
                    createdAt: now(), data: WebhookEventData(endpointId: endpoint.id))
                try await store.enqueueWebhookEvent(event, to: endpoint.id)
                ids.append(event.id.rawValue)
            }
            try output.print(json: ids) { ids.joined(separator: "\n") }
        }
    }
}
