import Foundation
import GRDB
import ReverifyCore

// The records every token check and silent authorize reads, decoded column by column. GRDB's Codable
// decoding converted every column name from snake case and built a key map for each row, and tried each JSON
// column as a scalar before parsing it: a fifth of an introspection's CPU in the issue 13 profile. These
// initialisers read the same columns the synthesised `Decodable` conformances read (the store suite checks
// both agree, row by row, on SQLite and PostgreSQL); the conformances stay for every other use.

extension SessionRecord {
    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), secretHash: try row.decode(forColumn: "secret_hash"),
            userId: try row.decode(forColumn: "user_id"), createdAt: try row.decode(forColumn: "created_at"),
            authTime: try row.decode(forColumn: "auth_time"), amr: try row.decodeJSON(forColumn: "amr"),
            acr: try row.decode(forColumn: "acr"), verifications: try row.decodeJSON(forColumn: "verifications"),
            ipAddress: try row.decode(forColumn: "ip_address"), userAgent: try row.decode(forColumn: "user_agent"),
            deviceId: try row.decode(forColumn: "device_id"), lastSeenAt: try row.decode(forColumn: "last_seen_at"),
            idleExpiresAt: try row.decode(forColumn: "idle_expires_at"),
            expiresAt: try row.decode(forColumn: "expires_at"), revokedAt: try row.decode(forColumn: "revoked_at"),
            levels: try row.decodeJSON(LevelHistory.self, forColumn: "levels"))
    }
}

extension UserRecord {
    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), email: try row.decode(forColumn: "email"),
            name: try row.decode(forColumn: "name"), passwordHash: try row.decode(forColumn: "password_hash"),
            emailVerified: try row.decode(forColumn: "email_verified"),
            disabledAt: try row.decode(forColumn: "disabled_at"), createdAt: try row.decode(forColumn: "created_at"),
            updatedAt: try row.decode(forColumn: "updated_at"), givenName: try row.decode(forColumn: "given_name"),
            familyName: try row.decode(forColumn: "family_name"),
            preferredUsername: try row.decode(forColumn: "preferred_username"))
    }
}

extension GrantRecord {
    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), clientId: try row.decode(forColumn: "client_id"),
            userId: try row.decode(forColumn: "user_id"), sessionId: try row.decode(forColumn: "session_id"),
            scope: try row.decode(forColumn: "scope"), nonce: try row.decode(forColumn: "nonce"),
            claims: try row.decodeJSONIfPresent(forColumn: "claims"), createdAt: try row.decode(forColumn: "created_at"))
        action = try row.decode(forColumn: "action")
        revokedAt = try row.decode(forColumn: "revoked_at")
        revokedReason = try row.decode(forColumn: "revoked_reason")
    }
}

extension RefreshTokenRecord {
    public init(row: Row) throws {
        self.init(
            tokenHash: try row.decode(forColumn: "token_hash"), grantId: try row.decode(forColumn: "grant_id"),
            parentHash: try row.decode(forColumn: "parent_hash"), createdAt: try row.decode(forColumn: "created_at"),
            expiresAt: try row.decode(forColumn: "expires_at"))
        usedAt = try row.decode(forColumn: "used_at")
    }
}

extension AccessTokenRecord {
    public init(row: Row) throws {
        self.init(
            jti: try row.decode(forColumn: "jti"), grantId: try row.decode(forColumn: "grant_id"),
            expiresAt: try row.decode(forColumn: "expires_at"), oneShot: try row.decode(forColumn: "one_shot"))
        revokedAt = try row.decode(forColumn: "revoked_at")
    }
}

/// The JSON decoder GRDB gives Codable records by default (`FetchableRecord.databaseJSONDecoder(for:)`), made
/// once: JSON columns decode exactly as they did through Codable.
private let recordJSONDecoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.dataDecodingStrategy = .base64
    decoder.dateDecodingStrategy = .millisecondsSince1970
    decoder.nonConformingFloatDecodingStrategy = .throw
    return decoder
}()

extension Row {
    /// A column holding a JSON-encoded value (how GRDB stores Codable values that are not database values).
    func decodeJSON<Value: Decodable>(_ type: Value.Type = Value.self, forColumn column: String) throws -> Value {
        guard let value = try decodeJSONIfPresent(type, forColumn: column) else {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: [], debugDescription: "column \(column) is NULL or missing"))
        }
        return value
    }

    /// A nullable JSON column: `nil` for SQL NULL.
    func decodeJSONIfPresent<Value: Decodable>(_ type: Value.Type = Value.self, forColumn column: String) throws
        -> Value?
    {
        guard hasColumn(column) else {
            throw DecodingError.keyNotFound(
                RowColumnKey(stringValue: column), .init(codingPath: [], debugDescription: "no column \(column)"))
        }
        return try withUnsafeData(named: column) { data in
            try data.map { try recordJSONDecoder.decode(type, from: $0) }
        }
    }
}

/// A column name as a coding key, for decoding errors.
private struct RowColumnKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
