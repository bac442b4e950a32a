import ArgumentParser
import ReverifyCore

/// Retention periods, shared by `serve` (its periodic job) and `prune`.
struct RetentionOptions: ParsableArguments {
    @Option(help: "Days audit rows are kept.") var auditRetentionDays: Int64 = 400
    @Option(help: "Days delivered webhook deliveries (and events with nothing left to deliver) are kept.")
    var webhookRetentionDays: Int64 = 30

    func policy() throws -> RetentionPolicy {
        do {
            return try RetentionPolicy(auditDays: auditRetentionDays, webhookDays: webhookRetentionDays)
        } catch {
            throw CLIError("--audit-retention-days and --webhook-retention-days: \(error)")
        }
    }
}
