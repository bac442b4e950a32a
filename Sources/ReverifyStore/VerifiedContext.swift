import GRDB
import ReverifyCore

/// Where a verification was completed: the device and network that are known for its user from then on
/// (issue 11), written with the session the verification produced (issue 13: one write, not two).
public struct VerifiedContext: Sendable, Equatable {
    public var user: UserID
    /// SHA-256 of the browser cookie, as sessions store it.
    public var deviceHash: String?
    public var networkPrefix: String?
    public var at: UnixTime

    public init(user: UserID, deviceHash: String?, networkPrefix: String?, at: UnixTime) {
        self.user = user
        self.deviceHash = deviceHash
        self.networkPrefix = networkPrefix
        self.at = at
    }

    /// The upserts that remember it, the same text for both stores: each present one, with its arguments.
    var statements: [(sql: String, arguments: [(any DatabaseValueConvertible)?])] {
        var statements: [(sql: String, arguments: [(any DatabaseValueConvertible)?])] = []
        if let deviceHash {
            statements.append((Self.deviceSQL, [user, deviceHash, at, at]))
        }
        if let networkPrefix {
            statements.append((Self.networkSQL, [user, networkPrefix, at, at]))
        }
        return statements
    }

    static let deviceSQL = """
        INSERT INTO user_devices (user_id, device_hash, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (user_id, device_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at
        """
    static let networkSQL = """
        INSERT INTO user_networks (user_id, prefix, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (user_id, prefix) DO UPDATE SET last_seen_at = excluded.last_seen_at
        """
}
