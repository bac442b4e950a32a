import Metrics
import ReverifyCore

/// The application's own metrics (issue 15.1), recorded through swift-metrics: a no-op until `serve
/// --metrics-port` bootstraps the Prometheus backend. Labels are bounded sets (methods, outcomes, reasons,
/// grant types), never user input.
enum ReverifyMetrics {
    /// A verification attempt by method and outcome (`success` or `failure`).
    static func verification(method: AuthMethod, outcome: AuditOutcome) {
        Counter(label: "reverify_verifications_total", dimensions: [("method", method.rawValue), ("outcome", outcome.rawValue)])
            .increment()
    }

    /// The authorize endpoint's decision (fresh, step up, login required, …).
    static func stepUpDecision(reason: String) {
        Counter(label: "reverify_step_up_decisions_total", dimensions: [("reason", reason)]).increment()
    }

    /// Tokens issued, by grant type.
    static func tokensIssued(grantType: String) {
        Counter(label: "reverify_tokens_issued_total", dimensions: [("grant_type", grantType)]).increment()
    }

    /// A rotated refresh token presented again: its grant was revoked (RFC 9700 4.14.2).
    static func refreshTokenReuse() {
        Counter(label: "reverify_refresh_token_reuse_total").increment()
    }

    /// An authorization code presented twice: its grant was revoked (RFC 9700 4.5).
    static func codeReplay() {
        Counter(label: "reverify_code_replay_total").increment()
    }

    /// A password verification refused with 503 because the hashing pool and its queue were full (issue 13).
    static func passwordVerificationShed() {
        Counter(label: "reverify_password_verifications_shed_total").increment()
    }

    /// Time spent waiting for and computing an Argon2id hash or verification, and how many are queued or
    /// running on the thread pool at a time (`reverify_argon2_in_flight`).
    static func argon2<T>(_ operation: String, _ body: () async throws -> T) async rethrows -> T {
        let started = ContinuousClock.now
        let inFlight = Meter(label: "reverify_argon2_in_flight")
        inFlight.increment()
        defer {
            inFlight.decrement()
            Timer(label: "reverify_argon2_duration_seconds", dimensions: [("operation", operation)])
                .recordInterval(since: started)
        }
        return try await body()
    }
}

extension Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
