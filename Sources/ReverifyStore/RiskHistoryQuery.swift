import Foundation
import GRDB
import ReverifyCore

/// The silent authorize's risk history in one statement, shared by both stores (issues 11 and 13): its counts
/// as scalar subqueries, the session's flags as a JSON array. Only that array's aggregate differs by backend.
struct RiskHistoryQuery {
    let user: UserID
    let session: SessionID
    let deviceHash: String?
    let networkPrefix: String?
    let attemptSubject: String
    let ipAddress: String?
    let now: UnixTime
    let networkMemory: Seconds
    let velocityWindow: Seconds

    /// The statement, with `flagsArray` the backend's aggregate of `reason` into JSON text (`[]` for no rows). A
    /// NULL device, network or address matches no row, so its count is 0.
    static func sql(flagsArray: String) -> String {
        """
        SELECT
            (SELECT COUNT(*) FROM user_devices WHERE user_id = ? AND device_hash = ?),
            (SELECT COUNT(*) FROM user_networks WHERE user_id = ? AND prefix = ? AND last_seen_at >= ?),
            (\(AttemptSQL.failuresOfSubjectSince)),
            (\(AttemptSQL.failuresFromAddressSince)),
            (SELECT \(flagsArray) FROM session_flags WHERE session_id = ? AND (until IS NULL OR until > ?))
        """
    }

    /// The statement's arguments, in its order.
    var arguments: [(any DatabaseValueConvertible)?] {
        let since = now - velocityWindow
        return [user, deviceHash, user, networkPrefix, now - networkMemory, attemptSubject, since, ipAddress, since, session, now]
    }

    /// The history from the statement's one row: four counts, then the flags' JSON text.
    func history(_ row: [DatabaseValue]) throws -> RiskHistory {
        guard row.count == 5 else { throw StoreError.invalid("the risk history query returned \(row.count) columns") }
        func count(_ i: Int) -> Int { Int(Int64.fromDatabaseValue(row[i]) ?? 0) }
        let flags = try decodeRecordJSON([String].self, from: Data((String.fromDatabaseValue(row[4]) ?? "[]").utf8))
        return RiskHistory(
            deviceKnown: count(0) > 0,
            // No address (a test or a socket without one): nothing to compare.
            networkKnown: networkPrefix == nil || count(1) > 0,
            recentFailures: count(2), addressFailures: count(3), flags: Set(flags))
    }
}
