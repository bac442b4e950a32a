import Foundation
import ReverifyCore
import ReverifyCrypto

/// Everything the HTTP application is configured with. Defaults are the secure ones.
public struct ServerConfiguration: Sendable {
    /// The `iss` of every token and the base of every URL we publish (OIDC Discovery 3).
    public var issuer: String
    public var host: String
    public var port: Int

    public var authorizationCodeLifetime: Seconds = 60
    public var accessTokenLifetime: Seconds = .minutes(10)
    public var idTokenLifetime: Seconds = .minutes(10)
    public var refreshTokenLifetime: Seconds = .days(14)
    /// How long a hosted page stays usable.
    public var interactionLifetime: Seconds = .minutes(15)
    public var sessionIdleTimeout: Seconds = .hours(8)
    public var sessionAbsoluteLifetime: Seconds = .days(7)
    /// The window in which two different methods make `mfa` (DESIGN 2).
    public var mfaWindow: Seconds = .minutes(15)
    /// How long each level above `1fa` stays valid after it was achieved (issue 10).
    public var levelLifetimes = LevelLifetimes()
    /// The risk policy and how signals are collected (issue 11).
    public var risk = RiskSettings()
    /// Failed verifications per account before further attempts are refused (issue 9).
    public var lockout = LockoutPolicy()
    /// A rotated refresh token presented again within this many seconds, by the same client, returns a
    /// sibling instead of revoking the grant (issue 9, item 17); 0 disables the grace.
    public var refreshReuseGrace: Seconds = 5
    public var argon2: Argon2Parameters = .owaspMinimum
    /// Password verifications that may wait for a hashing thread besides the ones being hashed; more at once
    /// are answered `503` with `Retry-After` instead of queueing without bound (issue 13).
    public var passwordQueueLimit = 4 * PasswordHashingPool.threads
    /// Mounts the demo relying party under `/demo`.
    public var demo = false
    /// Mounts development pages (`/dev/mail`). Never on in production: they show one-time codes.
    public var devPages = false
    /// How verification emails leave the server.
    public var mail = MailSettings()
    /// Lifetime, attempt and rate rules for emailed links and codes.
    public var oneTimeCodes = OneTimeCodePolicy()
    /// Unauthenticated requests per client network per minute (burst of as many); 0 disables (issue 9 item 5).
    /// 300 is far above what one person does, and what a busy office behind one NAT address needs.
    public var rateLimitPerMinute = 300
    /// Connection limits that hold on a public port (issue 9 item 8).
    public var connections = ConnectionLimits()
    /// Where templates and static files are read from.
    public var resourcesDirectory: String

    public init(issuer: String, host: String = "127.0.0.1", port: Int = 8080, resourcesDirectory: String? = nil) {
        self.issuer = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        self.host = host
        self.port = port
        self.resourcesDirectory = resourcesDirectory ?? ServerConfiguration.bundledResources
    }

    /// Served over HTTPS: cookies get `Secure` and the `__Host-` prefix.
    public var isSecure: Bool { issuer.hasPrefix("https://") }

    public func url(_ path: String) -> String { issuer + path }

    public static var bundledResources: String {
        Bundle.module.url(forResource: "Resources", withExtension: nil)?.path ?? "Resources"
    }
}

/// Outgoing mail configuration.
public struct MailSettings: Sendable {
    /// Where messages go: a folder of `.eml` files (the embedded default) or an SMTP server.
    public enum Transport: Sendable {
        case outbox(directory: String)
        case smtp(SMTPSettings)
    }

    public var transport: Transport = .outbox(directory: "./data/mail")
    public var from = "no-reply@reverify.localhost"
    public var fromName = "Reverify"
    /// A request never waits longer than this for the mail server.
    public var timeout: Seconds = 10

    public init() {}

    public func makeMailer() -> any Mailer {
        switch transport {
        case .outbox(let directory): FileOutboxMailer(directory: directory)
        case .smtp(let settings): SMTPMailer(settings: settings, timeout: .seconds(timeout.rawValue))
        }
    }
}

/// How long a connection may take and how many may be open at once: slowloris holds connections open with
/// requests that never finish, so every wait is bounded and so is their number.
public struct ConnectionLimits: Sendable {
    /// A connection must deliver each complete request head within this time of opening or of its previous response.
    public var headerTimeout: Seconds = 10
    /// A connection that delivers nothing complete (no head, no body part) for this long is closed, e.g. a stalled body.
    public var idleTimeout: Seconds = 60
    /// Connections served at once; further ones wait in the listen backlog until one closes.
    public var maximumConnections = 512

    public init() {}
}
