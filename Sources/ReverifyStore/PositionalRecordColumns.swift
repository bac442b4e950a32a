import Foundation
import GRDB
import ReverifyCore

// Records read side by side from one joined row, by position. A token check reads its token, grant, session and
// user in one statement (issue 13). Telling their columns apart by name would take GRDB's scoped row adapters,
// which rebuild a name map per table on every fetch (a tenth of a userinfo request in the profile), and even a
// plain `Row` maps every column name of the statement, lower-cased, on each fetch (49 names for that chain).
// So these read straight from the statement: each record lists its columns once (`columns`, which the query
// selects) and reads them back in that order. The store suite checks each list against its table and each
// record against the by-name decoding.

/// Reads the columns of the statement's current row one after the other, from the first.
struct ColumnSequence {
    private let statement: SQLiteStatement
    private(set) var index: CInt

    init(_ statement: SQLiteStatement) {
        self.statement = statement
        self.index = 0
    }

    /// Whether the next column is NULL.
    var nextIsNull: Bool { DatabaseValue(sqliteStatement: statement, index: index).isNull }

    mutating func skip(_ count: Int) {
        index += CInt(count)
    }

    mutating func next<Value: DatabaseValueConvertible>(_ type: Value.Type = Value.self) throws -> Value {
        defer { index += 1 }
        let value = DatabaseValue(sqliteStatement: statement, index: index)
        guard let decoded = Value.fromDatabaseValue(value) else {
            throw DecodingError.typeMismatch(
                Value.self, .init(codingPath: [], debugDescription: "column \(index) holds \(value)"))
        }
        return decoded
    }

    /// A nullable column: NULL is nil, anything else must decode. Not through GRDB's `Optional` conformance, whose
    /// generic code looked up the wrapped type's metadata for every column it read (issue 13).
    mutating func next<Value: DatabaseValueConvertible>(_ type: Value?.Type = Value?.self) throws -> Value? {
        if nextIsNull {
            index += 1
            return nil
        }
        return try next(Value.self)
    }

    /// A non-null JSON column, through `memo`.
    mutating func nextJSON<Value>(memo: JSONColumnMemo<Value>) throws -> Value {
        guard let json = try nextJSONText() else {
            throw DecodingError.valueNotFound(Value.self, .init(codingPath: [], debugDescription: "JSON column is NULL"))
        }
        return try memo.value(json)
    }

    /// A nullable JSON column.
    mutating func nextJSONIfPresent<Value: Decodable>(_ type: Value.Type = Value.self) throws -> Value? {
        try nextJSONText().map { try decodeRecordJSON(type, from: $0) }
    }

    /// GRDB stores Codable values as JSON text.
    private mutating func nextJSONText() throws -> Data? {
        let text: String? = try next()
        return text.map { Data($0.utf8) }
    }
}

/// The rows of a joined statement, each decoded by `decode` from the statement itself (``ColumnSequence``).
final class PositionalCursor<Element>: DatabaseCursor {
    let _statement: Statement
    var _isDone = false
    private let decode: (inout ColumnSequence) throws -> Element

    init(_ statement: Statement, arguments: StatementArguments, decode: @escaping (inout ColumnSequence) throws -> Element)
        throws
    {
        _statement = statement
        try statement.setArguments(arguments)
        self.decode = decode
    }

    deinit {
        // A statement stopped before its end keeps its read snapshot until it is reset; GRDB's cursors reset it
        // here, with a method it keeps internal. Binding the arguments again resets it through public API. (A
        // reset after a failed step fails too, and then there is nothing left to do.)
        if !_isDone { try? _statement.setArguments(_statement.arguments) }
    }

    /// The statement's only row (a lookup by key), read to the statement's end so it lets go of its snapshot.
    func single() throws -> Element? {
        let first = try next()
        while try next() != nil {}
        return first
    }

    func _element(sqliteStatement: SQLiteStatement) throws -> Element {
        var columns = ColumnSequence(sqliteStatement)
        return try decode(&columns)
    }
}

/// A record that can be read from consecutive columns of a joined row.
protocol PositionalRecord {
    static var databaseTableName: String { get }
    /// Every column of the table, in the order ``init(_:)`` reads them.
    static var columns: [String] { get }
    init(_ columns: inout ColumnSequence) throws
}

extension PositionalRecord {
    /// `table.column, …` for a SELECT list.
    static var selection: String { columns.map { "\(databaseTableName).\($0)" }.joined(separator: ", ") }

    /// `INSERT INTO table (columns) VALUES (?, …)`: a whole row, its values bound in the order of ``columns``.
    static var insertSQL: String {
        "INSERT INTO \(databaseTableName) (\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
    }

