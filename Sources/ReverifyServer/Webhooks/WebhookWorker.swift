import Foundation
import Logging
import ReverifyCore
import ReverifyStore
import ServiceLifecycle
import Synchronization

/// Delivers the webhook outbox (DESIGN 3). Runs as a service inside `reverify serve`.
///
/// It claims due deliveries with a lease (so several server processes on one database never send the
/// same delivery at once), sends each endpoint's deliveries one after another in event order while
/// serving up to ``WebhookConfiguration/concurrentEndpoints`` endpoints at a time, and records every
/// attempt with its consequence. A crash leaves claimed rows under a lease that simply expires: they
/// are sent again, with the same `webhook-id`, which is the only way a receiver sees a duplicate.
public struct WebhookWorker: Service {
    let store: any WebhookStore
    let configuration: WebhookConfiguration
    let logger: Logger
    /// Written as the lease owner: random, so two processes (or restarts) never share one.
    public let workerID: String

    public init(store: any WebhookStore, configuration: WebhookConfiguration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.workerID = "wkr_\(ProcessInfo.processInfo.processIdentifier)_" + UUID().uuidString.prefix(8).lowercased()
    }

    /// What wakes the claiming loop.
    enum Signal: Sendable {
        case tick
        case newEvent
        case finished(WebhookEndpointID)
        case shutdown
    }

    /// Set once a graceful shutdown starts: deliveries in flight finish, nothing new is sent.
    final class StopFlag: Sendable {
        private let stopped = Atomic<Bool>(false)
        var isSet: Bool { stopped.load(ordering: .acquiring) }
        func set() { stopped.store(true, ordering: .releasing) }
    }

