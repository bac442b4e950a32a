import Foundation
import GRDB
import ReverifyCore

/// A row of `passkey_credentials` (migration 0021): the WebAuthn credential of a `user_factors` row of kind
/// `passkey`, whose name, creation and last use live in that row.
public struct PasskeyCredentialRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "passkey_credentials"

    public var factorId: FactorID
    public var userId: UserID
    /// base64url, as WebAuthn's JSON names it; unique across all users (L3 7.1 step 26).
    public var credentialId: String
    /// The COSE_Key bytes from the attested credential data.
    public var publicKey: Data
    public var algorithm: Int64
    public var signCount: Int64
    public var backupEligible: Bool
    public var backedUp: Bool
    /// JSON array of the transports the browser reported (hints for `allowCredentials`).
    public var transports: String
    /// Hex AAGUID of the authenticator model (all zeros under `attestation: none`, usually).
    public var aaguid: String

    public init(
        factorId: FactorID, userId: UserID, credentialId: String, publicKey: [UInt8], algorithm: COSEAlgorithm,
        state: PasskeyState, transports: [String], aaguid: [UInt8]
    ) {
        self.factorId = factorId
        self.userId = userId
        self.credentialId = credentialId
        self.publicKey = Data(publicKey)
        self.algorithm = algorithm.rawValue
        self.signCount = Int64(state.signCount)
        self.backupEligible = state.backupEligible
        self.backedUp = state.backedUp
        self.transports = String(decoding: (try? JSONEncoder().encode(transports)) ?? Data("[]".utf8), as: UTF8.self)
        self.aaguid = aaguid.map { String(format: "%02x", $0) }.joined()
    }

    public var state: PasskeyState {
        PasskeyState(signCount: UInt32(clamping: signCount), backupEligible: backupEligible, backedUp: backedUp)
    }

    public var transportList: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(transports.utf8))) ?? []
    }
}

/// A passkey and the factor row that names it.
public struct StoredPasskey: Equatable, Sendable {
    public let factor: FactorRecord
    public let credential: PasskeyCredentialRecord
}

/// Which ceremony a challenge was issued for.
public enum PasskeyCeremonyKind: String, Codable, Sendable, RawValueColumn {
    case registration
    case authentication
}

/// A row of `passkey_challenges`: a WebAuthn challenge Reverify issued, stored only as the SHA-256 of its
/// base64url text, single use, short-lived, and bound to what asked for it (issue 18).
public struct PasskeyChallengeRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "passkey_challenges"

    public var challengeHash: String
    public var ceremony: PasskeyCeremonyKind
    /// Registration: the enrolling user. Authentication: the user being re-verified, or `nil` for a sign-in
    /// where the passkey itself names the user (a discoverable credential).
    public var userId: UserID?
    /// Registration: the session that opened the enrolment page.
    public var sessionId: SessionID?
    /// Authentication: the pending hosted flow whose page offered the passkey.
    public var requestId: AuthorizationRequestID?
    public var createdAt: UnixTime
    public var expiresAt: UnixTime
    public var usedAt: UnixTime?

    public init(
        challengeHash: String, ceremony: PasskeyCeremonyKind, userId: UserID?, sessionId: SessionID?,
        requestId: AuthorizationRequestID?, createdAt: UnixTime, expiresAt: UnixTime
    ) {
        self.challengeHash = challengeHash
        self.ceremony = ceremony
        self.userId = userId
        self.sessionId = sessionId
        self.requestId = requestId
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// What the store did with a verified assertion's new state.
public enum PasskeyUse: Sendable, Equatable {
    case recorded
    /// Another assertion of the same passkey was recorded in between (its counter moved): refuse this one.
    case raced
    case unknown
}
