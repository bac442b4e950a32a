import Logging
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// The shared dependencies every route family is built from.
///
/// A class: route families and their handlers each hold it, and a struct of this many references cost a retain
/// and a release per field at every copy, which every request made (issue 13).
public final class Services: Sendable {
    public let configuration: ServerConfiguration
    public let store: any Store
    public let time: any TimeSource
    public let hasher: Argon2idHasher
    /// Admits password verifications to the hashing pool: its threads plus a bounded queue (issue 13).
    public let passwordGate: AdmissionGate
    public let keys: KeyRingProvider
    public let pages: PageRenderer
    public let logger: Logger
    public let mailer: any Mailer
    /// Per-network limit on unauthenticated work (issue 9 item 5).
    public let rateLimit: ClientRateLimit
    /// Discovery, JWKS and code exchange with upstream SSO providers (issue 6).
    let upstream: UpstreamOIDCClient
    /// The risk policy in force (issue 11); starts as the configured one, replaced on reload.
    public let riskPolicy: RiskPolicyHolder
    /// The JWK Sets `private_key_jwt` clients publish at their `jwks_uri` (issue 12 item 1).
    let clientKeys: ClientKeyFetcher
    /// A hash of a random password at today's cost, verified against when an account has none,
    /// so response time does not reveal which accounts exist.
    let decoyPasswordHash: String

    public init(
        configuration: ServerConfiguration, store: any Store, time: any TimeSource = SystemTimeSource(),
        logger: Logger = Logger(label: "reverify")
    ) async throws {
        self.configuration = configuration
        self.store = store
        self.time = time
        let hasher = Argon2idHasher(
            parameters: configuration.argon2, threadPool: PasswordHashingPool.shared, backgroundPriority: true)
        self.hasher = hasher
        self.passwordGate = AdmissionGate(capacity: PasswordHashingPool.threads + max(0, configuration.passwordQueueLimit))
        self.keys = KeyRingProvider(store: store, time: time)
        self.pages = try await PageRenderer(directory: configuration.resourcesDirectory + "/templates")
        self.logger = logger
        self.mailer = configuration.mail.makeMailer()
        self.rateLimit = ClientRateLimit(perMinute: configuration.rateLimitPerMinute)
        self.upstream = UpstreamOIDCClient(time: time)
        self.riskPolicy = RiskPolicyHolder(configuration.risk.policy)
        self.clientKeys = ClientKeyFetcher(time: time)
        self.decoyPasswordHash = try await hasher.decoyHash()
    }
}
