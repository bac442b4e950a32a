import Foundation
import GRDB
import ReverifyCore
import Synchronization

// The records every token check, silent authorize, refresh and webhook delivery reads or writes, decoded and
// encoded column by column. GRDB's Codable coding converted every column name to or from snake case (building a
// key map for each row read) and tried each JSON column as a scalar first: a fifth of an introspection's CPU, a
// tenth of a silent authorize's and two thirds of recording a webhook attempt in the issue 13 profiles. These
// read and write the same columns and JSON the synthesised conformances do (the store suite checks both agree,
// on SQLite and PostgreSQL); Codable stays for the rest.

extension SessionRecord {
    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), secretHash: try row.decode(forColumn: "secret_hash"),
            userId: try row.decode(forColumn: "user_id"), createdAt: try row.decode(forColumn: "created_at"),
            authTime: try row.decode(forColumn: "auth_time"), amr: try row.decodeJSON(forColumn: "amr", memo: amrMemo),
            acr: try row.decode(forColumn: "acr"),
            verifications: try row.decodeJSON(forColumn: "verifications", memo: verificationsMemo),
            ipAddress: try row.decode(forColumn: "ip_address"), userAgent: try row.decode(forColumn: "user_agent"),
            deviceId: try row.decode(forColumn: "device_id"), lastSeenAt: try row.decode(forColumn: "last_seen_at"),
            idleExpiresAt: try row.decode(forColumn: "idle_expires_at"),
            expiresAt: try row.decode(forColumn: "expires_at"), revokedAt: try row.decode(forColumn: "revoked_at"),
            levels: try row.decodeJSON(forColumn: "levels", memo: levelsMemo))
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

extension WebhookDeliveryRecord {
    public init(row: Row) throws {
        self.init(
            endpointId: try row.decode(forColumn: "endpoint_id"), eventId: try row.decode(forColumn: "event_id"),
            eventSeq: try row.decode(forColumn: "event_seq"), nextAttemptAtMs: try row.decode(forColumn: "next_attempt_at_ms"),
            createdAt: try row.decode(forColumn: "created_at"))
        id = try row.decode(forColumn: "id")
        status = try row.decode(forColumn: "status")
        attempts = try row.decode(forColumn: "attempts")
        leaseOwner = try row.decode(forColumn: "lease_owner")
        leaseExpiresAtMs = try row.decode(forColumn: "lease_expires_at_ms")
        lastStatus = try row.decode(forColumn: "last_status")
        lastError = try row.decode(forColumn: "last_error")
        deliveredAtMs = try row.decode(forColumn: "delivered_at_ms")
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["endpoint_id"] = endpointId
        container["event_id"] = eventId
        container["event_seq"] = eventSeq
        container["status"] = status
        container["attempts"] = attempts
        container["next_attempt_at_ms"] = nextAttemptAtMs
        container["lease_owner"] = leaseOwner
        container["lease_expires_at_ms"] = leaseExpiresAtMs
        container["last_status"] = lastStatus
        container["last_error"] = lastError
        container["created_at"] = createdAt
        container["delivered_at_ms"] = deliveredAtMs
    }
}

extension WebhookAttemptRecord {
    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["delivery_id"] = deliveryId
        container["attempt"] = attempt
        container["worker"] = worker
        container["started_at_ms"] = startedAtMs
        container["latency_ms"] = latencyMs
        container["http_status"] = httpStatus
        container["error"] = error
    }
}

extension SessionRecord {
    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["secret_hash"] = secretHash
        container["user_id"] = userId
        container["created_at"] = createdAt
        container["auth_time"] = authTime
        container["amr"] = try recordJSON(amr)
        container["acr"] = acr
        container["verifications"] = try recordJSON(verifications)
        container["levels"] = try recordJSON(levels)
        container["ip_address"] = ipAddress
        container["user_agent"] = userAgent
        container["device_id"] = deviceId
        container["last_seen_at"] = lastSeenAt
        container["idle_expires_at"] = idleExpiresAt
        container["expires_at"] = expiresAt
        container["revoked_at"] = revokedAt
    }
}

extension GrantRecord {
    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["client_id"] = clientId
        container["user_id"] = userId
        container["session_id"] = sessionId
        container["scope"] = scope
        container["nonce"] = nonce
        container["claims"] = try claims.map(recordJSON)
        container["action"] = action
        container["created_at"] = createdAt
        container["revoked_at"] = revokedAt
        container["revoked_reason"] = revokedReason
    }
}

