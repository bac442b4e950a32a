import GRDB
import PostgresNIO
import ReverifyCore

/// Shared Signals transmitters and the events received from them: the PostgreSQL twins of
/// `SQLiteStore+Signals.swift`.
extension PostgresStore {
    public func addSignalTransmitter(_ transmitter: SignalTransmitterRecord) async throws {
        do {
            try await database.write { tx in try await tx.insert(transmitter) }
        } catch let error as PSQLError where error.isUniqueViolation {
            throw StoreError.invalid("a transmitter with issuer \(transmitter.issuer) is already registered")
        }
    }

    public func signalTransmitters() async throws -> [SignalTransmitterRecord] {
        try await database.read { tx in
            try await tx.fetchAll(SignalTransmitterRecord.self, #"SELECT * FROM ssf_transmitters ORDER BY issuer COLLATE "C""#)
        }
    }

    public func signalTransmitter(issuer: String) async throws -> SignalTransmitterRecord? {
        try await database.read { tx in
            try await tx.fetchOne(SignalTransmitterRecord.self, "SELECT * FROM ssf_transmitters WHERE issuer = ?", [issuer])
        }
    }

    public func removeSignalTransmitter(issuer: String) async throws {
        try await database.write { tx in
            guard try await tx.execute("DELETE FROM ssf_transmitters WHERE issuer = ?", [issuer]) > 0 else {
                throw StoreError.notFound("transmitter \(issuer)")
            }
        }
    }

    /// A `jti` counts once per transmitter (RFC 8417 2.2): two instances receiving the same event at once
    /// conflict, and the one retried sees the other's row.
    public func recordSignal(issuer: String, jti: String, at now: UnixTime) async throws -> Bool {
        try await database.write { tx in
            let seen = try await tx.count("SELECT COUNT(*) FROM ssf_received WHERE issuer = ? AND jti = ?", [issuer, jti])
            guard seen == 0 else { return false }
            try await tx.execute("INSERT INTO ssf_received (issuer, jti, received_at) VALUES (?, ?, ?)", [issuer, jti, now])
            return true
        }
    }

    public func clearSessionFlag(id: SessionID, reason: String, at now: UnixTime) async throws {
        try await database.write { tx in
            _ = try await tx.execute(
                "UPDATE session_flags SET until = ? WHERE session_id = ? AND reason = ? AND (until IS NULL OR until > ?)",
                [now, id, reason, now])
        }
    }
}
