import ArgumentParser
import Foundation
import ReverifyCore
import ReverifyServer

/// Outgoing mail settings, shared by `serve` and `mail test`. Without `--smtp-host`, messages go to
/// the local outbox folder.
struct MailOptions: ParsableArguments {
    @Option(help: "SMTP server host; without it, mail is written to --mail-outbox.") var smtpHost: String?
    @Option(help: "SMTP server port.") var smtpPort: Int = 587
    @Option(help: "none, starttls or tls (implicit TLS).") var smtpSecurity: String = "starttls"
    @Option(help: "SMTP user name (the password comes from env REVERIFY_SMTP_PASSWORD).") var smtpUsername: String?
    @Option(help: "PEM file of extra CA certificates to trust for the SMTP server.") var smtpCaFile: String?
    @Option(help: "From address of verification emails.") var mailFrom: String = "no-reply@reverify.localhost"
    @Option(help: "Display name of the sender.") var mailFromName: String = "Reverify"
    @Option(help: "Folder for the local outbox (.eml files).") var mailOutbox: String = "./data/mail"
    @Option(help: "Seconds to wait for the mail server before giving up.") var mailTimeout: Int64 = 10

    func settings() throws -> MailSettings {
        var mail = MailSettings()
        guard AccountRules.normalizedEmail(mailFrom) != nil else { throw CLIError("--mail-from must be an email address") }
        guard mailTimeout > 0 else { throw CLIError("--mail-timeout must be positive") }
        mail.from = mailFrom
        mail.fromName = mailFromName
        mail.timeout = Seconds(mailTimeout)
        if let smtpHost {
            guard let security = SMTPSettings.Security(rawValue: smtpSecurity) else {
                throw CLIError("--smtp-security must be none, starttls or tls")
            }
            guard (1...65535).contains(smtpPort) else { throw CLIError("--smtp-port must be between 1 and 65535") }
            let password = ProcessInfo.processInfo.environment["REVERIFY_SMTP_PASSWORD"]
            if smtpUsername != nil && password == nil {
                throw CLIError("--smtp-username needs the password in env REVERIFY_SMTP_PASSWORD")
            }
            mail.transport = .smtp(
                SMTPSettings(
                    host: smtpHost, port: smtpPort, security: security, username: smtpUsername, password: password,
                    trustRootsFile: smtpCaFile))
        } else {
            mail.transport = .outbox(directory: mailOutbox)
        }
        return mail
    }
}

struct Mail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Outgoing mail tools.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a test message through the configured mailer.")
        @OptionGroup var mail: MailOptions
        @Option(help: "Recipient address.") var to: String

        func run() async throws {
            guard let to = AccountRules.normalizedEmail(to) else { throw CLIError("'\(self.to)' is not a valid email address") }
            let settings = try mail.settings()
            let message = MailMessage(
                from: settings.from, fromName: settings.fromName, to: to, subject: "Reverify test message",
                text: "This is a test message from Reverify. If you can read it, mail delivery works.\n",
                html: "<p>This is a test message from Reverify. If you can read it, mail delivery works.</p>")
            do {
                try await settings.makeMailer().send(message)
            } catch {
                throw CLIError("sending failed: \(error)")
            }
            switch settings.transport {
            case .outbox(let directory): print("test message written to \(directory)")
            case .smtp(let smtp): print("test message accepted by \(smtp.host):\(smtp.port) for \(to)")
            }
        }
    }
}