extension AuthorizationCodeRecord {
    public func encode(to container: inout PersistenceContainer) throws {
        container["code_hash"] = codeHash
        container["client_id"] = clientId
        container["redirect_uri"] = redirectUri
        container["session_id"] = sessionId
        container["user_id"] = userId
        container["scope"] = scope
        container["nonce"] = nonce
        container["code_challenge"] = codeChallenge
        container["claims"] = try claims.map(recordJSON)
        container["action"] = action
        container["min_auth_time"] = minAuthTime
        container["created_at"] = createdAt
        container["expires_at"] = expiresAt
        container["used_at"] = usedAt
        container["grant_id"] = grantId
    }
}

extension RefreshTokenRecord {
    public func encode(to container: inout PersistenceContainer) throws {
        container["token_hash"] = tokenHash
        container["grant_id"] = grantId
        container["parent_hash"] = parentHash
        container["created_at"] = createdAt
        container["expires_at"] = expiresAt
        container["used_at"] = usedAt
    }
}

extension AccessTokenRecord {
    public func encode(to container: inout PersistenceContainer) throws {
        container["jti"] = jti
        container["grant_id"] = grantId
        container["expires_at"] = expiresAt
        container["revoked_at"] = revokedAt
        container["one_shot"] = oneShot
    }
}

extension AuditRecord {
    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["at"] = at
        container["event"] = event
        container["outcome"] = outcome
        container["user_id"] = userId
        container["session_id"] = sessionId
        container["client_id"] = clientId
        container["method"] = method
        container["reason"] = reason
        container["ip_address"] = ipAddress
        container["user_agent"] = userAgent
        container["detail"] = try recordJSON(detail)
        container["request_id"] = requestId
    }
}

/// The JSON encoder GRDB gives Codable records by default (`EncodableRecord.databaseJSONEncoder(for:)`: sorted
/// keys), made once; GRDB stores the JSON as text.
private let recordJSONEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.dataEncodingStrategy = .base64
    encoder.dateEncodingStrategy = .millisecondsSince1970
    encoder.nonConformingFloatEncodingStrategy = .throw
    encoder.outputFormatting = .sortedKeys
    return encoder
}()

func recordJSON(_ value: some Encodable) throws -> String {
    String(decoding: try recordJSONEncoder.encode(value), as: UTF8.self)
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

/// A JSON column's value, decoded as GRDB's Codable records would.
func decodeRecordJSON<Value: Decodable>(_ type: Value.Type, from json: Data) throws -> Value {
    try recordJSONDecoder.decode(type, from: json)
}

/// Decoded values of one JSON column, by their JSON text. A session's `amr`, `verifications` and `levels` change
/// only when it verifies again but are read on every request it makes; parsing them was 5% of a silent
/// authorize (issue 13 profile). Bounded: emptied when full.
final class JSONColumnMemo<Value: Decodable & Sendable>: Sendable {
    private let values = Mutex<[Data: Value]>([:])
    let capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = capacity
    }

    /// - Parameter json: may borrow the row's bytes; it is copied before it is kept.
    func value(_ json: Data) throws -> Value {
        if let known = values.withLock({ $0[json] }) { return known }
        let value = try recordJSONDecoder.decode(Value.self, from: json)
        let key = json.withUnsafeBytes { Data(bytes: $0.baseAddress!, count: $0.count) }
        values.withLock { values in
            if values.count >= capacity { values.removeAll(keepingCapacity: true) }
            values[key] = value
        }
        return value
    }

    var count: Int { values.withLock { $0.count } }
}

let amrMemo = JSONColumnMemo<[AMR]>()
let verificationsMemo = JSONColumnMemo<VerificationHistory>()
let levelsMemo = JSONColumnMemo<LevelHistory>()

extension Row {
    /// A non-null JSON column decoded through `memo`.
    func decodeJSON<Value>(forColumn column: String, memo: JSONColumnMemo<Value>) throws -> Value {
        guard let value = try jsonColumn(column, memo.value) else {
            throw DecodingError.valueNotFound(
                Value.self, .init(codingPath: [], debugDescription: "column \(column) is NULL"))
        }
        return value
    }

    /// A nullable column holding a JSON-encoded value (how GRDB stores Codable values that are not database
    /// values): `nil` for SQL NULL.
    func decodeJSONIfPresent<Value: Decodable>(_ type: Value.Type = Value.self, forColumn column: String) throws
        -> Value?
    {
        try jsonColumn(column) { try decodeRecordJSON(type, from: $0) }
    }

    /// The column's bytes through `decode`, `nil` for SQL NULL; a missing column is an error.
    private func jsonColumn<Value>(_ column: String, _ decode: (Data) throws -> Value) throws -> Value? {
        guard hasColumn(column) else {
            throw DecodingError.keyNotFound(
                RowColumnKey(stringValue: column), .init(codingPath: [], debugDescription: "no column \(column)"))
        }
        return try withUnsafeData(named: column) { data in try data.map(decode) }
    }
}

/// A column name as a coding key, for decoding errors.
private struct RowColumnKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
