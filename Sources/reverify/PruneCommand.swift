import ArgumentParser
import ReverifyCore
import ReverifyServer
import ReverifyStore

struct Prune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete expired flows, links, codes and tokens, ended sessions, delivered webhooks and old audit rows.",
        discussion: "`reverify serve` does this every --retention-interval-seconds; run this from cron instead if you set it to 0.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var retention: RetentionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let policy = try retention.policy()
        let store = try await database.openExisting()
        let report = try await store.prune(policy.cutoffs(at: now()))
        try output.print(json: report) {
            "deleted \(report.total) rows: \(report.authorizationRequests) authorization requests, \(report.magicLinks) magic links, "
                + "\(report.upstreamStates) upstream states, \(report.agentApprovals) approval requests, \(report.authorizationCodes) codes, \(report.accessTokens) access tokens, "
                + "\(report.refreshTokens) refresh tokens, \(report.grants) grants, \(report.sessions) sessions, "
                + "\(report.verificationAttempts) verification attempts, \(report.emailSendRequests) email requests, "
                + "\(report.webhookDeliveries) webhook deliveries, \(report.outboxEvents) events, \(report.auditRows) audit rows, "
                + "\(report.unconfirmedFactors) unconfirmed factors, \(report.passkeyChallenges) passkey challenges"
        }
    }
}
