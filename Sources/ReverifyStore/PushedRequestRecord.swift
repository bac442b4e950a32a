import Foundation
import GRDB
import ReverifyCore

/// A row of `pushed_authorization_requests` (RFC 9126): validated authorization parameters waiting for the
/// browser to arrive with their `request_uri`. Single use, 60 s.
public struct PushedRequestRecord: SnakeCaseRecord, Equatable {
    public static let databaseTableName = "pushed_authorization_requests"

    public var uriHash: String
    public var clientId: ClientID
    /// `[[name, value], …]`, as JSON.
    public var parameters: [[String]]
    public var createdAt: UnixTime
    public var expiresAt: UnixTime
    public var usedAt: UnixTime?

    public init(uriHash: String, clientId: ClientID, parameters: [(String, String)], createdAt: UnixTime, expiresAt: UnixTime) {
        self.uriHash = uriHash
        self.clientId = clientId
        self.parameters = parameters.map { [$0.0, $0.1] }
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// The stored parameters, as the authorization endpoint reads them.
    public var requestParameters: RequestParameters {
        RequestParameters(parameters.compactMap { $0.count == 2 ? ($0[0], Optional($0[1])) : nil })
    }
}

/// A row of `request_object_jtis`: a request object seen, kept until it expires.
struct RequestObjectJTIRecord: SnakeCaseRecord {
    static let databaseTableName = "request_object_jtis"
    var clientId: ClientID
    var jti: String
    var expiresAt: UnixTime
}

extension SQLiteStore {
    public func savePushedRequest(_ request: PushedRequestRecord) async throws {
        try await writer.write { db in try request.insert(db) }
    }

    public func consumePushedRequest(uriHash: String, client: ClientID, at now: UnixTime) async throws -> PushedRequestRecord? {
        try await writer.write { db in
            guard var pushed = try PushedRequestRecord.fetchOne(db, key: uriHash), pushed.usedAt == nil else { return nil }
            // Used on first presentation, whatever happens next (RFC 9126 4: single use).
            pushed.usedAt = now
            try pushed.update(db)
            guard pushed.clientId == client, now < pushed.expiresAt else { return nil }
            return pushed
        }
    }

    public func recordRequestObjectJTI(client: ClientID, jti: String, expiresAt: UnixTime, at now: UnixTime) async throws -> Bool {
        try await writer.write { db in
            try RequestObjectJTIRecord.filter(Column("expires_at") <= now).deleteAll(db)
            guard try RequestObjectJTIRecord.filter(Column("client_id") == client && Column("jti") == jti).fetchCount(db) == 0
            else { return false }
            try RequestObjectJTIRecord(clientId: client, jti: jti, expiresAt: expiresAt).insert(db)
            return true
        }
    }
}
