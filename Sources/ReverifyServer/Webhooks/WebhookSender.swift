import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// What came back from one attempt.
struct WebhookResponse: Sendable, Equatable {
    /// `nil` when there was no HTTP answer.
    var status: Int?
    var retryAfter: String?
    /// Why the attempt did not deliver: transport error, refusal, or the start of an error body.
    var error: String?
}

/// POSTs one signed event to one endpoint with async-http-client (DESIGN 3, Standard Webhooks).
///
/// Redirects are never followed and no proxy is used. Endpoints without `--allow-private` are connected
/// to the address the SSRF guard vetted: one HTTP client per (host, address), configured with that
/// `dnsOverride`, so TLS still verifies the host name while the socket goes where we checked.
actor WebhookSender {
    private let configuration: WebhookConfiguration
    private let shared: HTTPClient
    private var pinned: [String: HTTPClient] = [:]
    private var pinnedOrder: [String] = []

    init(configuration: WebhookConfiguration) {
        self.configuration = configuration
        self.shared = Self.makeClient(configuration, dnsOverride: [:])
    }

    private static func makeClient(_ configuration: WebhookConfiguration, dnsOverride: [String: String]) -> HTTPClient {
        var c = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(configuration.requestTimeout.wholeMilliseconds)),
            connectionPool: .init(idleTimeout: .seconds(30)))
        c.dnsOverride = dnsOverride
        c.httpVersion = .automatic
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: c)
    }

    /// The client that connects to `address` for `host`; kept for reuse (keep-alive), a few at most.
    private func client(host: String, address: IPAddress?) -> HTTPClient {
        guard let address, IPAddress(host) == nil else { return shared }
        let key = "\(host)|\(address)"
        if let client = pinned[key] { return client }
        let client = Self.makeClient(configuration, dnsOverride: [host: address.description])
        pinned[key] = client
        pinnedOrder.append(key)
        if pinnedOrder.count > 32 {
            let evicted = pinnedOrder.removeFirst()
            if let old = pinned.removeValue(forKey: evicted) {
                Task { try? await old.shutdown() }
            }
        }
        return client
    }

    /// Where an endpoint's requests go: its URL and, unless it may reach private addresses, the vetted
    /// address every connection is pinned to.
    struct Target: Sendable {
        let url: WebhookURL
        let address: IPAddress?
    }

    /// Why an endpoint cannot be sent to right now; recorded as each attempt's error.
    struct TargetRefusal: Error {
        let message: String
    }

    /// Resolves and vets an endpoint's host (the SSRF guard's connect-time check). Done once per claimed
    /// batch: every connection of the batch goes to the address checked here, so re-resolving per request
    /// would add DNS latency without adding safety.
    func target(for endpoint: WebhookEndpointRecord) async -> Result<Target, TargetRefusal> {
        guard case .success(let url) = WebhookURL.parse(endpoint.url) else {
            return .failure(TargetRefusal(message: "the endpoint URL is no longer valid"))
        }
        do {
            return .success(Target(url: url, address: try await WebhookTargetGuard.check(url, allowPrivate: endpoint.allowPrivate)))
        } catch {
            return .failure(TargetRefusal(message: "refused: \(error)"))
        }
    }

    /// Sends `event` to `endpoint` at `target`, signed with every secret valid at the time of sending.
    func send(_ event: OutboxEventRecord, to endpoint: WebhookEndpointRecord, at target: Target) async -> WebhookResponse {
        let now = UnixMilliseconds.wallClock().unixTime
        let secrets = endpoint.signingSecrets(at: now).compactMap(WebhookSecret.init(encoded:))
        guard !secrets.isEmpty else { return WebhookResponse(error: "the endpoint has no usable signing secret") }
        let body = Array(event.payload.utf8)

        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: configuration.userAgent)
        // Standard Webhooks: the id is the event's, identical on every retry and replay; the timestamp is
        // this attempt's, so receivers can refuse stale replays of a captured request.
        request.headers.add(name: "webhook-id", value: event.id.rawValue)
        request.headers.add(name: "webhook-timestamp", value: String(now.rawValue))
        request.headers.add(
            name: "webhook-signature",
            value: WebhookSignature.header(id: event.id.rawValue, timestamp: now.rawValue, body: body, secrets: secrets))
        request.body = .bytes(ByteBuffer(bytes: body))

        let deadline = NIODeadline.now() + .milliseconds(configuration.requestTimeout.wholeMilliseconds)
        do {
            let response = try await client(host: target.url.host, address: target.address).execute(request, deadline: deadline)
            let status = Int(response.status.code)
            // Read (a bounded part of) the answer so the connection can be reused; keep a snippet for errors.
            var snippet = ""
            do {
                let answer = try await response.body.collect(upTo: 64 * 1024)
                snippet = String(decoding: answer.readableBytesView.prefix(200), as: UTF8.self)
            } catch {
                snippet = ""
            }
            let delivered = (200..<300).contains(status)
            return WebhookResponse(
                status: status, retryAfter: response.headers.first(name: "retry-after"),
                error: delivered ? nil : "HTTP \(status)" + (snippet.isEmpty ? "" : ": " + Self.oneLine(snippet)))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return WebhookResponse(error: "timed out after \(configuration.requestTimeout)")
        } catch {
            return WebhookResponse(error: Self.oneLine("\(error)"))
        }
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 }.prefix(300))
    }

    func shutdown() async {
        for client in pinned.values { try? await client.shutdown() }
        pinned = [:]
        try? await shared.shutdown()
    }
}
