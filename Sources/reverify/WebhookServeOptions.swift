import ArgumentParser
import Foundation
import ReverifyCore
import ReverifyServer

/// `serve` options for the webhook delivery worker (DESIGN 3).
struct WebhookServeOptions: ParsableArguments {
    @Flag(name: .customLong("no-webhooks"), help: "Do not run the webhook delivery worker in this process.")
    var disabled = false

    @Option(help: "How often the webhook worker polls for due deliveries, e.g. 250ms or 1s.")
    var webhookPollInterval: String = "250ms"

    @Option(help: "Timeout of one webhook request, e.g. 15s.")
    var webhookTimeout: String = "15s"

    @Option(
        help: ArgumentHelp(
            "Waits between webhook attempts before dead-lettering (env REVERIFY_WEBHOOK_RETRY_SCHEDULE).",
            valueName: "5s,5m,30m,2h,5h,10h,10h"))
    var webhookRetrySchedule: String = ProcessInfo.processInfo.environment["REVERIFY_WEBHOOK_RETRY_SCHEDULE"]
        ?? RetrySchedule.standard.description

    @Option(help: "Endpoints the webhook worker sends to concurrently.")
    var webhookConcurrency: Int = 16

    func configuration() throws -> WebhookConfiguration {
        var c = WebhookConfiguration()
        c.enabled = !disabled
        c.pollInterval = try duration(webhookPollInterval, option: "--webhook-poll-interval", within: .milliseconds(10)...(.seconds(60)))
        c.requestTimeout = try duration(webhookTimeout, option: "--webhook-timeout", within: .milliseconds(100)...(.seconds(300)))
        guard let schedule = RetrySchedule(parsing: webhookRetrySchedule), schedule.delays.count <= 50,
            schedule.window <= .seconds(30 * 86_400)
        else {
            throw CLIError("--webhook-retry-schedule must be a comma-separated list of waits such as 5s,5m,30m,2h (at most 30 days in all)")
        }
        c.policy = DeliveryPolicy(schedule: schedule)
        guard (1...256).contains(webhookConcurrency) else { throw CLIError("--webhook-concurrency must be between 1 and 256") }
        c.concurrentEndpoints = webhookConcurrency
        return c
    }

    private func duration(_ text: String, option: String, within range: ClosedRange<Duration>) throws -> Duration {
        guard let parsed = RetrySchedule(parsing: text), parsed.delays.count == 1, range.contains(parsed.delays[0]) else {
            throw CLIError("\(option) must be a duration between \(RetrySchedule([range.lowerBound])) and \(RetrySchedule([range.upperBound])), e.g. 250ms or 15s")
        }
        return parsed.delays[0]
    }
}
