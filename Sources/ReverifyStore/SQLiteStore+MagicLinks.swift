import GRDB
import ReverifyCore

extension SQLiteStore {
    public func createMagicLink(_ link: MagicLinkRecord) async throws {
        try await writer.write { db in
            // One live secret per flow: asking again supersedes what was sent before.
            try MagicLinkRecord.filter(Column("request_id") == link.requestId && Column("consumed_at") == nil)
                .updateAll(db, Column("consumed_at").set(to: link.createdAt))
            try link.insert(db)
        }
    }

    public func recordMagicLinkDelivery(id: String, sentAt: UnixTime?, error: String?) async throws {
        try await writer.write { db in
            _ = try MagicLinkRecord.filter(key: id).updateAll(
                db, Column("sent_at").set(to: sentAt), Column("send_error").set(to: error))
        }
    }

    public func magicLink(tokenHash: String) async throws -> MagicLinkRecord? {
        try await writer.read { db in try MagicLinkRecord.filter(Column("token_hash") == tokenHash).fetchOne(db) }
    }

    public func newestMagicLink(request: AuthorizationRequestID) async throws -> MagicLinkRecord? {
        try await writer.read { db in try Self.newestLink(request: request, db: db) }
    }

    static func newestLink(request: AuthorizationRequestID, db: Database) throws -> MagicLinkRecord? {
        try MagicLinkRecord.filter(Column("request_id") == request)
            .order(Column("created_at").desc, Column("rowid").desc).fetchOne(db)
    }

    public func checkCode(
        request: AuthorizationRequestID, codeHash: @escaping @Sendable (String) -> String, policy: OneTimeCodePolicy, at now: UnixTime
    ) async throws -> CodeCheck {
        try await writer.write { db in
            guard var link = try Self.newestLink(request: request, db: db) else { return .none }
            let state = policy.state(
                expiresAt: link.expiresAt, consumedAt: link.consumedAt, failedAttempts: link.failedAttempts, now: now)
            guard state == .usable else { return .unusable(state) }
            if ConstantTime.equals(codeHash(link.id), link.codeHash) {
                link.consumedAt = now
                try link.update(db)
                return .accepted(link)
            }
            link.failedAttempts += 1
            try link.update(db)
            return .wrong(remainingAttempts: max(0, policy.maximumAttempts - link.failedAttempts))
        }
    }

    public func consumeMagicLink(tokenHash: String, policy: OneTimeCodePolicy, at now: UnixTime) async throws
        -> MagicLinkRecord?
    {
        try await writer.write { db in
            guard var link = try MagicLinkRecord.filter(Column("token_hash") == tokenHash).fetchOne(db),
                policy.state(expiresAt: link.expiresAt, consumedAt: link.consumedAt, failedAttempts: link.failedAttempts, now: now)
                    == .usable
            else { return nil }
            link.consumedAt = now
            try link.update(db)
            return link
        }
    }
}
