import GRDB
import ReverifyCore

/// A type stored as its raw value: every identifier, time and enum column of both stores.
///
/// The witnesses are this module's, so the compiler specialises them per type. GRDB's defaults for
/// `RawRepresentable` types live in GRDB and are not inlinable, so every column they read or wrote ran generic code
/// that looked up the type's metadata: about 1% of an introspection (issue 13).
public protocol RawValueColumn: DatabaseValueConvertible, Codable, RawRepresentable
where RawValue: DatabaseValueConvertible {}

extension RawValueColumn {
    public var databaseValue: DatabaseValue { rawValue.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> Self? {
        RawValue.fromDatabaseValue(dbValue).flatMap(Self.init(rawValue:))
    }
}

// Typed identifiers and times are stored as their raw values.
extension UserID: RawValueColumn {}
extension SessionID: RawValueColumn {}
extension ClientID: RawValueColumn {}
extension AuthorizationRequestID: RawValueColumn {}
extension GrantID: RawValueColumn {}
extension ApprovalID: RawValueColumn {}
extension ApprovalStatus: RawValueColumn {}
extension UnixTime: RawValueColumn {}
extension Seconds: RawValueColumn {}
extension AuthMethod: RawValueColumn {}
extension ClientAuthMethod: RawValueColumn {}
extension ClientKind: RawValueColumn {}
extension ACR: RawValueColumn {}
extension AuditEvent: RawValueColumn {}
extension AuditOutcome: RawValueColumn {}
extension ReauthReason: RawValueColumn {}
extension SigningAlgorithm: RawValueColumn {}

/// Snake-case columns for every record, so Swift names stay Swift-like.
public protocol SnakeCaseRecord: Codable, FetchableRecord, PersistableRecord, Sendable {}

extension SnakeCaseRecord {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}
