import GRDB
import ReverifyCore

/// The busiest reads and writes, each one transaction (issue 13), as `SQLiteStore+HotPaths` does them.
extension PostgresStore {
    public func sessionWithUser(secretHash: String) async throws -> (SessionRecord, UserRecord)? {
        try await database.read { tx in
            guard let session = try await Self.session(secretHash: secretHash, tx),
                let user = try await Self.user(id: session.userId, tx)
            else { return nil }
            return (session, user)
        }
    }

    public func sessionWithUser(secretHash: String, risk: RiskQuery) async throws
        -> (SessionRecord, UserRecord, RiskHistory?)?
    {
        try await database.read { tx in
            guard let session = try await Self.session(secretHash: secretHash, tx),
                let user = try await Self.user(id: session.userId, tx)
            else { return nil }
            guard session.isActive(at: risk.at), !user.isDisabled else { return (session, user, nil) }
            let history = try await Self.riskHistory(
                user: user.id, session: session.id, deviceHash: risk.deviceHash, networkPrefix: risk.networkPrefix,
                attemptSubject: risk.attemptSubject(user), ipAddress: risk.ipAddress, at: risk.at,
                networkMemory: risk.networkMemory, velocityWindow: risk.velocityWindow, tx)
            return (session, user, history)
        }
    }

    public func accessTokenChain(jti: String) async throws -> AccessTokenChain? {
        try await database.read { tx in
            guard let token = try await Self.accessToken(jti: jti, tx), let grant = try await Self.grant(id: token.grantId, tx),
                let session = try await Self.session(id: grant.sessionId, tx)
            else { return nil }
            return AccessTokenChain(
                token: token, grant: grant, session: session, user: try await Self.user(id: session.userId, tx))
        }
    }

    public func insertCode(_ code: AuthorizationCodeRecord, audit: AuditRecord) async throws {
        try await database.write { tx in
            try await tx.insert(audit)
            try await tx.insert(code)
        }
    }
}
