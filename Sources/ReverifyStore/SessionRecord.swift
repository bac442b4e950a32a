import GRDB
import ReverifyCore

/// A row of `sessions`: one browser's signed-in state. The cookie holds a secret whose
/// SHA-256 is `secretHash`; `id` is the public `sid`.
public struct SessionRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "sessions"

    public var id: SessionID
    public var secretHash: String
    public var userId: UserID
    public var createdAt: UnixTime
    /// The last *active* authentication; only re-verification moves it (OIDC Core 12.2).
    public var authTime: UnixTime
    public var amr: [AMR]
    public var acr: ACR
    public var verifications: VerificationHistory
    /// When each assurance level was last achieved (issue 10).
    public var levels: LevelHistory
    public var ipAddress: String?
    public var userAgent: String?
    public var deviceId: String?
    public var lastSeenAt: UnixTime
    public var idleExpiresAt: UnixTime
    public var expiresAt: UnixTime
    public var revokedAt: UnixTime?

    public init(
        id: SessionID, secretHash: String, userId: UserID, createdAt: UnixTime, authTime: UnixTime, amr: [AMR],
        acr: ACR, verifications: VerificationHistory, ipAddress: String?, userAgent: String?, deviceId: String?,
        lastSeenAt: UnixTime, idleExpiresAt: UnixTime, expiresAt: UnixTime, revokedAt: UnixTime? = nil,
        levels: LevelHistory? = nil
    ) {
        self.levels = levels ?? {
            var history = LevelHistory()
            history.record(acr, at: authTime)
            return history
        }()
        self.id = id
        self.secretHash = secretHash
        self.userId = userId
        self.createdAt = createdAt
        self.authTime = authTime
        self.amr = amr
        self.acr = acr
        self.verifications = verifications
        self.ipAddress = ipAddress
        self.userAgent = userAgent
        self.deviceId = deviceId
        self.lastSeenAt = lastSeenAt
        self.idleExpiresAt = idleExpiresAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Live: not revoked, not past its idle or absolute expiry.
    public func isActive(at now: UnixTime) -> Bool {
        revokedAt == nil && now < idleExpiresAt && now < expiresAt
    }

    /// The level and `amr` a token minted now may claim: a decayed level no longer counts, and `mfa` leaves
    /// `amr` with it (issue 10, item 3).
    public func effectiveAssurance(at now: UnixTime, lifetimes: LevelLifetimes) -> (acr: ACR, amr: [AMR]) {
        let level = min(acr, levels.effectiveLevel(at: now, lifetimes: lifetimes))
        return (level, level < .multiFactor ? amr.filter { $0 != .mfa } : amr)
    }

    public var snapshot: SessionSnapshot {
        SessionSnapshot(sessionID: id, userID: userId, authTime: authTime, levels: levels)
    }
}
