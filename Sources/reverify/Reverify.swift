import ArgumentParser

/// The `reverify` administration CLI. Each subcommand is thin: it parses, calls the libraries, prints.
@main
struct Reverify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reverify",
        abstract: "Step-up re-authentication server and its administration tools.",
        subcommands: [
            Migrate.self, Serve.self, Users.self, Clients.self, Keys.self, Sessions.self, Audit.self, Mail.self,
            Webhooks.self, Upstreams.self, Prune.self, Policy.self, Signals.self, Secrets.self, Backup.self,
            Restore.self, Approvals.self, CopyData.self, BenchArgon2.self,
        ])
}
