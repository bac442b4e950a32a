import Foundation
import GRDB
import ReverifyCore

// Records read side by side from one joined row, by position. A token check reads its token, grant, session and
// user in one statement (issue 13); telling their columns apart by name would take GRDB's scoped row adapters,
// which rebuild a name map per table on every fetch: a tenth of a userinfo request in the profile. Each record
// here lists its columns once (`columns`, which the query selects) and reads them back in that order. The store
// suite checks each list against its table and each decoder against the by-name one.

/// Reads a record's columns one after the other from a position of a row.
struct ColumnSequence {
    let row: Row
    private(set) var index: Int

    init(_ row: Row, from index: Int) {
        self.row = row
        self.index = index
    }

    mutating func skip(_ count: Int) {
        index += count
    }

    mutating func next<Value: DatabaseValueConvertible>(_ type: Value.Type = Value.self) throws -> Value {
        defer { index += 1 }
        return try row.decode(type, atIndex: index)
    }

    /// A non-null JSON column, through `memo`.
    mutating func nextJSON<Value>(memo: JSONColumnMemo<Value>) throws -> Value {
        defer { index += 1 }
        return try row.withUnsafeData(atIndex: index) { data in
            guard let data else {
                throw DecodingError.valueNotFound(Value.self, .init(codingPath: [], debugDescription: "JSON column is NULL"))
            }
            return try memo.value(data)
        }
    }

    /// A nullable JSON column.
    mutating func nextJSONIfPresent<Value: Decodable>(_ type: Value.Type = Value.self) throws -> Value? {
        defer { index += 1 }
        return try row.withUnsafeData(atIndex: index) { data in try data.map { try decodeRecordJSON(type, from: $0) } }
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

    /// The record whose columns come next, or `nil` (its columns skipped) when they are NULL: an outer join found
    /// no row. Every table here has a NOT NULL first column, its key.
    static func ifPresent(_ c: inout ColumnSequence) throws -> Self? {
        guard c.row.hasNull(atIndex: c.index) else { return try Self(&c) }
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