    public func run() async throws {
        guard configuration.enabled else {
            // Returning early would end the whole service group: idle until shutdown instead.
            try? await gracefulShutdown()
            return
        }
        let sender = WebhookSender(configuration: configuration)
        let stop = StopFlag()
        let (signals, mailbox) = AsyncStream.makeStream(of: Signal.self)
        let notifications = store.webhookEventNotifications()
        logger.info("webhook worker started", metadata: ["worker": "\(workerID)"])

        await withGracefulShutdownHandler {
            // Discarding groups: a server runs for months, and finished children must not pile up.
            await withDiscardingTaskGroup { background in
                background.addTask { [poll = configuration.pollInterval] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: poll)
                        mailbox.yield(.tick)
                    }
                }
                background.addTask {
                    for await _ in notifications { mailbox.yield(.newEvent) }
                }
                await deliveryLoop(signals: signals, mailbox: mailbox, sender: sender, stop: stop)
                background.cancelAll()
            }
        } onGracefulShutdown: {
            stop.set()
            mailbox.yield(.shutdown)
        }
        await sender.shutdown()
        logger.info("webhook worker stopped", metadata: ["worker": "\(workerID)"])
    }

    /// Claims work whenever it has room and something may be due, until shutdown and every endpoint is done.
    private func deliveryLoop(
        signals: AsyncStream<Signal>, mailbox: AsyncStream<Signal>.Continuation, sender: WebhookSender, stop: StopFlag
    ) async {
        await withDiscardingTaskGroup { deliveries in
            var busy: Set<WebhookEndpointID> = []
            mailbox.yield(.tick)
            for await signal in signals {
                switch signal {
                case .shutdown: break
                case .finished(let endpoint): busy.remove(endpoint)
                case .tick, .newEvent: break
                }
                if stop.isSet {
                    if busy.isEmpty { break }
                    continue
                }
                let room = configuration.concurrentEndpoints - busy.count
                guard room > 0 else { continue }
                let now = UnixMilliseconds.wallClock()
                let claims: [WebhookClaim]
                do {
                    claims = try await store.claimWebhookDeliveries(
                        WebhookClaimRequest(
                            owner: workerID, now: now, leaseUntil: now + configuration.leaseDuration,
                            maximumEndpoints: room, deliveriesPerEndpoint: configuration.batchSize,
                            excludingEndpoints: busy))
                } catch {
                    logger.error("webhook claim failed", metadata: ["error": "\(error)"])
                    continue
                }
                for claim in claims {
                    busy.insert(claim.endpoint.id)
                    deliveries.addTask {
                        await deliver(claim, sender: sender, stop: stop)
                        mailbox.yield(.finished(claim.endpoint.id))
                    }
                }
            }
        }
    }

    /// Sends one endpoint's claimed deliveries in order, stopping early when the endpoint is disabled or
    /// throttled, and gives back whatever it did not attempt.
    ///
    /// Recording attempt *k* overlaps with sending attempt *k+1* (at most one record in flight), so the
    /// store write does not add to every delivery's time. The decision is known before it is recorded,
    /// so a `410` or a throttle still stops the next send.
    func deliver(_ claim: WebhookClaim, sender: WebhookSender, stop: StopFlag) async {
        let endpoint = claim.endpoint
        var leaseExpiry = claim.deliveries.first?.delivery.leaseExpiresAtMs ?? .wallClock()
        let target = await sender.target(for: endpoint)
        await withTaskGroup(of: Bool.self) { records in
            var recording = false
            for item in claim.deliveries {
                if stop.isSet || Task.isCancelled { break }
                let started = UnixMilliseconds.wallClock()
                let response: WebhookResponse
                switch target {
                case .success(let target): response = await sender.send(item.event, to: endpoint, at: target)
                case .failure(let refusal): response = WebhookResponse(error: refusal.message)
                }
                let finished = UnixMilliseconds.wallClock()
                let verdict: DeliveryVerdict =
                    response.status.map {
                        DeliveryVerdict.classify(status: $0, retryAfter: response.retryAfter, now: finished.unixTime)
                    } ?? .failed
                let decision = configuration.policy.decide(
                    verdict, attempt: item.attempt, now: finished,
                    jitter: (Double.random(in: 0...1), Double.random(in: 0...1)))
                // Keep the rest of the claim leased for at least one more full attempt; renewing only past
                // the half-way mark keeps the common case at one row written per attempt.
                var renewal: UnixMilliseconds?
                if finished + configuration.leaseDuration / 2 > leaseExpiry {
                    renewal = finished + configuration.leaseDuration
                    leaseExpiry = finished + configuration.leaseDuration
                }
                let report = WebhookAttemptReport(
                    deliveryId: item.delivery.id ?? 0, endpointId: endpoint.id, owner: workerID, attempt: item.attempt,
                    startedAt: started, finishedAt: finished, httpStatus: response.status, error: response.error,
                    decision: decision, renewLeaseUntil: renewal)
                if recording, await records.next() == false {
                    // The store is failing: stop; the unrecorded send is retried after its lease expires, with
                    // the same webhook-id, so at worst the receiver sees a duplicate.
                    recording = false
                    break
                }
                recording = true
                records.addTask {
                    do {
                        try await store.recordWebhookAttempt(report)
                        return true
                    } catch {
                        logger.error(
                            "recording a webhook attempt failed",
                            metadata: ["event": "\(item.event.id)", "endpoint": "\(endpoint.id)", "error": "\(error)"])
                        return false
                    }
                }
                log(decision, item: item, endpoint: endpoint, response: response)
                if case .disableEndpoint = decision { break }
                if case .retry(_, let pause) = decision, pause != nil { break }
            }
            for await _ in records {}
        }
        do {
            try await store.releaseWebhookDeliveries(endpoint: endpoint.id, owner: workerID)
        } catch {
            logger.error("releasing webhook deliveries failed", metadata: ["endpoint": "\(endpoint.id)", "error": "\(error)"])
        }
    }

    private func log(_ decision: DeliveryDecision, item: ClaimedDelivery, endpoint: WebhookEndpointRecord, response: WebhookResponse) {
        // Never the body or the secrets: the body carries IP addresses and user agents.
        let metadata: Logger.Metadata = [
            "event": "\(item.event.id)", "type": "\(item.event.type.rawValue)", "endpoint": "\(endpoint.id)",
            "attempt": "\(item.attempt)", "status": "\(response.status.map(String.init) ?? "-")",
        ]
        switch decision {
        case .delivered:
            logger.debug("webhook delivered", metadata: metadata)
        case .retry(let at, _):
            logger.info(
                "webhook attempt failed; will retry",
                metadata: metadata.merging(["error": "\(response.error ?? "-")", "next_attempt_ms": "\(at)"]) { a, _ in a })
        case .dead:
            logger.warning(
                "webhook dead-lettered after its last attempt", metadata: metadata.merging(["error": "\(response.error ?? "-")"]) { a, _ in a })
        case .disableEndpoint:
            logger.warning("webhook endpoint disabled: the receiver answered 410 Gone", metadata: metadata)
        }
    }
}
