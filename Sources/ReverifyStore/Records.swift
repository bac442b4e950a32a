import GRDB
import ReverifyCore

// Typed identifiers and times are stored as their raw values.
extension UserID: DatabaseValueConvertible {}
extension SessionID: DatabaseValueConvertible {}
extension ClientID: DatabaseValueConvertible {}
extension AuthorizationRequestID: DatabaseValueConvertible {}
extension GrantID: DatabaseValueConvertible {}
extension ApprovalID: DatabaseValueConvertible {}
extension ApprovalStatus: DatabaseValueConvertible {}
extension UnixTime: DatabaseValueConvertible {}
extension Seconds: DatabaseValueConvertible {}
extension AuthMethod: DatabaseValueConvertible {}
extension ClientAuthMethod: DatabaseValueConvertible {}
extension ClientKind: DatabaseValueConvertible {}
extension ACR: DatabaseValueConvertible {}
extension AuditEvent: DatabaseValueConvertible {}
extension AuditOutcome: DatabaseValueConvertible {}
extension ReauthReason: DatabaseValueConvertible {}
extension SigningAlgorithm: DatabaseValueConvertible {}

/// Snake-case columns for every record, so Swift names stay Swift-like.
public protocol SnakeCaseRecord: Codable, FetchableRecord, PersistableRecord, Sendable {}

extension SnakeCaseRecord {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}
