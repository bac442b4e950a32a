import GRDB
import ReverifyCore

/// A row of `ssf_transmitters`: a system allowed to push security events to Reverify.
public struct SignalTransmitterRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "ssf_transmitters"
    public var issuer: String
    public var jwks: String?
    public var jwksUri: String?
    public var createdAt: UnixTime

    public init(issuer: String, jwks: String?, jwksUri: String?, createdAt: UnixTime) {
        self.issuer = issuer
        self.jwks = jwks
        self.jwksUri = jwksUri
        self.createdAt = createdAt
    }
}

extension SQLiteStore {
    public func addSignalTransmitter(_ transmitter: SignalTransmitterRecord) async throws {
        do {
            try await writer.write { db in try transmitter.insert(db) }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StoreError.invalid("a transmitter with issuer \(transmitter.issuer) is already registered")
        }
    }

    public func signalTransmitters() async throws -> [SignalTransmitterRecord] {
        try await writer.read { db in try SignalTransmitterRecord.order(Column("issuer")).fetchAll(db) }
    }

    public func signalTransmitter(issuer: String) async throws -> SignalTransmitterRecord? {
        try await writer.read { db in try SignalTransmitterRecord.fetchOne(db, key: issuer) }
    }

    public func removeSignalTransmitter(issuer: String) async throws {
        try await writer.write { db in
            guard try SignalTransmitterRecord.deleteOne(db, key: issuer) else {
                throw StoreError.notFound("transmitter \(issuer)")
            }
        }
    }

    public func recordSignal(issuer: String, jti: String, at now: UnixTime) async throws -> Bool {
        try await writer.write { db in
            let seen = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM ssf_received WHERE issuer = ? AND jti = ?", arguments: [issuer, jti]) ?? 0
            guard seen == 0 else { return false }
            try db.execute(
                sql: "INSERT INTO ssf_received (issuer, jti, received_at) VALUES (?, ?, ?)", arguments: [issuer, jti, now])
            return true
        }
    }

    public func clearSessionFlag(id: SessionID, reason: String, at now: UnixTime) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE session_flags SET until = ? WHERE session_id = ? AND reason = ? AND (until IS NULL OR until > ?)",
                arguments: [now, id, reason, now])
        }
    }
}
