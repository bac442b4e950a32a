import GRDB
import ReverifyCore

/// A row of `verification_attempts`: one guess at an account's secrets, reserved before the
/// secret is checked so that the lockout holds under concurrency (issue 9, item 3).
public struct VerificationAttemptRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "verification_attempts"

    public var id: Int64?
    /// SHA-256 of the normalised email; never the email itself, which may not be an account.
    public var subject: String
    public var kind: AttemptKind
    public var ipAddress: String?
    public var startedAt: UnixTime
    public var outcome: AttemptOutcome
}

/// A row of `email_send_requests`: one accepted request for a verification email.
public struct EmailSendRequestRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "email_send_requests"

    public var id: Int64?
    public var subject: String
    public var ipAddress: String?
    public var requestedAt: UnixTime
}

/// A reserved attempt, to be settled with its outcome once the secret was checked.
public struct AttemptReservation: Sendable, Equatable {
    public let id: Int64
}

/// The answer to a request for a verification email.
public enum EmailSendDecision: Sendable, Equatable {
    case allowed
    /// The account's lockout is in force: no message, no new secret to guess.
    case lockedOut
    /// A send limit (per address or per IP) is reached; the text says which.
    case limited(String)
}

extension AttemptKind: RawValueColumn {}
extension AttemptOutcome: RawValueColumn {}