    /// The record whose columns come next, or `nil` (its columns skipped) when they are NULL: an outer join found
    /// no row. Every table here has a NOT NULL first column, its key.
    static func ifPresent(_ c: inout ColumnSequence) throws -> Self? {
        guard c.nextIsNull else { return try Self(&c) }
        c.skip(columns.count)
        return nil
    }
}

extension AccessTokenRecord: PositionalRecord {
    static let columns = ["jti", "grant_id", "expires_at", "revoked_at", "one_shot"]

    init(_ c: inout ColumnSequence) throws {
        self.init(jti: try c.next(), grantId: try c.next(), expiresAt: try c.next(), oneShot: false)
        revokedAt = try c.next()
        oneShot = try c.next()
    }
}

extension RefreshTokenRecord: PositionalRecord {
    static let columns = ["token_hash", "grant_id", "parent_hash", "created_at", "expires_at", "used_at"]

    init(_ c: inout ColumnSequence) throws {
        self.init(
            tokenHash: try c.next(), grantId: try c.next(), parentHash: try c.next(), createdAt: try c.next(),
            expiresAt: try c.next())
        usedAt = try c.next()
    }
}

extension GrantRecord: PositionalRecord {
    static let columns = [
        "id", "client_id", "user_id", "session_id", "scope", "nonce", "claims", "created_at", "action", "revoked_at",
        "revoked_reason",
    ]

    init(_ c: inout ColumnSequence) throws {
        self.init(
            id: try c.next(), clientId: try c.next(), userId: try c.next(), sessionId: try c.next(), scope: try c.next(),
            nonce: try c.next(), claims: try c.nextJSONIfPresent(), createdAt: try c.next())
        action = try c.next()
        revokedAt = try c.next()
        revokedReason = try c.next()
    }
}

extension SessionRecord: PositionalRecord {
    static let columns = [
        "id", "secret_hash", "user_id", "created_at", "auth_time", "amr", "acr", "verifications", "ip_address",
        "user_agent", "device_id", "last_seen_at", "idle_expires_at", "expires_at", "revoked_at", "levels",
    ]

    init(_ c: inout ColumnSequence) throws {
        self.init(
            id: try c.next(), secretHash: try c.next(), userId: try c.next(), createdAt: try c.next(),
            authTime: try c.next(), amr: try c.nextJSON(memo: amrMemo), acr: try c.next(),
            verifications: try c.nextJSON(memo: verificationsMemo), ipAddress: try c.next(), userAgent: try c.next(),
            deviceId: try c.next(), lastSeenAt: try c.next(), idleExpiresAt: try c.next(), expiresAt: try c.next(),
            revokedAt: try c.next(), levels: try c.nextJSON(memo: levelsMemo))
    }
}

extension UserRecord: PositionalRecord {
    static let columns = [
        "id", "email", "name", "password_hash", "email_verified", "disabled_at", "created_at", "updated_at",
        "given_name", "family_name", "preferred_username",
    ]

    init(_ c: inout ColumnSequence) throws {
        self.init(
            id: try c.next(), email: try c.next(), name: try c.next(), passwordHash: try c.next(),
            emailVerified: try c.next(), disabledAt: try c.next(), createdAt: try c.next(), updatedAt: try c.next(),
            givenName: try c.next(), familyName: try c.next(), preferredUsername: try c.next())
    }
}

extension AuthorizationRequestRecord: PositionalRecord {
    static let columns = [
        "id", "browser_hash", "csrf_hash", "client_id", "request", "session_id", "pinned_user_id", "reason", "created_at",
        "expires_at", "completed_at", "approval_id", "continuation",
    ]

    init(_ c: inout ColumnSequence) throws {
        let id: AuthorizationRequestID = try c.next()
        let (browserHash, csrfHash, clientId): (String, String, ClientID) = (try c.next(), try c.next(), try c.next())
        guard let request = try c.nextJSONIfPresent(AuthorizeRequest.self) else {
            throw DecodingError.valueNotFound(
                AuthorizeRequest.self, .init(codingPath: [], debugDescription: "authorization_requests.request is NULL"))
        }
        self.init(
            id: id, browserHash: browserHash, csrfHash: csrfHash, clientId: clientId, request: request,
            sessionId: try c.next(), pinnedUserId: try c.next(), reason: try c.next(), createdAt: try c.next(),
            expiresAt: try c.next())
        completedAt = try c.next()
        approvalId = try c.next()
        continuation = try c.nextJSONIfPresent()
    }
}
